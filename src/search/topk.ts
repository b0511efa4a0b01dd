import { BLOCK, CODE_TERM, IMPACT_MASK, IMPACT_SCALE, IN_AUTHORS, IN_TITLE, STATIC_BLOCK, archiveTerm, categoryTerm, decodeBlock, decodeWholeList, decodedList, fillBlocks, kept, storedImpact, lowerBoundTerm, orgTerm, postingDocs, stem, type DecodedList, type Segment } from './segment.ts';
import { RANKING } from './score.ts';
import type { ParsedQuery, TextTerm } from './query.ts';
import type { SearchFilters } from './types.ts';

/**
 * Exact top-k over one segment (docs/decisions/019-search-index.md). Every required group of the
 * query is one posting list (stored, or merged at query time for OR, prefixes and multi-word
 * terms); the shortest drives the walk, and a block of it, or a document, is skipped when an
 * upper bound of its score (block maxima of the lists, the static arrays' bounds) cannot beat
 * the k-th best so far. The score splits into such bounds because every part is absolute:
 *
 *   score = s / (s + K)  +  0.30 × coverage²  +  0.15 × popularity  +  0.10 × recency
 *
 * with s the sum of the groups' BM25 impacts (score.ts).
 */
export interface PostingList {
  docs: Uint32Array;
  impacts: Uint16Array;
  from: number;
  to: number;
  blockMax: Uint16Array;
  blockLast: Uint32Array;
  firstBlock: number;
  /**
   * A stored list read as it is walked: `docs` holds a block's ordinals once that block is
   * decoded (seekList, readyAt); `from` is 0, so position i is in the list's block i / BLOCK.
   */
  lazy?: { seg: Segment; term: number; state: DecodedList };
}

export interface Plan {
  /**
   * Required lists; `text` ones score and count for title coverage, the others are filters. A
   * query's group is one list, or (a multi-word term alone in its group) one list per word,
   * walked and sought like any other instead of intersected whole at plan time: `unit` is the
   * query group a list belongs to, which is in the title when all its lists are.
   */
  groups: { list: PostingList; text: boolean; unit: number }[];
  excluded: PostingList[];
  /** Ordinal range [lo, hi) that after:/before: leave, and the same as times (ordinals follow dates). */
  lo: number;
  hi: number;
  afterMs: number;
  beforeMs: number;
  minUpvotes: number;
}

export type Mode = 'relevance' | 'upvotes' | 'date';

export interface Scored {
  ordinal: number;
  id: string;
  score: number;
}

export interface TopK {
  hits: Scored[];
  /** Matches seen; the exact count when `exact`. */
  matched: number;
  /** Driver postings in range, and how many were looked at: the base of an estimate. */
  driverPostings: number;
  evaluated: number;
  exact: boolean;
}

const EMPTY: PostingList = { docs: new Uint32Array(0), impacts: new Uint16Array(0), from: 0, to: 0, blockMax: new Uint16Array(0), blockLast: new Uint32Array(0), firstBlock: 0 };
/** A prefix expands to at most this many dictionary terms, the most frequent. */
export const MAX_EXPANSIONS = 256;
const DAY_MS = 86_400_000;
const EPS = 1e-9;

export function storedList(seg: Segment, term: string): PostingList {
  const t = seg.termIndex.get(term);
  if (t === undefined) return EMPTY;
  const state = decodedList(seg, t);
  return { docs: state.docs, impacts: state.impacts, from: 0, to: state.docs.length, blockMax: seg.blockMax, blockLast: seg.blockLast, firstBlock: seg.blockStart[t]!, lazy: { seg, term: t, state } };
}

/** The list with every block decoded, for the merges that read it all. */
function whole(l: PostingList): PostingList {
  if (!l.lazy) return l;
  postingDocs(l.lazy.seg, l.lazy.term);
  return { ...l, lazy: undefined };
}

/** Makes sure position i of `l` is decoded. */
function readyAt(l: PostingList, i: number): void {
  const lazy = l.lazy;
  if (lazy && !lazy.state.ready[i >> 7]) decodeBlock(lazy.seg, lazy.term, lazy.state, i >> 7);
}

