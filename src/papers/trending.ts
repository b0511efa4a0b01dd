/**
 * The trending rank: upvotes decayed by age, in the form Reddit's "hot" made
 * famous. Order of magnitude of upvotes plus time, so ten times the votes buy
 * `HALF_DAY_SECONDS * 2` of freshness. Because the time term grows for every new
 * paper instead of shrinking for old ones, the score never needs recomputing as
 * the clock moves: only when a paper's votes change. It is stored in
 * `papers.trending_score` and indexed.
 */
const EPOCH_SECONDS = Date.UTC(2020, 0, 1) / 1000;
const HALF_DAY_SECONDS = 43_200;

/** Trending score of a paper with `upvotes` featured at `featuredAt`. */
export function trendingScore(upvotes: number, featuredAt: Date): number {
  const order = Math.log10(Math.max(upvotes, 0) + 1);
  const age = featuredAt.getTime() / 1000 - EPOCH_SECONDS;
  return Math.round((order + age / (HALF_DAY_SECONDS * 2)) * 1e6) / 1e6;
}
