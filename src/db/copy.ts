import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { migrateToLatest, pendingMigrations, type Db, type Dialect } from './database.ts';
import type { Database } from './schema.ts';

/**
 * Every table a copy carries, parents before children so foreign keys hold at each
 * insert, with the primary key that orders rows for paging and checksums. A table
 * the source has and this list lacks stops the copy (see `checkSchemas`), and the
 * type check below fails the build when schema.ts gains a table this list lacks.
 */
export const COPIED_TABLES = [
  { table: 'organizations', key: ['id'] },
  { table: 'users', key: ['id'] },
  { table: 'imported_users', key: ['id'] },
  { table: 'papers', key: ['id'] },
  { table: 'paper_authors', key: ['paper_id', 'position'] },
  { table: 'paper_categories', key: ['paper_id', 'category'] },
  { table: 'daily_listings', key: ['id'] },
  // What the metadata backfill asked arXiv: copied so a moved site does not ask again.
  { table: 'arxiv_metadata_checks', key: ['paper_id'] },
  { table: 'site_state', key: ['key'] },
  // Claimed job periods: copied so a moved site does not run a digest for a period twice.
  { table: 'job_runs', key: ['job', 'period_start'] },
  // OAI-PMH harvest checkpoints: copied so a moved site resumes its harvests.
  { table: 'harvest_state', key: ['key'] },
  // Whose turn it is to ask arXiv: a moved site keeps its pace.
  { table: 'upstream_lanes', key: ['origin'] },
  { table: 'sessions', key: ['token_hash'] },
  { table: 'email_tokens', key: ['token_hash'] },
  { table: 'api_tokens', key: ['id'] },
  { table: 'upvotes', key: ['user_id', 'paper_id'] },
  { table: 'comments', key: ['id'] },
  { table: 'organization_members', key: ['organization_id', 'user_id'] },
  { table: 'authorship_claims', key: ['id'] },
  { table: 'reports', key: ['id'] },
  { table: 'audit_log', key: ['id'] },
  { table: 'rate_limits', key: ['key'] },
  // Vectors are costly to make again (a request per batch to the embedding service); failures keep their backoff.
  { table: 'paper_embeddings', key: ['paper_id'] },
  { table: 'embedding_failures', key: ['paper_id'] },
  // Costly to compute again (a search per paper): copied with the papers' related_at.
  { table: 'related_papers', key: ['paper_id', 'rank'] },
  // Copied so that a moved site neither loses its readers nor sends a period's digest twice.
  { table: 'subscriptions', key: ['id'] },
  { table: 'digest_bodies', key: ['id'] },
  { table: 'digest_outbox', key: ['id'] },
  // The development root secret: copied so that links already mailed keep working.
  { table: 'instance_settings', key: ['name'] },
  // Readers' libraries: collections (before their items), items, and marks on papers.
  { table: 'collections', key: ['id'] },
  { table: 'collection_items', key: ['id'] },
  { table: 'paper_marks', key: ['user_id', 'paper_id'] },
  { table: 'follows', key: ['user_id', 'kind', 'target'] },
  { table: 'feed_tokens', key: ['id'] },
  { table: 'reader_models', key: ['user_id'] },
  // Fetched images: copied so that a moved site does not fetch them all again.
  { table: 'images', key: ['id'] },
] as const satisfies readonly { table: keyof Database; key: readonly string[] }[];

/** Tables the target's triggers fill from the copied rows (DERIVED_TABLE). */
type Derived = 'suggest_keys';
type Unlisted = Exclude<keyof Database, (typeof COPIED_TABLES)[number]['table'] | Derived>;
const everyTableListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyTableListed;

/** Holds the migration's seed row (the content version), which the copy overwrites. */
const SEEDED_TABLE = 'site_state';

/** Rows per insert: at most 1,000, and within SQLite's 32,766 bind parameters (PostgreSQL allows 65,535). */
const MAX_BATCH = 1000;
const MAX_PARAMETERS = 32_766;

export interface TableReport {
  table: string;
  sourceRows: number;
  targetRows: number;
  sourceChecksum: string;
  targetChecksum: string;
  ok: boolean;
}

export type CopyProgress = (p: { table: string; copied: number; total: number }) => void;

type Row = Record<string, unknown>;
type AnyDb = Kysely<any>;

/** A table as both databases have it: columns in one fixed order, and which ones sort as text. */
interface TablePlan {
  table: string;
  key: readonly string[];
  columns: string[];
  textColumns: Set<string>;
  /** Identity columns of the target, whose sequences must move past the copied ids. */
  targetIdentity: string[];
  batch: number;
}

/**
 * Copies every row of `from` into `to`, which must be empty: the target is migrated
 * to the source's schema version, filled in one transaction (a failure leaves it
 * empty), and then each table's row count and content checksum are compared.
 */
