import { describe, expect, it } from 'vitest';
import { parseQuery } from './query.ts';
import { buildSegment, decodedList, setUpvotes, type SourcePaper } from './segment.ts';
import { countMatches, exhaustiveTopK, expansions, planQuery, scorer, termList, topK, type Mode } from './topk.ts';
import type { SearchFilters } from './types.ts';
import { breathe } from '../../test/helpers.ts';

// The index stops early where block bounds allow; its top 20 must be exactly what scoring every
// document gives (same score, ties by id), whatever the query, filters, sort and deletions.
function random(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const VOCAB = ['reward', 'model', 'diffusion', 'diffuse', 'agents', 'scaling', 'vision', 'language', 'galaxy', 'dark', 'energy', 'transformer', 'transform', 'graph', 'neural', 'policy', 'robot', 'quantum', 'spin', 'flow'];
const CATEGORIES = ['cs.LG', 'cs.CL', 'astro-ph.CO', 'hep-th', 'cond-mat.str-el'];

function corpus(n: number, seed: number): SourcePaper[] {
  const next = random(seed);
  // Zipf-like: early words far more common, so that lists differ in length as real ones do.
  const word = () => VOCAB[Math.floor(VOCAB.length * next() ** 2)]!;
  const words = (k: number) => Array.from({ length: k }, word).join(' ');
  const start = Date.UTC(2018, 0, 1);
  return Array.from({ length: n }, (_, i) => ({
    id: `p${String(i).padStart(6, '0')}`,
    title: words(2 + Math.floor(next() * 6)),
    authorNames: next() < 0.1 ? 'Ada Reward, Bo Flow' : 'Cy Lee, Di Park',
    abstract: words(10 + Math.floor(next() * 60)),
    // Many ties (zero, small counts) and a long tail.
    upvotes: next() < 0.5 ? 0 : Math.floor(next() ** 4 * 2000),
    publishedAt: new Date(start + i * 3_600_000 * 3).toISOString(),
    hasCode: next() < 0.3,
    organization: next() < 0.2 ? 'nvidia' : null,
    categories: next() < 0.6 ? [CATEGORIES[Math.floor(next() * CATEGORIES.length)]!] : [],
  })).reverse(); // newest first, as the index takes them
}

const QUERIES = [
  'model',
  'reward model',
  'diffus*',
  'transform*',
  'vision OR galaxy',
  'title:reward',
  'author:reward model',
  'graph neural -policy',
  '"dark energy"',
  // Multi-word terms alone in their group: one list per word, walked lazily, in the title only together.
  '"reward model" diffus*',
  'dark-energy galaxy',
  '"dark energy" "vision language"',
  '"graph neural" cat:cs.LG',
  'dark-ener*',
  '"graph neural" OR vision',
  'title:"dark energy"',
  'model cat:cs.LG',
  'language cat:astro-ph',
  'model has:code org:nvidia',
  'model after:2019-06-01 before:2020-01',
  'scaling upvotes:100',
  'quantum spin flow',
  'neural robot policy model',
];

describe('the index’s top-k', () => {
  const now = new Date('2020-06-01T00:00:00Z');

  it('equals an exhaustive ranking on sampled queries, sorts and deletions', async () => {
    for (const seed of [1, 2, 3]) {
      const seg = buildSegment(corpus(6000, seed));
      const next = random(seed * 7919);
      // Deleted (hidden, edited) papers and changed votes, as the index sees them between rebuilds.
      for (let d = 0; d < seg.ids.length; d++) if (next() < 0.05) seg.deleted[d] = 1;
      for (let i = 0; i < 50; i++) setUpvotes(seg, Math.floor(next() * seg.ids.length), Math.floor(next() * 5000));
      for (const q of QUERIES) {
        await breathe();
        const parsed = parseQuery(q);
        const plan = planQuery(seg, parsed, parsed.filters as SearchFilters);
        for (const mode of ['relevance', 'upvotes', 'date'] as Mode[]) {
          for (const k of [1, 20]) {
            const s = scorer(mode, now, parsed.must.length);
            const fast = topK(seg, plan, s, k).hits.map((h) => `${h.id} ${h.score}`);
            const slow = exhaustiveTopK(seg, plan, s, k).map((h) => `${h.id} ${h.score}`);
            expect(fast, `seed ${seed}, ${mode}, top ${k}: ${q}`).toEqual(slow);
          }
        }
      }
    }
  }, 120_000);

  it('stays exact after many votes set in place, up and down (block bounds only rise)', async () => {
    const seg = buildSegment(corpus(6000, 4));
    const next = random(4242);
    for (let i = 0; i < 20_000; i++) {
      const d = Math.floor(next() * seg.ids.length);
      // Mostly small moves, some papers falling to zero, a few jumping far.
      const to = next() < 0.1 ? 0 : next() < 0.02 ? Math.floor(next() * 5000) : Math.max(0, seg.upvotes[d]! + (next() < 0.7 ? 1 : -1));
      setUpvotes(seg, d, to);
    }
    for (const q of QUERIES) {
      await breathe();
      const parsed = parseQuery(q);
      const plan = planQuery(seg, parsed, parsed.filters as SearchFilters);
      for (const mode of ['relevance', 'upvotes'] as Mode[]) {
        const s = scorer(mode, now, parsed.must.length);
        const fast = topK(seg, plan, s, 20).hits.map((h) => `${h.id} ${h.score}`);
        const slow = exhaustiveTopK(seg, plan, s, 20).map((h) => `${h.id} ${h.score}`);
        expect(fast, `${mode}: ${q}`).toEqual(slow);
      }
    }
  }, 120_000);

  it('ranks a phrase walked as its words\' lists as the whole intersection of them would', () => {
    const seg = buildSegment(corpus(6000, 5));
    for (const q of ['"dark energy"', '"reward model" diffus*', 'dark-ener* galaxy', '"graph neural" "vision language" cat:cs.LG']) {
      const parsed = parseQuery(q);
      const plan = planQuery(seg, parsed, parsed.filters as SearchFilters);
      expect(plan.groups.length, q).toBeGreaterThan(parsed.must.length + (parsed.filters.category ? 1 : 0));
      // The plan before: each query group one list, a phrase's words intersected whole.
      const merged = { ...plan, groups: [...parsed.must.map((g, unit) => ({ list: termList(seg, g[0]!), text: true, unit })), ...plan.groups.filter((g) => !g.text)] };
      for (const mode of ['relevance', 'upvotes'] as Mode[]) {
        const s = scorer(mode, now, parsed.must.length);
        const apart = topK(seg, plan, s, 20).hits.map((h) => `${h.id} ${h.score}`);
        expect(apart.length, q).toBeGreaterThan(0);
        expect(apart, `${mode}: ${q}`).toEqual(topK(seg, merged, s, 20).hits.map((h) => `${h.id} ${h.score}`));
      }
    }
  });

  it('counts exactly up to its budget, and past it estimates from windows spread over the list, within 10 %', () => {
    const seg = buildSegment(corpus(6000, 6));
    for (let d = 0; d < seg.ids.length; d += 17) seg.deleted[d] = 1;
    const errors: number[] = [];
    for (const q of QUERIES) {
      const parsed = parseQuery(q);
      const plan = planQuery(seg, parsed, parsed.filters as SearchFilters);
      const exact = countMatches(seg, plan, Infinity);
      expect(exact.exact).toBe(true);
      expect(exact.count, q).toBe(exhaustiveTopK(seg, plan, scorer('relevance', now, parsed.must.length), 1e9).length);
      const driver = Math.min(...plan.groups.map((g) => g.list.to - g.list.from));
      const sampled = countMatches(seg, plan, 1000, { window: 32, windows: 16 });
      expect(sampled.exact, q).toBe(driver <= 1000);
      if (sampled.exact) expect(sampled.count, q).toBe(exact.count);
      else errors.push(Math.abs(sampled.count - exact.count) / Math.max(exact.count, 1));
    }
    expect(errors.length).toBeGreaterThan(5);
    expect(Math.max(...errors)).toBeLessThan(0.1);
  });

  it('skips work on a broad word: most of its postings are never scored', () => {
    const seg = buildSegment(corpus(6000, 9));
    const parsed = parseQuery('model');
    const result = topK(seg, planQuery(seg, parsed, {}), scorer('relevance', now, 1), 20);
    expect(result.driverPostings).toBeGreaterThan(3000);
    expect(result.evaluated).toBeLessThan(result.driverPostings);
    expect(result.exact).toBe(false);
  });

  it('decodes only the blocks a walk reads on a cold broad word, and ranks exactly all the same', () => {
    for (const [q, broad] of [
      ['model', 'model'],
      ['galaxy model', 'model'], // the broad word seeked block by block behind a rarer driver
      ['model upvotes:100', 'model'],
      ['model after:2019-06-01 before:2020-01', 'model'],
    ] as const) {
      for (const mode of ['relevance', 'upvotes', 'date'] as Mode[]) {
        const seg = buildSegment(corpus(6000, 11)); // its own segment: nothing decoded yet
        const parsed = parseQuery(q);
        const plan = planQuery(seg, parsed, parsed.filters as SearchFilters);
        const s = scorer(mode, now, parsed.must.length);
        const fast = topK(seg, plan, s, 20).hits.map((h) => `${h.id} ${h.score}`);
        const list = decodedList(seg, seg.termIndex.get(broad)!);
        expect(list.ready.length, q).toBeGreaterThan(30);
        // By upvotes a block's bound is its most upvoted paper's, which most blocks of this corpus have: fewer are skipped.
        expect(list.decoded, `${mode}: ${q}`).toBeLessThan(mode === 'upvotes' ? list.ready.length : list.ready.length / 2);
        expect(fast, `${mode}: ${q}`).toEqual(exhaustiveTopK(seg, plan, s, 20).map((h) => `${h.id} ${h.score}`));
      }
    }
  });
  it('keeps a prefix’s merged list for the next query, which ranks exactly after deletions and votes', () => {
    const seg = buildSegment(corpus(3000, 23));
    const next = random(5);
    for (const q of ['d*', 's* model', 'galaxy dark g*', 'r* upvotes:50']) {
      const parsed = parseQuery(q);
      const prefix = parsed.must.flat().find((t) => t.prefix)!;
      expect(expansions(seg, prefix.tokens[0]!).length, q).toBeGreaterThan(1); // merged, not one stored list
      const first = termList(seg, prefix);
      expect(first.to, q).toBeGreaterThan(first.from);
      // The second time the same prefix is merged it is the kept list (its arrays, not a copy).
      expect(termList(seg, prefix).docs, q).toBe(first.docs);
      for (let d = 0; d < seg.ids.length; d++) if (next() < 0.03) seg.deleted[d] = 1;
      for (let i = 0; i < 30; i++) setUpvotes(seg, Math.floor(next() * seg.ids.length), Math.floor(next() * 5000));
      for (const mode of ['relevance', 'upvotes', 'date'] as Mode[]) {
        const plan = planQuery(seg, parsed, parsed.filters as SearchFilters);
        const s = scorer(mode, now, parsed.must.length);
        expect(topK(seg, plan, s, 20).hits.map((h) => `${h.id} ${h.score}`), `${mode}: ${q}`).toEqual(exhaustiveTopK(seg, plan, s, 20).map((h) => `${h.id} ${h.score}`));
        expect(countMatches(seg, plan, Infinity).count, `${mode}: ${q}`).toBe(exhaustiveTopK(seg, plan, s, seg.ids.length).length);
      }
    }
  });
});
