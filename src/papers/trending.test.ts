import { describe, expect, it } from 'vitest';
import { trendingScore } from './trending.ts';

const day = (d: string) => new Date(`${d}T12:00:00Z`);

describe('trendingScore', () => {
  it('ranks more votes higher at equal age', () => {
    expect(trendingScore(50, day('2026-06-01'))).toBeGreaterThan(trendingScore(10, day('2026-06-01')));
    expect(trendingScore(1, day('2026-06-01'))).toBeGreaterThan(trendingScore(0, day('2026-06-01')));
  });

  it('ranks newer higher at equal votes', () => {
    expect(trendingScore(10, day('2026-06-02'))).toBeGreaterThan(trendingScore(10, day('2026-06-01')));
  });

  it('lets a much more popular paper outrank a slightly newer one', () => {
    expect(trendingScore(300, day('2026-06-01'))).toBeGreaterThan(trendingScore(3, day('2026-06-02')));
  });

  it('lets time win over a modest vote lead', () => {
    expect(trendingScore(10, day('2026-06-10'))).toBeGreaterThan(trendingScore(100, day('2026-06-01')));
  });

  it('treats negative counts as zero', () => {
    expect(trendingScore(-5, day('2026-06-01'))).toBe(trendingScore(0, day('2026-06-01')));
  });
});
