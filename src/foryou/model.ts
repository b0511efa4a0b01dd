import type { SparseVector, Vocabulary } from './text.ts';

/**
 * One reader's taste as a linear model over tf-idf terms: a Rocchio centroid, the mean of what
 * they saved and upvoted minus a share of the mean of what they hid. Learned one signal at a
 * time (a save adds its vector, an undone upvote takes it away again), kept by term so it
 * outlives a new vocabulary, and turned into a dense weight vector once per vocabulary and change.
 */

export type SignalKind = 'save' | 'upvote' | 'hide';

/** Something the reader did to a paper, with what the model reads of the paper. */
export interface Signal {
  kind: SignalKind;
  paperId: string;
  title: string;
  counts: ReadonlyMap<string, number>;
  authors: string[];
  organization: string | null;
}

/** How much each kind of signal says: a save is a deliberate choice, an upvote a lighter one, a hide is against. */
const SIGNAL_WEIGHT: Record<SignalKind, number> = { save: 1, upvote: 0.7, hide: 1 };
/** How far what the reader hid pulls the centroid away. */
const NEGATIVE_SHARE = 0.5;

interface Learned {
  signal: Signal;
  /** The paper's unit vector by term, as learned: `terms[k]`'s value is `values[k]` (numbers in a typed array, not one boxed number each). */
  terms: string[];
  values: Float64Array;
  /** Its vector over the latest vocabulary asked for (vectorOf): a field, not a WeakMap entry (whose table every learn grew). */
  vector?: { vocab: Vocabulary; v: SparseVector };
}

/**
 * Sums by term: each term's place in a map (small integers, which the engine keeps unboxed) and
 * its sum in a typed array. A map of terms to sums held a boxed number per term, hundreds of
 * thousands of objects for a few dozen readers that every garbage collection visited (decision 028).
 */
class TermSums {
  private readonly at = new Map<string, number>();
  private sums = new Float64Array(256);
  /**
   * Each place's term id in `vocab` (-1: not in it, UNKNOWN: not looked up yet), so that weights
   * over the vocabulary a term was learned with need no lookup by string per term (decision 035).
   */
  private vocab?: Vocabulary;
  private ids = new Int32Array(256);
  private unknown = 0;

  /** Adds `by` to the term's sum; a sum this near zero is zero (as if the term were gone). `id`: the term's id in `vocab`, when known. */
  add(term: string, by: number, vocab?: Vocabulary, id?: number): void {
    let i = this.at.get(term);
    if (i === undefined) {
      i = this.at.size;
      this.at.set(term, i);
      if (i === this.sums.length) {
        const grown = new Float64Array(2 * i);
        grown.set(this.sums);
        this.sums = grown;
        const ids = new Int32Array(2 * i);
        ids.set(this.ids);
        this.ids = ids;
      }
      if (vocab !== undefined && id !== undefined && this.at.size === 1) this.vocab = vocab;
      if (vocab !== undefined && vocab === this.vocab && id !== undefined) this.ids[i] = id;
      else {
        this.ids[i] = UNKNOWN;
        this.unknown++;
      }
    }
    const next = this.sums[i]! + by;
    this.sums[i] = Math.abs(next) < 1e-9 ? 0 : next;
  }

  /** Adds each term's sum (where not zero) times `scale` to `w`, at the term's id in `vocab`. */
  addInto(w: Float64Array, vocab: Vocabulary, divisor: number, share: number): void {
    if (this.vocab !== vocab) {
      this.vocab = vocab;
      this.ids.fill(UNKNOWN, 0, this.at.size);
      this.unknown = this.at.size;
    }
    const ids = this.ids;
    if (this.unknown > 0) {
      // forEach rather than for…of over entries: no [term, value] pair made for each of thousands of terms.
      this.at.forEach((i, term) => {
        if (ids[i] === UNKNOWN) ids[i] = vocab.ids.get(term) ?? -1;
      });
      this.unknown = 0;
    }
    const sums = this.sums;
    for (let i = 0, n = this.at.size; i < n; i++) {
      const id = ids[i]!;
      // As before, term by term: w[id] += x / posWeight, or (-NEGATIVE_SHARE * x) / negWeight.
      if (id >= 0 && sums[i] !== 0) w[id]! += (share === 1 ? sums[i]! : share * sums[i]!) / divisor;
    }
  }
}

const UNKNOWN = -2;

