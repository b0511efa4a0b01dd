import { createHash } from 'node:crypto';
import { setImmediate as breathe } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import type { Config } from '../core/config.ts';
import { paperVectors } from '../search/vectors.ts';
import { searchPapers } from '../search/engine.ts';
import { QueryError } from '../search/query.ts';
import { currentContentVersion } from '../db/content-version.ts';
import { addDays } from '../core/periods.ts';
import { followsOf, type Follow } from '../follows/queries.ts';
import { hiddenPaperIds } from '../library/queries.ts';
import { DocumentFrequencies, grown, joinVectors, SurfaceWords, TermTable, termCounts, type EncodedCounts, type PackedVectors, type Vocabulary } from './text.ts';
import { ReaderModel, type SignalKind } from './model.ts';
import { BLEND, CandidateSet, rankCandidates, reasonsFor, type Candidate, type Followed, type Ranked, type Reason } from './rank.ts';
import { abstractsOf, papersText, readerSignals, recentPapers, storedModel, storedModelVersion, storeModel, visibleAmong, type PaperText } from './queries.ts';

/** How far back "recent" reaches, from the newest paper; and at most how many papers are candidates. */
export const RECENT_DAYS = 30;
export const MAX_CANDIDATES = 20_000;
/** The candidates are built again when the content changed, at most this often (a vote changes it too). */
const REBUILD_MIN_MS = 60_000;
const MAX_MODELS = 10_000;
/** How much of a reader's ranking is kept for their next pages. */
const RANKING_DEPTH = 120;
/** How many of the text ranking's best are ranked again by meaning, when embeddings are configured. */
const SEMANTIC_DEPTH = 200;
/** How much closeness in meaning to what the reader liked weighs beside the text model. */
const SEMANTIC_WEIGHT = BLEND.text;
/** Readers whose weights are kept (those not zero: a few thousand terms each, at most the vocabulary's 50,000). */
const MAX_WEIGHTS = 64;

/** The recent papers as vectors, one vocabulary over them: built once per content change (at most every minute), shared by every reader. */
interface Pool {
  version: number;
  builtAt: number;
  /** The first day of the recent window. */
  since: string;
  vocab: Vocabulary;
  candidates: CandidateSet;
  surface: SurfaceWords;
}

interface State {
  pool?: Pool;
  building?: Promise<Pool>;
  /** The pool's papers' term counts, with their modification times: a paper's words are read once. */
  texts: Texts;
  /** The numbers of the terms in `texts`. */
  table: TermTable;
  /** Readers' models as stored at `version` (reader_models). */
  models: Map<number, { version: number; model: ReaderModel }>;
  /** A word for each stem seen, to say the terms that weighed most in words. */
  surface: SurfaceWords;
  /** The latest readers' weights, while their model and the vocabulary are unchanged. */
  weights: Map<number, { vocab: Vocabulary; model: ReaderModel; revision: number; weights: ReaderWeights }>;
  /** A vocabulary-sized buffer, all zero between uses: a reader's weights are spread into it for one synchronous stretch at a time. */
  scratch?: Float64Array;
  /** Each reader's latest ranking (the best RANKING_DEPTH), with what it was made from. */
  rankings: Map<number, { key: string; ranked: Ranked[] }>;
  /** The recent papers a followed search matches, by pool and query: the same for every reader who follows it. */
  searches: Map<string, Promise<string[]>>;
}
const states = new WeakMap<Kysely<Database>, State>();
const stateOf = (db: Db): State => {
  let s = states.get(db.kysely);
  if (!s) states.set(db.kysely, (s = { texts: new TextsBuilder().build(), table: new TermTable(), models: new Map(), surface: new SurfaceWords(), weights: new Map(), rankings: new Map(), searches: new Map() }));
  return s;
};