export async function copyDatabase(from: Db, to: Db, onProgress?: CopyProgress): Promise<TableReport[]> {
  const plans = await checkSchemas(from, to);
  const source = from.kysely as AnyDb;
  // One snapshot of the source, so a write landing mid-copy cannot tear it.
  const snapshot = from.dialect === 'postgres' ? source.transaction().setIsolationLevel('repeatable read').setAccessMode('read only') : source.transaction();
  const copied = await snapshot.execute(async (src) => {
    const totals = await Promise.all(plans.map((p) => countRows(src, p.table)));
    return (to.kysely as AnyDb).transaction().execute(async (trx) => {
      await assertEmpty(trx, plans);
      const sums: Digest[] = [];
      for (const [i, plan] of plans.entries()) {
        if (plan.table === SEEDED_TABLE) await trx.deleteFrom(plan.table).execute();
        let copiedRows = 0;
        const sum = await digest(src, from.dialect, plan, async (page) => {
          await trx.insertInto(plan.table).values(page).execute();
          copiedRows += page.length;
          onProgress?.({ table: plan.table, copied: copiedRows, total: totals[i]! });
        });
        sums.push(sum);
      }
      if (to.dialect === 'postgres') await resetSequences(trx, plans);
      return sums;
    });
  });

  // Read back what was committed, hashed the same way, rather than trusting the inserts.
  const committed = await (to.kysely as AnyDb).transaction().execute(async (trx) => {
    const sums: Digest[] = [];
    for (const plan of plans) sums.push(await digest(trx, to.dialect, plan));
    return sums;
  });
  return plans.map(({ table }, i) => {
    const [source, target] = [copied[i]!, committed[i]!];
    return {
      table,
      sourceRows: source.rows,
      targetRows: target.rows,
      sourceChecksum: source.checksum,
      targetChecksum: target.checksum,
      ok: source.rows === target.rows && source.checksum === target.checksum,
    };
  });
}

interface Digest {
  rows: number;
  checksum: string;
}

/** Count and SHA-256 of a table's rows in key order, each row as canonical JSON; hands each page on to `eachPage`. */
async function digest(db: Transaction<any>, dialect: Dialect, plan: TablePlan, eachPage?: (page: Row[]) => Promise<void>): Promise<Digest> {
  const hash = createHash('sha256');
  let rows = 0;
  for await (const page of pages(db, dialect, plan)) {
    await eachPage?.(page);
    for (const row of page) hash.update(canonicalRow(row, plan.columns));
    rows += page.length;
  }
  return { rows, checksum: hash.digest('hex') };
}

/**
 * A row as one line of JSON, columns in the plan's order, values as the drivers
 * give them normalized to what both databases can hold: numbers, strings, bytes, null.
 */
function canonicalRow(row: Row, columns: string[]): string {
  const canonical: Row = {};
  for (const column of columns) {
    const value = row[column];
    if (value === null || value === undefined) canonical[column] = null;
    else if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) canonical[column] = value;
    else if (typeof value === 'bigint') canonical[column] = Number(value);
    // Both drivers read blob/bytea as a Buffer: compared by its bytes.
    else if (value instanceof Uint8Array) canonical[column] = { hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
    else throw new Error(`copy: cannot compare the ${typeof value} value in ${column}`);
  }
  return JSON.stringify(canonical) + '\n';
}

/**
 * Pages of a table in primary-key order, with text keys sorted by bytes on both
 * sides. SQLite compares text that way, so pages there are ranges of the key index.
 * PostgreSQL does only under the "C" collation, which its index (in the database's
 * collation, often en_US) cannot serve: a cursor sorts the table once instead of
 * each page sorting it again. Both need `db` to be a transaction.
 */
function pages(db: Transaction<any>, dialect: Dialect, plan: TablePlan): AsyncGenerator<Row[]> {
  return dialect === 'postgres' ? cursorPages(db, plan) : keyRangePages(db, plan);
}

async function* keyRangePages(db: Transaction<any>, plan: TablePlan): AsyncGenerator<Row[]> {
  const keyTuple = sql.join(plan.key.map((column) => sql.ref(column)));
  let after: unknown[] | undefined;
  for (;;) {
    let query = db.selectFrom(plan.table).select(plan.columns).limit(plan.batch);
    for (const column of plan.key) query = query.orderBy(column);
    if (after) query = query.where(sql<boolean>`(${keyTuple}) > (${sql.join(after)})`);
    const rows: Row[] = await query.execute();
    if (rows.length > 0) yield rows;
    if (rows.length < plan.batch) return;
    const last = rows[rows.length - 1]!;
    after = plan.key.map((column) => last[column]);
  }
}

