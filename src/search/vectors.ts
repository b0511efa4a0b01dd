import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import { EmbeddingError, decodeVectorInto, embedTexts } from './embeddings.ts';

/**
 * Nearest papers to a query by cosine similarity, brute force over every stored
 * vector of the configured model. The vectors sit in one Float32Array per process,
 * normalized so that cosine similarity is a dot product: about 10 ms for 10,000
 * papers of 768 dimensions, and 3 KB of memory per paper. A cheap query (count and
 * latest `created_at`) tells on each search whether the matrix must be read again.
 */

export type SemanticRanking =
  /** `ids` nearest first; `similarities[i]` is the cosine similarity of `ids[i]` (−1 to 1). */
  | { ok: true; ids: string[]; similarities: number[] }
  /** Why there is no ranking, in words a reader may see (e.g. beside text-only results). */
  | { ok: false; reason: string };

export interface SemanticOptions {
  /** Timeout of the query's one embedding request (default: the lesser of UPSTREAM_TIMEOUT_MS and 3 s). */
  timeoutMs?: number;
}

const QUERY_TIMEOUT_MS = 3_000;
/** Rows read per query while filling the matrix, which bounds the driver's buffers. */
const LOAD_PAGE = 5_000;

interface VectorMatrix {
  /** What the matrix was read at: count and latest `created_at` of the model's vectors. */
  stamp: string;
  ids: string[];
  dimensions: number;
  /** Row i (ids[i]) at [i·dimensions, (i+1)·dimensions), each of unit length. */
  matrix: Float32Array;
}

/** Per database and model: the matrix, or the read of it under way (shared by concurrent searches). */
const matrices = new WeakMap<Db, Map<string, Promise<VectorMatrix>>>();

/** The `k` visible papers nearest to `query`, or why there are none; throws only when the database does. */
export async function semanticRanking(db: Db, config: Config, query: string, k: number, opts: SemanticOptions = {}): Promise<SemanticRanking> {
  if (!config.EMBEDDINGS_URL) return { ok: false, reason: 'semantic search is not configured on this site' };
  if (query.trim() === '') return { ok: false, reason: 'there is nothing to search for' };
  const vectors = await vectorMatrix(db, config);
  if (vectors.ids.length === 0) return { ok: false, reason: 'no papers have been embedded for semantic search yet' };

  let queryVector: Float32Array;
  try {
    [queryVector] = (await embedTexts(config, [query], {
      timeoutMs: opts.timeoutMs ?? Math.min(config.UPSTREAM_TIMEOUT_MS, QUERY_TIMEOUT_MS),
      maxRetries: 0,
    })) as [Float32Array];
  } catch (err) {
    if (!(err instanceof EmbeddingError)) throw err;
    return { ok: false, reason: queryFailureReason(err) };
  }
  normalize(queryVector, 0, queryVector.length);
  const scores = dotProducts(vectors, queryVector);
  return { ok: true, ...(await nearestVisible(db, vectors.ids, scores, Math.max(0, Math.floor(k)))) };
}

function queryFailureReason(err: EmbeddingError): string {
  if (err.failure === 'unavailable') return 'the embedding service did not answer';
  if (err.failure === 'misconfigured') return 'the embedding service is misconfigured';
  return 'the embedding service could not embed this query';
}

/** The matrix for the configured model, read again when the stored vectors changed since it was read. */
async function vectorMatrix(db: Db, config: Config): Promise<VectorMatrix> {
  const key = `${config.EMBEDDINGS_MODEL}\n${config.EMBEDDINGS_DIMENSIONS}`;
  let perModel = matrices.get(db);
  if (!perModel) matrices.set(db, (perModel = new Map()));
  const stamp = await vectorStamp(db, config);
  const cached = perModel.get(key);
  if (cached) {
    const current = await cached.catch(() => undefined);
    if (current?.stamp === stamp) return current;
    // Stale: another search may have started the newer read while this one waited.
    const latest = perModel.get(key);
    if (latest && latest !== cached) return latest;
  }
  const loading = loadMatrix(db, config, stamp);
  perModel.set(key, loading);
  loading.catch(() => perModel.delete(key));
  return loading;
}

async function vectorStamp(db: Db, config: Config): Promise<string> {
  const row = await db.kysely
    .selectFrom('paper_embeddings')
    .select((eb) => [eb.fn.countAll().as('n'), eb.fn.max('created_at').as('latest')])
    .where('model', '=', config.EMBEDDINGS_MODEL)
    .where('dimensions', '=', config.EMBEDDINGS_DIMENSIONS)
    .executeTakeFirstOrThrow();
  return `${Number(row.n)}|${row.latest ?? ''}`;
}

/**
 * Reads every vector of the model, hidden papers' too: hiding and showing a paper
 * then needs no new read, since the visibility of the nearest is checked per search.
 */
