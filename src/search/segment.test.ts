import { describe, expect, it } from 'vitest';
import { tokensOf } from './query.ts';
import { BLOCK, CODE_TERM, IMPACT_MASK, IN_AUTHORS, IN_TITLE, SegmentBuilder, archiveTerm, buildSegment, categoryTerm, decodeBlock, decodeWholeList, decodedList, orgTerm, postingDocs, stem, storedImpact, wholeList, type Segment, type SourcePaper } from './segment.ts';

// The builder caches its work per raw token and keeps its pairs as varints: it must index exactly
// what the plain definition says (each field's tokensOf, stemmed; filters as terms), whatever the
// spelling, so it is held here to a reference inversion written the slow, obvious way.
function reference(papers: SourcePaper[]): Map<string, { doc: number; tf: number; title: boolean; authors: boolean }[]> {
  const lists = new Map<string, { doc: number; tf: number; title: boolean; authors: boolean }[]>();
  papers.forEach((p, doc) => {
    const local = new Map<string, { doc: number; tf: number; title: boolean; authors: boolean }>();
    const at = (term: string) => local.get(term) ?? local.set(term, { doc, tf: 0, title: false, authors: false }).get(term)!;
    for (const t of tokensOf(p.title)) Object.assign(at(stem(t)), { tf: at(stem(t)).tf + 10, title: true });
    for (const t of tokensOf(p.authorNames)) Object.assign(at(stem(t)), { tf: at(stem(t)).tf + 4, authors: true });
    for (const t of tokensOf(p.abstract)) at(stem(t)).tf += 1;
    for (const c of p.categories) [categoryTerm(c), archiveTerm(c.split('.')[0]!)].forEach(at);
    if (p.organization) at(orgTerm(p.organization));
    if (p.hasCode) at(CODE_TERM);
    for (const [term, posting] of local) lists.set(term, [...(lists.get(term) ?? []), posting]);
  });
  return lists;
}

function postingsOf(seg: Segment, term: string) {
  const t = seg.termIndex.get(term);
  if (t === undefined) return [];
  const list = wholeList(seg, t);
  return Array.from(list.docs, (doc, k) => ({ doc, impact: list.impacts[k]! }));
}

const paper = (i: number, over: Partial<SourcePaper>): SourcePaper => ({
  id: `p${i}`,
  title: 'Reward models',
  authorNames: 'Ada Lovelace',
  abstract: 'We study reward models.',
  upvotes: i,
  publishedAt: new Date(Date.UTC(2026, 0, 30 - i)).toISOString(),
  hasCode: i % 2 === 0,
  organization: i % 3 === 0 ? 'NVIDIA' : null,
  categories: i % 2 ? ['cs.LG', 'stat.ML'] : [],
  ...over,
});