export class ReaderModel {
  private readonly learned = new Map<string, Learned>();
  private readonly pos = new TermSums();
  private readonly neg = new TermSums();
  private posWeight = 0;
  private negWeight = 0;
  /** Authors and organizations of the papers the reader liked, weighted like their signals. */
  readonly authors = new Map<string, number>();
  readonly organizations = new Map<string, number>();
  /** Bumped by every change: whoever keeps dense weights makes them again after one. */
  revision = 0;

  static key(s: Pick<Signal, 'kind' | 'paperId'>): string {
    return `${s.kind}:${s.paperId}`;
  }

  has(key: string): boolean {
    return this.learned.has(key);
  }

  keys(): string[] {
    return [...this.learned.keys()];
  }

  /** The papers learned as liked (saved or upvoted), and as hidden. */
  likedPaperIds(): string[] {
    return [...this.learned.values()].filter((l) => l.signal.kind !== 'hide').map((l) => l.signal.paperId);
  }

  hiddenPaperIds(): string[] {
    return [...this.learned.values()].filter((l) => l.signal.kind === 'hide').map((l) => l.signal.paperId);
  }

  get positives(): number {
    return this.posWeight;
  }

  /**
   * Learns from one signal: its paper's vector is added to the positive or negative side.
   * `vector`: the paper's vector over `vocab` when the caller has it (a paper of the candidate
   * pool: vocab.vectorize(signal.counts) exactly), so that its counts need not be read or made.
   */
  learn(signal: Signal, vocab: Vocabulary, vector?: SparseVector): void {
    const key = ReaderModel.key(signal);
    if (this.learned.has(key)) return;
    const v = vector ?? vocab.vectorize(signal.counts);
    const terms: string[] = [];
    // Rounded as stored (toJSON), so that a model read back and one learned here agree exactly.
    const values = new Float64Array(v.vals.length);
    const rounded = new Float32Array(v.vals.length);
    for (let i = 0; i < v.ids.length; i++) {
      const x = round5(v.vals[i]!);
      terms.push(vocab.terms[v.ids[i]!]!);
      values[i] = x;
      rounded[i] = x;
    }
    // Kept without its counts: an older paper's are a map of all its words, read for this once.
    // Its vector over this vocabulary as vectorOf would make it from `terms`: made here, where it is at hand
    // (copied: `vector` may be a view into a candidate set's arrays, which this must not keep alive).
    const learned: Learned = { signal: { ...signal, counts: NO_COUNTS }, terms, values, vector: { vocab, v: { ids: Int32Array.from(v.ids), vals: rounded } } };
    this.learned.set(key, learned);
    this.apply(learned, 1, vocab, learned.vector!.v.ids);
  }

  /**
   * What was learned, signal by signal, as stored in `reader_models` (JSON): each signal's kind,
   * paper, title, people and its vector by term as learned (values to 5 decimals). The sums are
   * made again on load, so a stored model and one learned in memory agree.
   */
  toJSON(): string {
    // JSON.stringify({ v: 1, signals: [[kind, paper, title, authors, organization, terms, values], …] }), the values
    // written by join (the same text for finite numbers) rather than copied into an array of boxed numbers first.
    const signals = [...this.learned.values()].map(({ signal: s, terms, values }) => `${JSON.stringify([s.kind, s.paperId, s.title, s.authors, s.organization, terms]).slice(0, -1)},[${values.join(',')}]]`);
    return `{"v":1,"signals":[${signals.join(',')}]}`;
  }

  /** A model as stored by toJSON; throws on anything else. */
  static fromJSON(text: string): ReaderModel {
    const data = JSON.parse(text) as { v: number; signals: [SignalKind, string, string, string[], string | null, string[], number[]][] };
    if (data.v !== 1 || !Array.isArray(data.signals)) throw new Error('foryou: a stored model of an unknown shape');
    const model = new ReaderModel();
    for (const [kind, paperId, title, authors, organization, terms, values] of data.signals) {
      const signal: Signal = { kind, paperId, title, counts: NO_COUNTS, authors, organization };
      const learned: Learned = { signal, terms, values: Float64Array.from(values) };
      model.learned.set(ReaderModel.key(signal), learned);
      model.apply(learned, 1);
    }
    return model;
  }

  /** Forgets a signal the reader took back (an upvote withdrawn, a paper unhidden). */
  forget(key: string): void {
    const entry = this.learned.get(key);
    if (!entry) return;
    this.learned.delete(key);
    this.apply(entry, -1);
  }