async function buildPool(db: Db, state: State, version: number): Promise<Pool> {
  const latest = await db.kysely.selectFrom('papers').select((eb) => eb.fn.max('published_at').as('at')).where('hidden_at', 'is', null).executeTakeFirst();
  const since = addDays(((latest?.at as string | null | undefined) ?? new Date().toISOString()).slice(0, 10), -RECENT_DAYS);
  const papers = await recentPapers(db.kysely, since, MAX_CANDIDATES);
  // The table only grows (new papers, new words): past a bound, it starts again and every paper is read again.
  if (state.table.size > MAX_TERMS) {
    state.table = new TermTable();
    state.texts = new TextsBuilder().build();
  }
  // Only the papers new or changed since the last build are read in full.
  const abstracts = await abstractsOf(
    db.kysely,
    papers.filter((p) => state.texts.modifiedAt(p.id) !== p.modifiedAt).map((p) => p.id),
  );
  // Seconds of work in all: done a batch at a time, so that the pages asked for meanwhile are served between batches.
  const texts = new TextsBuilder();
  const df = new DocumentFrequencies(state.table);
  for (let i = 0; i < papers.length; i++) {
    const p = papers[i]!;
    texts.add(p.id, p.modifiedAt, countsOf(state, { ...p, abstract: abstracts.get(p.id) ?? '' }));
    if (i % BATCH === BATCH - 1) await breathe();
  }
  const kept = (state.texts = texts.build());
  for (let i = 0; i < papers.length; i++) df.add(kept.counts(i));
  const vocab = df.vocabulary();
  await breathe();
  // The candidates' vectors written into two arrays a batch at a time, then joined: no pair of arrays per candidate (decision 028).
  const parts: PackedVectors[] = [];
  for (let from = 0; from < papers.length; from += BATCH) {
    parts.push(vocab.vectorizeAll(Math.min(BATCH, papers.length - from), (i) => kept.counts(from + i)));
    await breathe();
  }
  const vectors = joinVectors(parts);
  const list: Candidate[] = papers.map((p) => ({ id: p.id, title: p.title, publishedAt: p.publishedAt, upvotes: p.upvotes, authors: p.authors, organization: p.organization, categories: p.categories }));
  return { version, builtAt: Date.now(), since, vocab, candidates: new CandidateSet(list, vectors), surface: state.surface };
}

/**
 * Papers' term counts end to end (paper i's: `terms/tf[starts[i]..starts[i + 1])`), found by
 * paper id: four typed arrays for a pool's 20,000 papers rather than two each (decision 028).
 */
class Texts {
  constructor(
    private readonly at: Map<string, number>,
    private readonly modified: string[],
    private readonly starts: Int32Array,
    private readonly terms: Int32Array,
    private readonly tf: Uint16Array,
  ) {}

  has(id: string): boolean {
    return this.at.has(id);
  }

  modifiedAt(id: string): string | undefined {
    const i = this.at.get(id);
    return i === undefined ? undefined : this.modified[i];
  }

  /** Paper i's counts (views: read, not kept). */
  counts(i: number): EncodedCounts {
    return { terms: this.terms.subarray(this.starts[i]!, this.starts[i + 1]!), tf: this.tf.subarray(this.starts[i]!, this.starts[i + 1]!) };
  }

  /** The counts of this paper as it was when last modified at `modifiedAt`, if kept. */
  countsOf(id: string, modifiedAt: string): EncodedCounts | undefined {
    const i = this.at.get(id);
    return i === undefined || this.modified[i] !== modifiedAt ? undefined : this.counts(i);
  }
}

class TextsBuilder {
  private readonly at = new Map<string, number>();
  private readonly modified: string[] = [];
  private starts: Int32Array = new Int32Array(1024);
  private terms: Int32Array = new Int32Array(1 << 16);
  private tf: Uint16Array = new Uint16Array(1 << 16);

  add(id: string, modifiedAt: string, doc: EncodedCounts): void {
    const i = this.modified.length;
    this.at.set(id, i);
    this.modified.push(modifiedAt);
    if (this.starts.length < i + 2) this.starts = grown(this.starts, 2 * this.starts.length);
    const from = this.starts[i]!;
    const to = from + doc.terms.length;
    if (this.terms.length < to) {
      this.terms = grown(this.terms, Math.max(to, 2 * this.terms.length));
      this.tf = grown(this.tf, this.terms.length);
    }
    this.terms.set(doc.terms, from);
    this.tf.set(doc.tf, from);
    this.starts[i + 1] = to;
  }

