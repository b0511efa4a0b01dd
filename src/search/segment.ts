import { stemmer } from 'stemmer';
import { tokensOf } from './query.ts';
import { popularity } from './score.ts';

/**
 * One segment of the in-process inverted index (docs/decisions/019-search-index.md): documents
 * numbered by ordinal in publication order, per term a posting list of ordinals with a 16-bit
 * impact each, in blocks of BLOCK postings with the block's largest impact and last ordinal, and
 * per-document static arrays (upvotes, date, code) that ranking and filters read.
 *
 * An impact is BM25 as FTS5 computes it (title, authors and abstract weighted 10/4/1 inside the
 * term frequency, k1 1.2, b 0.75), fixed-point in the low 14 bits (IMPACT_SCALE per unit), with
 * bit 15 set when the term is in the title and bit 14 when it is in the authors.
 */
export const BLOCK = 128;
export const STATIC_BLOCK = 256;
export const IMPACT_SCALE = 512;
export const IMPACT_MASK = 0x3fff;
export const IN_TITLE = 0x8000;
export const IN_AUTHORS = 0x4000;

const WEIGHTS = { title: 10, authors: 4, abstract: 1 } as const;
const K1 = 1.2;
const B = 0.75;

/** Filter terms share the dictionary; the leading control character keeps them apart from words. */
export const categoryTerm = (category: string) => `\u0001cat:${category.toLowerCase()}`;
export const archiveTerm = (archive: string) => `\u0001arch:${archive.toLowerCase()}`;
export const orgTerm = (org: string) => `\u0001org:${org.toLowerCase()}`;
export const CODE_TERM = '\u0001code';

export interface SourcePaper {
  id: string;
  title: string;
  authorNames: string;
  abstract: string;
  upvotes: number;
  publishedAt: string;
  hasCode: boolean;
  organization: string | null;
  categories: string[];
}

/** Collection statistics BM25 reads; a delta segment borrows its main segment's. */
export interface CorpusStats {
  docs: number;
  avgLength: number;
  /** Documents per term. */
  df: (term: string) => number;
}

export interface Segment {
  ids: string[];
  ordinalOf: Map<string, number>;
  upvotes: Int32Array;
  /** Publication time, ms since the epoch; newest first, so a walk meets the most recent papers first. */
  published: Float64Array;
  /** Popularity (score.ts), kept with `upvotes`. */
  popularity: Float32Array;
  /** Largest upvotes of each STATIC_BLOCK of ordinals. */
  blockUpvotes: Int32Array;
  maxUpvotes: number;
  deleted: Uint8Array;
  /** Sorted dictionary, and each term's postings: [start, end) in docs/impacts, first block in blockMax/blockLast. */
  terms: string[];
  termIndex: Map<string, number>;
  postStart: Uint32Array;
  blockStart: Uint32Array;
  docs: Uint32Array;
  impacts: Uint16Array;
  /** Per block: largest impact (low 14 bits), with IN_TITLE / IN_AUTHORS when any posting has it. */
  blockMax: Uint16Array;
  blockLast: Uint32Array;
  /** Mean tokens per document over all fields (BM25's document length). */
  avgLength: number;
  stats: CorpusStats;
}

const stemCache = new Map<string, string>();
/** Porter stem of a lowercase token, as FTS5's porter tokenizer and highlight.ts compute it. */
export function stem(token: string): string {
  let s = stemCache.get(token);
  if (s === undefined) {
    s = stemmer(token);
    if (stemCache.size > 500_000) stemCache.clear();
    stemCache.set(token, s);
  }
  return s;
}

export const stemsOf = (text: string): string[] => tokensOf(text).map(stem);

