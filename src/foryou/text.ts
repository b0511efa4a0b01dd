import { stemmer } from 'stemmer';
import { tokensOf } from '../search/query.ts';
import { STOPWORDS } from '../search/related.ts';

/**
 * Text features for recommendations, as arxiv-sanity makes them: tf-idf over title and abstract,
 * words stemmed, unigrams and bigrams, sublinear tf, each vector of unit length.
 */

/** A paper's terms with their counts: stems, and pairs of neighbouring stems (`reward model`); the title counts twice. */
export function termCounts(title: string, abstract: string, surface?: Map<string, string>): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (text: string, times: number) => {
    const words = tokensOf(text.replace(/\\[a-zA-Z]+/g, ' ')).filter((t) => t.length > 2 && !/^\d+$/.test(t) && !STOPWORDS.has(t));
    const stems = words.map((t) => stemmer(t));
    if (surface) for (let i = 0; i < words.length; i++) if (!surface.has(stems[i]!)) surface.set(stems[i]!, words[i]!);
    for (let i = 0; i < stems.length; i++) {
      counts.set(stems[i]!, (counts.get(stems[i]!) ?? 0) + times);
      if (i > 0) {
        const pair = `${stems[i - 1]} ${stems[i]}`;
        counts.set(pair, (counts.get(pair) ?? 0) + times);
      }
    }
  };
  add(title, 2);
  add(abstract, 1);
  return counts;
}

/** Most terms a vocabulary keeps. */
export const MAX_FEATURES = 50_000;

/** A unit-length tf-idf vector over a vocabulary's term ids, ids ascending. */
export interface SparseVector {
  ids: Int32Array;
  vals: Float32Array;
}

/** A paper's term counts by term number (TermTable), numbers ascending: how a pool keeps each paper's words. */
export interface EncodedCounts {
  terms: Int32Array;
  tf: Uint16Array;
}

/**
 * Every term seen, numbered, each term's text held once: papers' counts kept as numbers in typed
 * arrays rather than as maps of strings, which the garbage collector would walk, term by term, on every major collection.
 */
export class TermTable {
  private readonly numbers = new Map<string, number>();
  readonly terms: string[] = [];

  get size(): number {
    return this.terms.length;
  }

  encode(counts: Map<string, number>): EncodedCounts {
    const pairs: [number, number][] = [];
    for (const [term, tf] of counts) {
      let t = this.numbers.get(term);
      if (t === undefined) {
        t = this.terms.length;
        this.numbers.set(term, t);
        this.terms.push(term);
      }
      pairs.push([t, Math.min(tf, 0xffff)]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
    return { terms: Int32Array.from(pairs, (p) => p[0]), tf: Uint16Array.from(pairs, (p) => p[1]) };
  }

  decode(doc: EncodedCounts): Map<string, number> {
    const counts = new Map<string, number>();
    for (let i = 0; i < doc.terms.length; i++) counts.set(this.terms[doc.terms[i]!]!, doc.tf[i]!);
    return counts;
  }
}

/** How many papers each term is in, counted a paper at a time (so that a caller can pause between batches). */
export class DocumentFrequencies {
  private df = new Int32Array(1024);
  private n = 0;

  constructor(private readonly table: TermTable) {}

  add(doc: EncodedCounts): void {
    this.n++;
    if (this.df.length < this.table.size) {
      const grown = new Int32Array(Math.max(this.table.size, 2 * this.df.length));
      grown.set(this.df);
      this.df = grown;
    }
    for (let i = 0; i < doc.terms.length; i++) this.df[doc.terms[i]!]!++;
  }

  /** The vocabulary of the papers counted: terms in fewer than `minDf` of them left out, the `maxFeatures` most frequent kept. */
  vocabulary(minDf = 2, maxFeatures = MAX_FEATURES): Vocabulary {
    const { df, table } = this;
    let kept: number[] = [];
    for (let t = 0; t < Math.min(df.length, table.size); t++) if (df[t]! >= minDf) kept.push(t);
    // The most frequent terms, as scikit-learn's max_features keeps them (arxiv-sanity keeps 20,000).
    if (kept.length > maxFeatures) kept = kept.sort((a, b) => df[b]! - df[a]! || (table.terms[a]! < table.terms[b]! ? -1 : 1)).slice(0, maxFeatures);
    const byNumber = new Int32Array(table.size).fill(-1);
    kept.forEach((t, i) => (byNumber[t] = i));
    // scikit-learn's smooth idf, which arxiv-sanity uses.
    const idf = Float32Array.from(kept, (t) => Math.log((1 + this.n) / (1 + df[t]!)) + 1);
    return new Vocabulary(
      kept.map((t) => table.terms[t]!),
      idf,
      Math.log(1 + this.n) + 1,
      byNumber,
    );
  }
}

/** Terms and how rare they are, learned from a set of papers; terms in fewer than `minDf` papers are left out. */
export class Vocabulary {
  readonly ids = new Map<string, number>();

  constructor(
    readonly terms: readonly string[],
    readonly idf: Float32Array,
    /** The idf a term the vocabulary has not seen would get: the rarest there is. */
    readonly maxIdf: number,
    /** The vocabulary's id of each number of the TermTable it was counted over (-1: not in it). */
    private readonly byNumber: Int32Array,
  ) {
    terms.forEach((t, i) => this.ids.set(t, i));
  }

  static fit(docs: Iterable<Map<string, number>>, minDf = 2, maxFeatures = MAX_FEATURES): Vocabulary {
    const table = new TermTable();
    const df = new DocumentFrequencies(table);
    for (const doc of docs) df.add(table.encode(doc));
    return df.vocabulary(minDf, maxFeatures);
  }

  get size(): number {
    return this.terms.length;
  }

  /** The paper's vector: sublinear tf × idf, unit length; terms outside the vocabulary dropped. */
  vectorize(counts: ReadonlyMap<string, number>): SparseVector {
    const pairs: [number, number][] = [];
    for (const [term, tf] of counts) {
      const id = this.ids.get(term);
      if (id !== undefined) pairs.push([id, (1 + Math.log(tf)) * this.idf[id]!]);
    }
    return unitVector(pairs);
  }

  /** The same for a paper's counts as numbered by the TermTable this vocabulary was counted over. */
  vectorizeEncoded(doc: EncodedCounts): SparseVector {
    const pairs: [number, number][] = [];
    for (let i = 0; i < doc.terms.length; i++) {
      const id = doc.terms[i]! < this.byNumber.length ? this.byNumber[doc.terms[i]!]! : -1;
      if (id >= 0) pairs.push([id, (1 + Math.log(doc.tf[i]!)) * this.idf[id]!]);
    }
    return unitVector(pairs);
  }
}

function unitVector(pairs: [number, number][]): SparseVector {
  pairs.sort((a, b) => a[0] - b[0]);
  let sum = 0;
  for (const p of pairs) sum += p[1] * p[1];
  const norm = Math.sqrt(sum) || 1;
  return { ids: Int32Array.from(pairs, (p) => p[0]), vals: Float32Array.from(pairs, (p) => p[1] / norm) };
}

/** Dot product of a sparse vector with a dense one. */
export function dot(v: SparseVector, dense: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.ids.length; i++) s += v.vals[i]! * dense[v.ids[i]!]!;
  return s;
}

/** Dot product of two sparse vectors (ids ascending). */
export function sparseDot(a: SparseVector, b: SparseVector): number {
  let s = 0;
  for (let i = 0, j = 0; i < a.ids.length && j < b.ids.length; ) {
    const x = a.ids[i]!;
    const y = b.ids[j]!;
    if (x === y) s += a.vals[i++]! * b.vals[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}
