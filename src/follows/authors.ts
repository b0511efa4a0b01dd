import type { Kysely } from 'kysely';
import type { Database, User } from '../db/schema.ts';

type Q = Kysely<Database>;

/** Visible papers that name this author (exactly, as papers give the name), newest first: ids and how many. */
export async function papersByAuthorName(db: Q, name: string, limit: number, offset: number): Promise<{ ids: string[]; total: number }> {
  const base = db
    .selectFrom('paper_authors as a')
    .innerJoin('papers as p', 'p.id', 'a.paper_id')
    .where('a.name', '=', name)
    .where('a.hidden', '=', 0)
    .where('p.hidden_at', 'is', null);
  const [rows, count] = await Promise.all([
    base.select(['p.id', 'p.published_at']).distinct().orderBy('p.published_at', 'desc').orderBy('p.id').limit(limit).offset(offset).execute(),
    base.select((eb) => eb.fn.count<number>('p.id').distinct().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { ids: rows.map((r) => r.id), total: Number(count.n) };
}

/** Local accounts verified as this author on some paper (approved claims, an administrator's link). */
export async function claimedAccountsOf(db: Q, name: string): Promise<Pick<User, 'username' | 'fullname'>[]> {
  return db
    .selectFrom('paper_authors as a')
    .innerJoin('users as u', 'u.id', 'a.user_id')
    .select(['u.username', 'u.fullname'])
    .distinct()
    .where('a.name', '=', name)
    .where('u.banned_at', 'is', null)
    .orderBy('u.username')
    .execute();
}
