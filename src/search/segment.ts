import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stemmer } from 'stemmer';
import { rawTokensOf } from './query.ts';
import { popularity } from './score.ts';
import { IdListBuilder, type IdList } from './id-list.ts';

/**
 * One segment of the in-process inverted index (docs/decisions/019-search-index.md): documents
 * numbered by ordinal in publication order, per term a posting list of ordinals with an impact
 * each, in blocks of BLOCK postings with the block's largest impact and last ordinal, and
 * per-document static arrays (upvotes, date, code) that ranking and filters read.
 *
 * An impact is BM25 as FTS5 computes it (title, authors and abstract weighted 10/4/1 inside the
 * term frequency, k1 1.2, b 0.75), fixed-point in the low 14 bits (IMPACT_SCALE per unit), with
 * bit 15 set when the term is in the title and bit 14 when it is in the authors. It is stored in
 * one byte (decision 032): the two field bits and a level of 1–63 in steps of 1/63 of the term's
 * largest possible BM25 (idf × (k1 + 1)); decodeBlock widens it back to 16 bits. Ranking, block
 * maxima and the exhaustive reference all read the widened value: top-k is exact for it.
 */
export const BLOCK = 128;
export const STATIC_BLOCK = 256;
export const IMPACT_SCALE = 512;
export const IMPACT_MASK = 0x3fff;
export const IN_TITLE = 0x8000;
export const IN_AUTHORS = 0x4000;
/** Stored impact levels (the low 6 bits of a stored byte; its top two bits are the field bits). */
const LEVELS = 63;

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
  /** Paper ids by ordinal; `ids.ordinalOf(id)` finds one. */
  ids: IdList;
  upvotes: Int32Array;
  /** Publication time, ms since the epoch; newest first, so a walk meets the most recent papers first. */
  published: Float64Array;
  /** Popularity (score.ts), kept with `upvotes`. */
  popularity: Float32Array;
  /** Largest upvotes of each STATIC_BLOCK of ordinals. */
  blockUpvotes: Int32Array;
  maxUpvotes: number;
  deleted: Uint8Array;
  /** Sorted dictionary, and each term's postings: [start, end) in impacts, first block in blockMax/blockLast/blockOffset. */
  terms: string[];
  termIndex: Map<string, number>;
  postStart: Uint32Array;
  blockStart: Uint32Array;
  /**
   * Each term's ordinals as varint gaps (ordinal − previous − 1, the previous of its first
   * being −1), about 1.3 bytes a posting instead of 4; decodeBlock decodes one block of a list.
   */
  postings: Uint8Array;
  /** Per block, the byte in `postings` where it starts; one more at the end (the total). */
  blockOffset: Uint32Array;
  /** Per posting: field bits (IN_TITLE, IN_AUTHORS shifted to bits 7 and 6) and a level of 1–63 (0 for filter terms). */
  impacts: Uint8Array;
  /** Per term: the fixed-point impact of one level (storedImpact). */
  impactStep: Float32Array;
  /** Per block: largest impact (low 14 bits), with IN_TITLE / IN_AUTHORS when any posting has it. */
  blockMax: Uint16Array;
  blockLast: Uint32Array;
  /** Mean tokens per document over all fields (BM25's document length). */
  avgLength: number;
  stats: CorpusStats;
}

const stemCache = new Map<string, string>();
/**
 * Porter stem of a lowercase token, as FTS5's porter tokenizer and highlight.ts compute it. A raw
 * token (rawTokensOf) may be given: it is put in NFC first, on a cache miss only.
 */
export function stem(token: string): string {
  let s = stemCache.get(token);
  if (s === undefined) {
    s = stemmer(token.normalize('NFC'));
    if (stemCache.size > 500_000) stemCache.clear();
    // A copy of a long token: it may be a slice that would keep its whole text alive as the key.
    stemCache.set(token.length > 12 ? Buffer.from(token).toString() : token, s);
  }
  return s;
}

/** The stems of a text's tokens (tokensOf), each token's NFC step paid once per spelling. */
export const stemsOf = (text: string): string[] => rawTokensOf(text).map(stem);

/** A typed array grown by doubling; `data` past `length` is spare room. */
class Growable<T extends Uint32Array | Uint8Array | Int32Array | Float64Array> {
  length = 0;
  constructor(
    public data: T,
    private make: (n: number) => T,
  ) {}
  /** Makes room for `n` more values. */
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    const next = this.make(Math.max(this.data.length * 2, this.length + n));
    next.set(this.data);
    this.data = next;
  }
  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1);
    this.data[this.length++] = v;
  }
}

