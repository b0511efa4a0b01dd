import { describe, expect, it } from 'vitest';
import { DocumentFrequencies, joinVectors, SurfaceWords, TermTable, sparseDot, termCounts, Vocabulary, type SparseVector } from './text.ts';
import { ReaderModel } from './model.ts';
import { CandidateSet, NOTHING_FOLLOWED, rankCandidates, type Candidate } from './rank.ts';

const words = ['diffusion', 'reward', 'graph', 'protein', 'galaxy', 'language', 'robot', 'quantum'];
const texts = Array.from({ length: 60 }, (_, i) => ({
  id: `p${i}`,
  title: `${words[i % 8]} ${words[(i * 3) % 8]} study`,
  abstract: `We look at ${words[i % 8]} and ${words[(i + 1) % 8]} with ${words[(i * 5) % 8]} methods.`,
  authors: [`author ${i % 7}`, `author ${(i * 2) % 11}`],
  organization: i % 4 === 0 ? 'lab' : null,
  categories: [i % 2 === 0 ? 'cs.LG' : 'astro-ph.CO'],
  upvotes: (i * 7) % 13,
  // Many share a day, so ties on score are broken by date and then by order.
  publishedAt: `2026-11-${String(10 + (i % 5)).padStart(2, '0')}T00:00:00.000Z`,
}));
const counts = texts.map((t) => termCounts(t.title, t.abstract));
const vocab = Vocabulary.fit(counts, 1);
const candidates: (Candidate & { vec: SparseVector })[] = texts.map((t, i) => ({ ...t, vec: vocab.vectorize(counts[i]!) }));
const set = new CandidateSet(candidates, candidates.map((c) => c.vec));

const model = new ReaderModel();
for (const i of [0, 8, 16, 3]) model.learn({ kind: 'save', paperId: `p${i}`, title: texts[i]!.title, counts: counts[i]!, authors: texts[i]!.authors, organization: texts[i]!.organization }, vocab);
model.learn({ kind: 'hide', paperId: 'p5', title: texts[5]!.title, counts: counts[5]!, authors: [], organization: null }, vocab);
const weights = model.weights(vocab);

describe('papers kept as term numbers', () => {
  it('make the same vocabulary and vectors as their counts', () => {
    const table = new TermTable();
    const df = new DocumentFrequencies(table);
    const encoded = counts.map((c) => table.encode(c));
    for (const e of encoded) df.add(e);
    const numbered = df.vocabulary(1);
    expect([...numbered.terms].sort()).toEqual([...vocab.terms].sort());
    encoded.forEach((e, i) => {
      expect(table.decode(e)).toEqual(counts[i]);
      const a = numbered.vectorizeEncoded(e);
      const b = vocab.vectorize(counts[i]!);
      const byTerm = (v: typeof a, terms: readonly string[]) => new Map([...v.ids].map((id, k) => [terms[id]!, v.vals[k]!]));
      expect(byTerm(a, numbered.terms)).toEqual(byTerm(b, vocab.terms));
    });
  });
});

describe('the term table (terms kept as code units, found by hash)', () => {
  it('numbers each term once, in order seen, and gives its text back, across many growths of its arrays', () => {
    const table = new TermTable();
    // Enough terms to grow every array many times; some not ASCII, some one another's prefixes, one empty.
    const terms = Array.from({ length: 8000 }, (_, i) => (i % 5 === 0 ? `ünïcødé ${i} ∑` : i % 7 === 0 ? `t${Math.floor(i / 7)}` : `a longer term${i}`));
    terms.push('', 'term1 term2', '😀 emoji');
    const numbers = terms.map((t) => table.number(t));
    expect(numbers).toEqual(terms.map((_, i) => i));
    expect(table.size).toBe(terms.length);
    expect(terms.map((t) => table.number(t))).toEqual(numbers);
    expect(numbers.map((n) => table.term(n))).toEqual(terms);
    // Found again after its slots were made again (from the hashes kept, not the texts), and nothing else is.
    expect(terms.map((t) => table.find(t))).toEqual(numbers);
    expect([table.find('never numbered'), table.find('a longer term')]).toEqual([-1, -1]);
  });

  it('encodes counts sorted by term number, counts above 65,535 held at 65,535', () => {
    const table = new TermTable();
    table.number('zeta');
    const e = table.encode(new Map([['alpha', 3], ['zeta', 70_000], ['beta', 1]]));
    expect([...e.terms]).toEqual([0, 1, 2]);
    expect([...e.tf]).toEqual([65_535, 3, 1]);
  });
});

