import { describe, expect, it } from 'vitest';
import { rankPool, type PoolRow } from './engine.ts';
import { parseQuery } from './query.ts';
import { breathe } from '../../test/helpers.ts';

// A pool like a broad query's: many candidates, relevance and popularity spread out, the query's
// words in some titles and not others. The title term is computed only for the contenders of the
// places shown; those places must come out exactly as when it is computed for every candidate.
function pool(n: number, seed: number): PoolRow[] {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const words = ['reward', 'model', 'overoptimization', 'diffusion', 'agents', 'scaling', 'vision', 'language'];
  return Array.from({ length: n }, (_, i) => ({
    id: `2401.${String(10000 + i)}`,
    relevance: next() * 10,
    upvotes: Math.floor(next() * next() * 500),
    published_at: new Date(Date.UTC(2020 + Math.floor(next() * 6), Math.floor(next() * 12), 1 + Math.floor(next() * 27))).toISOString(),
    title: Array.from({ length: 3 + Math.floor(next() * 6) }, () => words[Math.floor(next() * words.length)]).join(' '),
  }));
}

describe('rankPool', () => {
  const now = new Date('2026-11-26T00:00:00Z');
  it('gives the places shown exactly as the full ranking does, over many pools and page sizes', async () => {
    const parsed = parseQuery('reward model overoptimization');
    for (let seed = 1; seed <= 40; seed++) {
      await breathe();
      const candidates = pool(2000, seed);
      const full = rankPool(candidates, parsed, 'relevance', now, Infinity).map((r) => r.id);
      for (const shown of [1, 10, 20, 60, 200]) {
        expect(rankPool(candidates, parsed, 'relevance', now, shown).slice(0, shown).map((r) => r.id), `seed ${seed}, ${shown} shown`).toEqual(full.slice(0, shown));
      }
    }
  }, 240_000); // 240 rankings of 2,000 candidates, all CPU: seconds alone, far more beside another suite

  it('keeps every candidate once, whatever is shown', () => {
    const candidates = pool(500, 7);
    const ranked = rankPool(candidates, parseQuery('diffusion agents'), 'relevance', now, 10);
    expect(new Set(ranked.map((r) => r.id)).size).toBe(500);
  });
});
