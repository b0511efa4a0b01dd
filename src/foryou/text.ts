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

/** Terms and how rare they are, learned from a set of papers; terms in fewer than `minDf` papers are left out. */
export class Vocabulary {
  readonly ids = new Map<string, number>();
  readonly terms: string[] = [];
  idf = new Float32Array(0);
  /** The idf a term the vocabulary has not seen would get: the rarest there is. */
  maxIdf = 1;

  static fit(docs: Iterable<Map<string, number>>, minDf = 2, maxFeatures = MAX_FEATURES): Vocabulary {
    const df = new Map<string, number>();
    let n = 0;
    for (const doc of docs) {
      n++;
      for (const term of doc.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    }
    // The most frequent terms, as scikit-learn's max_features keeps them (arxiv-sanity keeps 20,000).
    let kept = [...df].filter(([, count]) => count >= minDf);
    if (kept.length > maxFeatures) kept = kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxFeatures);
    const v = new Vocabulary();
    const idf: number[] = [];
    for (const [term, count] of kept) {
      v.ids.set(term, v.terms.length);
      v.terms.push(term);
      // scikit-learn's smooth idf, which arxiv-sanity uses.
      idf.push(Math.log((1 + n) / (1 + count)) + 1);
    }
    v.idf = Float32Array.from(idf);
    v.maxIdf = Math.log(1 + n) + 1;
    return v;
  }

  get size(): number {
    return this.terms.length;
  }

  /** The paper's vector: sublinear tf × idf, unit length; terms outside the vocabulary dropped. */
  vectorize(counts: Map<string, number>): SparseVector {
    const pairs: [number, number][] = [];
    for (const [term, tf] of counts) {
      const id = this.ids.get(term);
      if (id !== undefined) pairs.push([id, (1 + Math.log(tf)) * this.idf[id]!]);
    }
    pairs.sort((a, b) => a[0] - b[0]);
    let sum = 0;
    for (const p of pairs) sum += p[1] * p[1];
    const norm = Math.sqrt(sum) || 1;
    return { ids: Int32Array.from(pairs.map((p) => p[0])), vals: Float32Array.from(pairs.map((p) => p[1] / norm)) };
  }
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