describe('surface words kept as numbers', () => {
  it('give each stem the word first seen for it, as a map of strings would', () => {
    const kept = new SurfaceWords();
    const map = new Map<string, string>();
    for (const t of texts) {
      termCounts(t.title, t.abstract, kept);
      termCounts(t.title, t.abstract, map);
    }
    termCounts('Diffusing diffusions', 'Languages', kept);
    expect(kept.size).toBe(map.size);
    for (const [stem, word] of map) expect([kept.has(stem), kept.get(stem)]).toEqual([true, word]);
    expect([kept.has('unseen'), kept.get('unseen')]).toEqual([false, undefined]);
    // The first word stays; a word is not a stem with a word of its own.
    kept.set('stem', 'stemming');
    kept.set('stem', 'stems');
    expect(kept.get('stem')).toBe('stemming');
    expect(kept.has('stemming')).toBe(false);
    kept.clear();
    expect([kept.size, kept.get('stem')]).toEqual([0, undefined]);
  });
});

describe('vectors written end to end', () => {
  it('are, to the last bit, those made one paper at a time, and the candidate set gives each back', () => {
    const table = new TermTable();
    const df = new DocumentFrequencies(table);
    const encoded = counts.map((c) => table.encode(c));
    for (const e of encoded) df.add(e);
    const numbered = df.vocabulary(1);
    const packed = numbered.vectorizeAll(encoded.length, (i) => encoded[i]!);
    // In parts joined, the same.
    expect(joinVectors([numbered.vectorizeAll(25, (i) => encoded[i]!), numbered.vectorizeAll(0, () => encoded[0]!), numbered.vectorizeAll(35, (i) => encoded[25 + i]!)])).toEqual(packed);
    expect(packed.starts).toHaveLength(encoded.length + 1);
    const one = encoded.map((e) => numbered.vectorize(table.decode(e)));
    const fromPacked = new CandidateSet(candidates, packed);
    one.forEach((v, i) => {
      expect([...packed.ids.subarray(packed.starts[i], packed.starts[i + 1])]).toEqual([...v.ids]);
      expect([...packed.vals.subarray(packed.starts[i], packed.starts[i + 1])]).toEqual([...v.vals]);
      expect(fromPacked.vectorOf(`p${i}`)).toEqual(fromPacked.vector(i));
      expect([...fromPacked.vector(i).vals]).toEqual([...v.vals]);
    });
    expect(set.vectorOf('p7')!.ids).toEqual(candidates[7]!.vec.ids);
    expect(set.vectorOf('nope')).toBeUndefined();
    expect(() => new CandidateSet(candidates, one.slice(1))).toThrow(/60 candidates but 59 vectors/);
  });
});

