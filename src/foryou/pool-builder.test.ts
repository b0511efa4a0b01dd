import { afterAll, describe, expect, it } from 'vitest';
import { DocumentFrequencies, SurfaceWords, TermTable, termCounts } from './text.ts';
import { PoolBuilder, PoolBuilderClient } from './pool-builder.ts';
import { CandidateSet, postingsOf, rankCandidates, NOTHING_FOLLOWED, type Candidate } from './rank.ts';
import { ReaderModel } from './model.ts';

const words = ['diffusion', 'rewarding', 'graphs', 'proteins', 'galaxies', 'languages', 'robots', 'quantum'];
const papers = Array.from({ length: 40 }, (_, i) => ({
  id: `p${i}`,
  modifiedAt: '2026-11-01',
  title: `${words[i % 8]} ${words[(i * 3) % 8]} studies`,
  abstract: `We look at ${words[i % 8]} and ${words[(i + 1) % 8]} with ${words[(i * 5) % 8]} methods.`,
}));
const abstracts = (ids: string[]) => Promise.resolve(new Map(ids.map((id) => [id, papers.find((p) => p.id === id)!.abstract])));

/** The pool's vectors made in one thread, as before decision 031. */
function inOneThread(list: typeof papers) {
  const table = new TermTable();
  const surface = new SurfaceWords();
  const counts = list.map((p) => table.encode(termCounts(p.title, p.abstract, surface)));
  const df = new DocumentFrequencies(table);
  for (const c of counts) df.add(c);
  const vocab = df.vocabulary();
  return { vocab, vectors: vocab.vectorizeAll(counts.length, (i) => counts[i]!), surface };
}

describe("the pool's builder", () => {
  const client = new PoolBuilderClient();
  afterAll(() => client.close());

  it('on its own thread makes the vocabulary, vectors and postings one thread makes, to the last bit, and says terms in words', async () => {
    const built = await client.build(papers, abstracts);
    const alone = inOneThread(papers);
    expect(built.vocab.terms).toEqual(alone.vocab.terms);
    expect([...built.vocab.idf]).toEqual([...alone.vocab.idf]);
    expect(built.vectors).toEqual(alone.vectors);
    expect(built.postings).toEqual(postingsOf(alone.vectors));
    const studi = built.vocab.ids.get('studi')!;
    expect(built.words.of(studi)).toBe('studies');
    const pair = built.vocab.terms.findIndex((t) => t.includes(' '));
    expect(built.words.of(pair)).toBe(built.vocab.terms[pair]!.split(' ').map((s) => alone.surface.get(s)).join(' '));

    // The candidate set given those postings ranks as one that makes its own.
    const candidates: Candidate[] = papers.map((p, i) => ({ id: p.id, title: p.title, publishedAt: p.modifiedAt, upvotes: i % 5, authors: [], organization: null, categories: [] }));
    const model = new ReaderModel();
    const given = new CandidateSet(candidates, built.vectors, built.postings);
    const made = new CandidateSet(candidates, alone.vectors);
    model.learn({ kind: 'save', paperId: 'p3', title: papers[3]!.title, counts: new Map(), authors: [], organization: null }, built.vocab, given.vectorOf('p3'));
    const weights = model.weights(built.vocab);
    const rank = (set: CandidateSet) => rankCandidates(set, model, weights, NOTHING_FOLLOWED).map((r) => [r.candidate.id, r.score]);
    expect(rank(given)).toEqual(rank(made));
  });

  it('asks again only for the words of papers new or changed since its last build', async () => {
    const asked: string[][] = [];
    const changed = papers.map((p, i) => (i === 7 ? { ...p, modifiedAt: '2026-11-02' } : p));
    const next = [...changed.slice(1), { ...papers[0]!, id: 'p40' }];
    const built = await client.build(next, (ids) => {
      asked.push(ids);
      return Promise.resolve(new Map(ids.map((id) => [id, next.find((p) => p.id === id)!.abstract])));
    });
    expect(asked.flat()).toEqual(['p7', 'p40']);
    // Terms are numbered as first seen, across builds: the same vectors, their terms in another order (so summed in another, to 1e-6).
    const alone = inOneThread(next);
    const byTerm = (b: { vocab: { terms: readonly string[] }; vectors: { starts: Int32Array; ids: Int32Array; vals: Float32Array } }, i: number) =>
      new Map(Array.from({ length: b.vectors.starts[i + 1]! - b.vectors.starts[i]! }, (_, k) => [b.vocab.terms[b.vectors.ids[b.vectors.starts[i]! + k]!]!, b.vectors.vals[b.vectors.starts[i]! + k]!]));
    next.forEach((_, i) => {
      const [a, b] = [byTerm(built, i), byTerm(alone, i)];
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [term, x] of a) expect(x).toBeCloseTo(b.get(term)!, 6);
    });
  });

  it('in this thread, too, needs every paper of a first build, and names one whose words never came', () => {
    const builder = new PoolBuilder();
    expect(builder.begin(['a', 'b'], ['1', '1'])).toEqual([0, 1]);
    builder.add([{ i: 0, title: 'Graph networks', abstract: 'Graph networks for graphs.' }]);
    expect(() => builder.end()).toThrow(/paper b were not sent/);
  });

  it('fails a build with the error its thread met, and builds again after it', async () => {
    await expect(client.build([{ id: 'x', modifiedAt: '1', title: 'x' }], () => Promise.resolve(new Map([['x', 1 as unknown as string]])))).rejects.toThrow(/builder failed/);
    const built = await client.build(papers, abstracts);
    expect(built.vectors.starts).toHaveLength(papers.length + 1);
  });
});
