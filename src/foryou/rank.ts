import { dot, type SparseVector, type Vocabulary } from './text.ts';
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
  vec: SparseVector;
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

/**
 * Scores every candidate for the reader: the text model's cosine, authors and organizations
 * of papers they liked, what they follow, and popularity (all there is for a reader with no
 * signal yet: the seed ranking). Best first; `exclude` never appears. `weights` are the model's
 * (model.weights(vocab)), passed in so that a caller can keep them while the model is unchanged.
 */
export function rankCandidates(
  candidates: readonly Candidate[],
  model: ReaderModel,
  weights: Float64Array,
  followed: Followed,
  opts: { exclude?: ReadonlySet<string>; limit?: number; blend?: typeof BLEND } = {},
): Ranked[] {
  const blend = opts.blend ?? BLEND;
  const learned = model.positives > 0;
  const likedPeople = learned && (model.authors.size > 0 || model.organizations.size > 0);
  const follows = followed.authors.size > 0 || followed.organizations.size > 0 || followed.categories.length > 0 || (followed.searches?.size ?? 0) > 0;
  let maxUp = 1;
  for (const c of candidates) if (c.upvotes > maxUp) maxUp = c.upvotes;
  const popNorm = Math.log1p(maxUp);
  const n = candidates.length;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = candidates[i]!;
    if (opts.exclude?.has(c.id)) {
      scores[i] = -Infinity;
      continue;
    }
    let score = blend.popularity * (Math.log1p(Math.max(0, c.upvotes)) / popNorm);
    if (learned) score += blend.text * dot(c.vec, weights);
    if (likedPeople) {
      score += blend.author * affinity(model.authors, c.authors);
      if (c.organization) score += blend.organization * affinity(model.organizations, [c.organization]);
    }
    if (follows) score += blend.follow * followScore(c, followed);
    scores[i] = score;
  }
  // The limit's worth of best scores, found on a sorted copy (typed arrays sort natively), then ordered.
  let threshold = -Infinity;
  if (opts.limit !== undefined && opts.limit < n) threshold = Float64Array.from(scores).sort()[n - Math.max(1, opts.limit)]!;
  const ranked: Ranked[] = [];
  for (let i = 0; i < n; i++) if (scores[i]! >= threshold && scores[i]! > -Infinity) ranked.push({ candidate: candidates[i]!, score: scores[i]! });
  ranked.sort((a, b) => b.score - a.score || (a.candidate.publishedAt < b.candidate.publishedAt ? 1 : a.candidate.publishedAt > b.candidate.publishedAt ? -1 : 0));
  return opts.limit === undefined ? ranked : ranked.slice(0, opts.limit);
}

/** How much a reader liked the best-liked of these people, 0 to 1 (five liked papers is all there is). */
function affinity(map: ReadonlyMap<string, number>, keys: readonly string[]): number {
  let best = 0;
  for (const k of keys) {
    const v = map.get(k);
    if (v !== undefined && v > best) best = v;
  }
  return best === 0 ? 0 : Math.min(1, Math.log1p(best) / LOG6);
}
const LOG6 = Math.log1p(5);

function followScore(c: Candidate, f: Followed): number {
  let s = 0;
  if (c.authors.some((a) => f.authors.has(a))) s += 1;
  if (c.organization && f.organizations.has(c.organization)) s += 1;
  if (c.categories.some((cat) => f.categories.some((want) => cat === want || cat.startsWith(`${want}.`)))) s += 0.5;
  // A search is narrower than a category: a match says as much as a followed author.
  if (f.searches?.has(c.id)) s += 1;
  return s;
}

/** Why a paper is recommended, most telling first: at most three reasons. */
export function reasonsFor(c: Candidate, model: ReaderModel, vocab: Vocabulary, weights: Float64Array, followed: Followed, surface?: ReadonlyMap<string, string>): Reason[] {
  const out: Reason[] = [];
  const author = c.authors.find((a) => followed.authors.has(a));
  if (author) out.push({ kind: 'followed-author', name: author });
  if (c.organization && followed.organizations.has(c.organization)) out.push({ kind: 'followed-organization', name: c.organization });
  const cat = c.categories.find((x) => followed.categories.some((want) => x === want || x.startsWith(`${want}.`)));
  if (cat) out.push({ kind: 'followed-category', name: cat });
  const query = followed.searches?.get(c.id);
  if (query !== undefined) out.push({ kind: 'followed-search', query });
  if (model.positives > 0) {
    const near = model.nearestLiked(c.vec, vocab);
    if (near && near.similarity >= 0.1 && near.signal.paperId !== c.id) out.push({ kind: 'liked', verb: near.signal.kind, paperId: near.signal.paperId, title: near.signal.title });
    const liked = c.authors.find((a) => model.authors.has(a));
    if (liked && liked !== author) out.push({ kind: 'liked-author', name: liked });
    const terms = topTerms(c.vec, weights, vocab, surface);
    if (terms.length > 0) out.push({ kind: 'terms', terms });
  }
  if (out.length === 0) out.push({ kind: 'popular', upvotes: c.upvotes });
  return out.slice(0, 3);
}

/** The terms that weighed most for this paper (weight × value), as words. */
function topTerms(v: SparseVector, w: Float64Array, vocab: Vocabulary, surface?: ReadonlyMap<string, string>): string[] {
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
