import type { Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { writeContent } from '../db/content-version.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { fetchArxivIds } from './arxiv-api.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { RefusedError, type PoliteFetcher } from './polite-fetch.ts';
import { RecordProblem } from './summary.ts';

/** Ids per `id_list` request: one request of fetchArxivIds, about 1.2 kB of URL. */
export const METADATA_BATCH = 100;

/**
 * When an id arXiv left out is asked again, by how many times it was asked: arXiv's API can
 * lag its announcement by a day, and an id may be fixed upstream later; after the last, never.
 */
const UNKNOWN_RETRY_DAYS = [1, 7, 30];

export interface BackfillOptions {
  fetcher: PoliteFetcher;
  apiUrl: string;
  /** At most this many papers in this run (default: all that need it). */
  limit?: number;
  /** Ids per request (default METADATA_BATCH, at most 100). */
  batchSize?: number;
  /** No new request starts after this time (ms since the epoch). */
  deadline?: number;
  now?: () => Date;
  log?: Logger;
  /** Called after each batch is stored. */
  onBatch?: (summary: BackfillSummary) => void;
}

export interface BackfillSummary {
  /** Papers asked for. */
  asked: number;
  /** Of those, papers arXiv answered for. */
  found: number;
  /** Of those, papers that gained anything (categories, comment, journal reference, DOI, license). */
  filled: number;
  /** Ids arXiv left out: remembered, asked again later (UNKNOWN_RETRY_DAYS). */
  unknown: number;
  /** Requests sent (one per batch). */
  requests: number;
  /** Papers that still need asking when the run ended (0 when it finished). */
  remaining: number;
}

/**
 * Fills in arXiv's metadata for papers that have no categories (those imported from Hugging
 * Face), a batch of ids per `id_list` request through the polite client. Each batch is stored
 * in one transaction together with the record that its papers were asked, so a run killed
 * mid-batch leaves nothing half-written and the next run starts with that batch. Only empty
 * fields are filled: title, abstract, authors and anything already set stay as they are.
 * Throws `arxiv: …` when arXiv cannot be reached (after the client's retries); batches stored
 * before stay stored.
 */
export async function backfillArxivMetadata(db: Db, opts: BackfillOptions): Promise<BackfillSummary> {
  const now = opts.now ?? (() => new Date());
  const log = opts.log ?? silentLogger;
  const batchSize = Math.min(Math.max(1, opts.batchSize ?? METADATA_BATCH), METADATA_BATCH);
  const summary: BackfillSummary = { asked: 0, found: 0, filled: 0, unknown: 0, requests: 0, remaining: 0 };
  const limit = opts.limit ?? Infinity;
  while (summary.asked < limit && (opts.deadline === undefined || Date.now() < opts.deadline)) {
    const ids = await papersWithoutMetadata(db, Math.min(batchSize, limit - summary.asked), now().toISOString());
    if (ids.length === 0) break;
    const wanted = ids.filter((id) => parseArxivId(id) !== null);
    const records = wanted.length > 0 ? await askArxiv(opts, wanted, summary, log) : new Map<string, ArxivRecord>();
    const outcome = await storeBatch(db, ids, records, now().toISOString());
    summary.asked += ids.length;
    summary.found += outcome.found;
    summary.filled += outcome.filled;
    summary.unknown += ids.length - outcome.found;
    opts.onBatch?.(summary);
  }
  summary.remaining = await countPapersWithoutMetadata(db, now().toISOString());
  return summary;
}

/**
 * arXiv's answers for `ids`. arXiv refuses a whole `id_list` for one id it cannot read (400
 * "incorrect id format"), so a refused list is halved until the refused ids stand alone: one
 * bad id costs a few requests and is recorded as unknown, instead of stopping its batch on
 * every run.
 */
async function askArxiv(opts: BackfillOptions, ids: string[], summary: BackfillSummary, log: Logger): Promise<Map<string, ArxivRecord>> {
  const asked = new Set(ids);
  const records = new Map<string, ArxivRecord>();
  summary.requests++;
  try {
    for await (const item of fetchArxivIds(opts.fetcher, opts.apiUrl, ids)) {
      if (item instanceof RecordProblem) {
        if (item.reason !== 'not found on arXiv') log.warn({ position: item.position, reason: item.reason }, 'arxiv: unreadable entry in a metadata answer');
      } else if (asked.has(item.id)) {
        records.set(item.id, item);
      }
    }
  } catch (err) {
    if (!(err instanceof RefusedError)) throw err;
    if (ids.length === 1) {
      log.warn({ id: ids[0], reason: err.message }, 'arxiv: refused an id; asked again later');
      return records;
    }
    const half = Math.ceil(ids.length / 2);
    return new Map([...(await askArxiv(opts, ids.slice(0, half), summary, log)), ...(await askArxiv(opts, ids.slice(half), summary, log))]);
  }
  return records;
}

/**
 * Papers without categories that were not asked yet, or whose retry is due: newest first, so
 * the papers readers see first get their categories first.
 */
export async function papersWithoutMetadata(db: Db, limit: number, now: string): Promise<string[]> {
  const rows = await needsMetadata(db.kysely, now).select('p.id').orderBy('p.published_at', 'desc').orderBy('p.id').limit(limit).execute();
  return rows.map((r) => r.id);
}

async function countPapersWithoutMetadata(db: Db, now: string): Promise<number> {
  const row = await needsMetadata(db.kysely, now).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function needsMetadata(db: Db['kysely'], now: string) {
  return (
    db
      .selectFrom('papers as p')
      // Implied by having no categories (every source sets a primary one with them); lets the
      // partial index papers_uncategorised answer instead of a walk over every paper.
      .where('p.primary_category', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('paper_categories as c').select('c.paper_id').whereRef('c.paper_id', '=', 'p.id'))))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('arxiv_metadata_checks as k')
              .select('k.paper_id')
              .whereRef('k.paper_id', '=', 'p.id')
              .where((eb) => eb.or([eb('k.retry_at', 'is', null), eb('k.retry_at', '>', now)])),
          ),
        ),
      )
  );
}