/** Grows a typed array by doubling. */
class Growable<T extends Uint32Array | Uint16Array> {
  length = 0;
  constructor(
    public data: T,
    private make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Builds a segment from papers added newest first (the caller sorts). `base` gives the
 * collection statistics to score with (a delta segment scores like its main one).
 */
export function buildSegment(papers: Iterable<SourcePaper>, base?: CorpusStats): Segment {
  const builder = new SegmentBuilder();
  for (const p of papers) builder.add(p);
  return builder.finish(base);
}

export class SegmentBuilder {
  private termIndex = new Map<string, number>();
  private terms: string[] = [];
  // Per document, its (term, weighted tf | field flags) pairs, flat.
  private docTermStart = new Growable(new Uint32Array(1024), (n) => new Uint32Array(n));
  private pairTerm = new Growable(new Uint32Array(1 << 16), (n) => new Uint32Array(n));
  private pairTf = new Growable(new Uint32Array(1 << 16), (n) => new Uint32Array(n));
  private lengths = new Growable(new Uint32Array(1024), (n) => new Uint32Array(n));
  private ids: string[] = [];
  private upvotes: number[] = [];
  private published: number[] = [];
  private local = new Map<number, number>();

  private termOf(t: string): number {
    let i = this.termIndex.get(t);
    if (i === undefined) {
      i = this.terms.length;
      this.terms.push(t);
      this.termIndex.set(t, i);
    }
    return i;
  }

  add(p: SourcePaper): void {
    const local = this.local;
    this.ids.push(p.id);
    this.upvotes.push(p.upvotes);
    // Kept descending (the bounds read it so): a date out of the database's order, or unreadable, takes its predecessor's.
    const ms = Date.parse(p.publishedAt);
    const prev = this.published.at(-1) ?? Infinity;
    this.published.push(ms <= prev ? ms : prev === Infinity ? 0 : prev);
    this.docTermStart.push(this.pairTerm.length);
    local.clear();
    let length = 0;
    // weighted tf in the low 24 bits, the fields it was seen in above them
    const add = (text: string, weight: number, flag: number) => {
      for (const s of stemsOf(text)) {
        length++;
        const t = this.termOf(s);
        local.set(t, ((local.get(t) ?? 0) + weight) | flag);
      }
    };
    add(p.title, WEIGHTS.title, 1 << 24);
    add(p.authorNames, WEIGHTS.authors, 1 << 25);
    add(p.abstract, WEIGHTS.abstract, 0);
    const filters = [...p.categories.map(categoryTerm), ...p.categories.map((c) => archiveTerm(c.split('.')[0]!))];
    if (p.organization) filters.push(orgTerm(p.organization));
    if (p.hasCode) filters.push(CODE_TERM);
    for (const f of filters) local.set(this.termOf(f), 0);
    for (const [t, tf] of local) {
      this.pairTerm.push(t);
      this.pairTf.push(tf);
    }
    this.lengths.push(length);
  }

  finish(base?: CorpusStats): Segment {
    const { terms, docTermStart, pairTerm, pairTf, lengths, ids, upvotes, published } = this;
    const segment = finishSegment(terms, docTermStart, pairTerm, pairTf, lengths, ids, upvotes, published, base);
    // The pairs take 8 bytes per (document, term): let them go even if the builder lingers.
    for (const g of [docTermStart, pairTerm, pairTf, lengths]) g.data = new Uint32Array(0);
    this.termIndex.clear();
    return segment;
  }
}

function finishSegment(
  terms: string[],
  docTermStart: Growable<Uint32Array>,
  pairTerm: Growable<Uint32Array>,
  pairTf: Growable<Uint32Array>,
  lengths: Growable<Uint32Array>,
  ids: string[],
  upvotes: number[],
  published: number[],
  base?: CorpusStats,
): Segment {
  docTermStart.push(pairTerm.length);
  const n = ids.length;

  // Dictionary order, so that prefixes are ranges.
  const order = terms.map((_t, i) => i).sort((a, b) => (terms[a]! < terms[b]! ? -1 : 1));
  const rank = new Uint32Array(terms.length);
  order.forEach((t, r) => (rank[t] = r));
  const sortedTerms = order.map((t) => terms[t]!);

  const counts = new Uint32Array(terms.length + 1);
  for (let i = 0; i < pairTerm.length; i++) counts[rank[pairTerm.data[i]!]! + 1]!++;
  const postStart = new Uint32Array(terms.length + 1);
  const blockStart = new Uint32Array(terms.length + 1);
  for (let t = 0; t < terms.length; t++) {
    postStart[t + 1] = postStart[t]! + counts[t + 1]!;
    blockStart[t + 1] = blockStart[t]! + Math.ceil(counts[t + 1]! / BLOCK);
  }
  let total = 0;
  for (let d = 0; d < n; d++) total += lengths.data[d]!;
  const avgLength = base ? base.avgLength : n ? total / n : 1;
  const dfLocal = (t: number) => postStart[t + 1]! - postStart[t]!;
  const sortedIndex = new Map(sortedTerms.map((t, i) => [t, i]));
  const stats: CorpusStats = base ?? { docs: n, avgLength, df: (term) => (sortedIndex.has(term) ? dfLocal(sortedIndex.get(term)!) : 0) };
  const idf = new Float64Array(terms.length);
  for (let t = 0; t < terms.length; t++) {
    const df = base ? Math.max(base.df(sortedTerms[t]!), dfLocal(t)) : dfLocal(t);
    const docs = Math.max(stats.docs, df);
    idf[t] = Math.max(1e-6, Math.log((docs - df + 0.5) / (df + 0.5)));
  }

  const docs = new Uint32Array(postStart[terms.length]!);
  const impacts = new Uint16Array(docs.length);
  const fill = postStart.slice(0, terms.length);
  for (let d = 0; d < n; d++) {
    const norm = K1 * (1 - B + (B * lengths.data[d]!) / avgLength);
    for (let i = docTermStart.data[d]!; i < docTermStart.data[d + 1]!; i++) {
      const t = rank[pairTerm.data[i]!]!;
      const packed = pairTf.data[i]!;
      const tf = packed & 0xffffff;
      const at = fill[t]!++;
      docs[at] = d;
      if (tf === 0) continue; // a filter term: no impact
      const bm25 = (idf[t]! * (tf * (K1 + 1))) / (tf + norm);
      const q = Math.min(IMPACT_MASK, Math.max(1, Math.round(bm25 * IMPACT_SCALE)));
      impacts[at] = q | (packed & (1 << 24) ? IN_TITLE : 0) | (packed & (1 << 25) ? IN_AUTHORS : 0);
    }
  }
  const blocks = blockStart[terms.length]!;
  const blockMax = new Uint16Array(blocks);
  const blockLast = new Uint32Array(blocks);
  for (let t = 0; t < terms.length; t++) fillBlocks(docs, impacts, postStart[t]!, postStart[t + 1]!, blockMax, blockLast, blockStart[t]!);

  const blockUpvotes = new Int32Array(Math.ceil(n / STATIC_BLOCK));
  for (let d = 0; d < n; d++) blockUpvotes[Math.floor(d / STATIC_BLOCK)] = Math.max(blockUpvotes[Math.floor(d / STATIC_BLOCK)]!, upvotes[d]!);
  return {
    ids,
    ordinalOf: new Map(ids.map((id, i) => [id, i])),
    upvotes: Int32Array.from(upvotes),
    popularity: Float32Array.from(upvotes, popularity),
    published: Float64Array.from(published),
    blockUpvotes,
    maxUpvotes: upvotes.reduce((a, b) => Math.max(a, b), 0),
    deleted: new Uint8Array(n),
    terms: sortedTerms,
    termIndex: sortedIndex,
    postStart,
    blockStart,
    docs,
    impacts,
    blockMax,
    blockLast,
    avgLength,
    stats,
  };
}

/** Writes the block maxima of postings [from, to) into blockMax/blockLast from `firstBlock`. */
export function fillBlocks(docs: Uint32Array, impacts: Uint16Array, from: number, to: number, blockMax: Uint16Array, blockLast: Uint32Array, firstBlock: number): void {
  for (let b = firstBlock, i = from; i < to; b++, i += BLOCK) {
    const end = Math.min(to, i + BLOCK);
    let max = 0;
    let flags = 0;
    for (let j = i; j < end; j++) {
      const v = impacts[j]!;
      if ((v & IMPACT_MASK) > max) max = v & IMPACT_MASK;
      flags |= v & (IN_TITLE | IN_AUTHORS);
    }
    blockMax[b] = max | flags;
    blockLast[b] = docs[end - 1]!;
  }
}

/** The first dictionary index at or after `term` (binary search). */
export function lowerBoundTerm(terms: string[], term: string): number {
  let lo = 0;
  let hi = terms.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (terms[mid]! < term) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sets a document's upvotes, raising its static block's bound. */
export function setUpvotes(seg: Segment, ordinal: number, upvotes: number): void {
  seg.upvotes[ordinal] = upvotes;
  seg.popularity[ordinal] = popularity(upvotes);
  const b = Math.floor(ordinal / STATIC_BLOCK);
  if (upvotes > seg.blockUpvotes[b]!) seg.blockUpvotes[b] = upvotes;
  if (upvotes > seg.maxUpvotes) seg.maxUpvotes = upvotes;
}
