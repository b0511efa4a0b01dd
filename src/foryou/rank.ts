import { packVectors, type PackedVectors, type SparseVector, type Surface, type Vocabulary } from './text.ts';
import type { ReaderModel, SignalKind } from './model.ts';

/** A recent paper for-you can recommend, as held in memory. */
export interface Candidate {
  id: string;
  title: string;
  publishedAt: string;
  upvotes: number;
  authors: string[];
  organization: string | null;
  categories: string[];
}

/** What the reader follows, as for-you weighs it. */
export interface Followed {
  authors: ReadonlySet<string>;
  organizations: ReadonlySet<string>;
  /** Categories and archives (`cs`). */
  categories: readonly string[];
  /** Papers matching a followed search, with the (first) search they match. */
  searches?: ReadonlyMap<string, string>;
}

export const NOTHING_FOLLOWED: Followed = { authors: new Set(), organizations: new Set(), categories: [] };

/** How much each part weighs in a paper's score (tuned on bench/recommend.ts; see bench/RECOMMEND.md). */
export const BLEND = { text: 1, author: 0.3, organization: 0.1, follow: 0.4, popularity: 0.15 };

export type Reason =
  | { kind: 'liked'; verb: SignalKind; paperId: string; title: string }
  | { kind: 'followed-author'; name: string }
  | { kind: 'followed-organization'; name: string }
  | { kind: 'followed-category'; name: string }
  | { kind: 'followed-search'; query: string }
  | { kind: 'liked-author'; name: string }
  | { kind: 'terms'; terms: string[] }
  | { kind: 'popular'; upvotes: number };

export interface Ranked {
  candidate: Candidate;
  score: number;
}

/** Values of a unit vector are in [0, 1]: kept as 16-bit fractions of this (errors under 1e-5, far below a score's differences). */
const QUANTUM = 65_535;

/**
 * The candidates as ranking reads them, laid out once (per pool, not per page): every vector in
 * one run of 16-bit term ids and 16-bit values (a reader's score is then one dot product per
 * candidate over a few contiguous arrays), popularity as a number, and the candidates by author,
 * organization and category, so that the people a reader liked or follows are looked up by
 * them rather than against every candidate.
 */
export class CandidateSet {
  readonly list: readonly Candidate[];
  readonly indexOf = new Map<string, number>();
  /**
   * The candidates' own vectors (for reasons and learning), packed: two typed arrays for all of
   * them rather than two each, which every garbage collection would visit (decision 028).
   */
  private readonly vectors: PackedVectors;
  /**
   * The vectors by term (postings): term t's candidates are `postings[offsets[t]..offsets[t+1])`,
   * ascending, each with its value. A reader's weights are zero on most of the vocabulary (the
   * terms of what they liked and hid), so a text score walks only the postings of their terms;
   * each candidate's sum still adds its terms in ascending order, as a walk of its own vector
   * would, so the scores are the same to the last bit.
   */
  private readonly offsets: Int32Array;
  private readonly postings: Int32Array;
  private readonly values: Uint16Array;
  /** log1p(upvotes), scaled so that the most upvoted candidate has 1. */
  private readonly popularity: Float64Array;
  private readonly byAuthor: Groups;
  private readonly byOrganization: Groups;
  /** By category and by each of its dotted prefixes (`cs` for `cs.LG`), as follows name them. */
  private readonly byCategory: Groups;
  /** Scratch for one ranking (ranking is synchronous, so one is enough), all zero between uses. */
  private readonly scratch: Float64Array;
  /** The scores of the latest ranking: read before the next one starts. */
  private readonly buffer: Float64Array;

