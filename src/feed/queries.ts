import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { handleIs } from '../auth/users.ts';
import { categoriesOfPapers } from '../papers/queries.ts';
import { hydrate, listingColumns, paperColumns, splitRow, summaryColumns, type ListingSummary, type ListingView } from '../papers/read-model.ts';
import { trendingScore } from '../papers/trending.ts';
import { runKept } from '../db/kept-query.ts';
import { keptByVersion } from '../core/kept.ts';

type Q = Kysely<Database>;

export type ListingSort = 'upvotes' | 'publishedAt' | 'trending';

export interface ListingQuery {
  first?: string;
  last?: string;
  /** Only listings submitted by this handle: a local account's, or an imported person's. */
  submitter?: string;
  sort: ListingSort;
  limit: number;
  offset: number;
}

/** Listings in a span of days, ranked, with their papers, authors, organizations and submitters. */
export async function listings(db: Q, q: ListingQuery): Promise<ListingView[]> {
  const rows = await rankedListings(db, q).select(listingColumns).select(paperColumns).execute();
  return hydrate(db, rows.map(splitRow));
}

/** Listings in a span of days, ranked, as summaries: what a list page checks its kept cards against. */
export async function listingSummaries(db: Q, q: ListingQuery): Promise<ListingSummary[]> {
  // The day, week and month pages' shape, compiled once: it is every uncached list page's main query.
  if (q.first && q.last && q.submitter === undefined) {
    const { first, last, sort, limit, offset } = q;
    return runKept(db, `listingSummaries ${sort}`, () => rankedListings(db, q).select(summaryColumns), [first, last, limit, offset]);
  }
  return rankedListings(db, q).select(summaryColumns).execute();
}

function rankedListings(db: Q, q: ListingQuery) {
  let query = db
    .selectFrom('daily_listings as l')
    .innerJoin('papers as p', 'p.id', 'l.paper_id')
    .where('l.hidden_at', 'is', null)
    .where('p.hidden_at', 'is', null);
  if (q.first) query = query.where('l.day', '>=', q.first);
  if (q.last) query = query.where('l.day', '<=', q.last);
  const submitter = q.submitter;
  if (submitter !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('l.submitter_id', 'in', eb.selectFrom('users as su').select('su.id').where(handleIs('su.username', submitter))),
        eb('l.imported_submitter_id', 'in', eb.selectFrom('imported_users as si').select('si.id').where(handleIs('si.username', submitter))),
      ]),
    );
  }
  query =
    q.sort === 'upvotes'
      ? query.orderBy('p.upvotes', 'desc').orderBy('l.submitted_at', 'desc')
      : q.sort === 'trending'
        ? query.orderBy('p.trending_score', 'desc')
        : query.orderBy('l.submitted_at', 'desc');
  return query.orderBy('l.id', 'desc').limit(q.limit).offset(q.offset);
}

/** How many listings a span of days holds. */
export async function countListings(db: Q, first: string, last: string): Promise<number> {
  const row = await visibleListings(db)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('l.day', '>=', first)
    .where('l.day', '<=', last)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Trending papers: each paper once, by stored trending score, with its latest listing. */
export async function trendingListings(db: Q, limit: number, offset: number): Promise<ListingView[]> {
  const rows = await trending(db, limit, offset).select(listingColumns).select(paperColumns).execute();
  return hydrate(db, rows.map(splitRow));
}

/** Trending papers as summaries: what the trending page checks its kept cards against. */
export async function trendingSummaries(db: Q, limit: number, offset: number): Promise<ListingSummary[]> {
  return trending(db, limit, offset).select(summaryColumns).execute();
}

/**
 * Walks papers by their stored score (index papers_trending), each joined to its newest visible
 * listing, so a page reads about `limit` papers; starting from the listings sorted every one of
 * them (58 ms a page on SQLite over the HF archive).
 */
function trending(db: Q, limit: number, offset: number) {
  return db
    .selectFrom('papers as p')
    .innerJoin('daily_listings as l', (join) =>
      join.on((eb) =>
        eb(
          'l.id',
          '=',
          eb
            .selectFrom('daily_listings as newest')
            .select('newest.id')
            .whereRef('newest.paper_id', '=', 'p.id')
            .where('newest.hidden_at', 'is', null)
            .orderBy('newest.submitted_at', 'desc')
            .orderBy('newest.id', 'desc')
            .limit(1),
        ),
      ),
    )
    .where('p.hidden_at', 'is', null)
    .orderBy('p.trending_score', 'desc')
    .orderBy('l.id', 'desc')
    .limit(limit)
    .offset(offset);
}

/** The newest listings of papers in an arXiv category; undefined when no paper has that category. */
export async function categoryListings(db: Q, category: string, limit: number): Promise<ListingView[] | undefined> {
  const known = await db.selectFrom('paper_categories').select('paper_id').where('category', '=', category).limit(1).executeTakeFirst();
  if (!known) return undefined;
  const rows = await db
    .selectFrom('daily_listings as l')
    .innerJoin('papers as p', 'p.id', 'l.paper_id')
    .select(listingColumns)
    .select(paperColumns)
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('paper_categories as c').select('c.paper_id').whereRef('c.paper_id', '=', 'p.id').where('c.category', '=', category)),
    )
    .where('l.hidden_at', 'is', null)
    .where('p.hidden_at', 'is', null)
    .orderBy('l.submitted_at', 'desc')
    .orderBy('l.id', 'desc')
    .limit(limit)
    .execute();
  return hydrate(db, rows.map(splitRow));
}