describe('the segment builder', () => {
  it('indexes what tokensOf and stem define, for every spelling, with the field bits and filter terms', () => {
    const papers = [
      paper(0, { title: 'Ｆｕｌｌｗｉｄｔｈ Models and CAFÉ', abstract: 'café cafe\u0301 ﬁne-tuning of rewarding rewards' }),
      paper(1, { abstract: 'supercalifragilisticexpialidocious supercalifragilisticexpialidocious pneumonoultramicroscopic' }),
      paper(2, { title: 'Zoë and Ωmega', authorNames: 'Zoë Reward, Bo Models', abstract: '' }),
      paper(3, { title: '', authorNames: '', abstract: '東京 大学 2024 v2 x86' }),
      ...Array.from({ length: 300 }, (_, i) => paper(i + 4, { abstract: `reward ${'gamma '.repeat(i < 2 ? 1 + 4 * i : 0)} term${i % 13}` })),
    ];
    const seg = buildSegment(papers);
    const want = reference(papers);
    expect(seg.terms).toEqual([...want.keys()].sort());
    for (const [term, postings] of want) {
      const got = postingsOf(seg, term);
      expect(got.map((p) => p.doc), term).toEqual(postings.map((p) => p.doc));
      got.forEach((g, k) => {
        const p = postings[k]!;
        expect(Boolean(g.impact & IN_TITLE), term).toBe(p.title);
        expect(Boolean(g.impact & IN_AUTHORS), term).toBe(p.authors);
        // Filters carry no weight; words at least the smallest impact.
        expect((g.impact & IMPACT_MASK) > 0, term).toBe(p.tf > 0);
      });
    }
    // More of a word scores higher, other things equal (papers 4 and 5 differ only in how often `gamma` occurs).
    const gamma = postingsOf(seg, 'gamma');
    const impactOf = (doc: number) => gamma.find((m) => m.doc === doc)!.impact & IMPACT_MASK;
    expect(gamma.map((g) => g.doc)).toEqual([4, 5]);
    expect(impactOf(5)).toBeGreaterThan(impactOf(4));
  });

  it('stores an impact in one byte, within half a level of BM25, ordered as BM25 orders', () => {
    // One word, its weighted frequency 1…40 in documents of the same length: BM25 grows with it.
    const papers = Array.from({ length: 40 }, (_, i) => paper(i, { title: '', authorNames: '', abstract: `${'delta '.repeat(i + 1)}${'pad '.repeat(40 - i)}`, categories: [], organization: null }));
    papers.push(...Array.from({ length: 200 }, (_, i) => paper(40 + i, { title: '', authorNames: '', abstract: 'pad '.repeat(41), categories: [], organization: null })));
    const seg = buildSegment(papers);
    const t = seg.termIndex.get('delta')!;
    expect(seg.impacts).toBeInstanceOf(Uint8Array);
    const idf = Math.log((240 - 40 + 0.5) / (40 + 0.5));
    const avg = seg.avgLength;
    const step = seg.impactStep[t]!;
    postingsOf(seg, 'delta').forEach(({ doc, impact }, k, all) => {
      const tf = doc + 1;
      const bm25 = (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * 41) / avg));
      expect(Math.abs((impact & IMPACT_MASK) - bm25 * 512), `tf ${tf}`).toBeLessThanOrEqual(step / 2 + 1);
      if (k > 0) expect(impact & IMPACT_MASK).toBeGreaterThanOrEqual(all[k - 1]!.impact & IMPACT_MASK);
    });
  });

  it('keeps ordinals as varint gaps of every width, with each block’s start, last ordinal and largest impact', () => {
    // Gaps of 0, of a few, of hundreds, of tens of thousands: one- to three-byte varints.
    const n = 40_000;
    const papers = Array.from({ length: n }, (_, i) =>
      paper(i, {
        title: i % 3 === 0 ? 'often' : 'title',
        authorNames: '',
        abstract: [i % 7 === 0 ? 'weekly' : '', i % 300 === 0 ? 'seldom' : '', i === 5 || i === 39_000 ? 'twice' : '', 'all'].join(' '),
        categories: [],
        organization: null,
      }),
    );
    const seg = buildSegment(papers);
    for (const [term, every, first] of [['all', 1, 0], ['often', 3, 0], ['weekli', 7, 0], ['seldom', 300, 0]] as const) {
      const docs = postingsOf(seg, term).map((p) => p.doc);
      expect(docs.length, term).toBe(Math.ceil(n / every));
      expect(docs.every((d, k) => d === first + k * every), term).toBe(true);
    }
    expect(postingsOf(seg, 'twice').map((p) => p.doc)).toEqual([5, 39_000]);
    for (const term of ['all', 'often', 'weekli', 'seldom', 'twice']) {
      const t = seg.termIndex.get(term)!;
      const postings = postingsOf(seg, term);
      for (let b = seg.blockStart[t]!, k = 0; k < postings.length; b++, k += BLOCK) {
        const block = postings.slice(k, k + BLOCK);
        expect(seg.blockLast[b]).toBe(block.at(-1)!.doc);
        expect(seg.blockMax[b]! & IMPACT_MASK).toBe(Math.max(...block.map((p) => p.impact & IMPACT_MASK)));
        expect(Boolean(seg.blockMax[b]! & IN_TITLE)).toBe(block.some((p) => p.impact & IN_TITLE));
        expect(seg.blockOffset[b + 1]).toBeGreaterThan(seg.blockOffset[b]!);
      }
    }
    expect(seg.blockOffset.at(-1)).toBe(seg.postings.length);
  });

  it('builds the same segment, array for array, when its pairs go to a file in many small chunks', () => {
    const papers = Array.from({ length: 5000 }, (_, i) =>
      paper(i, { title: i % 3 ? 'Reward models for agents' : 'Ｆｕｌｌｗｉｄｔｈ diffusion', abstract: `reward ${'gamma '.repeat(i % 5)} term${i % 13} ${i % 977 === 0 ? 'rare' : ''}`, authorNames: i % 7 ? 'Ada Lovelace' : '' }),
    );
    // One paper with no text at all, last: its chunk holds no pairs.
    papers.push(paper(5000, { title: '', authorNames: '', abstract: '', categories: [], organization: null, hasCode: false }));
    const inMemory = buildSegment(papers);
    const builder = new SegmentBuilder(300); // a chunk every few papers
    for (const p of papers) builder.add(p);
    const spilled = builder.finish();
    for (const key of ['ids', 'terms', 'postStart', 'blockStart', 'postings', 'blockOffset', 'impacts', 'impactStep', 'blockMax', 'blockLast', 'upvotes', 'published'] as const) {
      expect(spilled[key], key).toEqual(inMemory[key]);
    }
    expect(spilled.avgLength).toBe(inMemory.avgLength);
    expect(spilled.postings.length).toBeGreaterThan(5000);
  });

  it('decodes any one block alone, in any order, as the whole list read from its start has it', () => {
    const n = 40_000;
    const papers = Array.from({ length: n }, (_, i) =>
      paper(i, { abstract: [i % 2 === 0 ? 'even' : '', i % 977 === 0 || i === 1 ? 'rare' : '', i > 30_000 && i % 5 === 0 ? 'late' : ''].join(' '), categories: [], organization: null }),
    );
    const seg = buildSegment(papers);
    for (const term of ['even', 'rare', 'late']) {
      const t = seg.termIndex.get(term)!;
      const want = decodeWholeList(seg, t);
      const list = decodedList(seg, t);
      const blocks = list.ready.length;
      expect(blocks, term).toBe(Math.ceil(want.length / BLOCK));
      // Last block first, then every third from the middle, then the rest: each from its predecessor's last ordinal alone.
      const order = [blocks - 1, ...Array.from({ length: blocks }, (_, k) => (Math.floor(blocks / 2) + 3 * k) % blocks)];
      for (const k of order) {
        if (list.ready[k]) continue;
        decodeBlock(seg, t, list, k);
        expect(Array.from(list.docs.subarray(k * BLOCK, (k + 1) * BLOCK)), `${term} block ${k}`).toEqual(Array.from(want.subarray(k * BLOCK, (k + 1) * BLOCK)));
        const bytes = seg.impacts.subarray(seg.postStart[t]! + k * BLOCK, seg.postStart[t]! + Math.min(want.length, (k + 1) * BLOCK));
        expect(Array.from(list.impacts.subarray(k * BLOCK, (k + 1) * BLOCK)), `${term} block ${k} impacts`).toEqual(Array.from(bytes, (b) => storedImpact(b, seg.impactStep[t]!)));
      }
      expect(Array.from(postingDocs(seg, t)), term).toEqual(Array.from(want));
      expect(list.decoded, term).toBe(blocks);
    }
  });
});
