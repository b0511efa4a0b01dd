import { sql, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { trendingScore } from '../papers/trending.ts';

type Q = Kysely<Database>;

/** Ids among `paperIds` that the user upvoted: one query for a whole page of cards. */
export async function votedPaperIds(db: Q, userId: number, paperIds: string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('upvotes')
    .select('paper_id')
    .where('user_id', '=', userId)
    .where('paper_id', 'in', [...new Set(paperIds)])
    .execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** What a vote needs to know about a paper, and whether this user already upvoted it. */
export async function paperForVote(trx: Transaction<Database>, userId: number, paperId: string) {
  const row = await trx
    .selectFrom('papers as p')
    .select((eb) => [
      'p.hidden_at',
      'p.upvotes',
      eb.selectFrom('upvotes as u').select('u.user_id').where('u.user_id', '=', userId).whereRef('u.paper_id', '=', 'p.id').as('voter'),
      eb.selectFrom('daily_listings as l').select((e) => e.fn.max('l.submitted_at').as('at')).whereRef('l.paper_id', '=', 'p.id').as('featured_at'),
    ])
    .where('p.id', '=', paperId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { hiddenAt: row.hidden_at, upvotes: Number(row.upvotes), upvoted: row.voter !== null, featuredAt: row.featured_at as string | null };
}

/** Stores the user's vote; the primary key keeps it one per person, so a repeat is a no-op. */
export async function addUpvote(trx: Transaction<Database>, userId: number, paperId: string, now: string): Promise<void> {
  await trx
    .insertInto('upvotes')
    .values({ user_id: userId, paper_id: paperId, created_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'paper_id']).doNothing())
    .execute();
}

export async function removeUpvote(trx: Transaction<Database>, userId: number, paperId: string): Promise<void> {
  await trx.deleteFrom('upvotes').where('user_id', '=', userId).where('paper_id', '=', paperId).execute();
}

/**
 * Recomputes a paper's count from the rows (the source's baseline plus the votes
 * stored here) and its trending score; returns the count. Call under the content
 * lock, so no other vote on any paper runs between the count and the update.
 */
export async function recountUpvotes(trx: Transaction<Database>, paperId: string, featuredAt: string | null): Promise<number> {
  const row = await trx
    .updateTable('papers')
    .set({ upvotes: sql<number>`upvotes_source + (select count(*) from upvotes where upvotes.paper_id = ${paperId})` })
    .where('id', '=', paperId)
    .returning('upvotes')
    .executeTakeFirstOrThrow();
  const upvotes = Number(row.upvotes);
  // A paper never featured has no place in trending yet (see feed/queries.ts featureOnDay).
  if (featuredAt) {
    await trx.updateTable('papers').set({ trending_score: trendingScore(upvotes, new Date(featuredAt)) }).where('id', '=', paperId).execute();
  }
  return upvotes;
}

/**
 * On PostgreSQL, lets a vote's transaction commit without waiting for its WAL
 * flush. Every content write queues on one lock held through commit, so a disk
 * sync per vote would cap all voting at one sync at a time. A crash may lose the
 * last moments of votes, never half of one: the rows and the count commit together.
 */
export async function commitWithoutFlush(trx: Transaction<Database>, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') await sql`set local synchronous_commit = off`.execute(trx);
}