describe("a reader's model", () => {
  it('learns a paper from its vector as from its counts: the same stored model and weights', () => {
    const fromVectors = new ReaderModel();
    for (const i of [0, 8, 16, 3]) fromVectors.learn({ kind: 'save', paperId: `p${i}`, title: texts[i]!.title, counts: new Map(), authors: texts[i]!.authors, organization: texts[i]!.organization }, vocab, candidates[i]!.vec);
    fromVectors.learn({ kind: 'hide', paperId: 'p5', title: texts[5]!.title, counts: new Map(), authors: [], organization: null }, vocab, candidates[5]!.vec);
    expect(fromVectors.toJSON()).toBe(model.toJSON());
    expect(fromVectors.weights(vocab)).toEqual(weights);
  });

  it('makes the same weights, to the last bit, whether its terms\' ids were kept from learning or looked up by string', () => {
    // The weights as made before the ids were kept (decision 035): sums by term in a map, each looked up in the vocabulary.
    const reference = (m: ReaderModel, v: Vocabulary) => {
      const data = JSON.parse(m.toJSON()) as { signals: [string, string, string, string[], string | null, string[], number[]][] };
      const pos = new Map<string, number>();
      const neg = new Map<string, number>();
      let posWeight = 0;
      let negWeight = 0;
      for (const [kind, , , , , terms, values] of data.signals) {
        const w = kind === 'upvote' ? 0.7 : 1;
        const side = kind === 'hide' ? neg : pos;
        terms.forEach((t, k) => {
          const next = (side.get(t) ?? 0) + w * values[k]!;
          side.set(t, Math.abs(next) < 1e-9 ? 0 : next);
        });
        if (kind === 'hide') negWeight += w;
        else posWeight += w;
      }
      const w = new Float64Array(v.size);
      pos.forEach((x, t) => {
        if (x !== 0 && v.ids.has(t)) w[v.ids.get(t)!]! += x / posWeight;
      });
      neg.forEach((x, t) => {
        if (x !== 0 && v.ids.has(t)) w[v.ids.get(t)!]! += (-0.5 * x) / negWeight;
      });
      let sum = 0;
      for (let i = 0; i < w.length; i++) sum += w[i]! * w[i]!;
      for (let i = 0; i < w.length; i++) w[i]! /= Math.sqrt(sum);
      return w;
    };
    // Another vocabulary (of half the papers: some terms missing, the others numbered apart).
    const other = Vocabulary.fit(counts.slice(0, 30).reverse(), 1);
    const loaded = ReaderModel.fromJSON(model.toJSON());
    for (const v of [vocab, other, vocab]) {
      expect(model.weights(v)).toEqual(reference(model, v));
      expect(loaded.weights(v)).toEqual(reference(model, v));
    }
    // Learned across two vocabularies, and upvoted (another signal weight).
    const mixed = new ReaderModel();
    for (const i of [1, 9]) mixed.learn({ kind: 'save', paperId: `p${i}`, title: texts[i]!.title, counts: counts[i]!, authors: [], organization: null }, vocab);
    for (const i of [2, 17]) mixed.learn({ kind: 'upvote', paperId: `p${i}`, title: texts[i]!.title, counts: counts[i]!, authors: [], organization: null }, other);
    mixed.learn({ kind: 'hide', paperId: 'p6', title: texts[6]!.title, counts: counts[6]!, authors: [], organization: null }, other);
    for (const v of [vocab, other, vocab]) expect(mixed.weights(v)).toEqual(reference(mixed, v));
  });

  it('is stored as the text JSON.stringify makes of its signals, values as numbers, and read back the same', () => {
    const text = model.toJSON();
    const data = JSON.parse(text) as { v: number; signals: unknown[][] };
    expect(JSON.stringify(data)).toBe(text);
    expect(data.signals.map((s) => [s[0], s[1]])).toEqual([['save', 'p0'], ['save', 'p8'], ['save', 'p16'], ['save', 'p3'], ['hide', 'p5']]);
    expect((data.signals[0]![6] as number[]).every((x) => typeof x === 'number' && x > 0 && x < 1)).toBe(true);
    expect(ReaderModel.fromJSON(text).toJSON()).toBe(text);
  });

  it('finds the liked paper nearest a candidate with the same similarity, to the last bit, as a merge of the two sparse vectors', () => {
    const round5 = (x: number) => Math.round(x * 1e5) / 1e5;
    const liked = [0, 8, 16, 3].map((i) => ({ id: `p${i}`, v: { ids: candidates[i]!.vec.ids, vals: Float32Array.from(candidates[i]!.vec.vals, round5) } }));
    const loaded = ReaderModel.fromJSON(model.toJSON());
    for (const c of candidates) {
      let best: { id: string; similarity: number } | undefined;
      for (const l of liked) {
        const similarity = sparseDot(c.vec, l.v);
        if (!best || similarity > best.similarity) best = { id: l.id, similarity };
      }
      for (const m of [model, loaded]) {
        const near = m.nearestLiked(c.vec, vocab)!;
        expect([near.signal.paperId, near.similarity]).toEqual([best!.id, best!.similarity]);
      }
    }
  });
});