  build(): Texts {
    const n = this.modified.length;
    const end = this.starts[n]!;
    return new Texts(this.at, this.modified, this.starts.slice(0, n + 1), this.terms.slice(0, end), this.tf.slice(0, end));
  }
}


/** Papers a pool build handles between two pauses. */
const BATCH = 500;
/** Most terms numbered before the table starts again (a million papers' words hold about ten times fewer). */
const MAX_TERMS = 4_000_000;

function countsOf(state: State, p: PaperText): EncodedCounts {
  const kept = state.texts.countsOf(p.id, p.modifiedAt);
  if (kept) return kept;
  if (state.surface.size > 200_000) state.surface.clear();
  return state.table.encode(termCounts(p.title, p.abstract, state.surface));
}

/**
 * The current pool: built on first use; when the content changed, built again in the
 * background (at most once a minute) while readers keep the one they have.
 */
async function poolOf(db: Db): Promise<Pool> {
  const state = stateOf(db);
  const version = await currentContentVersion(db.kysely);
  const pool = state.pool;
  const stale = !pool || (pool.version !== version && Date.now() - pool.builtAt > REBUILD_MIN_MS);
  if (stale && !state.building) {
    const building = buildPool(db, state, version).then(
      (p) => {
        state.pool = p;
        state.building = undefined;
        return p;
      },
      (err: unknown) => {
        state.building = undefined;
        throw err;
      },
    );
    state.building = building;
  }
  return pool ?? state.building!;
}

/** One recommendation: the paper, its score and why. */
export interface Recommendation {
  paperId: string;
  score: number;
  reasons: Reason[];
}

export interface ForYou {
  items: Recommendation[];
  /** True when the reader has given nothing to learn from yet: these are the seed papers (popular recent ones). */
  seeded: boolean;
  /** How long learning what was new took on this request (bench/foryou-scale.ts). */
  learnedMs: number;
}

/**
 * The reader's model, brought up to date with what they did since it last learned: new
 * signals are learned one by one, withdrawn ones forgotten, and the change stored as the next
 * version (the database's model is the truth; this process keeps a copy by version). When
 * another instance stored a newer one meanwhile, that one is read and brought up to date instead.
 * Returns it, its version and how long learning took.
 */
export async function readerModel(db: Db, userId: number, pool: Pool): Promise<{ model: ReaderModel; version: number; learnedMs: number; liked: Set<string> }> {
  const state = stateOf(db);
  const [signals, storedVersion] = await Promise.all([readerSignals(db.kysely, userId), storedModelVersion(db.kysely, userId)]);
  let kept = state.models.get(userId);
  let version = storedVersion ?? 0;
  let learnedMs = 0;
  for (let attempt = 0; ; attempt++) {
    if (!kept || kept.version !== version) {
      const stored = version === 0 ? undefined : await storedModel(db.kysely, userId);
      version = stored?.version ?? 0;
      kept = { version, model: stored ? ReaderModel.fromJSON(stored.model) : new ReaderModel() };
    }
    const model = kept.model;
    const started = performance.now();
    const changed = await learnSignals(db, state, model, signals, pool);
    learnedMs += performance.now() - started;
    if (!changed) break;
    if (await storeModel(db.kysely, userId, version, model.toJSON())) {
      kept = { version: version + 1, model };
      break;
    }
    // Another instance stored first: read theirs and learn what it lacks.
    version = (await storedModelVersion(db.kysely, userId)) ?? 0;
    kept = undefined;
    if (attempt >= 2) throw new Error(`foryou: the model of reader ${userId} kept changing under us`);
  }
  state.models.delete(userId);
  state.models.set(userId, kept);
  if (state.models.size > MAX_MODELS) state.models.delete(state.models.keys().next().value!);
  const liked = new Set(signals.filter((s) => s.kind !== 'hide').map((s) => s.paperId));
  return { model: kept.model, version: kept.version, learnedMs, liked };
}

const EMPTY_COUNTS: ReadonlyMap<string, number> = new Map();
const NO_VECTOR = { ids: new Int32Array(0), vals: new Float32Array(0) };