async function loadMatrix(db: Db, config: Config, stamp: string): Promise<VectorMatrix> {
  const dimensions = config.EMBEDDINGS_DIMENSIONS;
  const ids: string[] = [];
  const chunks: Float32Array[] = [];
  let after: string | undefined;
  for (;;) {
    let query = db.kysely
      .selectFrom('paper_embeddings')
      .select(['paper_id', 'vector'])
      .where('model', '=', config.EMBEDDINGS_MODEL)
      .where('dimensions', '=', dimensions)
      .orderBy('paper_id')
      .limit(LOAD_PAGE);
    if (after !== undefined) query = query.where('paper_id', '>', after);
    const rows = await query.execute();
    const chunk = new Float32Array(rows.length * dimensions);
    for (const [i, row] of rows.entries()) {
      if (row.vector.byteLength !== dimensions * 4) continue;
      decodeVectorInto(row.vector, chunk, i * dimensions);
      normalize(chunk, i * dimensions, dimensions);
    }
    ids.push(...rows.map((r) => r.paper_id));
    chunks.push(chunk);
    if (rows.length < LOAD_PAGE) break;
    after = rows[rows.length - 1]!.paper_id;
  }
  const matrix = new Float32Array(ids.length * dimensions);
  let offset = 0;
  for (const chunk of chunks) {
    matrix.set(chunk, offset);
    offset += chunk.length;
  }
  return { stamp, ids, dimensions, matrix };
}

/** Scales `v[offset, offset+n)` to unit length; a zero vector stays zero (similar to nothing). */
function normalize(v: Float32Array, offset: number, n: number): void {
  let sum = 0;
  for (let i = offset; i < offset + n; i++) sum += v[i]! * v[i]!;
  if (sum === 0) return;
  const scale = 1 / Math.sqrt(sum);
  for (let i = offset; i < offset + n; i++) v[i]! *= scale;
}

/** Each row's dot product with `q`; four running sums per row let the CPU overlap the multiplications (about twice as fast). */
function dotProducts({ matrix, dimensions, ids }: VectorMatrix, q: Float32Array): Float32Array {
  const scores = new Float32Array(ids.length);
  const unrolled = dimensions - (dimensions % 4);
  for (let row = 0, base = 0; row < ids.length; row++, base += dimensions) {
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    let j = 0;
    for (; j < unrolled; j += 4) {
      d0 += matrix[base + j]! * q[j]!;
      d1 += matrix[base + j + 1]! * q[j + 1]!;
      d2 += matrix[base + j + 2]! * q[j + 2]!;
      d3 += matrix[base + j + 3]! * q[j + 3]!;
    }
    for (; j < dimensions; j++) d0 += matrix[base + j]! * q[j]!;
    scores[row] = d0 + d1 + d2 + d3;
  }
  return scores;
}

/**
 * The `k` best-scoring papers that are not hidden. Takes the top candidates, asks the
 * database which are visible, and widens the pool while hidden ones leave it short.
 */
async function nearestVisible(db: Db, ids: string[], scores: Float32Array, k: number): Promise<{ ids: string[]; similarities: number[] }> {
  if (k === 0) return { ids: [], similarities: [] };
  for (let pool = k + 16; ; pool *= 4) {
    const candidates = topRows(ids, scores, Math.min(pool, ids.length));
    const visible = new Set<string>();
    // In slices: SQLite takes at most 32,766 parameters in one statement.
    for (let i = 0; i < candidates.length; i += 10_000) {
      const slice = candidates.slice(i, i + 10_000).map((row) => ids[row]!);
      const rows = await db.kysely.selectFrom('papers').select('id').where('id', 'in', slice).where('hidden_at', 'is', null).execute();
      for (const r of rows) visible.add(r.id);
    }
    const kept = candidates.filter((row) => visible.has(ids[row]!));
    if (kept.length >= k || candidates.length === ids.length) {
      const top = kept.slice(0, k);
      return { ids: top.map((row) => ids[row]!), similarities: top.map((row) => scores[row]!) };
    }
  }
}

/** Rows of the `n` highest scores, best first; equal scores in paper id order, so results are stable. */
function topRows(ids: string[], scores: Float32Array, n: number): number[] {
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && ids[a]! < ids[b]!);
  // A min-heap of the best n seen so far: its root is the worst of them.
  const heap: number[] = [];
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && better(heap[worst]!, heap[l]!)) worst = l;
      if (r < heap.length && better(heap[worst]!, heap[r]!)) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst]!, heap[i]!];
      i = worst;
    }
  };
  for (let row = 0; row < scores.length; row++) {
    if (heap.length < n) {
      heap.push(row);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!better(heap[parent]!, heap[i]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else if (n > 0 && better(row, heap[0]!)) {
      heap[0] = row;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : 1));
}

const rowIndexes = new WeakMap<VectorMatrix, Map<string, number>>();

/**
 * The stored vectors of these papers (unit length, views into the shared matrix), for the
 * configured model: for-you reads the ones it ranks. Papers not embedded yet are missing.
 */
export async function paperVectors(db: Db, config: Config, paperIds: Iterable<string>): Promise<Map<string, Float32Array>> {
  const m = await vectorMatrix(db, config);
  let index = rowIndexes.get(m);
  if (!index) rowIndexes.set(m, (index = new Map(m.ids.map((id, i) => [id, i]))));
  const out = new Map<string, Float32Array>();
  for (const id of paperIds) {
    const row = index.get(id);
    if (row !== undefined) out.set(id, m.matrix.subarray(row * m.dimensions, (row + 1) * m.dimensions));
  }
  return out;
}