  /** `vectors`: the candidates' vectors, in their order (packed or one by one). */
  constructor(candidates: readonly Candidate[], vectors: PackedVectors | readonly SparseVector[]) {
    const n = candidates.length;
    this.list = candidates;
    const packed = Array.isArray(vectors) ? packVectors(vectors as readonly SparseVector[]) : (vectors as PackedVectors);
    if (packed.starts.length !== n + 1) throw new Error(`foryou: ${n} candidates but ${packed.starts.length - 1} vectors`);
    this.vectors = packed;
    const { ids, vals, starts } = packed;
    const nonzeros = starts[n]!;
    let terms = 0;
    for (let k = 0; k < nonzeros; k++) if (ids[k]! >= terms) terms = ids[k]! + 1;
    // Counted per term, then filled candidate by candidate: each term's postings come out ascending.
    this.offsets = new Int32Array(terms + 1);
    for (let k = 0; k < nonzeros; k++) this.offsets[ids[k]! + 1]!++;
    for (let t = 0; t < terms; t++) this.offsets[t + 1]! += this.offsets[t]!;
    const fill = this.offsets.slice(0, terms);
    this.postings = new Int32Array(nonzeros);
    this.values = new Uint16Array(nonzeros);
    this.popularity = new Float64Array(n);
    this.scratch = new Float64Array(n);
    this.buffer = new Float64Array(n);
    let maxUp = 1;
    for (const c of candidates) if (c.upvotes > maxUp) maxUp = c.upvotes;
    const popNorm = Math.log1p(maxUp);
    const authors = new GroupsBuilder();
    const organizations = new GroupsBuilder();
    const categories = new GroupsBuilder();
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      this.indexOf.set(c.id, i);
      for (let k = starts[i]!; k < starts[i + 1]!; k++) {
        const at = fill[ids[k]!]!++;
        this.postings[at] = i;
        this.values[at] = Math.round(vals[k]! * QUANTUM);
      }
      this.popularity[i] = Math.log1p(Math.max(0, c.upvotes)) / popNorm;
      for (const a of c.authors) authors.add(a, i);
      if (c.organization) organizations.add(c.organization, i);
      for (const cat of c.categories) {
        categories.add(cat, i);
        for (let dot = cat.indexOf('.'); dot > 0; dot = cat.indexOf('.', dot + 1)) categories.add(cat.slice(0, dot), i);
      }
    }
    this.byAuthor = authors.build();
    this.byOrganization = organizations.build();
    this.byCategory = categories.build();
  }

  /** Candidate i's vector (views into the packed arrays: read, never kept past the set). */
  vector(i: number): SparseVector {
    const { starts, ids, vals } = this.vectors;
    return { ids: ids.subarray(starts[i]!, starts[i + 1]!), vals: vals.subarray(starts[i]!, starts[i + 1]!) };
  }

  /** The vector of the candidate of this id, if it is one. */
  vectorOf(id: string): SparseVector | undefined {
    const i = this.indexOf.get(id);
    return i === undefined ? undefined : this.vector(i);
  }

  get size(): number {
    return this.list.length;
  }

  get(id: string): Candidate | undefined {
    const i = this.indexOf.get(id);
    return i === undefined ? undefined : this.list[i];
  }

  /**
   * Every candidate's vector dotted with dense weights, into `sums` (all zero on entry), in
   * fractions of QUANTUM: term by term, over the postings of the terms weighed (a zero weight
   * adds nothing to any sum).
   */
  private text(w: Float64Array, sums: Float64Array): void {
    const { offsets, postings, values } = this;
    const terms = Math.min(w.length, offsets.length - 1);
    for (let t = 0; t < terms; t++) {
      const wt = w[t]!;
      if (wt === 0) continue;
      for (let k = offsets[t]!, end = offsets[t + 1]!; k < end; k++) sums[postings[k]!]! += values[k]! * wt;
    }
  }

  /**
   * Scores every candidate for the reader: the text model's cosine, authors and organizations
   * of papers they liked, what they follow, and popularity (all there is for a reader with no
   * signal yet: the seed ranking). Excluded candidates get -Infinity. The array is the set's own,
   * overwritten by the next call.
   */
  scores(model: ReaderModel, weights: Float64Array, followed: Followed, blend: typeof BLEND, exclude?: ReadonlySet<string>): Float64Array {
    const n = this.size;
    const scores = this.buffer;
    for (let i = 0; i < n; i++) scores[i] = blend.popularity * this.popularity[i]!;
    if (model.positives > 0) {
      const sums = this.scratch;
      this.text(weights, sums);
      for (let i = 0; i < n; i++) scores[i]! += blend.text * (sums[i]! / QUANTUM);
      sums.fill(0);
      // Affinity is the best-liked of a paper's people: the most each candidate reached, then added.
      if (model.authors.size > 0) this.addAffinity(scores, blend.author, this.byAuthor, model.authors);
      if (model.organizations.size > 0) this.addAffinity(scores, blend.organization, this.byOrganization, model.organizations);
    }
    if (followed.authors.size > 0 || followed.organizations.size > 0 || followed.categories.length > 0 || (followed.searches?.size ?? 0) > 0) {
      const f = this.scratch;
      // Each part counts once however many of a paper's authors or categories match.
      this.flag(f, followed.authors, this.byAuthor, 1);
      this.flag(f, followed.organizations, this.byOrganization, 2);
      this.flag(f, followed.categories, this.byCategory, 4);
      if (followed.searches) for (const id of followed.searches.keys()) this.mark(f, this.indexOf.get(id), 8);
      for (let i = 0; i < n; i++) {
        const bits = f[i]!;
        if (bits === 0) continue;
        scores[i]! += blend.follow * ((bits & 1 ? 1 : 0) + (bits & 2 ? 1 : 0) + (bits & 4 ? 0.5 : 0) + (bits & 8 ? 1 : 0));
      }
      f.fill(0);
    }
    if (exclude) {
      for (const id of exclude) {
        const i = this.indexOf.get(id);
        if (i !== undefined) scores[i] = -Infinity;
      }
    }
    return scores;
  }

  private addAffinity(scores: Float64Array, weight: number, index: Groups, liked: ReadonlyMap<string, number>): void {
    const best = this.scratch;
    const touched: number[] = [];
    for (const [key, value] of liked) {
      const g = index.keys.get(key);
      if (g === undefined) continue;
      for (let k = index.starts[g]!, end = index.starts[g + 1]!; k < end; k++) {
        const i = index.members[k]!;
        if (best[i] === 0) touched.push(i);
        if (value > best[i]!) best[i] = value;
      }
    }
    for (const i of touched) {
      scores[i]! += weight * Math.min(1, Math.log1p(best[i]!) / LOG6);
      best[i] = 0;
    }
  }

  private flag(f: Float64Array, keys: Iterable<string>, index: Groups, bit: number): void {
    for (const key of keys) {
      const g = index.keys.get(key);
      if (g === undefined) continue;
      for (let k = index.starts[g]!, end = index.starts[g + 1]!; k < end; k++) this.mark(f, index.members[k]!, bit);
    }
  }

  private mark(f: Float64Array, i: number | undefined, bit: number): void {
    if (i !== undefined) f[i] = f[i]! | bit;
  }
}