/** Learns the signals the model lacks (oldest first) and forgets those taken back; whether anything changed. */
async function learnSignals(db: Db, state: State, model: ReaderModel, signals: { kind: SignalKind; paperId: string }[], pool: Pool): Promise<boolean> {
  const current = new Set(signals.map((s) => ReaderModel.key(s)));
  let changed = false;
  for (const key of model.keys()) {
    if (!current.has(key)) {
      model.forget(key);
      changed = true;
    }
  }
  const fresh = signals.filter((s) => !model.has(ReaderModel.key(s)));
  if (fresh.length === 0) return changed;
  // A recent paper (what a reader mostly saves) is learned from the pool's copy of it; others are read.
  const inPool = (id: string) => pool.candidates.get(id) !== undefined;
  const texts = new Map((await papersText(db.kysely, [...new Set(fresh.filter((s) => !inPool(s.paperId)).map((s) => s.paperId))])).map((p) => [p.id, p]));
  // Oldest first, so a model trained in one go and one trained as the reader went agree.
  for (const s of [...fresh].reverse()) {
    const c = pool.candidates.get(s.paperId);
    const p = texts.get(s.paperId);
    // A pool paper's vector is the one its counts make over the pool's vocabulary: learned as it is.
    if (c) model.learn({ kind: s.kind, paperId: c.id, title: c.title, counts: EMPTY_COUNTS, authors: c.authors, organization: c.organization }, pool.vocab, pool.candidates.vectorOf(c.id));
    // Another paper's words are counted for this once: not numbered into the table (which keeps the pool's papers).
    else if (p) model.learn({ kind: s.kind, paperId: p.id, title: p.title, counts: termCounts(p.title, p.abstract, state.surface), authors: p.authors, organization: p.organization }, pool.vocab);
    else continue;
    changed = true;
  }
  return changed;
}

/**
 * For you: recent papers ranked for this reader (rank.ts) from their upvotes, saves, hides
 * and follows; what they hid or already liked never appears, nor what a moderator hid since
 * the pool was built.
 */
export async function forYou(db: Db, userId: number, opts: { limit: number; offset: number; config?: Config }): Promise<ForYou> {
  const [pool, follows, hidden] = await Promise.all([poolOf(db), followsOf(db.kysely, userId), hiddenPaperIds(db.kysely, userId)]);
  const { model, version, liked, learnedMs } = await readerModel(db, userId, pool);
  const followed = await followedOf(db, pool, follows);
  const exclude = new Set([...hidden, ...liked]);
  const state = stateOf(db);
  const weights = readerWeights(state, userId, model, pool.vocab);
  const wanted = opts.offset + opts.limit;
  // The ranking changes only with the pool, the model, the follows and the hidden papers: a reader paging or coming back reuses it.
  const key = createHash('sha256')
    .update(`${pool.builtAt}|${version}|${model.revision}|${opts.config?.EMBEDDINGS_URL ?? ''}|${follows.map((f) => `${f.kind}:${f.target}`).join('\n')}|${[...hidden].sort().join(',')}`)
    .digest('base64url');
  const kept = state.rankings.get(userId);
  let ranked: Ranked[];
  if (kept && kept.key === key && kept.ranked.length >= wanted + 20) ranked = kept.ranked;
  else {
    // More than asked for: the next pages, and spares in case a moderator hid some since the pool was built.
    const limit = Math.max(wanted + 20, RANKING_DEPTH, opts.config?.EMBEDDINGS_URL ? SEMANTIC_DEPTH : 0);
    ranked = withWeights(state, pool.vocab, weights, (w) => rankCandidates(pool.candidates, model, w, followed, { exclude, limit }));
    if (opts.config?.EMBEDDINGS_URL && model.positives > 0) ranked = await withMeaning(db, opts.config, ranked, model);
    state.rankings.delete(userId);
    state.rankings.set(userId, { key, ranked });
    if (state.rankings.size > MAX_MODELS) state.rankings.delete(state.rankings.keys().next().value!);
  }
  const page = await visiblePage(db, ranked, opts.offset, wanted);
  return {
    items: withWeights(state, pool.vocab, weights, (w) => page.map((r) => ({ paperId: r.candidate.id, score: r.score, reasons: reasonsFor(r.candidate, pool.candidates.vectorOf(r.candidate.id) ?? NO_VECTOR, model, pool.vocab, w, followed, pool.surface) }))),
    seeded: model.positives === 0 && follows.length === 0,
    learnedMs,
  };
}

