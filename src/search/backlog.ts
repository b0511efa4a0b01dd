import { sql } from 'kysely';
import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { EmbeddingError, embedTexts, encodeVector, paperText, type EmbedOptions } from './embeddings.ts';

/**
 * The backlog is every visible paper without a vector from the configured model:
 * it is read from the tables, so it survives restarts and any process can work it.
 * A paper the service refuses is recorded in `embedding_failures` and skipped until
 * its `retry_at`, which moves further out with each attempt, so it never blocks the rest.
 */

export interface EmbedBacklogOptions {
  /** Most papers to take in this run (default: the whole backlog). */
  limit?: number;
  /** Start no batch after this time (ms since the epoch): a scheduled run leaves the rest to the next. */
  deadline?: number;
  /** The embedding client's timeouts, retries and backoff. */
  client?: EmbedOptions;
  log?: Logger;
  /** Called after each stored batch, with the running totals. */
  onProgress?: (progress: { embedded: number; failed: number }) => void;
}

export interface EmbedBacklogSummary {
  /** Papers embedded and stored by this run. */
  embedded: number;
  /** Papers the service refused in this run; each is tried again after its backoff. */
  failed: number;
  /** Requests that returned vectors. */
  requests: number;
  /** Visible papers still without a vector for this model, counting those backing off. */
  remaining: number;
  /** Of `remaining`, papers waiting out a backoff after failures. */
  backingOff: number;
  /** Set when the run stopped on the service (down, or misconfigured) before the backlog was done: why. */
  stopped?: string;
}

/** First wait after a refusal; doubled with each further attempt up to a day. */
const FAILURE_BACKOFF_MS = 15 * 60_000;
const MAX_FAILURE_BACKOFF_MS = 24 * 3_600_000;

interface BacklogPaper {
  id: string;
  title: string;
  abstract: string;
  published_at: string;
}

/** Embeds the backlog in batches of EMBEDDINGS_BATCH, newest papers first, and counts what it did. */
export async function embedBacklog(db: Db, config: Config, opts: EmbedBacklogOptions = {}): Promise<EmbedBacklogSummary> {
  if (!config.EMBEDDINGS_URL) throw new Error('search: EMBEDDINGS_URL is not set, so there is no embedding service to ask');
  const log = opts.log ?? silentLogger;
  const totals = { embedded: 0, failed: 0, requests: 0 };
  let stopped: string | undefined;
  // Within one run the batches walk down (published_at, id): papers refused or stored behind the cursor are not read again.
  let cursor: Cursor | undefined;

  // Tries a group whole; when the service refuses it, halves it until the refused papers stand alone.
  const embedGroup = async (papers: BacklogPaper[]): Promise<void> => {
    try {
      const vectors = await embedTexts(config, papers.map(paperText), opts.client);
      totals.requests++;
      await storeEmbeddings(db, config, papers, vectors);
      totals.embedded += papers.length;
    } catch (err) {
      if (!(err instanceof EmbeddingError) || err.failure !== 'refused') throw err;
      if (papers.length === 1) {
        const attempts = await recordFailure(db, config, papers[0]!.id, err.message);
        log.warn({ paperId: papers[0]!.id, attempts, err: err.message }, 'embeddings: the service refused a paper; it will be tried again later');
        totals.failed++;
        return;
      }
      const half = Math.ceil(papers.length / 2);
      await embedGroup(papers.slice(0, half));
      await embedGroup(papers.slice(half));
    }
  };

  // Nothing due (the usual case between arrivals): one count, no walk over every paper.
  const before = await backlogSize(db, config);
  let due = before.remaining - before.backingOff;
  while (due > 0 && (opts.limit === undefined || totals.embedded + totals.failed < opts.limit)) {
    if (opts.deadline !== undefined && Date.now() >= opts.deadline) break;
    const size = Math.min(config.EMBEDDINGS_BATCH, (opts.limit ?? Infinity) - totals.embedded - totals.failed);
    const next = await nextBacklogBatch(db, config, size, cursor);
    cursor = next.cursor;
    if (next.papers.length === 0) break;
    const papers = await papersText(db, next.papers);
    due -= papers.length;
    try {
      await embedGroup(papers);
    } catch (err) {
      // Down, busy or misconfigured: no paper is to blame, and the next batch would fare no better.
      if (!(err instanceof EmbeddingError)) throw err;
      stopped = err.message;
      break;
    }
    opts.onProgress?.({ embedded: totals.embedded, failed: totals.failed });
  }
  const { remaining, backingOff } = await backlogSize(db, config);
  return { ...totals, remaining, backingOff, ...(stopped ? { stopped } : {}) };
}

/** One line for logs and the CLI: what a run did. */
export function describeEmbedRun(s: EmbedBacklogSummary): string {
  const waiting = s.backingOff > 0 ? ` (${s.backingOff} backing off after refusals)` : '';
  return `${s.embedded} embedded, ${s.failed} refused, ${s.remaining} remaining${waiting}${s.stopped ? `; stopped: ${s.stopped}` : ''}`;
}

type Cursor = { published_at: string; id: string };

/** Papers read per step of the walk: twice a batch, within SQLite's limit of bound parameters. */
const walkPage = (size: number) => Math.min(2 * size + 16, 10_000);

/**
 * The next `size` papers of the backlog after `cursor`, newest first, skipping those backing off.
 * Walks the papers in key order and looks their vectors up by primary key, rather than asking the
 * database for an anti-join: with statistics gone stale under a fast-growing table, PostgreSQL
 * plans that join as a nested loop over every pair (minutes for 10,000 papers); this stays linear.
 */