/** Candidates by key (an author, an organization, a category): key g's are `members[starts[g]..starts[g + 1])`, ascending, each once. */
interface Groups {
  keys: Map<string, number>;
  starts: Int32Array;
  members: Int32Array;
}

/** Groups made from (key, candidate) pairs added in ascending candidate order; a pair added twice counts once. */
class GroupsBuilder {
  private readonly keys = new Map<string, number>();
  private group = new Int32Array(1024);
  private member = new Int32Array(1024);
  private n = 0;

  add(key: string, i: number): void {
    let g = this.keys.get(key);
    if (g === undefined) this.keys.set(key, (g = this.keys.size));
    if (this.n === this.group.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(2 * a.length);
        b.set(a);
        return b;
      };
      this.group = grow(this.group);
      this.member = grow(this.member);
    }
    this.group[this.n] = g;
    this.member[this.n++] = i;
  }

  build(): Groups {
    const starts = new Int32Array(this.keys.size + 1);
    for (let k = 0; k < this.n; k++) starts[this.group[k]! + 1]!++;
    for (let g = 0; g < this.keys.size; g++) starts[g + 1]! += starts[g]!;
    const fill = starts.slice(0, this.keys.size);
    const members = new Int32Array(this.n);
    for (let k = 0; k < this.n; k++) {
      const g = this.group[k]!;
      const i = this.member[k]!;
      // Pairs come in candidate order: a repeat of the same pair is the group's last member so far.
      if (fill[g]! > starts[g]! && members[fill[g]! - 1] === i) continue;
      members[fill[g]!++] = i;
    }
    // Repeats left gaps at the ends of their groups: closed up.
    let out = 0;
    for (let g = 0; g < this.keys.size; g++) {
      const from = starts[g]!;
      const to = fill[g]!;
      starts[g] = out;
      members.copyWithin(out, from, to);
      out += to - from;
    }
    starts[this.keys.size] = out;
    return { keys: this.keys, starts, members: members.slice(0, out) };
  }
}

/**
 * The candidates ranked for the reader (CandidateSet.scores), best first, newest first among
 * equals; `exclude` never appears. `weights` are the model's (model.weights(vocab)), passed in
 * so that a caller can keep them while the model is unchanged.
 */
export function rankCandidates(
  candidates: CandidateSet,
  model: ReaderModel,
  weights: Float64Array,
  followed: Followed,
  opts: { exclude?: ReadonlySet<string>; limit?: number; blend?: typeof BLEND } = {},
): Ranked[] {
  const scores = candidates.scores(model, weights, followed, opts.blend ?? BLEND, opts.exclude);
  const list = candidates.list;
  const before = (i: number, j: number) => scores[i]! > scores[j]! || (scores[i] === scores[j] && (list[i]!.publishedAt > list[j]!.publishedAt || (list[i]!.publishedAt === list[j]!.publishedAt && i < j)));
  const n = scores.length;
  let order: number[];
  if (opts.limit === undefined || opts.limit >= n) {
    order = [];
    for (let i = 0; i < n; i++) if (scores[i]! > -Infinity) order.push(i);
  } else {
    // The limit's best in a heap whose root is the worst kept: one comparison for most candidates.
    const k = Math.max(0, opts.limit);
    order = [];
    for (let i = 0; i < n && k > 0; i++) {
      if (scores[i] === -Infinity) continue;
      if (order.length < k) {
        order.push(i);
        siftUp(order, order.length - 1, before);
      } else if (before(i, order[0]!)) {
        order[0] = i;
        siftDown(order, 0, before);
      }
    }
  }
  order.sort((i, j) => (before(i, j) ? -1 : before(j, i) ? 1 : 0));
  return order.map((i) => ({ candidate: list[i]!, score: scores[i]! }));
}

