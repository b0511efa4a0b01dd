import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { trendingScore } from '../papers/trending.ts';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, renderingTemplate, viewerOf } from '../http/authenticate.ts';
import type { VoteState } from '../ui/components.tsx';

type Q = Kysely<Database>;
type T = Transaction<Database>;

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

export interface PaperForVote {
  hiddenAt: string | null;
  upvotes: number;
  /** When the paper was last featured, which its trending score counts from. */
  featuredAt: string | null;
}

/** What votes need to know about these papers, by id; unknown ids are missing. */
export async function papersForVotes(trx: T, paperIds: string[]): Promise<Map<string, PaperForVote>> {
  const rows = await trx
    .selectFrom('papers as p')
    .select((eb) => [
      'p.id',
      'p.hidden_at',
      'p.upvotes',
      eb.selectFrom('daily_listings as l').select((e) => e.fn.max('l.submitted_at').as('at')).whereRef('l.paper_id', '=', 'p.id').as('featured_at'),
    ])
    .where('p.id', 'in', paperIds)
    .execute();
  return new Map(rows.map((r) => [r.id, { hiddenAt: r.hidden_at, upvotes: Number(r.upvotes), featuredAt: (r.featured_at as string | null) ?? null }]));
}

/** `user|paper` keys of the stored votes among these users and papers. */
export async function storedVotes(trx: T, userIds: number[], paperIds: string[]): Promise<Set<string>> {
  const rows = await trx.selectFrom('upvotes').select(['user_id', 'paper_id']).where('user_id', 'in', userIds).where('paper_id', 'in', paperIds).execute();
  return new Set(rows.map((r) => voteKey(r.user_id, r.paper_id)));
}

export const voteKey = (userId: number, paperId: string) => `${userId}|${paperId}`;

/** Stores votes; the primary key keeps one per person and paper, so a repeat is a no-op. */
export async function addUpvotes(trx: T, votes: { userId: number; paperId: string }[], now: string): Promise<void> {
  if (votes.length === 0) return;
  await trx
    .insertInto('upvotes')
    .values(votes.map((v) => ({ user_id: v.userId, paper_id: v.paperId, created_at: now })))
    .onConflict((oc) => oc.columns(['user_id', 'paper_id']).doNothing())
    .execute();
}

export async function removeUpvotes(trx: T, votes: { userId: number; paperId: string }[]): Promise<void> {
  // In chunks: SQLite limits how deep an expression may nest.
  for (let i = 0; i < votes.length; i += 100) {
    const chunk = votes.slice(i, i + 100);
    await trx
      .deleteFrom('upvotes')
      .where((eb) => eb.or(chunk.map((v) => eb.and([eb('user_id', '=', v.userId), eb('paper_id', '=', v.paperId)]))))
      .execute();
  }
}

/**
 * Recomputes the papers' counts from the rows (the source's baseline plus the
 * votes stored here) and their trending scores; returns the counts. Call under
 * the content lock, so no other vote runs between the count and the update.
 */
export async function recountUpvotes(trx: T, papers: Map<string, PaperForVote>): Promise<Map<string, number>> {
  if (papers.size === 0) return new Map();
  const rows = await trx
    .updateTable('papers')
    .set({ upvotes: sql<number>`upvotes_source + (select count(*) from upvotes where upvotes.paper_id = papers.id)` })
    .where('id', 'in', [...papers.keys()])
    .returning(['id', 'upvotes'])
    .execute();
  const counts = new Map(rows.map((r) => [r.id, Number(r.upvotes)]));
  for (const [id, upvotes] of counts) {
    const featuredAt = papers.get(id)?.featuredAt;
    // A paper never featured has no place in trending yet (see feed/queries.ts featureOnDay).
    if (featuredAt) await trx.updateTable('papers').set({ trending_score: trendingScore(upvotes, new Date(featuredAt)) }).where('id', '=', id).execute();
  }
  return counts;
}

/**
 * What the upvote buttons of a page need: the form's CSRF token and which of
 * `paperIds` the viewer upvoted (one query). Undefined for anonymous readers,
 * whose pages are cached and shared, so they carry no per-person state.
 */
export async function viewerVotes(c: Context<AppEnv>, paperIds: string[]): Promise<VoteState | undefined> {
  const viewer = viewerOf(c);
  if (!viewer) return undefined;
  if (renderingTemplate(c)) return { csrf: csrfToken(c), voted: new Set(), template: true };
  return { csrf: csrfToken(c), voted: await votedPaperIds(c.get('db').kysely, viewer.id, paperIds) };
}