async function nextBacklogBatch(db: Db, config: Config, size: number, cursor?: Cursor): Promise<{ papers: Cursor[]; cursor?: Cursor }> {
  const taken: Cursor[] = [];
  const now = new Date().toISOString();
  for (;;) {
    let query = db.kysely
      .selectFrom('papers')
      .select(['id', 'published_at'])
      .where('hidden_at', 'is', null)
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(walkPage(size));
    if (cursor) query = query.where(sql<boolean>`(published_at, id) < (${cursor.published_at}, ${cursor.id})`);
    const page = await query.execute();
    if (page.length === 0) return { papers: taken, cursor };
    const ids = page.map((p) => p.id);
    const embedded = await db.kysely
      .selectFrom('paper_embeddings')
      .select('paper_id')
      .where('paper_id', 'in', ids)
      .where('model', '=', config.EMBEDDINGS_MODEL)
      .where('dimensions', '=', config.EMBEDDINGS_DIMENSIONS)
      .execute();
    const waiting = await db.kysely
      .selectFrom('embedding_failures')
      .select('paper_id')
      .where('paper_id', 'in', ids)
      .where('model', '=', config.EMBEDDINGS_MODEL)
      .where('retry_at', '>', now)
      .execute();
    const skip = new Set([...embedded, ...waiting].map((r) => r.paper_id));
    for (const paper of page) {
      cursor = paper;
      if (skip.has(paper.id)) continue;
      taken.push(paper);
      if (taken.length === size) return { papers: taken, cursor };
    }
    if (page.length < walkPage(size)) return { papers: taken, cursor };
  }
}

/** Title and abstract of the papers of a batch, in the batch's order. */
async function papersText(db: Db, batch: Cursor[]): Promise<BacklogPaper[]> {
  const rows = await db.kysely
    .selectFrom('papers')
    .select(['id', 'title', 'abstract', 'published_at'])
    .where('id', 'in', batch.map((p) => p.id))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  // A paper deleted since the walk read it is left out.
  return batch.flatMap((p) => byId.get(p.id) ?? []);
}

/** Stores a batch's vectors (replacing another model's) and clears the papers' failures, in one transaction. */
async function storeEmbeddings(db: Db, config: Config, papers: BacklogPaper[], vectors: Float32Array[]): Promise<void> {
  const createdAt = new Date().toISOString();
  const rows = papers.map((p, i) => ({
    paper_id: p.id,
    model: config.EMBEDDINGS_MODEL,
    dimensions: config.EMBEDDINGS_DIMENSIONS,
    vector: encodeVector(vectors[i]!),
    created_at: createdAt,
  }));
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('paper_embeddings')
      .values(rows)
      .onConflict((oc) =>
        oc.column('paper_id').doUpdateSet((eb) => ({
          model: eb.ref('excluded.model'),
          dimensions: eb.ref('excluded.dimensions'),
          vector: eb.ref('excluded.vector'),
          created_at: eb.ref('excluded.created_at'),
        })),
      )
      .execute();
    await trx
      .deleteFrom('embedding_failures')
      .where('paper_id', 'in', papers.map((p) => p.id))
      .execute();
  });
}

/** Records one more refusal of a paper and when to try it next; returns the attempts so far. */
async function recordFailure(db: Db, config: Config, paperId: string, error: string): Promise<number> {
  const previous = await db.kysely.selectFrom('embedding_failures').select(['model', 'attempts']).where('paper_id', '=', paperId).executeTakeFirst();
  const attempts = previous?.model === config.EMBEDDINGS_MODEL ? previous.attempts + 1 : 1;
  const now = Date.now();
  const row = {
    paper_id: paperId,
    model: config.EMBEDDINGS_MODEL,
    attempts,
    last_error: error.slice(0, 1000),
    failed_at: new Date(now).toISOString(),
    retry_at: new Date(now + Math.min(MAX_FAILURE_BACKOFF_MS, FAILURE_BACKOFF_MS * 2 ** (attempts - 1))).toISOString(),
  };
  await db.kysely
    .insertInto('embedding_failures')
    .values(row)
    .onConflict((oc) => oc.column('paper_id').doUpdateSet({ model: row.model, attempts, last_error: row.last_error, failed_at: row.failed_at, retry_at: row.retry_at }))
    .execute();
  return attempts;
}

/** Visible papers without a vector for the configured model, and how many of them are backing off. */
export async function backlogSize(db: Db, config: Config): Promise<{ remaining: number; backingOff: number }> {
  const now = new Date().toISOString();
  return db.kysely.transaction().execute(async (trx) => {
    // A count over every paper is a hash join at any table size; stale statistics must not turn it
    // into a nested loop over every pair (see nextBacklogBatch).
    if (db.dialect === 'postgres') await sql`set local enable_nestloop = off`.execute(trx);
    const row = await trx
      .selectFrom('papers as p')
      .leftJoin('embedding_failures as f', (join) => join.onRef('f.paper_id', '=', 'p.id').on('f.model', '=', config.EMBEDDINGS_MODEL))
      .select((eb) => [
        eb.fn.countAll().as('remaining'),
        eb.fn.count(eb.case().when('f.retry_at', '>', now).then(1).end()).as('backingOff'),
      ])
      .where('p.hidden_at', 'is', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('paper_embeddings as e')
              .select('e.paper_id')
              .whereRef('e.paper_id', '=', 'p.id')
              .where('e.model', '=', config.EMBEDDINGS_MODEL)
              .where('e.dimensions', '=', config.EMBEDDINGS_DIMENSIONS),
          ),
        ),
      )
      .executeTakeFirstOrThrow();
    return { remaining: Number(row.remaining), backingOff: Number(row.backingOff) };
  });
}
