import { sql, type Kysely } from 'kysely';

// PostgreSQL keeps papers' GIN index on search_vector (migration 006_search) row by row: a bulk
// import that grows the table a lot spends most of its time there. Such an import drops the
// index and builds it once at its end, as pg_restore does (decision 040). The index's presence
// is the only state: whoever finds it missing or left invalid by a killed build (the import's
// end, `migrate`, `serve`) builds it again, so a killed import loses nothing.

const INDEX = 'papers_search';

/** Drops the GIN index for a bulk load; `ensureSearchGin` builds it again. */
export async function dropSearchGin(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists ${sql.id(INDEX)}`.execute(db);
}

/**
 * Builds the GIN index when it is missing, or invalid with no build running (a killed
 * `create index concurrently` leaves it so). Concurrently, so that votes and edits go on while
 * it builds. Returns whether it built.
 */
export async function ensureSearchGin(db: Kysely<any>): Promise<boolean> {
  const { rows } = await sql<{ valid: boolean | null; building: boolean }>`
    select (select i.indisvalid from pg_index i where i.indexrelid = to_regclass(${INDEX})) as valid,
      exists (select 1 from pg_stat_progress_create_index p where p.relid = 'papers'::regclass) as building`.execute(db);
  const { valid, building } = rows[0]!;
  if (valid === true || building) return false;
  if (valid === false) await sql`drop index concurrently if exists ${sql.id(INDEX)}`.execute(db);
  // Another instance may have started the same build meanwhile: `if not exists` leaves it to finish.
  await sql`create index concurrently if not exists ${sql.id(INDEX)} on papers using gin (search_vector)`.execute(db);
  return true;
}
