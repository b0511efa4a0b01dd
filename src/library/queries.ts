import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Q = Kysely<Database>;

/** Papers in any of the reader's collections, most recently added first. */
export async function savedPaperIds(db: Q, userId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select((eb) => ['i.paper_id', eb.fn.max('i.added_at').as('added_at')])
    .where('c.owner_id', '=', userId)
    .groupBy('i.paper_id')
    .orderBy('added_at', 'desc')
    .orderBy('i.paper_id')
    .execute();
  return rows.map((r) => r.paper_id);
}

/** Papers the reader hid or marked "not interested". */
export async function hiddenPaperIds(db: Q, userId: number): Promise<Set<string>> {
  const rows = await db.selectFrom('paper_marks').select('paper_id').where('user_id', '=', userId).where('hidden_at', 'is not', null).execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** Ids among `paperIds` in any of the reader's collections: one query for a page of cards. */
export async function savedAmong(db: Q, userId: number, paperIds: readonly string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select('i.paper_id')
    .distinct()
    .where('c.owner_id', '=', userId)
    .where('i.paper_id', 'in', [...new Set(paperIds)])
    .execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** Ids among `paperIds` that the reader hid: one query for a page of cards. */
export async function hiddenAmong(db: Q, userId: number, paperIds: readonly string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('paper_marks')
    .select('paper_id')
    .where('user_id', '=', userId)
    .where('hidden_at', 'is not', null)
    .where('paper_id', 'in', [...new Set(paperIds)])
    .execute();
  return new Set(rows.map((r) => r.paper_id));
}