/** Appends `v` (< 2^28) as a little-endian base-128 varint; the caller reserved 4 bytes. */
function putVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 0x80) {
    out[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[at++] = v;
  return at;
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

const IN_TITLE_FIELD = 2;
const IN_AUTHORS_FIELD = 1;
/** Weighted term frequencies are kept below this (a flag pair rides below them); no real text comes near. */
const MAX_TF = (1 << 24) - 1;

/**
 * Pair bytes held in memory before they go to the builder's spill file (a chunk of whole
 * documents); `finish` reads the chunks back through one buffer of this size. 4 MB rather than
 * 16: 12 MB less at a build's peak, for about a hundred writes at a million papers (decision 042).
 */
export const SPILL_BYTES = 1 << 22;

/** The pair stream as chunks of whole documents: in memory, or written to an unlinked file. */
interface PairChunks {
  fd: number | null;
  /** Per chunk written: its bytes and documents. */
  sizes: { bytes: number; docs: number }[];
}

/**
 * Tokenizes each paper once into its (term, weighted tf, fields) pairs, kept as varints in one
 * byte stream in document order, then inverts the stream in `finish`. Past `spillBytes` the
 * stream goes to a temporary file in chunks (decision 027): a whole corpus's pairs (≈ 3 bytes a
 * posting, 375 MB at a million papers) need not sit in memory beside the final arrays. Per token the work is one
 * regular-expression match and one Map lookup: the raw token's term number is cached, so each
 * distinct spelling is normalized and stemmed once. Per document, term frequencies are summed
 * in a typed array indexed by term number; nothing is allocated per posting.
 */
export class SegmentBuilder {
  private termIndex = new Map<string, number>();
  private terms: string[] = [];
  /** Raw token (rawTokensOf) → term number of its stem. */
  private tokenTerm = new Map<string, number>();
  /** Documents per term number. */
  private df = new Growable(new Uint32Array(1024), (n) => new Uint32Array(n));
  /** Per document: pair count, then the pairs as varints (term number; tf × 4 + field bits). */
  private pairs = new Growable(new Uint8Array(1 << 16), (n) => new Uint8Array(n));
  private pairCounts = new Growable(new Uint32Array(1024), (n) => new Uint32Array(n));
  private lengths = new Growable(new Uint32Array(1024), (n) => new Uint32Array(n));
  private ids = new IdListBuilder();
  private upvotes = new Growable(new Int32Array(1024), (n) => new Int32Array(n));
  private published = new Growable(new Float64Array(1024), (n) => new Float64Array(n));
  /** This document's weighted tf × 4 + field bits per term number, and the terms it touched. */
  private tf = new Uint32Array(1024);
  private touched = new Growable(new Uint32Array(256), (n) => new Uint32Array(n));
  private spilled: PairChunks = { fd: null, sizes: [] };
  private docsInMemory = 0;

  constructor(private spillBytes = SPILL_BYTES) {}

  /** Writes the pairs held in memory to the spill file (made and unlinked on first use: nothing is left behind). */
  private spill(): void {
    if (this.spilled.fd === null) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-segment-'));
      const file = path.join(dir, 'pairs');
      this.spilled.fd = fs.openSync(file, 'w+');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    fs.writeSync(this.spilled.fd, this.pairs.data, 0, this.pairs.length);
    this.spilled.sizes.push({ bytes: this.pairs.length, docs: this.docsInMemory });
    this.pairs.length = 0;
    this.docsInMemory = 0;
  }

  private termOf(t: string): number {
    let i = this.termIndex.get(t);
    if (i === undefined) {
      i = this.terms.length;
      this.terms.push(t);
      this.termIndex.set(t, i);
      this.df.push(0);
      if (i >= this.tf.length) {
        const next = new Uint32Array(this.tf.length * 2);
        next.set(this.tf);
        this.tf = next;
      }
    }
    return i;
  }

  /** Adds one field's tokens with `weight`; returns how many there were. */
  private field(text: string, weight: number, bit: number): number {
    const tokens = rawTokensOf(text);
    const { tokenTerm, touched } = this;
    for (let k = 0; k < tokens.length; k++) {
      const raw = tokens[k]!;
      let t = tokenTerm.get(raw);
      if (t === undefined) {
        // A copy: a long token is a slice that would keep the whole text alive as the key.
        const own = raw.length > 12 ? Buffer.from(raw).toString() : raw;
        // Not through stem's cache: this map already holds each spelling once, and a second copy
        // (up to 500,000 spellings and their stems) would sit beside the final arrays in finish.
        t = this.termOf(stemmer(own.normalize('NFC')));
        tokenTerm.set(own, t);
      }
      const tf = this.tf; // termOf may have grown it
      const v = tf[t]!;
      if (v === 0) touched.push(t);
      tf[t] = Math.min(MAX_TF * 4, v + weight * 4) | (v & 3) | bit;
    }
    return tokens.length;
  }

  private filter(term: string): void {
    const t = this.termOf(term);
    // Present with no weight: a marker bit keeps it apart from untouched terms, masked out below.
    if (this.tf[t] === 0) {
      this.touched.push(t);
      this.tf[t] = 0x80000000;
    }
  }

  add(p: SourcePaper): void {
    this.ids.push(p.id);
    this.upvotes.push(p.upvotes);
    // Kept descending (the bounds read it so): a date out of the database's order, or unreadable, takes its predecessor's.
    const ms = Date.parse(p.publishedAt);
    const prev = this.published.length ? this.published.data[this.published.length - 1]! : Infinity;
    this.published.push(ms <= prev ? ms : prev === Infinity ? 0 : prev);
    this.touched.length = 0;
    let length = this.field(p.title, WEIGHTS.title, IN_TITLE_FIELD);
    length += this.field(p.authorNames, WEIGHTS.authors, IN_AUTHORS_FIELD);
    length += this.field(p.abstract, WEIGHTS.abstract, 0);
    for (const c of p.categories) {
      this.filter(categoryTerm(c));
      this.filter(archiveTerm(c.split('.')[0]!));
    }
    if (p.organization) this.filter(orgTerm(p.organization));
    if (p.hasCode) this.filter(CODE_TERM);
    const { tf, touched, pairs, df } = this;
    pairs.reserve(touched.length * 8);
    let at = pairs.length;
    for (let k = 0; k < touched.length; k++) {
      const t = touched.data[k]!;
      at = putVarint(pairs.data, at, t);
      at = putVarint(pairs.data, at, tf[t]! & 0x7fffffff);
      tf[t] = 0;
      df.data[t]!++;
    }
    pairs.length = at;
    this.pairCounts.push(touched.length);
    this.lengths.push(length);
    this.docsInMemory++;
    if (pairs.length >= this.spillBytes) this.spill();
  }

  finish(base?: CorpusStats): Segment {
    // The spellings and the term numbers' Map are done with: let them go before the final arrays are made.
    this.termIndex.clear();
    this.tokenTerm.clear();
    const chunks = this.spilled;
    if (chunks.fd !== null && this.docsInMemory > 0) this.spill();
    if (chunks.fd !== null) this.pairs.data = new Uint8Array(0);
    try {
      const source: PairSource = chunks.fd === null ? { fd: null, sizes: [{ bytes: this.pairs.length, docs: this.docsInMemory }], memory: this.pairs.data } : { ...chunks, memory: null };
      // The per-document arrays at their length, the builder's let go (they grew by doubling).
      const n = this.ids.length;
      const upvotes = this.upvotes.data.slice(0, n);
      const published = this.published.data.slice(0, n);
      this.upvotes = new Growable(new Int32Array(0), (m) => new Int32Array(m));
      this.published = new Growable(new Float64Array(0), (m) => new Float64Array(m));
      return finishSegment(this.terms, this.df.data, source, this.pairCounts.data, this.lengths.data, this.ids.finish(), upvotes, published, base);
    } finally {
      // The pairs take a few bytes per (document, term): let them go even if the builder lingers.
      this.pairs.data = new Uint8Array(0);
      if (chunks.fd !== null) fs.closeSync(chunks.fd);
      chunks.fd = null;
    }
  }
}

type PairSource = PairChunks & { memory: Uint8Array | null };

/**
 * The collection statistics of a segment. Its own function: a closure made inside finishSegment
 * would keep that function's whole scope (the builder's pairs) alive as long as the segment.
 */
function corpusStats(docs: number, avgLength: number, termIndex: Map<string, number>, postStart: Uint32Array): CorpusStats {
  return {
    docs,
    avgLength,
    df: (term) => {
      const t = termIndex.get(term);
      return t === undefined ? 0 : postStart[t + 1]! - postStart[t]!;
    },
  };
}

/** Visits the builder's pairs in document order, with each term's dictionary rank, chunk by chunk. */
function eachPair(source: PairSource, pairCounts: Uint32Array, rank: Uint32Array, visit: (d: number, t: number, packed: number) => void): void {
  const largest = source.sizes.reduce((m, c) => Math.max(m, c.bytes), 0);
  const buffer = source.memory ?? new Uint8Array(largest);
  let d = 0;
  let offset = 0;
  for (const chunk of source.sizes) {
    if (source.fd !== null) {
      for (let got = 0; got < chunk.bytes; ) got += fs.readSync(source.fd, buffer, got, chunk.bytes - got, offset + got);
      offset += chunk.bytes;
    }
    pairsOf(buffer, d, d + chunk.docs, pairCounts, rank, visit);
    d += chunk.docs;
  }
}

function pairsOf(pairs: Uint8Array, from: number, to: number, pairCounts: Uint32Array, rank: Uint32Array, visit: (d: number, t: number, packed: number) => void): void {
  let at = 0;
  for (let d = from; d < to; d++) {
    for (let k = pairCounts[d]!; k > 0; k--) {
      let term = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = pairs[at++]!;
        term |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      let packed = 0;
      for (let shift = 0; ; shift += 7) {
        const byte = pairs[at++]!;
        packed |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      visit(d, rank[term]!, packed);
    }
  }
}

function finishSegment(
  terms: string[],
  dfOf: Uint32Array,
  pairs: PairSource,
  pairCounts: Uint32Array,
  lengths: Uint32Array,
  ids: IdList,
  upvotes: Int32Array,
  published: Float64Array,
  base?: CorpusStats,
): Segment {
  const n = ids.length;

  // Dictionary order, so that prefixes are ranges.
  const order = terms.map((_t, i) => i).sort((a, b) => (terms[a]! < terms[b]! ? -1 : 1));
  const rank = new Uint32Array(terms.length);
  for (let r = 0; r < order.length; r++) rank[order[r]!] = r;
  const sortedTerms = order.map((t) => terms[t]!);

  const postStart = new Uint32Array(terms.length + 1);
  const blockStart = new Uint32Array(terms.length + 1);
  for (let r = 0; r < terms.length; r++) {
    const count = dfOf[order[r]!]!;
    postStart[r + 1] = postStart[r]! + count;
    blockStart[r + 1] = blockStart[r]! + Math.ceil(count / BLOCK);
  }
  let total = 0;
  for (let d = 0; d < n; d++) total += lengths[d]!;
  const avgLength = base ? base.avgLength : n ? total / n : 1;
  const sortedIndex = new Map<string, number>();
  for (let r = 0; r < sortedTerms.length; r++) sortedIndex.set(sortedTerms[r]!, r);
  const stats = base ?? corpusStats(n, avgLength, sortedIndex, postStart);
  const idf = new Float64Array(terms.length);
  for (let t = 0; t < terms.length; t++) {
    const local = postStart[t + 1]! - postStart[t]!;
    const df = base ? Math.max(base.df(sortedTerms[t]!), local) : local;
    const docs = Math.max(stats.docs, df);
    idf[t] = Math.max(1e-6, Math.log((docs - df + 0.5) / (df + 0.5)));
  }

  // Ordinals are written as varints of at most 4 bytes.
  if (n >= 2 ** 28) throw new Error(`search: ${n} papers are more than one segment holds`);
  const blocks = blockStart[terms.length]!;
  const impacts = new Uint8Array(postStart[terms.length]!);
  const impactStep = new Float32Array(terms.length);
  for (let t = 0; t < terms.length; t++) impactStep[t] = (idf[t]! * (K1 + 1) * IMPACT_SCALE) / LEVELS;
  const blockMax = new Uint16Array(blocks);
  const blockLast = new Uint32Array(blocks);
  const blockOffset = new Uint32Array(blocks + 1);
  // Two passes over the pairs: the first sizes each term's gaps, the second writes them in place.
  const last = new Int32Array(terms.length).fill(-1);
  const pos = new Uint32Array(terms.length);
  eachPair(pairs, pairCounts, rank, (d, t) => {
    const gap = d - last[t]! - 1;
    pos[t]! += gap < 0x80 ? 1 : gap < 0x4000 ? 2 : gap < 0x200000 ? 3 : 4;
    last[t] = d;
  });
  let bytes = 0;
  for (let t = 0; t < terms.length; t++) {
    const size = pos[t]!;
    pos[t] = bytes;
    bytes += size;
  }
  blockOffset[blocks] = bytes;
  const postings = new Uint8Array(bytes);
  last.fill(-1);
  const fill = postStart.slice(0, terms.length);
  let norm = 0;
  let normOf = -1;
  eachPair(pairs, pairCounts, rank, (d, t, packed) => {
    if (d !== normOf) {
      normOf = d;
      norm = K1 * (1 - B + (B * lengths[d]!) / avgLength);
    }
    const i = fill[t]!++;
    const k = i - postStart[t]!;
    const b = blockStart[t]! + (k >>> 7);
    if ((k & (BLOCK - 1)) === 0) blockOffset[b] = pos[t]!;
    pos[t] = putVarint(postings, pos[t]!, d - last[t]! - 1);
    last[t] = d;
    blockLast[b] = d;
    const tf = packed >>> 2;
    if (tf === 0) return; // a filter term: no impact
    const bm25 = (idf[t]! * (tf * (K1 + 1))) / (tf + norm);
    const code = Math.min(LEVELS, Math.max(1, Math.round((bm25 * IMPACT_SCALE) / impactStep[t]!))) | (packed & IN_TITLE_FIELD ? IN_TITLE >> 8 : 0) | (packed & IN_AUTHORS_FIELD ? IN_AUTHORS >> 8 : 0);
    impacts[i] = code;
    const v = storedImpact(code, impactStep[t]!);
    const m = blockMax[b]!;
    blockMax[b] = Math.max(m & IMPACT_MASK, v & IMPACT_MASK) | ((m | v) & (IN_TITLE | IN_AUTHORS));
  });

  // By a loop: Float32Array.from(upvotes, popularity) first lists the values as a million numbers on the heap.
  const popularityOf = new Float32Array(n);
  for (let d = 0; d < n; d++) popularityOf[d] = popularity(upvotes[d]!);
  const blockUpvotes = new Int32Array(Math.ceil(n / STATIC_BLOCK));
  let maxUpvotes = 0;
  for (let d = 0; d < n; d++) {
    const b = Math.floor(d / STATIC_BLOCK);
    if (upvotes[d]! > blockUpvotes[b]!) blockUpvotes[b] = upvotes[d]!;
    if (upvotes[d]! > maxUpvotes) maxUpvotes = upvotes[d]!;
  }
  return {
    ids,
    upvotes,
    popularity: popularityOf,
    published,
    blockUpvotes,
    maxUpvotes,
    deleted: new Uint8Array(n),
    terms: sortedTerms,
    termIndex: sortedIndex,
    postStart,
    blockStart,
    postings,
    blockOffset,
    impacts,
    impactStep,
    blockMax,
    blockLast,
    avgLength,
    stats,
  };
}

/** A stored impact byte widened to the 16-bit form ranking reads: field bits 15 and 14, fixed-point value below. */
export function storedImpact(code: number, step: number): number {
  const level = code & LEVELS;
  return ((code & 0xc0) << 8) | (level === 0 ? 0 : Math.min(IMPACT_MASK, Math.max(1, Math.round(level * step))));
}

/**
 * Decoded lists kept per segment, the most recently used, up to this many postings (6 bytes each:
 * ordinal and widened impact; at most 192 MB, reached only by an index of about a million papers).
 * At 1M papers the bench's 200 queries re-decoded common lists with 8M: warm p50 / p99 4.1–5.9 /
 * 33–39 ms of CPU, with 32M 3.0–3.2 / 11–18 ms (decision 034).
 */
const DECODED_BUDGET = 32_000_000;

/**
 * A term's ordinals and impacts as far as they are decoded: `docs` and `impacts` have room for the
 * whole list, and block k (postings k × BLOCK on) holds its ordinals and widened impacts once
 * `ready[k]` is set. A walk decodes only the blocks it reads (decodeBlock), so a broad word's
 * first query pays for what its walk reads.
 */
export interface DecodedList {
  docs: Uint32Array;
  impacts: Uint16Array;
  ready: Uint8Array;
  /** Blocks decoded so far. */
  decoded: number;
}
/** What the budget keeps: decoded lists by term number, and other lists built from them by key (kept). */
const decodedLists = new WeakMap<Segment, { lists: Map<number | string, { docs: { length: number } }>; postings: number }>();

/** Keeps `list` under `key` in `cache`, dropping the least recently used past the budget. */
function keepInBudget(cache: { lists: Map<number | string, { docs: { length: number } }>; postings: number }, key: number | string, list: { docs: { length: number } }): void {
  cache.lists.set(key, list);
  cache.postings += list.docs.length;
  for (const [old, kept] of cache.lists) {
    if (cache.postings <= DECODED_BUDGET) break;
    cache.lists.delete(old);
    cache.postings -= kept.docs.length;
  }
}

/**
 * A list derived from the segment's stored lists alone (a prefix's expansions merged), kept under
 * `key` with the decoded lists and within their budget: `make` runs only when it is not kept.
 */
export function kept<T extends { docs: { length: number } }>(seg: Segment, key: string, make: () => T): T {
  let cache = decodedLists.get(seg);
  if (!cache) decodedLists.set(seg, (cache = { lists: new Map(), postings: 0 }));
  const hit = cache.lists.get(key);
  if (hit) {
    cache.lists.delete(key); // to the back: most recently used
    cache.lists.set(key, hit);
    return hit as T;
  }
  const list = make();
  if (list.docs.length <= DECODED_BUDGET / 4) keepInBudget(cache, key, list);
  return list;
}

/**
 * The decoding state of dictionary term `t`; the most recently used lists are kept (a query's
 * common words recur), up to DECODED_BUDGET postings, their decoded blocks with them.
 */
export function decodedList(seg: Segment, t: number): DecodedList {
  let cache = decodedLists.get(seg);
  if (!cache) decodedLists.set(seg, (cache = { lists: new Map(), postings: 0 }));
  const hit = cache.lists.get(t) as DecodedList | undefined;
  if (hit) {
    cache.lists.delete(t); // to the back: most recently used
    cache.lists.set(t, hit);
    return hit;
  }
  const n = seg.postStart[t + 1]! - seg.postStart[t]!;
  const list: DecodedList = { docs: new Uint32Array(n), impacts: new Uint16Array(n), ready: new Uint8Array(Math.ceil(n / BLOCK)), decoded: 0 };
  if (n <= DECODED_BUDGET / 4) keepInBudget(cache, t, list);
  return list;
}

/** Decodes block `k` of term `t`'s list into `list`: its gaps start from the previous block's last ordinal. */
export function decodeBlock(seg: Segment, t: number, list: DecodedList, k: number): void {
  const b = seg.blockStart[t]! + k;
  const bytes = seg.postings;
  const out = list.docs;
  let at = seg.blockOffset[b]!;
  let d = k === 0 ? -1 : seg.blockLast[b - 1]!;
  const end = Math.min(out.length, (k + 1) * BLOCK);
  const codes = seg.impacts;
  const first = seg.postStart[t]!;
  const step = seg.impactStep[t]!;
  for (let i = k * BLOCK; i < end; i++) {
    list.impacts[i] = storedImpact(codes[first + i]!, step);
    let gap = bytes[at++]!;
    // Most gaps of a long list fit in one byte: the loop only for the others.
    if (gap >= 0x80) {
      gap &= 0x7f;
      for (let shift = 7; ; shift += 7) {
        const byte = bytes[at++]!;
        gap |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
    }
    d += gap + 1;
    out[i] = d;
  }
  list.ready[k] = 1;
  list.decoded++;
}

/** The ordinals and impacts of dictionary term `t`, every block decoded (kept like decodedList's). */
export function wholeList(seg: Segment, t: number): DecodedList {
  const list = decodedList(seg, t);
  if (list.decoded < list.ready.length) for (let k = 0; k < list.ready.length; k++) if (!list.ready[k]) decodeBlock(seg, t, list, k);
  return list;
}

/** The ordinals of dictionary term `t`, every block decoded (kept like decodedList's). */
export function postingDocs(seg: Segment, t: number): Uint32Array {
  return wholeList(seg, t).docs;
}

/**
 * The ordinals of dictionary term `t` decoded from the start in one pass, nothing cached: the
 * plain reading of the format, which exhaustive rankings and tests hold the block decoding to.
 */
export function decodeWholeList(seg: Segment, t: number): Uint32Array {
  const out = new Uint32Array(seg.postStart[t + 1]! - seg.postStart[t]!);
  const bytes = seg.postings;
  let at = seg.blockOffset[seg.blockStart[t]!]!;
  let d = -1;
  for (let i = 0; i < out.length; i++) {
    let gap = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      gap |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    d += gap + 1;
    out[i] = d;
  }
  return out;
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
