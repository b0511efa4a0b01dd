import type { Kysely } from 'kysely';
import type { Config } from '../core/config.ts';
import { writeContent } from '../db/content-version.ts';
import type { Database } from '../db/schema.ts';
import { arxivFetcher, fetchArxivIds } from '../ingest/arxiv-api.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import type { PoliteFetcher } from '../ingest/polite-fetch.ts';
import { RecordProblem } from '../ingest/summary.ts';
import type { Logger } from '../core/log.ts';
import { saveArxivRecords } from '../ingest/save.ts';
import { addCommunityListing, paperStanding, submissionsSince } from './queries.ts';

export type SubmitOutcome =
  | { kind: 'submitted'; paperId: string; day: string }
  | { kind: 'featured'; paperId: string; day: string }
  | { kind: 'hidden'; paperId: string }
  | { kind: 'delisted'; paperId: string }
  | { kind: 'limit'; limit: number; retryAfter: number }
  | { kind: 'not-on-arxiv'; paperId: string }
  | { kind: 'upstream'; message: string };

export interface SubmitDeps {
  db: Kysely<Database>;
  fetcher: PoliteFetcher;
  apiUrl: string;
  perDay: number;
}

/**
 * Submits a paper to today's list (UTC day) for a user. An unknown paper is
 * fetched from arXiv first; the paper and its listing are then written in one
 * transaction, after the refusals (hidden, already featured, daily limit) are
 * checked again under the content lock, so two racing submissions cannot both pass.
 */
export async function submitPaper(deps: SubmitDeps, userId: number, paperId: string, now = new Date()): Promise<SubmitOutcome> {
  const at = now.toISOString();
  const day = at.slice(0, 10);
  const refusal = async (db: SubmitDeps['db']): Promise<SubmitOutcome | null> => {
    const standing = await paperStanding(db, paperId);
    if (standing.hidden) return { kind: 'hidden', paperId };
    if (standing.featuredOn) return { kind: 'featured', paperId, day: standing.featuredOn };
    // Moderators took it off the lists; submitting it again would undo that.
    if (standing.delisted) return { kind: 'delisted', paperId };
    if ((await submissionsSince(db, userId, `${day}T00:00:00.000Z`)) >= deps.perDay) {
      const midnight = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;
      return { kind: 'limit', limit: deps.perDay, retryAfter: Math.max(1, Math.ceil((midnight - now.getTime()) / 1000)) };
    }
    return null;
  };
  // Refuse before asking arXiv anything.
  const early = await refusal(deps.db);
  if (early) return early;
  let records: ArxivRecord[] = [];
  if (!(await paperStanding(deps.db, paperId)).known) {
    const fetched = await fetchRecord(deps, paperId);
    if ('kind' in fetched) return fetched;
    records = [fetched];
  }
  return writeContent(
    deps.db,
    async (trx): Promise<SubmitOutcome> => {
      const refused = await refusal(trx);
      if (refused) return refused;
      if (records.length > 0) await saveArxivRecords(trx, records, at);
      await addCommunityListing(trx, paperId, userId, day, at);
      return { kind: 'submitted', paperId, day };
    },
    (outcome) => outcome.kind === 'submitted',
  );
}

/** The paper's newest version through the arXiv ingest client, or why there is none. */
async function fetchRecord(deps: SubmitDeps, paperId: string): Promise<ArxivRecord | SubmitOutcome> {
  try {
    let problem: string | null = null;
    for await (const item of fetchArxivIds(deps.fetcher, deps.apiUrl, [paperId])) {
      if (item instanceof RecordProblem) {
        if (item.reason === 'not found on arXiv') return { kind: 'not-on-arxiv', paperId };
        problem = item.reason;
      } else if (item.id === paperId) {
        return item;
      }
    }
    return problem ? { kind: 'upstream', message: `arXiv's answer for ${paperId} could not be read: ${problem}` } : { kind: 'not-on-arxiv', paperId };
  } catch (err) {
    return { kind: 'upstream', message: `arXiv could not be reached to fetch ${paperId}: ${(err as Error).message}` };
  }
}

const fetchers = new WeakMap<Config, PoliteFetcher>();

/**
 * One arXiv client per configuration, shared by all requests so they queue at
 * arXiv's pace. A person is waiting: few retries and a short timeout.
 */
export function submissionFetcher(config: Config, log: Logger): PoliteFetcher {
  let fetcher = fetchers.get(config);
  if (!fetcher) {
    fetcher = arxivFetcher(config, log, {
      maxRetries: Math.min(config.ARXIV_MAX_RETRIES, 1),
      timeoutMs: Math.min(config.ARXIV_TIMEOUT_MS, 20_000),
      backoffBaseMs: 500,
    });
    fetchers.set(config, fetcher);
  }
  return fetcher;
}
