import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The content version: a counter that every write changing what readers see
 * bumps inside its own transaction. Page caches and ETags compare it, so every
 * app instance on the same database sees a change at once.
 */
export async function contentVersion(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('site_state').select('value').where('key', '=', 'content_version').executeTakeFirst();
  return Number(row?.value ?? 0);
}

/** Marks the content as changed; call inside the transaction that changed it. */
export async function bumpContentVersion(trx: Transaction<Database> | Kysely<Database>): Promise<void> {
  await trx
    .updateTable('site_state')
    .set({ value: sql<number>`value + 1` })
    .where('key', '=', 'content_version')
    .execute();
}

/**
 * Starts a write transaction that changes content: takes the content-version row's
 * write lock first, so concurrent writers (an import in one process, a sync in
 * another) queue instead of colliding: on SQLite it turns the transaction into a
 * writer before it reads anything (no stale-snapshot BUSY), on PostgreSQL it holds
 * a row lock until commit.
 */
export async function lockContent(trx: Transaction<Database>): Promise<void> {
  await trx
    .updateTable('site_state')
    .set({ value: sql<number>`value` })
    .where('key', '=', 'content_version')
    .execute();
}

/**
 * Runs a write that may change content in one transaction: takes the content
 * lock first (lockContent), and bumps the content version before commit when
 * `changed` says the work changed something. Every importer writes through this.
 */
export async function writeContent<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
  changed: (result: T) => boolean,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await lockContent(trx);
    const result = await work(trx);
    if (changed(result)) await bumpContentVersion(trx);
    return result;
  });
}

/** For `writeContent`: whether any record of a batch was new or updated. */
export const anyChanged = (outcomes: readonly string[]): boolean => outcomes.some((o) => o !== 'unchanged');
