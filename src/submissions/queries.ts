import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { trendingScore } from '../papers/trending.ts';

type Q = Kysely<Database> | Transaction<Database>;

/**
 * What a submission checks about a paper: whether it is stored, hidden, the
 * newest day it is featured (visible listings only: a hidden day is not shown
 * anywhere), and whether moderators hid every listing it had (`delisted`).
 */
export async function paperStanding(db: Q, paperId: string): Promise<{ known: boolean; hidden: boolean; featuredOn: string | null; delisted: boolean }> {
  const row = await db
    .selectFrom('papers as p')
    .select((eb) => [
      'p.hidden_at',
      eb.selectFrom('daily_listings as l').select((e) => e.fn.max('l.day').as('day')).whereRef('l.paper_id', '=', 'p.id').where('l.hidden_at', 'is', null).as('day'),
      eb.selectFrom('daily_listings as l').select((e) => e.fn.countAll().as('n')).whereRef('l.paper_id', '=', 'p.id').where('l.hidden_at', 'is not', null).as('hiddenListings'),
    ])
    .where('p.id', '=', paperId)
    .executeTakeFirst();
  const featuredOn = (row?.day as string | null | undefined) ?? null;
  return { known: row !== undefined, hidden: Boolean(row?.hidden_at), featuredOn, delisted: !featuredOn && Number(row?.hiddenListings ?? 0) > 0 };
}

/** How many papers the user submitted since `since` (an ISO time). */
export async function submissionsSince(db: Q, userId: number, since: string): Promise<number> {
  const row = await db
    .selectFrom('daily_listings')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('submitter_id', '=', userId)
    .where('source', '=', 'community')
    .where('submitted_at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Lists the paper on `day` as submitted by the user, and ranks it in trending from now. */
export async function addCommunityListing(trx: Transaction<Database>, paperId: string, userId: number, day: string, now: string): Promise<void> {
  await trx
    .insertInto('daily_listings')
    .values({ day, paper_id: paperId, submitted_at: now, submitter_id: userId, source: 'community', source_record: null, created_at: now, hidden_at: null })
    .execute();
  const paper = await trx.selectFrom('papers').select('upvotes').where('id', '=', paperId).executeTakeFirstOrThrow();
  await trx.updateTable('papers').set({ trending_score: trendingScore(Number(paper.upvotes), new Date(now)) }).where('id', '=', paperId).execute();
}
