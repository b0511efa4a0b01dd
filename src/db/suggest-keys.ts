import { sql, type Kysely } from 'kysely';
import type { Dialect } from './database.ts';

// The search box's word-start keys (migration 025, decision 023) are kept by per-row triggers.
// A bulk import (`import snapshot`) skips those triggers and notes its new papers in
// suggest_keys_pending, in the same transaction as the papers (migration 027); the keys of the
// noted papers are then built set-wise, in key order, by `buildPendingSuggestKeys` (decision 033).

/** How many characters of a word start a key keeps, and up to which character of the text words start. */
export const SUGGEST_KEY_LENGTH = 48;
export const SUGGEST_SPAN = 256;

/**
 * SQLite: rows of (id, k), one per word start of `text` (whitespace as single spaces, lowered);
 * the triggers take no WITH clause, so word starts are found by offset against suggest_offsets.
 * Migration 025's triggers are built from this text: it must not change.
 */
export function sqliteKeysOf(text: string, id: string, from = ''): string {
  let s = `lower(replace(replace(replace(${text}, char(9), ' '), char(10), ' '), char(13), ' '))`;
  for (let i = 0; i < 3; i++) s = `replace(${s}, '  ', ' ')`;
  return `select distinct t.id as id, substr(t.s, o.n, ${SUGGEST_KEY_LENGTH}) as k from (select ${id} as id, trim(${s}) as s ${from}) t join suggest_offsets o on o.n <= length(t.s)
              where (o.n = 1 or substr(t.s, o.n - 1, 1) = ' ') and substr(t.s, o.n, 1) <> ' '`;
}

/**
 * SQLite, outside triggers (which take no WITH): the keys of sqliteKeysOf, found by walking
 * from space to space instead of trying each of the first 256 characters (`substr` walks UTF-8
 * from the text's start each time, so the scan costs a title about a hundred walks, this one a
 * walk per word), and without `distinct`: a key twice in one text is left to `on conflict do
 * nothing`. A 200k-paper key build: 56 s of CPU with the scan, 31 s with this.
 */
export function sqliteKeysByWords(text: string, id: string, from: string): string {
  let s = `lower(replace(replace(replace(${text}, char(9), ' '), char(10), ' '), char(13), ' '))`;
  for (let i = 0; i < 3; i++) s = `replace(${s}, '  ', ' ')`;
  // Every position right after a space (and the first): the word starts among them are those not on a space.
  return `with recursive t(id, s) as (select ${id}, trim(${s}) ${from}),
      w(id, s, n) as (select id, s, 1 from t where length(s) > 0
        union all select id, s, n + instr(substr(s, n), ' ') from w where instr(substr(s, n), ' ') > 0 and n + instr(substr(s, n), ' ') <= min(length(s), ${SUGGEST_SPAN}))
    select id, substr(s, n, ${SUGGEST_KEY_LENGTH}) as k from w where substr(s, n, 1) <> ' '`;
}

/** SQLite: the statement that inserts the keys of `select`'s (id, k) rows as `kind`. */
export function sqliteInsertKeys(kind: string, select: string, order = ''): string {
  return `insert into suggest_keys (key, kind, target) select k, '${kind}', id from (${select}) where true ${order} on conflict do nothing;`;
}

/** PostgreSQL: the setting that, set for a transaction, makes the paper and author triggers skip inserts (migration 027). */
export const DEFER_SETTING = 'dailypapers.suggest_keys';

/**
 * Builds the keys of the papers a bulk import noted in suggest_keys_pending (their titles and
 * their authors' names), in key order, and clears the note, in one transaction: after it the
 * keys are what the per-row triggers would have written; a kill before its commit leaves the
 * note for the next run (an import's end, `migrate`, `serve`). Returns how many papers it covered.
 */
export async function buildPendingSuggestKeys(db: Kysely<any>, dialect: Dialect): Promise<number> {
  const any = await sql<{ one: number }>`select 1 as one from suggest_keys_pending limit 1`.execute(db);
  if (any.rows.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const pending = sql`(select paper_id from suggest_keys_pending)`;
    if (dialect === 'postgres') {
      // Bulk batches note papers while holding ROW EXCLUSIVE: wait for them, and keep new ones out until this commits.
      await sql`lock table suggest_keys_pending in exclusive mode`.execute(trx);
      await sql`insert into suggest_keys select k, 'paper', p.id from papers p, suggest_keys_of(p.title) k where p.id in ${pending}
        order by 1, 3 on conflict do nothing`.execute(trx);
      await sql`insert into suggest_keys select k, 'author', a.name from (select distinct name from paper_authors where paper_id in ${pending}) a, suggest_keys_of(a.name) k
        order by 1, 3 on conflict do nothing`.execute(trx);
    } else {
      // The triggers' keys (sqliteKeysOf) by words, over the noted papers only, sorted so that the keys' B-tree is written in order.
      await sql.raw(sqliteInsertKeys('paper', sqliteKeysByWords('title', 'id', 'from papers where id in (select paper_id from suggest_keys_pending)'), 'order by k, id')).execute(trx);
      const names = 'from (select distinct name from paper_authors where paper_id in (select paper_id from suggest_keys_pending))';
      await sql.raw(sqliteInsertKeys('author', sqliteKeysByWords('name', 'name', names), 'order by k, id')).execute(trx);
    }
    const done = await sql`delete from suggest_keys_pending`.execute(trx);
    return Number(done.numAffectedRows ?? 0);
  });
}
