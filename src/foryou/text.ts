import { stemmer } from 'stemmer';
import { tokensOf } from '../search/query.ts';
import { STOPWORDS } from '../search/related.ts';

/**
 * Text features for recommendations, as arxiv-sanity makes them: tf-idf over title and abstract,
 * words stemmed, unigrams and bigrams, sublinear tf, each vector of unit length.
 */

/** A word for each stem (its first seen), to say terms in words: a Map, or SurfaceWords. */
export interface Surface {
  has(stem: string): boolean;
  get(stem: string): string | undefined;
  set(stem: string, word: string): void;
}

/** A paper's terms with their counts: stems, and pairs of neighbouring stems (`reward model`); the title counts twice. */
export function termCounts(title: string, abstract: string, surface?: Surface): Map<string, number> {
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

/** Vectors end to end, one typed array each for all of them: vector i is `ids/vals[starts[i]..starts[i + 1])`. */
export interface PackedVectors {
  starts: Int32Array;
  ids: Int32Array;
  vals: Float32Array;
}

/** These vectors, packed. */
export function packVectors(vectors: readonly SparseVector[]): PackedVectors {
  const starts = new Int32Array(vectors.length + 1);
  vectors.forEach((v, i) => (starts[i + 1] = starts[i]! + v.ids.length));
  const ids = new Int32Array(starts[vectors.length]!);
  const vals = new Float32Array(ids.length);
  vectors.forEach((v, i) => {
    ids.set(v.ids, starts[i]);
    vals.set(v.vals, starts[i]);
  });
  return { starts, ids, vals };
}

/** Packed vectors one after the other, as one. */
export function joinVectors(parts: readonly PackedVectors[]): PackedVectors {
  const n = parts.reduce((sum, p) => sum + p.starts.length - 1, 0);
  const starts = new Int32Array(n + 1);
  const ids = new Int32Array(parts.reduce((sum, p) => sum + p.ids.length, 0));
  const vals = new Float32Array(ids.length);
  let i = 0;
  let at = 0;
  for (const p of parts) {
    for (let k = 1; k < p.starts.length; k++) starts[++i] = at + p.starts[k]!;
    ids.set(p.ids, at);
    vals.set(p.vals, at);
    at += p.ids.length;
  }
  return { starts, ids, vals };
}

/** A paper's term counts by term number (TermTable), numbers ascending: how a pool keeps each paper's words. */
export interface EncodedCounts {
  terms: Int32Array;
  tf: Uint16Array;
}

/**
 * Every term seen, numbered, each term's text held once: papers' counts kept as numbers in typed
 * arrays rather than as maps of strings. The texts themselves are kept end to end in one array
 * of UTF-16 code units, found again by an open-addressing hash of term numbers: no string and no
 * map entry per term for the garbage collector to walk on every major collection (a pool's
 * table holds about 220,000 terms; decision 028).
 */
export class TermTable {
  /** Every term's code units, end to end: term t's are `chars[starts[t]..starts[t + 1])`. */
  private chars: Uint16Array = new Uint16Array(1 << 16);
  private starts: Int32Array = new Int32Array(1 << 12);
  /**
   * Each term's hash, kept: the table is made again twice the size from these alone. Rehashing
   * from the texts made a string of every term, all at once: at 131,072 terms (SurfaceWords
   * passes it as a reader's first page counts their older papers' words) one insert took
   * 100-700 ms (decision 035).
   */
  private hashes: Int32Array = new Int32Array(1 << 12);
  private count = 0;
  /** Term number + 1 by hash, linear probing; 0 is empty. Kept at most half full. */
  private slots = new Int32Array(1 << 13);

  get size(): number {
    return this.count;
  }

  /** The term's number, given one if it has none yet. */
  number(term: string): number {
    const mask = this.slots.length - 1;
    const h = hash(term);
    for (let at = h & mask; ; at = (at + 1) & mask) {
      const t = this.slots[at]! - 1;
      if (t < 0) return this.add(term, h, at);
      if (this.is(t, term)) return t;
    }
  }

  /** The term's number, or -1 when it has none. */
  find(term: string): number {
    const mask = this.slots.length - 1;
    for (let at = hash(term) & mask; ; at = (at + 1) & mask) {
      const t = this.slots[at]! - 1;
      if (t < 0 || this.is(t, term)) return t;
    }
  }

  /** The text of term number `t`. */
  term(t: number): string {
    const from = this.starts[t]!;
    const to = this.starts[t + 1]!;
    // Terms are short (a stem or two): one call, well under the engine's limit on arguments.
    return String.fromCharCode.apply(null, this.chars.subarray(from, to) as unknown as number[]);
  }

  private is(t: number, term: string): boolean {
    const from = this.starts[t]!;
    if (this.starts[t + 1]! - from !== term.length) return false;
    for (let i = 0; i < term.length; i++) if (this.chars[from + i] !== term.charCodeAt(i)) return false;
    return true;
  }

  private add(term: string, h: number, at: number): number {
    const t = this.count++;
    if (this.starts.length < t + 2) this.starts = grown(this.starts, 2 * this.starts.length);
    if (this.hashes.length < t + 1) this.hashes = grown(this.hashes, 2 * this.hashes.length);
    this.hashes[t] = h;
    const from = this.starts[t]!;
    if (this.chars.length < from + term.length) this.chars = grown(this.chars, Math.max(2 * this.chars.length, from + term.length));
    for (let i = 0; i < term.length; i++) this.chars[from + i] = term.charCodeAt(i);
    this.starts[t + 1] = from + term.length;
    this.slots[at] = t + 1;
    if (2 * this.count > this.slots.length) this.rehash();
    return t;
  }

  private rehash(): void {
    const slots = new Int32Array(2 * this.slots.length);
    const mask = slots.length - 1;
    for (let t = 0; t < this.count; t++) {
      let at = this.hashes[t]! & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = t + 1;
    }
    this.slots = slots;
  }

  encode(counts: Map<string, number>): EncodedCounts {
    // Number and count packed into one double (numbers < 2^31, counts < 2^16: exact), sorted as numbers.
    const packed = new Float64Array(counts.size);
    let i = 0;
    for (const [term, tf] of counts) packed[i++] = this.number(term) * 0x10000 + Math.min(tf, 0xffff);
    packed.sort();
    const terms = new Int32Array(packed.length);
    const tf = new Uint16Array(packed.length);
    for (let k = 0; k < packed.length; k++) {
      terms[k] = Math.floor(packed[k]! / 0x10000);
      tf[k] = packed[k]! % 0x10000;
    }
    return { terms, tf };
  }

  decode(doc: EncodedCounts): Map<string, number> {
    const counts = new Map<string, number>();
    for (let i = 0; i < doc.terms.length; i++) counts.set(this.term(doc.terms[i]!), doc.tf[i]!);
    return counts;
  }
}

/**
 * A word for each stem, held as a TermTable's numbers (stems and words numbered in one table,
 * a stem's word by number in a typed array): hundreds of thousands of stems, no string each.
 */
export class SurfaceWords implements Surface {
  private table = new TermTable();
  private wordOf: Int32Array = new Int32Array(1024).fill(-1);
  private stems = 0;

  /** How many stems have a word. */
  get size(): number {
    return this.stems;
  }

  has(stem: string): boolean {
    const t = this.table.find(stem);
    return t >= 0 && t < this.wordOf.length && this.wordOf[t]! >= 0;
  }

  get(stem: string): string | undefined {
    const t = this.table.find(stem);
    return t >= 0 && t < this.wordOf.length && this.wordOf[t]! >= 0 ? this.table.term(this.wordOf[t]!) : undefined;
  }

  /** Gives the stem its word, unless it has one. */
  set(stem: string, word: string): void {
    const t = this.table.number(stem);
    const w = this.table.number(word);
    if (this.wordOf.length <= Math.max(t, w)) {
      const grownTo = new Int32Array(Math.max(2 * this.wordOf.length, Math.max(t, w) + 1)).fill(-1);
      grownTo.set(this.wordOf);
      this.wordOf = grownTo;
    }
    if (this.wordOf[t]! >= 0) return;
    this.wordOf[t] = w;
    this.stems++;
  }

  clear(): void {
    this.table = new TermTable();
    this.wordOf = new Int32Array(1024).fill(-1);
    this.stems = 0;
  }
}

/** FNV-1a over a string's code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A copy of `a` in a longer array of its kind. */
export function grown<T extends Int32Array | Uint16Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
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
    if (kept.length > maxFeatures) {
      const text = new Map(kept.map((t) => [t, table.term(t)]));
      kept = kept.sort((a, b) => df[b]! - df[a]! || (text.get(a)! < text.get(b)! ? -1 : 1)).slice(0, maxFeatures);
    }
    const byNumber = new Int32Array(table.size).fill(-1);
    kept.forEach((t, i) => (byNumber[t] = i));
    // scikit-learn's smooth idf, which arxiv-sanity uses.
    const idf = Float32Array.from(kept, (t) => Math.log((1 + this.n) / (1 + df[t]!)) + 1);
    return new Vocabulary(
      kept.map((t) => table.term(t)),
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
    // Into scratch arrays, as vectorizeAll: no pair of numbers per term (a reader's first page learns ten such papers).
    const { raw, order } = vectorScratch(counts.size);
    let k = 0;
    counts.forEach((tf, term) => {
      const id = this.ids.get(term);
      if (id === undefined) return;
      raw[k] = (1 + Math.log(tf)) * this.idf[id]!;
      order[k] = id * PLACES + k;
      k++;
    });
    const ids = new Int32Array(k);
    const vals = new Float32Array(k);
    unitInto(k, raw, order, ids, vals, 0);
    return { ids, vals };
  }

  /** The same for a paper's counts as numbered by the TermTable this vocabulary was counted over. */
  vectorizeEncoded(doc: EncodedCounts): SparseVector {
    const { ids, vals } = this.vectorizeAll(1, () => doc);
    return { ids, vals };
  }

  /**
   * The vectors of `n` papers' counts (`doc(i)`, as numbered by the TermTable this vocabulary was
   * counted over), written end to end into two arrays: no pair of arrays per paper.
   */
  vectorizeAll(n: number, doc: (i: number) => EncodedCounts): PackedVectors {
    const starts = new Int32Array(n + 1);
    let room = 0;
    for (let i = 0; i < n; i++) room += doc(i).terms.length;
    let ids = new Int32Array(room);
    let vals = new Float32Array(room);
    // Each paper's ids sorted as (id, place) packed in one double: ids < 2^31 and places < 2^20, exact.
    let order = new Float64Array(64);
    let raw = new Float64Array(64);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const d = doc(i);
      if (order.length < d.terms.length) {
        order = new Float64Array(2 * d.terms.length);
        raw = new Float64Array(2 * d.terms.length);
      }
      let k = 0;
      for (let j = 0; j < d.terms.length; j++) {
        const id = d.terms[j]! < this.byNumber.length ? this.byNumber[d.terms[j]!]! : -1;
        if (id < 0) continue;
        raw[k] = (1 + Math.log(d.tf[j]!)) * this.idf[id]!;
        order[k] = id * PLACES + k;
        k++;
      }
      unitInto(k, raw, order, ids, vals, at);
      at += k;
      starts[i + 1] = at;
    }
    if (at < room) {
      ids = ids.slice(0, at);
      vals = vals.slice(0, at);
    }
    return { starts, ids, vals };
  }
}

const PLACES = 0x100000;

/**
 * A vector's `k` raw values (`raw`, by place) as a unit vector, ids ascending, written into
 * `ids`/`vals` from `at`: `order` holds each id and place packed (id × PLACES + place), sorted here.
 * The squares are summed in ascending id order.
 */
function unitInto(k: number, raw: Float64Array, order: Float64Array, ids: Int32Array, vals: Float32Array, at: number): void {
  const sorted = order.subarray(0, k).sort();
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const x = raw[sorted[j]! % PLACES]!;
    sum += x * x;
  }
  const norm = Math.sqrt(sum) || 1;
  for (let j = 0; j < k; j++) {
    ids[at + j] = Math.floor(sorted[j]! / PLACES);
    vals[at + j] = raw[sorted[j]! % PLACES]! / norm;
  }
}

/** Scratch for vectorize (synchronous: one is enough), grown as needed. */
let scratch = { raw: new Float64Array(256), order: new Float64Array(256) };
function vectorScratch(size: number): { raw: Float64Array; order: Float64Array } {
  if (scratch.raw.length < size) scratch = { raw: new Float64Array(2 * size), order: new Float64Array(2 * size) };
  return scratch;
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