/**
 * The ranking's papers from `offset` to `wanted` once those a moderator hid since the pool was built
 * are left out (ranked.filter(visible).slice(offset, wanted)), the ranking checked only as far as
 * that needs: its first `wanted` (one query), and more only for as many as were hidden. Checking all
 * of it (120 papers, each a row of the papers table) took a fifth of a first page's CPU at 1M papers (decision 035).
 */
async function visiblePage(db: Db, ranked: readonly Ranked[], offset: number, wanted: number): Promise<Ranked[]> {
  const shown: Ranked[] = [];
  for (let checked = 0; shown.length < wanted && checked < ranked.length; ) {
    const next = ranked.slice(checked, checked + wanted - shown.length);
    checked += next.length;
    const visible = await visibleAmong(db.kysely, next.map((r) => r.candidate.id));
    for (const r of next) if (visible.has(r.candidate.id)) shown.push(r);
  }
  return shown.slice(offset, wanted);
}

/** A reader's weights where they are not zero, term ids ascending: a few thousand terms, not the vocabulary's 50,000. */
interface ReaderWeights {
  ids: Int32Array;
  vals: Float64Array;
}

function scratchOf(state: State, size: number): Float64Array {
  if (state.scratch?.length !== size) state.scratch = new Float64Array(size);
  return state.scratch;
}

/**
 * The reader's weights over the vocabulary, kept while their model is unchanged: made densely
 * (model.weights) in the shared scratch, and kept as the terms they are not zero on. Each reader
 * kept a dense 400 KB array (64 of them), one made new for every new reader, which drove major
 * collections onto first pages (decision 035).
 */
function readerWeights(state: State, userId: number, model: ReaderModel, vocab: Vocabulary): ReaderWeights {
  const kept = state.weights.get(userId);
  state.weights.delete(userId);
  let fresh = kept;
  if (!kept || kept.vocab !== vocab || kept.model !== model || kept.revision !== model.revision) {
    const dense = model.weights(vocab, scratchOf(state, vocab.size));
    let n = 0;
    for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) n++;
    const weights = { ids: new Int32Array(n), vals: new Float64Array(n) };
    for (let i = 0, k = 0; i < dense.length; i++) {
      if (dense[i] === 0) continue;
      weights.ids[k] = i;
      weights.vals[k++] = dense[i]!;
      dense[i] = 0;
    }
    fresh = { vocab, model, revision: model.revision, weights };
  }
  state.weights.set(userId, fresh!);
  if (state.weights.size > MAX_WEIGHTS) state.weights.delete(state.weights.keys().next().value!);
  return fresh!.weights;
}

/**
 * `fn` given the reader's weights spread over the vocabulary (the dense weights ranking and reasons
 * read: the same numbers, zero elsewhere), in the shared scratch: `fn` is synchronous, and the
 * scratch is all zero again after it.
 */
function withWeights<T>(state: State, vocab: Vocabulary, weights: ReaderWeights, fn: (dense: Float64Array) => T): T {
  const dense = scratchOf(state, vocab.size);
  const { ids, vals } = weights;
  for (let k = 0; k < ids.length; k++) dense[ids[k]!] = vals[k]!;
  try {
    return fn(dense);
  } finally {
    for (let k = 0; k < ids.length; k++) dense[ids[k]!] = 0;
  }
}

/**
 * These papers (a digest's period) in the reader's for-you order, best first, at most `limit`:
 * what they hid or already liked left out. Papers outside the recent pool are read and vectorized here.
 */