/** Stores one batch's answers and the record of asking, in one transaction; bumps the content version when a paper gained anything. */
async function storeBatch(db: Db, ids: string[], records: Map<string, ArxivRecord>, now: string): Promise<{ found: number; filled: number }> {
  return writeContent(
    db.kysely,
    async (trx) => {
      const filled = await fillEmptyFields(trx, [...records.values()], now);
      const previous = new Map(
        (await trx.selectFrom('arxiv_metadata_checks').select(['paper_id', 'attempts']).where('paper_id', 'in', ids).execute()).map((r) => [r.paper_id, r.attempts]),
      );
      const rows = ids.map((paper_id) => {
        const attempts = (previous.get(paper_id) ?? 0) + 1;
        const found = records.has(paper_id);
        const days = UNKNOWN_RETRY_DAYS[attempts - 1];
        return {
          paper_id,
          outcome: found ? 'found' : 'unknown',
          attempts,
          checked_at: now,
          retry_at: found || days === undefined ? null : new Date(Date.parse(now) + days * 86_400_000).toISOString(),
        };
      });
      await trx
        .insertInto('arxiv_metadata_checks')
        .values(rows)
        .onConflict((oc) =>
          oc.column('paper_id').doUpdateSet((eb) => ({
            outcome: eb.ref('excluded.outcome'),
            attempts: eb.ref('excluded.attempts'),
            checked_at: eb.ref('excluded.checked_at'),
            retry_at: eb.ref('excluded.retry_at'),
          })),
        )
        .execute();
      return { found: ids.filter((id) => records.has(id)).length, filled };
    },
    (r) => r.filled > 0,
  );
}

/**
 * Sets arXiv's values where the paper has none: categories only on a paper with none (read
 * again here, inside the transaction: an arXiv ingest may have stored the paper meanwhile), the
 * other fields one by one where empty. Returns how many papers gained anything.
 */
async function fillEmptyFields(trx: Transaction<Database>, records: ArxivRecord[], now: string): Promise<number> {
  if (records.length === 0) return 0;
  const ids = records.map((r) => r.id);
  const stored = new Map(
    (await trx.selectFrom('papers').select(['id', 'primary_category', 'comment', 'journal_ref', 'doi', 'license']).where('id', 'in', ids).execute()).map((p) => [p.id, p]),
  );
  const categorised = new Set(
    (await trx.selectFrom('paper_categories').select('paper_id').distinct().where('paper_id', 'in', ids).execute()).map((r) => r.paper_id),
  );
  const categoryRows: { paper_id: string; category: string }[] = [];
  let filled = 0;
  for (const rec of records) {
    const paper = stored.get(rec.id);
    if (!paper) continue;
    const set = {
      ...(paper.primary_category === null && rec.primaryCategory ? { primary_category: rec.primaryCategory } : {}),
      ...(paper.comment === null && rec.comment ? { comment: rec.comment } : {}),
      ...(paper.journal_ref === null && rec.journalRef ? { journal_ref: rec.journalRef } : {}),
      ...(paper.doi === null && rec.doi ? { doi: rec.doi } : {}),
      // The Atom API carries no license (undefined); other sources do.
      ...(paper.license === null && rec.license ? { license: rec.license } : {}),
    };
    const categories = categorised.has(rec.id) ? [] : [...new Set(rec.categories)];
    for (const category of categories) categoryRows.push({ paper_id: rec.id, category });
    if (Object.keys(set).length > 0) await trx.updateTable('papers').set({ ...set, modified_at: now }).where('id', '=', rec.id).execute();
    if (Object.keys(set).length > 0 || categories.length > 0) filled++;
  }
  if (categoryRows.length > 0) await trx.insertInto('paper_categories').values(categoryRows).execute();
  return filled;
}

/** One line for the CLI and the job's record. */
export function describeBackfill(s: BackfillSummary): string {
  return (
    `${s.asked} paper(s) asked in ${s.requests} request(s): ${s.found} found, ${s.filled} filled in, ` +
    `${s.unknown} unknown to arXiv (asked again later); ${s.remaining} still to ask`
  );
}
