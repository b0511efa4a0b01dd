/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each ranking
 * gives the item at rank r (from 1) a score of 1 / (k + r), and items are ordered
 * by the sum. Only ranks count, so text scores and cosine similarities, which are on
 * unrelated scales, combine without calibration; k = 60 damps the weight of the top few.
 *
 * Equal sums are ordered by the best single rank, then by the ranking that gave it
 * (earlier lists first), then by id: the same input always gives the same order.
 * An id repeated within one ranking counts once, at its first rank.
 */
export function fuseRankings(rankings: string[][], k = 60): string[] {
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`fuseRankings: k must be a finite number ≥ 0, not ${k}`);
  const fused = new Map<string, { score: number; bestRank: number; bestList: number }>();
  for (const [list, ranking] of rankings.entries()) {
    const seen = new Set<string>();
    for (const [i, id] of ranking.entries()) {
      if (seen.has(id)) continue;
      seen.add(id);
      const rank = i + 1;
      const entry = fused.get(id);
      if (!entry) fused.set(id, { score: 1 / (k + rank), bestRank: rank, bestList: list });
      else {
        entry.score += 1 / (k + rank);
        if (rank < entry.bestRank) Object.assign(entry, { bestRank: rank, bestList: list });
      }
    }
  }
  return [...fused.entries()]
    .sort(([a, x], [b, y]) => scoreOrder(x.score, y.score) || x.bestRank - y.bestRank || x.bestList - y.bestList || (a < b ? -1 : a > b ? 1 : 0))
    .map(([id]) => id);
}

/** Higher sums first; sums within rounding of each other (the same ranks added in another order) are equal. */
function scoreOrder(x: number, y: number): number {
  return Math.abs(y - x) < 1e-12 ? 0 : y - x;
}
