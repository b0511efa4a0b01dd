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