describe('rankCandidates over a candidate set', () => {
  it('keeps, with a limit, exactly the head of the full ranking (ties newest first, then in order)', () => {
    const all = rankCandidates(set, model, weights, NOTHING_FOLLOWED).map((r) => r.candidate.id);
    expect(all).toHaveLength(60);
    for (const limit of [0, 1, 7, 20, 59, 60, 100]) expect(rankCandidates(set, model, weights, NOTHING_FOLLOWED, { limit }).map((r) => r.candidate.id)).toEqual(all.slice(0, limit));
    const seeded = rankCandidates(set, new ReaderModel(), weights, NOTHING_FOLLOWED);
    for (let i = 1; i < seeded.length; i++) {
      const [a, b] = [seeded[i - 1]!, seeded[i]!];
      expect(a.score > b.score || (a.score === b.score && a.candidate.publishedAt >= b.candidate.publishedAt)).toBe(true);
    }
  });

  it('scores text as the dot product with the weights (to 16-bit precision) and never shows what is excluded', () => {
    const ranked = rankCandidates(set, model, weights, NOTHING_FOLLOWED, { blend: { text: 1, author: 0, organization: 0, follow: 0, popularity: 0 }, exclude: new Set(['p0', 'p1']) });
    expect(ranked.map((r) => r.candidate.id)).not.toContain('p0');
    expect(ranked).toHaveLength(58);
    for (const r of ranked) {
      let exact = 0;
      const v = set.vectorOf(r.candidate.id)!;
      for (let k = 0; k < v.ids.length; k++) exact += v.vals[k]! * weights[v.ids[k]!]!;
      expect(Math.abs(r.score - exact)).toBeLessThan(1e-4);
    }
  });

  it('scores text term by term exactly as a walk of each candidate’s own quantized vector would, to the last bit', () => {
    const blend = { text: 1, author: 0, organization: 0, follow: 0, popularity: 0 };
    // The model's weights (negative ones too: it learned a hide), and the same with a third of them zero, as most are for a real reader.
    for (const w of [weights, weights.map((x, i) => (i % 3 === 0 ? 0 : x))]) {
      const byId = new Map(rankCandidates(set, model, w, NOTHING_FOLLOWED, { blend }).map((r) => [r.candidate.id, r.score]));
      for (const c of candidates) {
        let s = 0;
        for (let k = 0; k < c.vec.ids.length; k++) s += Math.round(c.vec.vals[k]! * 65_535) * w[c.vec.ids[k]!]!;
        expect(byId.get(c.id)).toBe(s / 65_535);
      }
    }
  });

  it('counts each kind of follow once per paper, however many of its authors or categories match', () => {
    const blend = { text: 0, author: 0, organization: 0, follow: 1, popularity: 0 };
    const none = new ReaderModel();
    const score = (followed: Parameters<typeof rankCandidates>[3], id: string) => rankCandidates(set, none, weights, followed, { blend }).find((r) => r.candidate.id === id)!.score;
    // p0: authors "author 0" twice over, lab, cs.LG.
    expect(score({ authors: new Set(['author 0']), organizations: new Set(), categories: [] }, 'p0')).toBe(1);
    expect(score({ authors: new Set(['author 0']), organizations: new Set(['lab']), categories: ['cs', 'cs.LG'] }, 'p0')).toBe(2.5);
    expect(score({ authors: new Set(), organizations: new Set(), categories: ['cs'], searches: new Map([['p0', 'q']]) }, 'p0')).toBe(1.5);
    expect(score({ authors: new Set(), organizations: new Set(), categories: ['c'] }, 'p0')).toBe(0);
    expect(score({ authors: new Set(), organizations: new Set(), categories: ['astro-ph'] }, 'p1')).toBe(0.5);
  });

  it('weighs a liked author by the best-liked of the paper’s people', () => {
    const blend = { text: 0, author: 1, organization: 0, follow: 0, popularity: 0 };
    const ranked = rankCandidates(set, model, weights, NOTHING_FOLLOWED, { blend });
    const byId = new Map(ranked.map((r) => [r.candidate.id, r.score]));
    for (const c of candidates) {
      const best = Math.max(0, ...c.authors.map((a) => model.authors.get(a) ?? 0));
      expect(byId.get(c.id)).toBeCloseTo(best === 0 ? 0 : Math.min(1, Math.log1p(best) / Math.log1p(5)), 12);
    }
  });
});