/** Heap helpers for rankCandidates: the root is the candidate every other one comes before. */
function siftUp(h: number[], at: number, before: (i: number, j: number) => boolean): void {
  while (at > 0) {
    const parent = (at - 1) >> 1;
    if (!before(h[parent]!, h[at]!)) break;
    swap(h, parent, at);
    at = parent;
  }
}

function siftDown(h: number[], at: number, before: (i: number, j: number) => boolean): void {
  for (;;) {
    const l = 2 * at + 1;
    const r = l + 1;
    let worst = at;
    if (l < h.length && before(h[worst]!, h[l]!)) worst = l;
    if (r < h.length && before(h[worst]!, h[r]!)) worst = r;
    if (worst === at) return;
    swap(h, worst, at);
    at = worst;
  }
}

/** Through a local, not `[a, b] = [b, a]`: no array made per swap. */
function swap(h: number[], a: number, b: number): void {
  const x = h[a]!;
  h[a] = h[b]!;
  h[b] = x;
}

const LOG6 = Math.log1p(5);

/** Why a paper is recommended, most telling first: at most three reasons. `vec`: its vector over `vocab`. */
export function reasonsFor(c: Candidate, vec: SparseVector, model: ReaderModel, vocab: Vocabulary, weights: Float64Array, followed: Followed, surface?: Pick<Surface, 'get'>): Reason[] {
  const out: Reason[] = [];
  const author = c.authors.find((a) => followed.authors.has(a));
  if (author) out.push({ kind: 'followed-author', name: author });
  if (c.organization && followed.organizations.has(c.organization)) out.push({ kind: 'followed-organization', name: c.organization });
  const cat = c.categories.find((x) => followed.categories.some((want) => x === want || x.startsWith(`${want}.`)));
  if (cat) out.push({ kind: 'followed-category', name: cat });
  const query = followed.searches?.get(c.id);
  if (query !== undefined) out.push({ kind: 'followed-search', query });
  if (model.positives > 0) {
    const near = model.nearestLiked(vec, vocab);
    if (near && near.similarity >= 0.1 && near.signal.paperId !== c.id) out.push({ kind: 'liked', verb: near.signal.kind, paperId: near.signal.paperId, title: near.signal.title });
    const liked = c.authors.find((a) => model.authors.has(a));
    if (liked && liked !== author) out.push({ kind: 'liked-author', name: liked });
    const terms = topTerms(vec, weights, vocab, surface);
    if (terms.length > 0) out.push({ kind: 'terms', terms });
  }
  if (out.length === 0) out.push({ kind: 'popular', upvotes: c.upvotes });
  return out.slice(0, 3);
}

/** The terms that weighed most for this paper (weight × value), as words. */
function topTerms(v: SparseVector, w: Float64Array, vocab: Vocabulary, surface?: Pick<Surface, 'get'>): string[] {
  const parts: [number, number][] = [];
  for (let i = 0; i < v.ids.length; i++) {
    const contribution = v.vals[i]! * w[v.ids[i]!]!;
    if (contribution > 0.005) parts.push([v.ids[i]!, contribution]);
  }
  parts.sort((a, b) => b[1] - a[1]);
  const words = (term: string) => term.split(' ').map((s) => surface?.get(s) ?? s).join(' ');
  return parts.slice(0, 3).map(([id]) => words(vocab.terms[id]!));
}

/** A reason in words: "because you saved “…”", "by an author you follow (…)", "terms: …". */
export function reasonText(r: Reason): string {
  switch (r.kind) {
    case 'liked':
      return `because you ${r.verb === 'save' ? 'saved' : 'upvoted'} “${r.title.length > 80 ? `${r.title.slice(0, 79)}…` : r.title}”`;
    case 'followed-author':
      return `by an author you follow (${r.name})`;
    case 'followed-organization':
      return `from ${r.name}, which you follow`;
    case 'followed-category':
      return `in ${r.name}, which you follow`;
    case 'followed-search':
      return `matches your search “${r.query}”`;
    case 'liked-author':
      return `by ${r.name}, whose papers you liked`;
    case 'terms':
      return `about ${r.terms.join(', ')}`;
    case 'popular':
      return `popular now (${r.upvotes} upvotes)`;
  }
}