  /** `learnedIn`: the vocabulary the signal is being learned with, where `ids[k]` is `terms[k]`'s id (learn). */
  private apply({ signal, terms, values }: Learned, sign: 1 | -1, learnedIn?: Vocabulary, ids: Int32Array = NO_IDS): void {
    const w = SIGNAL_WEIGHT[signal.kind] * sign;
    const side = signal.kind === 'hide' ? this.neg : this.pos;
    for (let k = 0; k < terms.length; k++) side.add(terms[k]!, w * values[k]!, learnedIn, learnedIn && ids[k]);
    if (signal.kind === 'hide') this.negWeight += w;
    else {
      this.posWeight += w;
      for (const a of signal.authors) bump(this.authors, a, w);
      if (signal.organization) bump(this.organizations, signal.organization, w);
    }
    this.revision++;
  }

  /**
   * The model's weights over `vocab`'s term ids, unit length; all zero with nothing learned.
   * Made afresh on each call (the size of the vocabulary), into `into` when given (a buffer of
   * that size no one reads any more): callers keep it while `revision` holds.
   */
  weights(vocab: Vocabulary, into?: Float64Array): Float64Array {
    const w = into?.length === vocab.size ? into.fill(0) : new Float64Array(vocab.size);
    if (this.posWeight > 0) this.pos.addInto(w, vocab, this.posWeight, 1);
    if (this.negWeight > 0) this.neg.addInto(w, vocab, this.negWeight, -NEGATIVE_SHARE);
    let sum = 0;
    for (let i = 0; i < w.length; i++) sum += w[i]! * w[i]!;
    if (sum > 0) {
      const norm = Math.sqrt(sum);
      for (let i = 0; i < w.length; i++) w[i]! /= norm;
    }
    return w;
  }

  /** The latest `max` liked signals, kept until the model changes: a page asks for each of its papers. */
  private likedCache?: { revision: number; max: number; list: Learned[] };

  /** The liked paper most like `v` (for "because you saved …"), and how alike, among the latest `max`. */
  nearestLiked(v: SparseVector, vocab: Vocabulary, max = 200): { signal: Signal; similarity: number } | undefined {
    let cache = this.likedCache;
    if (!cache || cache.revision !== this.revision || cache.max !== max) {
      cache = this.likedCache = { revision: this.revision, max, list: [...this.learned.values()].filter((l) => l.signal.kind !== 'hide').slice(-max) };
    }
    if (cache.list.length === 0) return undefined;
    // `v` spread over the vocabulary once, then each liked vector dotted with it: the same
    // products, added in the same (ascending term) order as a merge of the two sparse vectors.
    const dense = denseScratch(vocab.size);
    for (let i = 0; i < v.ids.length; i++) dense[v.ids[i]!] = v.vals[i]!;
    let best: { signal: Signal; similarity: number } | undefined;
    for (const l of cache.list) {
      const { ids, vals } = vectorOf(l, vocab);
      let similarity = 0;
      for (let k = 0; k < ids.length; k++) similarity += dense[ids[k]!]! * vals[k]!;
      if (!best || similarity > best.similarity) best = { signal: l.signal, similarity };
    }
    for (let i = 0; i < v.ids.length; i++) dense[v.ids[i]!] = 0;
    return best;
  }
}

/** A vocabulary-sized scratch vector, all zero between uses (nearestLiked is synchronous). */
let scratch = new Float64Array(0);
function denseScratch(size: number): Float64Array {
  if (scratch.length < size) scratch = new Float64Array(size);
  return scratch;
}

function vectorOf(l: Learned, vocab: Vocabulary): SparseVector {
  if (l.vector?.vocab === vocab) return l.vector.v;
  const pairs = l.terms.flatMap((t, k) => {
    const id = vocab.ids.get(t);
    return id === undefined ? [] : [[id, l.values[k]!] as const];
  });
  pairs.sort((a, b) => a[0] - b[0]);
  const v = { ids: Int32Array.from(pairs.map((p) => p[0])), vals: Float32Array.from(pairs.map((p) => p[1])) };
  l.vector = { vocab, v };
  return v;
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const next = (map.get(key) ?? 0) + by;
  if (next <= 1e-9) map.delete(key);
  else map.set(key, next);
}

const round5 = (x: number) => Math.round(x * 1e5) / 1e5;
const NO_COUNTS: ReadonlyMap<string, number> = new Map();
const NO_IDS = new Int32Array(0);