/**
 * seek on a list that may be read lazily: the blocks whose last ordinal is below `target` are
 * passed over on blockLast (galloping, then binary search), and only the block it stops in is decoded.
 */
export function seekList(l: PostingList, from: number, to: number, target: number): number {
  const lazy = l.lazy;
  if (!lazy || from >= to) return seek(l.docs, from, to, target);
  const fb = l.firstBlock;
  let k = from >> 7;
  const lastK = (to - 1) >> 7;
  if (l.blockLast[fb + k]! < target) {
    let lo = k;
    let hi = k + 1;
    let step = 1;
    while (hi <= lastK && l.blockLast[fb + hi]! < target) {
      lo = hi;
      step *= 2;
      hi = Math.min(lastK + 1, hi + step);
    }
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (l.blockLast[fb + mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    if (lo > lastK) return to;
    k = lo;
    from = k * BLOCK;
  }
  if (!lazy.state.ready[k]) decodeBlock(lazy.seg, lazy.term, lazy.state, k);
  return seek(l.docs, from, Math.min(to, (k + 1) * BLOCK), target);
}

function materialized(docs: Uint32Array, impacts: Uint16Array): PostingList {
  const blocks = Math.ceil(docs.length / BLOCK);
  const blockMax = new Uint16Array(blocks);
  const blockLast = new Uint32Array(blocks);
  fillBlocks(docs, impacts, 0, docs.length, blockMax, blockLast, 0);
  return { docs, impacts, from: 0, to: docs.length, blockMax, blockLast, firstBlock: 0 };
}

/** Documents in any list: the largest impact, field flags of any. */
export function union(lists: PostingList[]): PostingList {
  const live = lists.filter((l) => l.to > l.from);
  if (live.length <= 1) return live[0] ?? EMPTY;
  // Merged two by two, shortest first, each merge one linear pass (a sort of all the postings cost
  // n log n: 10 ms for a 30,000-posting prefix at 100,000 papers).
  let runs = live.map((l) => {
    const w = whole(l);
    return { docs: w.docs.subarray(w.from, w.to), impacts: w.impacts.subarray(w.from, w.to) };
  });
  while (runs.length > 1) {
    runs.sort((x, y) => x.docs.length - y.docs.length);
    const [x, y] = runs as [Run, Run];
    runs = [mergeRuns(x, y), ...runs.slice(2)];
  }
  return materialized(runs[0]!.docs, runs[0]!.impacts);
}

interface Run {
  docs: Uint32Array;
  impacts: Uint16Array;
}

/** Two sorted runs as one: a document in both keeps the larger impact and the field flags of either. */
function mergeRuns(x: Run, y: Run): Run {
  const docs = new Uint32Array(x.docs.length + y.docs.length);
  const impacts = new Uint16Array(docs.length);
  let i = 0;
  let j = 0;
  let m = 0;
  while (i < x.docs.length && j < y.docs.length) {
    const a = x.docs[i]!;
    const b = y.docs[j]!;
    if (a < b) {
      docs[m] = a;
      impacts[m++] = x.impacts[i++]!;
    } else if (b < a) {
      docs[m] = b;
      impacts[m++] = y.impacts[j++]!;
    } else {
      const u = x.impacts[i++]!;
      const v = y.impacts[j++]!;
      docs[m] = a;
      impacts[m++] = Math.max(u & IMPACT_MASK, v & IMPACT_MASK) | ((u | v) & (IN_TITLE | IN_AUTHORS));
    }
  }
  while (i < x.docs.length) {
    docs[m] = x.docs[i]!;
    impacts[m++] = x.impacts[i++]!;
  }
  while (j < y.docs.length) {
    docs[m] = y.docs[j]!;
    impacts[m++] = y.impacts[j++]!;
  }
  return m === docs.length ? { docs, impacts } : { docs: docs.slice(0, m), impacts: impacts.slice(0, m) };
}

/** Documents in every list: impacts summed, field flags of all. */
export function intersection(lists: PostingList[]): PostingList {
  if (lists.length === 1) return lists[0]!;
  if (lists.some((l) => l.to === l.from)) return EMPTY;
  const sorted = [...lists].sort((a, b) => a.to - a.from - (b.to - b.from));
  const first = whole(sorted[0]!);
  const rest = sorted.slice(1);
  const pos = rest.map((l) => l.from);
  const docs: number[] = [];
  const impacts: number[] = [];
  outer: for (let i = first!.from; i < first!.to; i++) {
    const d = first!.docs[i]!;
    let sum = first!.impacts[i]! & IMPACT_MASK;
    let flags = first!.impacts[i]! & (IN_TITLE | IN_AUTHORS);
    for (let j = 0; j < rest.length; j++) {
      const l = rest[j]!;
      const p = (pos[j] = seekList(l, pos[j]!, l.to, d));
      if (p >= l.to) break outer;
      if (l.docs[p] !== d) continue outer;
      sum += l.impacts[p]! & IMPACT_MASK;
      flags &= l.impacts[p]!;
    }
    docs.push(d);
    impacts.push(Math.min(IMPACT_MASK, sum) | (flags & (IN_TITLE | IN_AUTHORS)));
  }
  return materialized(Uint32Array.from(docs), Uint16Array.from(impacts));
}

/** Keeps the postings with `flag` (a `title:` or `author:` term). */
function withFlag(lazyList: PostingList, flag: number): PostingList {
  const list = whole(lazyList);
  const docs: number[] = [];
  const impacts: number[] = [];
  for (let i = list.from; i < list.to; i++) {
    if (list.impacts[i]! & flag) {
      docs.push(list.docs[i]!);
      impacts.push(list.impacts[i]!);
    }
  }
  return materialized(Uint32Array.from(docs), Uint16Array.from(impacts));
}

/** The dictionary terms that start with `prefix`, at most MAX_EXPANSIONS, the most frequent first. */
export function expansions(seg: Segment, prefix: string): string[] {
  const out: string[] = [];
  for (let i = lowerBoundTerm(seg.terms, prefix); i < seg.terms.length && seg.terms[i]!.startsWith(prefix); i++) out.push(seg.terms[i]!);
  if (out.length <= MAX_EXPANSIONS) return out;
  const df = (t: string) => seg.postStart[seg.termIndex.get(t)! + 1]! - seg.postStart[seg.termIndex.get(t)!]!;
  return out.sort((a, b) => df(b) - df(a) || (a < b ? -1 : 1)).slice(0, MAX_EXPANSIONS);
}

/**
 * A prefix's expansions merged: kept with the decoded lists (segment.ts kept), since a merge reads
 * every posting of every expansion (`galax*` at a million papers: ~100,000 postings) and the same
 * prefix recurs as one types. A segment's lists never change, so neither does their merge.
 */
function prefixList(seg: Segment, prefix: string): PostingList {
  const terms = expansions(seg, prefix);
  if (terms.length <= 1) return union(terms.map((t) => storedList(seg, t))); // a stored list: kept as such
  return { ...kept(seg, `prefix:${prefix}`, () => union(terms.map((t) => storedList(seg, t)))) };
}

/** One list per token of a word or phrase (the last one a prefix's expansions merged, for a prefix). */
function tokenLists(seg: Segment, term: TextTerm): PostingList[] {
  return term.tokens.map((token, i) =>
    term.prefix && i === term.tokens.length - 1 ? prefixList(seg, token) : storedList(seg, stem(token)),
  );
}

/** The postings of one word or phrase: its tokens' lists intersected (phrases are checked later, on the text). */
export function termList(seg: Segment, term: TextTerm): PostingList {
  const list = intersection(tokenLists(seg, term));
  if (term.field === 'title') return withFlag(list, IN_TITLE);
  if (term.field === 'author') return withFlag(list, IN_AUTHORS);
  return list;
}

/** The index's lists for a query in one segment: each required group, the filters, the exclusions. */
export function planQuery(seg: Segment, parsed: ParsedQuery, filters: SearchFilters): Plan {
  const groups: Plan['groups'] = [];
  parsed.must.forEach((group, unit) => {
    const only = group.length === 1 ? group[0]! : undefined;
    // A phrase alone in its group (`"star formation rate"`, `x-ray`): its words' lists, each
    // walked lazily like a word of its own, their impacts summed as an intersection would.
    if (only && !only.field && only.tokens.length > 1) for (const list of tokenLists(seg, only)) groups.push({ list, text: true, unit });
    else groups.push({ list: union(group.map((t) => termList(seg, t))), text: true, unit });
  });
  if (filters.category) {
    const [archive, subject] = filters.category.split('.');
    groups.push({ list: subject ? storedList(seg, categoryTerm(filters.category)) : storedList(seg, archiveTerm(archive!)), text: false, unit: -1 });
  }
  if (filters.organization) groups.push({ list: storedList(seg, orgTerm(filters.organization)), text: false, unit: -1 });
  if (filters.hasCode) groups.push({ list: storedList(seg, CODE_TERM), text: false, unit: -1 });
  const afterMs = filters.after ? Date.parse(filters.after) : -Infinity;
  const beforeMs = filters.before ? Date.parse(filters.before) : Infinity;
  return {
    groups,
    // A phrase is excluded on the text (checkPhrases); its words alone may well be there.
    excluded: parsed.not.filter((t) => t.tokens.length === 1).map((t) => termList(seg, t)),
    lo: filters.before ? firstOrdinalBefore(seg, beforeMs) : 0,
    hi: filters.after ? firstOrdinalBefore(seg, afterMs) : seg.ids.length,
    afterMs,
    beforeMs,
    minUpvotes: filters.minUpvotes ?? 0,
  };
}

/** The first position in [from, to) whose doc is ≥ target: galloping, then binary search. */
export function seek(docs: Uint32Array, from: number, to: number, target: number): number {
  if (from >= to || docs[from]! >= target) return from;
  let step = 1;
  let lo = from;
  let hi = from + 1;
  while (hi < to && docs[hi]! < target) {
    lo = hi;
    step *= 2;
    hi = Math.min(to, hi + step);
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first ordinal published before `ms` (ordinals run from the newest). */
export function firstOrdinalBefore(seg: Segment, ms: number): number {
  let lo = 0;
  let hi = seg.published.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seg.published[mid]! >= ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Relevance from summed impacts: absolute and monotone, so that per-term bounds bound it. */
export function relevanceOf(impactSum: number): number {
  const s = impactSum / IMPACT_SCALE;
  return s / (s + RANKING.relevanceHalf);
}

export interface Scorer {
  mode: Mode;
  /** Recency: exp(c × age), c < 0; 1 for papers from the future. */
  c: number;
  now: number;
  textGroups: number;
}

export function scorer(mode: Mode, now: Date, textGroups: number): Scorer {
  return { mode, c: -Math.LN2 / (RANKING.recencyHalfLifeDays * DAY_MS), now: now.getTime(), textGroups };
}

/** The blended relevance score (score.ts) from its parts. */
function blended(s: Scorer, impactSum: number, titled: number, pop: number, published: number): number {
  const coverage = s.textGroups ? titled / s.textGroups : 0;
  const recency = published >= s.now ? 1 : Math.exp(s.c * (s.now - published));
  return relevanceOf(impactSum) + RANKING.titleCoverageWeight * coverage * coverage + RANKING.popularityWeight * pop + RANKING.recencyWeight * (Number.isFinite(recency) ? recency : 0);
}

/** The score that orders a mode: blended, or upvotes / date first with blended breaking ties. */
function modeScore(s: Scorer, seg: Segment, d: number, impactSum: number, titled: number): number {
  const b = blended(s, impactSum, titled, seg.popularity[d]!, seg.published[d]!);
  if (s.mode === 'upvotes') return seg.upvotes[d]! + b / 4;
  if (s.mode === 'date') return seg.published[d]! / 1000 + b / 4;
  return b;
}

/** The bits set in a 32-bit mask. */
function bitCount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Worse first: a lower score, or an equal one with a later id. */
const worse = (a: Scored, b: Scored) => a.score < b.score || (a.score === b.score && a.id > b.id);

class Heap {
  items: Scored[] = [];
  constructor(private k: number) {}
  get full(): boolean {
    return this.items.length >= this.k;
  }
  /** The score to beat once full. */
  get bar(): number {
    return this.full ? this.items[0]!.score : -Infinity;
  }
  /** Offers ordinal `d` of `seg`; its id is made only when it can enter (ties are broken by id). */
  offer(seg: Segment, d: number, score: number): void {
    const h = this.items;
    if (this.full && score < h[0]!.score) return;
    const x: Scored = { ordinal: d, id: seg.ids.at(d), score };
    if (!this.full) {
      h.push(x);
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(h[i]!, h[p]!)) break;
        [h[i], h[p]] = [h[p]!, h[i]!];
        i = p;
      }
      return;
    }
    if (!worse(h[0]!, x)) return;
    h[0] = x;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && worse(h[l]!, h[m]!)) m = l;
      if (r < h.length && worse(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
  sorted(): Scored[] {
    return [...this.items].sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  }
}

/** Largest upvotes over ordinals [a, b]: the static blocks' maxima (all of them past a span, to stay cheap). */
function maxUpvotes(seg: Segment, a: number, b: number): number {
  const first = Math.floor(a / STATIC_BLOCK);
  const last = Math.floor(b / STATIC_BLOCK);
  if (last - first > 64) return seg.maxUpvotes;
  let max = 0;
  for (let i = first; i <= last; i++) if (seg.blockUpvotes[i]! > max) max = seg.blockUpvotes[i]!;
  return max;
}

/** Upper bound of modeScore over ordinals [a, b] given bounds of the impact sum and titled groups. */
function bound(s: Scorer, seg: Segment, a: number, b: number, impactSum: number, titled: number): number {
  const up = maxUpvotes(seg, a, b);
  return boundFrom(s, up, popularityBound(up), seg.published[a]!, impactSum, titled);
}

/** Popularity is monotone in upvotes: the largest upvotes in a range bound it there. */
const popularityBound = (up: number) => Math.min(1, Math.log1p(Math.max(0, up)) / Math.log1p(RANKING.popularitySaturation)) + 1e-6;

/** bound's arithmetic, from a range's largest upvotes, their popularity and its newest date (recency is monotone in it). */
function boundFrom(s: Scorer, up: number, pop: number, newest: number, impactSum: number, titled: number): number {
  const best = blended(s, impactSum, titled, pop, newest) + EPS;
  if (s.mode === 'upvotes') return up + best / 4;
  if (s.mode === 'date') return newest / 1000 + best / 4 + EPS;
  return best;
}

/**
 * The largest driver impact in [0, top] whose bound over ordinals [a, b] (the other lists adding
 * `otherSum`, `titled` groups in the title) is below `bar`, or -1: bound is monotone in the impact.
 */
function floorBelow(s: Scorer, seg: Segment, a: number, b: number, top: number, otherSum: number, titled: number, bar: number): number {
  // bound's parts that do not depend on the impact, read once.
  const up = maxUpvotes(seg, a, b);
  const pop = popularityBound(up);
  const newest = seg.published[a]!;
  if (boundFrom(s, up, pop, newest, otherSum, titled) >= bar) return -1;
  if (boundFrom(s, up, pop, newest, top + otherSum, titled) < bar) return top;
  let lo = 0; // bound(lo) < bar
  let hi = top; // bound(hi) >= bar
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (boundFrom(s, up, pop, newest, mid + otherSum, titled) < bar) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Exact top k of the plan over the segment, with the early termination described above. */
export function topK(seg: Segment, plan: Plan, s: Scorer, k: number): TopK {
  const heap = new Heap(k);
  const groups = [...plan.groups].sort((a, b) => a.list.to - a.list.from - (b.list.to - b.list.from));
  const result: TopK = { hits: [], matched: 0, driverPostings: 0, evaluated: 0, exact: true };
  if (groups.length === 0 || k <= 0) return result;
  const driver = groups[0]!.list;
  const others = groups.slice(1);
  const pos = others.map((g) => g.list.from);
  const blk = others.map((g) => g.list.firstBlock);
  const excl = plan.excluded.map((l) => l.from);
  // Global bounds of the other lists: their largest block maximum, and whether any is in a title.
  const otherMax = others.map((g) => {
    let max = 0;
    let title = 0;
    const blocks = Math.ceil((g.list.to - g.list.from) / BLOCK);
    for (let b = g.list.firstBlock; b < g.list.firstBlock + blocks; b++) {
      max = Math.max(max, g.list.blockMax[b]! & IMPACT_MASK);
      title |= g.list.blockMax[b]! & IN_TITLE;
    }
    return { max, title };
  });
  const otherSum = otherMax.reduce((a, o) => a + o.max, 0);
  // Title coverage by units (Plan.groups): a unit's bit is cleared when one of its lists has no title
  // posting there; the titled groups are the bits left.
  const unitBit = groups.map((g) => (g.text ? 1 << g.unit : 0));
  const units = unitBit.reduce((a, b) => a | b, 0);
  const driverBit = unitBit[0]!;
  const otherBit = unitBit.slice(1);
  const otherLacking = otherMax.reduce((a, o, j) => (o.title ? a : a | otherBit[j]!), 0);

  let i = seekList(driver, driver.from, driver.to, plan.lo);
  const end = seekList(driver, i, driver.to, plan.hi);
  result.driverPostings = end - i;
  let checkedBlock = -1;
  // Per driver block, the largest impact of a posting with / without the title bit whose bound
  // (the block's range, the other lists' global maxima) is below the bar: postings up to it are
  // passed over on one comparison. -1 while the heap is not full.
  let floorTitled = -1;
  let floorPlain = -1;
  const filtered = plan.minUpvotes > 0 || plan.afterMs !== -Infinity || plan.beforeMs !== Infinity;
  while (i < end) {
    const b = driver.firstBlock + ((i - driver.from) >> 7);
    if (b !== checkedBlock) {
      checkedBlock = b;
      const blockEnd = Math.min(end, driver.from + (b - driver.firstBlock + 1) * BLOCK);
      if (heap.full) {
        // A block not decoded yet is bounded over [after the previous block's last, its own last]: wider, still a bound.
        const decoded = !driver.lazy || driver.lazy.state.ready[i >> 7];
        const first = decoded ? driver.docs[i]! : b > driver.firstBlock ? driver.blockLast[b - 1]! + 1 : 0;
        const last = decoded ? driver.docs[blockEnd - 1]! : driver.blockLast[b]!;
        const bm = driver.blockMax[b]!;
        const ub = bound(s, seg, first, last, (bm & IMPACT_MASK) + otherSum, bitCount(units & ~(otherLacking | (bm & IN_TITLE ? 0 : driverBit))));
        if (ub < heap.bar || (plan.minUpvotes > 0 && maxUpvotes(seg, first, last) < plan.minUpvotes)) {
          result.exact = false;
          i = blockEnd;
          continue;
        }
        const top = bm & IMPACT_MASK;
        floorTitled = bm & IN_TITLE ? floorBelow(s, seg, first, last, top, otherSum, bitCount(units & ~otherLacking), heap.bar) : -1;
        floorPlain = floorBelow(s, seg, first, last, top, otherSum, bitCount(units & ~(otherLacking | driverBit)), heap.bar);
      } else {
        floorTitled = -1;
        floorPlain = -1;
      }
      readyAt(driver, i);
    }
    const d = driver.docs[i]!;
    const v = driver.impacts[i]!;
    i++;
    result.evaluated++;
    if ((v & IMPACT_MASK) <= (v & IN_TITLE ? floorTitled : floorPlain)) {
      result.exact = false;
      continue;
    }
    if (seg.deleted[d] || (filtered && (seg.upvotes[d]! < plan.minUpvotes || seg.published[d]! < plan.afterMs || seg.published[d]! >= plan.beforeMs))) continue;
    if (heap.full) {
      // The other lists' current blocks bound their impacts at d.
      let sum = v & IMPACT_MASK;
      let lacking = v & IN_TITLE ? 0 : driverBit;
      let ended = false;
      for (let j = 0; j < others.length; j++) {
        const l = others[j]!.list;
        const lastBlock = l.firstBlock + Math.ceil((l.to - l.from) / BLOCK) - 1;
        while (blk[j]! <= lastBlock && l.blockLast[blk[j]!]! < d) blk[j]!++;
        if (blk[j]! > lastBlock) {
          ended = true; // that list has no document from d on: nothing further matches
          break;
        }
        const bm = l.blockMax[blk[j]!]!;
        sum += bm & IMPACT_MASK;
        if (!(bm & IN_TITLE)) lacking |= otherBit[j]!;
      }
      if (ended) break;
      if (bound(s, seg, d, d, sum, bitCount(units & ~lacking)) < heap.bar) {
        result.exact = false;
        continue;
      }
    }
    let sum = v & IMPACT_MASK;
    let lacking = v & IN_TITLE ? 0 : driverBit;
    let next = -1;
    for (let j = 0; j < others.length; j++) {
      const l = others[j]!.list;
      const p = (pos[j] = seekList(l, pos[j]!, l.to, d));
      if (p >= l.to) {
        next = Infinity;
        break;
      }
      if (l.docs[p] !== d) {
        next = l.docs[p]!;
        break;
      }
      sum += l.impacts[p]! & IMPACT_MASK;
      if (!(l.impacts[p]! & IN_TITLE)) lacking |= otherBit[j]!;
    }
    if (next === Infinity) break;
    if (next >= 0) {
      // Leapfrog: the driver jumps to the first document that list has.
      i = seekList(driver, i, end, next);
      continue;
    }
    let out = false;
    for (let j = 0; j < plan.excluded.length; j++) {
      const l = plan.excluded[j]!;
      const p = (excl[j] = seekList(l, excl[j]!, l.to, d));
      if (p < l.to && l.docs[p] === d) out = true;
    }
    if (out) continue;
    result.matched++;
    heap.offer(seg, d, modeScore(s, seg, d, sum, bitCount(units & ~lacking)));
  }
  result.hits = heap.sorted();
  return result;
}

/** Postings of each window a count samples past its budget, and how many windows. */
export const COUNT_WINDOW = 256;
export const COUNT_WINDOWS = 32;

/**
 * How many documents match the plan: exact when the driving list has at most `budget` postings in
 * range; past that an estimate (`exact` false) from COUNT_WINDOWS windows of COUNT_WINDOW postings
 * spread evenly over the driver's range (its oldest and newest included), each counted exactly:
 * the share of driver postings that match, times the driver's postings in range. A share read in
 * windows across the whole range follows matches that thicken or thin with time, which a prefix of
 * the list (the newest papers) does not.
 */
export function countMatches(seg: Segment, plan: Plan, budget: number, sample = { window: COUNT_WINDOW, windows: COUNT_WINDOWS }): { count: number; exact: boolean } {
  const { window, windows } = sample;
  const groups = [...plan.groups].sort((a, b) => a.list.to - a.list.from - (b.list.to - b.list.from));
  if (groups.length === 0) return { count: 0, exact: true };
  const driver = groups[0]!.list;
  const start = seekList(driver, driver.from, driver.to, plan.lo);
  const end = seekList(driver, start, driver.to, plan.hi);
  const ctx = { others: groups.slice(1).map((g) => g.list), pos: groups.slice(1).map((g) => g.list.from), excl: plan.excluded.map((l) => l.from) };
  if (end - start <= budget || end - start <= window * windows) return { count: countRange(seg, plan, driver, ctx, start, end), exact: true };
  let matched = 0;
  let seen = 0;
  const room = end - start - window;
  for (let w = 0; w < windows; w++) {
    const from = start + Math.floor((room * w) / (windows - 1));
    matched += countRange(seg, plan, driver, ctx, from, from + window);
    seen += window;
  }
  return { count: Math.round((matched * (end - start)) / seen), exact: false };
}

/** Matches among driver postings [from, to); `ctx` holds the other lists' positions, which only move on. */
function countRange(seg: Segment, plan: Plan, driver: PostingList, ctx: { others: PostingList[]; pos: number[]; excl: number[] }, from: number, to: number): number {
  const { others, pos, excl } = ctx;
  const filtered = plan.minUpvotes > 0 || plan.afterMs !== -Infinity || plan.beforeMs !== Infinity;
  let count = 0;
  let i = from;
  outer: while (i < to) {
    readyAt(driver, i);
    const d = driver.docs[i++]!;
    for (let j = 0; j < others.length; j++) {
      const l = others[j]!;
      const p = (pos[j] = seekList(l, pos[j]!, l.to, d));
      if (p >= l.to) break outer;
      if (l.docs[p] !== d) {
        i = seekList(driver, i, to, l.docs[p]!);
        continue outer;
      }
    }
    // The per-document arrays only for a document in every list: reading them for each driver
    // posting was most of a count's cost at a million papers (a cache miss each).
    if (seg.deleted[d] || (filtered && (seg.upvotes[d]! < plan.minUpvotes || seg.published[d]! < plan.afterMs || seg.published[d]! >= plan.beforeMs))) continue;
    for (let j = 0; j < plan.excluded.length; j++) {
      const l = plan.excluded[j]!;
      const p = (excl[j] = seekList(l, excl[j]!, l.to, d));
      if (p < l.to && l.docs[p] === d) continue outer;
    }
    count++;
  }
  return count;
}

/** The same ranking by brute force over every document: the reference the property test holds topK to. */
export function exhaustiveTopK(seg: Segment, plan: Plan, s: Scorer, k: number): Scored[] {
  // Stored lists decoded afresh from their first byte: not the blocks the walk decoded.
  const plain = new Map<PostingList, Uint32Array>();
  const docsOf = (l: PostingList) => (l.lazy ? (plain.get(l) ?? plain.set(l, decodeWholeList(l.lazy.seg, l.lazy.term)).get(l)!) : l.docs);
  const find = (l: PostingList, d: number) => {
    const docs = docsOf(l);
    const p = seek(docs, l.from, l.to, d);
    if (p >= l.to || docs[p] !== d) return -1;
    // A stored list's impact read from its byte, not from the blocks the walk widened.
    return l.lazy ? storedImpact(seg.impacts[seg.postStart[l.lazy.term]! + p]!, seg.impactStep[l.lazy.term]!) : l.impacts[p]!;
  };
  const all: Scored[] = [];
  for (let d = plan.lo; d < Math.min(plan.hi, seg.ids.length); d++) {
    if (seg.deleted[d] || seg.upvotes[d]! < plan.minUpvotes || seg.published[d]! < plan.afterMs || seg.published[d]! >= plan.beforeMs || plan.groups.length === 0) continue;
    const found = plan.groups.map((g) => find(g.list, d));
    if (found.some((v) => v < 0) || plan.excluded.some((l) => find(l, d) >= 0)) continue;
    const sum = found.reduce((a, v) => a + (v & IMPACT_MASK), 0);
    // A query group is in the title when each of its lists' postings is.
    const units = new Set(plan.groups.filter((g) => g.text).map((g) => g.unit));
    const titled = [...units].filter((u) => plan.groups.every((g, j) => !g.text || g.unit !== u || found[j]! & IN_TITLE)).length;
    all.push({ ordinal: d, id: seg.ids.at(d), score: modeScore(s, seg, d, sum, titled) });
  }
  return all.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, k);
}