async function* cursorPages(db: Transaction<any>, plan: TablePlan): AsyncGenerator<Row[]> {
  let query = db.selectFrom(plan.table).select(plan.columns);
  for (const column of plan.key) query = query.orderBy(plan.textColumns.has(column) ? sql`${sql.ref(column)} collate "C"` : sql.ref(column));
  await sql`declare copy_pages no scroll cursor for ${sql.raw(query.compile().sql)}`.execute(db);
  try {
    for (;;) {
      const { rows } = await sql<Row>`fetch ${sql.lit(plan.batch)} from copy_pages`.execute(db);
      if (rows.length > 0) yield rows;
      if (rows.length < plan.batch) return;
    }
  } finally {
    await sql`close copy_pages`.execute(db);
  }
}

/**
 * The preconditions: both databases at the same migration, the source with no table
 * this copy would skip, and each table with the same columns on both sides.
 */
async function checkSchemas(from: Db, to: Db): Promise<TablePlan[]> {
  const pending = await pendingMigrations(from);
  if (pending.length > 0) {
    throw new Error(`copy: the source schema is behind (${pending.join(', ')} pending); run \`dailypapers migrate\` on it first`);
  }
  // Checked before the target is touched: nothing is written for a copy that cannot be complete.
  const sourceTables = await describeTables(from);
  const unknown = [...sourceTables.keys()].filter((t) => !COPIED_TABLES.some((c) => c.table === t));
  if (unknown.length > 0) {
    throw new Error(`copy: the source has tables this copy does not know (${unknown.join(', ')}); add them to COPIED_TABLES in src/db/copy.ts`);
  }
  try {
    await migrateToLatest(to);
  } catch (err) {
    throw new Error(`copy: cannot migrate the target: ${(err as Error).message.replace(/^db: /, '')}`);
  }
  const [sourceMigrations, targetMigrations] = await Promise.all([appliedMigrations(from), appliedMigrations(to)]);
  if (sourceMigrations.join() !== targetMigrations.join()) {
    throw new Error(
      `copy: source and target are at different migrations (${sourceMigrations.at(-1)} and ${targetMigrations.at(-1)}); use the version of dailypapers that wrote the source`,
    );
  }

  const targetTables = await describeTables(to);
  return COPIED_TABLES.map(({ table, key }) => {
    const source = sourceTables.get(table);
    const target = targetTables.get(table);
    const names = (t: typeof source) => (t ? t.map((c) => c.name).sort().join() : '');
    if (!source || !target || names(source) !== names(target)) {
      throw new Error(`copy: table ${table} is missing or has other columns on ${source ? 'the target' : 'the source'}`);
    }
    const columns = source.map((c) => c.name);
    return {
      table,
      key,
      columns,
      textColumns: new Set(target.filter((c) => /text|char/i.test(c.dataType)).map((c) => c.name)),
      targetIdentity: target.filter((c) => c.isAutoIncrementing).map((c) => c.name),
      batch: Math.min(MAX_BATCH, Math.floor(MAX_PARAMETERS / columns.length)),
    };
  });
}

/** Tables of the database's own schema (the migrations' own records left out) and their columns in order. */
async function describeTables(db: Db) {
  const schema =
    db.dialect === 'postgres' ? (await sql<{ name: string }>`select current_schema() as name`.execute(db.kysely)).rows[0]?.name : undefined;
  const tables = await db.kysely.introspection.getTables();
  return new Map(
    tables
      .filter((t) => !t.isView && t.schema === schema && !DERIVED_TABLE.test(t.name) && t.name !== 'migration_checksums')
      .map((t) => [t.name, t.columns.filter((c) => !DERIVED_COLUMNS.includes(c.name))]),
  );
}

// The search index (SQLite's FTS5 tables, PostgreSQL's generated tsvector) and the suggestions'
// keys are not copied: the target's own triggers and generated column rebuild them from the copied rows.
const DERIVED_TABLE = /^(paper_search|suggest_)/;
const DERIVED_COLUMNS = ['search_vector'];

async function appliedMigrations(db: Db): Promise<string[]> {
  const rows = await (db.kysely as AnyDb).selectFrom('kysely_migration').select('name').orderBy('name').execute();
  return rows.map((r: { name: string }) => r.name);
}

async function countRows(db: AnyDb, table: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Refuses a target that holds anything but the seeded content version, naming the table. */
async function assertEmpty(db: AnyDb, plans: TablePlan[]): Promise<void> {
  for (const { table } of plans) {
    if (table === SEEDED_TABLE) continue;
    const n = await countRows(db, table);
    if (n > 0) throw new Error(`copy: the target is not empty: ${table} has ${n} rows; copy into a new, empty database`);
  }
}

/**
 * Ids were inserted explicitly, which leaves PostgreSQL's identity sequences at 1;
 * moves each past the largest copied id so the next insert does not collide.
 */
async function resetSequences(db: AnyDb, plans: TablePlan[]): Promise<void> {
  for (const { table, targetIdentity } of plans) {
    for (const column of targetIdentity) {
      const max = sql`max(${sql.ref(column)})`;
      await sql`select setval(pg_get_serial_sequence(${table}, ${column}), coalesce(${max}, 1), ${max} is not null) from ${sql.table(table)}`.execute(db);
    }
  }
}