export async function rankAmong(db: Db, userId: number, paperIds: readonly string[], limit: number): Promise<string[]> {
  const [pool, follows, hidden] = await Promise.all([poolOf(db), followsOf(db.kysely, userId), hiddenPaperIds(db.kysely, userId)]);
  const { model, liked } = await readerModel(db, userId, pool);
  const inPool = pool.candidates;
  const missing = paperIds.filter((id) => !inPool.indexOf.has(id));
  const state = stateOf(db);
  const extra = await papersText(db.kysely, missing);
  const present = paperIds.filter((id) => inPool.indexOf.has(id));
  const candidates = new CandidateSet(
    [...present.map((id) => inPool.get(id)!), ...extra.map((p) => ({ id: p.id, title: p.title, publishedAt: p.publishedAt, upvotes: p.upvotes, authors: p.authors, organization: p.organization, categories: p.categories }))],
    [...present.map((id) => inPool.vectorOf(id)!), ...extra.map((p) => pool.vocab.vectorize(state.table.decode(countsOf(state, p))))],
  );
  const followed = await followedOf(db, pool, follows);
  const exclude = new Set([...hidden, ...liked]);
  return withWeights(state, pool.vocab, readerWeights(state, userId, model, pool.vocab), (w) => rankCandidates(candidates, model, w, followed, { exclude, limit })).map((r) => r.candidate.id);
}

async function followedOf(db: Db, pool: Pool, follows: Follow[]): Promise<Followed> {
  const searches = new Map<string, string>();
  for (const f of follows.filter((x) => x.kind === 'search')) {
    for (const id of await searchMatches(db, pool, f.target)) if (!searches.has(id)) searches.set(id, f.target);
  }
  return {
    authors: new Set(follows.filter((f) => f.kind === 'author').map((f) => f.target)),
    organizations: new Set(follows.filter((f) => f.kind === 'organization').map((f) => f.target)),
    categories: follows.filter((f) => f.kind === 'category').map((f) => f.target),
    searches,
  };
}

/** Most recent papers one followed search lifts (the search engine's most a request). */
const PER_SEARCH = 100;
const MAX_KEPT_SEARCHES = 2000;

/**
 * The recent papers a followed search matches, newest first: one search per query and pool,
 * kept for every reader who follows it. A query the search language no longer takes matches nothing.
 */
function searchMatches(db: Db, pool: Pool, query: string): Promise<string[]> {
  const state = stateOf(db);
  const key = `${pool.builtAt}\n${query}`;
  let kept = state.searches.get(key);
  if (!kept) {
    kept = searchPapers(db, { q: query, filters: { after: pool.since }, sort: 'date', semantic: false, limit: PER_SEARCH }).then(
      (r) => r.hits.map((h) => h.paperId),
      (err: unknown) => {
        state.searches.delete(key);
        if (err instanceof QueryError) return [];
        throw err;
      },
    );
    state.searches.set(key, kept);
    if (state.searches.size > MAX_KEPT_SEARCHES) state.searches.delete(state.searches.keys().next().value!);
  }
  return kept;
}

/**
 * The text ranking's best, ranked again with the embeddings (search/vectors.ts): each paper's
 * cosine with the centroid of what the reader liked (less half that of what they hid) is added.
 * Papers not embedded yet keep their text score. Without any liked paper embedded, unchanged.
 */
async function withMeaning(db: Db, config: Config, ranked: Ranked[], model: ReaderModel): Promise<Ranked[]> {
  const liked = model.likedPaperIds();
  const hidden = model.hiddenPaperIds();
  const vectors = await paperVectors(db, config, [...liked, ...hidden, ...ranked.map((r) => r.candidate.id)]);
  const centroid = (ids: string[]) => {
    let sum: Float64Array | undefined;
    let n = 0;
    for (const id of ids) {
      const v = vectors.get(id);
      if (!v) continue;
      sum ??= new Float64Array(v.length);
      for (let i = 0; i < v.length; i++) sum[i]! += v[i]!;
      n++;
    }
    return sum && n > 0 ? sum.map((x) => x / n) : undefined;
  };
  const pos = centroid(liked);
  if (!pos) return ranked;
  const neg = centroid(hidden);
  const q = neg ? pos.map((x, i) => x - 0.5 * neg[i]!) : pos;
  const norm = Math.sqrt(q.reduce((s, x) => s + x * x, 0)) || 1;
  const cos = (v: Float32Array) => {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * q[i]!;
    return s / norm;
  };
  return ranked
    .map((r) => {
      const v = vectors.get(r.candidate.id);
      return v ? { ...r, score: r.score + SEMANTIC_WEIGHT * cos(v) } : r;
    })
    .sort((a, b) => b.score - a.score);
}