/** The most recent day with at least one listing. */
export async function latestDay(db: Q): Promise<string | undefined> {
  const row = await visibleListings(db).select('l.day').orderBy('l.day', 'desc').limit(1).executeTakeFirst();
  return row?.day;
}

/** Listings readers see: neither the listing nor its paper hidden by a moderator. */
function visibleListings(db: Q) {
  return db
    .selectFrom('daily_listings as l')
    .innerJoin('papers as p', 'p.id', 'l.paper_id')
    .where('l.hidden_at', 'is', null)
    .where('p.hidden_at', 'is', null);
}

/** Neighbour days kept, at most (a key per period asked). */
const MAX_KEPT_NEIGHBOURS = 2000;
const keptNeighbours = keptByVersion<Q, { previous?: string; next?: string }>(MAX_KEPT_NEIGHBOURS);

/**
 * `neighbourDays`, kept per period until `cards_version` changes: which days have visible
 * listings changes only with listings and papers (imports, featuring, moderation), whose writes
 * bump it; votes and comments, which re-render a day after each of them, do not. Two queries less
 * for every page rendered anew after a vote (decision 024).
 */
export function keptNeighbourDays(db: Q, first: string, last: string, cardsVersion: number): Promise<{ previous?: string; next?: string }> {
  return keptNeighbours(db, `${first}\n${last}`, cardsVersion, () => neighbourDays(db, first, last));
}

/** The nearest days with listings before and after `first..last` (empty days are skipped). */
export async function neighbourDays(db: Q, first: string, last: string): Promise<{ previous?: string; next?: string }> {
  // `order by … limit 1` rather than max()/min(): with the join, only this form lets the
  // (day, paper_id) index stop at the first visible row instead of scanning every listing.
  const [prev, next] = await Promise.all([
    visibleListings(db).select('l.day').where('l.day', '<', first).orderBy('l.day', 'desc').limit(1).executeTakeFirst(),
    visibleListings(db).select('l.day').where('l.day', '>', last).orderBy('l.day', 'asc').limit(1).executeTakeFirst(),
  ]);
  return { previous: prev?.day, next: next?.day };
}

const SYSTEM_SUBMITTER = 'featuring-rules';

/**
 * Papers among `ids` never featured on any day, with what the rules look at, and
 * how many papers the rules already featured on `day`.
 */
export async function papersForFeaturing(
  trx: Transaction<Database>,
  ids: string[],
  day: string,
): Promise<{ candidates: { id: string; title: string; abstract: string; categories: string[] }[]; alreadyByRules: number }> {
  const rows = await trx
    .selectFrom('papers as p')
    .select(['p.id', 'p.title', 'p.abstract', 'p.published_at'])
    .where('p.id', 'in', ids)
    .where('p.hidden_at', 'is', null)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('daily_listings as l').select('l.id').whereRef('l.paper_id', '=', 'p.id'))))
    .orderBy('p.published_at', 'desc')
    .orderBy('p.id')
    .execute();
  const categories = await categoriesOfPapers(trx, rows.map((r) => r.id));
  const already = await trx
    .selectFrom('daily_listings')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('day', '=', day)
    .where('source', '=', 'rule')
    .executeTakeFirst();
  return {
    candidates: rows.map((r) => ({ ...r, categories: categories.get(r.id) ?? [] })),
    alreadyByRules: Number(already?.n ?? 0),
  };
}

/** Lists papers on a day as featured by the rules, under the system submitter. */
export async function featureOnDay(trx: Transaction<Database>, ids: string[], day: string, at: string): Promise<void> {
  let submitter = await trx.selectFrom('users').select('id').where('username', '=', SYSTEM_SUBMITTER).executeTakeFirst();
  submitter ??= await trx
    .insertInto('users')
    .values({ username: SYSTEM_SUBMITTER, fullname: 'Featuring rules', avatar_url: null, hf_id: null, kind: 'system', created_at: at })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('daily_listings')
    .values(ids.map((paper_id) => ({ day, paper_id, submitted_at: at, submitter_id: submitter.id, source: 'rule', source_record: null, created_at: at })))
    .onConflict((oc) => oc.columns(['day', 'paper_id']).doNothing())
    .execute();
  // Featured papers rank in trending from the moment they are listed.
  const papers = await trx.selectFrom('papers').select(['id', 'upvotes']).where('id', 'in', ids).execute();
  for (const p of papers) {
    await trx.updateTable('papers').set({ trending_score: trendingScore(p.upvotes, new Date(at)) }).where('id', '=', p.id).execute();
  }
}
