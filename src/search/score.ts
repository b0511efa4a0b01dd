/**
 * The ranking function: text relevance first, popularity and recency to order papers
 * that are about equally relevant (docs/decisions/009-search.md, 019-search-index.md).
 *
 *   score = s / (s + K)                                       (0–1, s = BM25 summed over the query's terms)
 *         + 0.30 × (share of the query's words in the title)²  (the title says it all)
 *         + 0.15 × min(1, ln(1 + upvotes) / ln(1 + 1000))      (popularity, saturating)
 *         + 0.10 × 2^(−age in days / 365)                      (recency, halves each year)
 *
 * Every part is absolute (no division by the best in the results), so the score of a
 * paper is bounded by bounds of its parts: what lets the index stop early and stay exact.
 * A title match scores about ten times an abstract mention, so neither bonus can lift
 * a paper that merely mentions the words above one that is about them; together they
 * decide between the many papers that are.
 */
export const RANKING = {
  /** BM25 at which relevance is one half. */
  relevanceHalf: 10,
  titleCoverageWeight: 0.3,
  popularityWeight: 0.15,
  /** Upvotes at which popularity stops counting. */
  popularitySaturation: 1000,
  recencyWeight: 0.1,
  recencyHalfLifeDays: 365,
} as const;

export interface Candidate {
  /** Text relevance: BM25, higher is better. */
  relevance: number;
  upvotes: number;
  /** ISO timestamp. */
  publishedAt: string;
  /** Share of the query's required words the title holds, 0–1 (highlight.ts `titleCoverage`). */
  titleCoverage?: number;
}

const DAY_MS = 86_400_000;

export function popularity(upvotes: number): number {
  return Math.min(1, Math.log1p(Math.max(0, upvotes)) / Math.log1p(RANKING.popularitySaturation));
}

export function recency(publishedAt: string, now: Date): number {
  const ageDays = Math.max(0, (now.getTime() - Date.parse(publishedAt)) / DAY_MS);
  return Number.isFinite(ageDays) ? 2 ** (-ageDays / RANKING.recencyHalfLifeDays) : 0;
}

/** A paper's blended score; `relevance` is BM25 summed over the query's terms (topk.ts computes the same from the index). */
export function blendedScore(c: Candidate, now: Date): number {
  const relevance = c.relevance > 0 ? c.relevance / (c.relevance + RANKING.relevanceHalf) : 0;
  return relevance + RANKING.titleCoverageWeight * (c.titleCoverage ?? 0) ** 2 + RANKING.popularityWeight * popularity(c.upvotes) + RANKING.recencyWeight * recency(c.publishedAt, now);
}
