import type { Kysely } from 'kysely';
import { writeContent } from '../db/content-version.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { fetchArxivIds } from '../ingest/arxiv-api.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import type { PoliteFetcher } from '../ingest/polite-fetch.ts';
import { RecordProblem } from '../ingest/summary.ts';
import { saveArxivRecords } from '../ingest/save.ts';
import { refreshRelatedPaper } from '../search/related.ts';
import { DomainError } from '../core/errors.ts';
import { paperPath } from '../ui/components.tsx';
import { formatLongDay } from '../ui/format.ts';
import { addCommunityListing, paperStanding, submissionsSince } from './queries.ts';

/** A paper submitted to a day's list. Every refusal is a `DomainError` saying why. */
export interface Submitted {
  paperId: string;
  day: string;
}

export interface SubmitDeps {
  db: Db;
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
export async function submitPaper(deps: SubmitDeps, userId: number, paperId: string, now = new Date()): Promise<Submitted> {
  const at = now.toISOString();
  const day = at.slice(0, 10);
  const refuse = async (db: Kysely<Database>): Promise<void> => {
    const standing = await paperStanding(db, paperId);
    if (standing.hidden) throw new DomainError('gone', `${paperId} was removed by a moderator and cannot be submitted.`);
    if (standing.featuredOn) {
      throw new DomainError('conflict', `${paperId} is already featured, on ${formatLongDay(standing.featuredOn)}.`, { link: paperPath(paperId) });
    }
    // Moderators took it off the lists; submitting it again would undo that.
    if (standing.delisted) throw new DomainError('conflict', `${paperId} was removed from the lists by moderators and cannot be submitted again.`);
    if ((await submissionsSince(db, userId, `${day}T00:00:00.000Z`)) >= deps.perDay) {
      const midnight = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000;
      throw new DomainError('rate-limited', `You have submitted ${deps.perDay} papers today, the most for one day; try again tomorrow (UTC).`, {
        retryAfter: Math.max(1, Math.ceil((midnight - now.getTime()) / 1000)),
      });
    }
  };
  // Refuse before asking arXiv anything.
  await refuse(deps.db.kysely);
  const records = (await paperStanding(deps.db.kysely, paperId)).known ? [] : [await fetchRecord(deps, paperId)];
  const submitted = await writeContent(
    deps.db.kysely,
    async (trx): Promise<Submitted> => {
      await refuse(trx);
      if (records.length > 0) await saveArxivRecords(trx, records, at);
      await addCommunityListing(trx, paperId, userId, day, at);
      return { paperId, day };
    },
    () => true,
  );
  // A new paper's page shows its related papers from its first view; should this fail, the
  // paper stays in the backlog (search/related.ts) and the submission stands.
  if (records.length > 0) await refreshRelatedPaper(deps.db, paperId).catch(() => undefined);
  return submitted;
}

/** The paper's newest version through the arXiv ingest client; refused when arXiv does not know it or cannot answer. */
async function fetchRecord(deps: SubmitDeps, paperId: string): Promise<ArxivRecord> {
  const unknown = new DomainError('not-found', `arXiv does not know a paper ${paperId}; check the id.`);
  const upstream = (why: string) => new DomainError('upstream', `${why}. Nothing was saved; try again in a minute.`);
  let problem: string | null = null;
  try {
    for await (const item of fetchArxivIds(deps.fetcher, deps.apiUrl, [paperId])) {
      if (item instanceof RecordProblem) {
        if (item.reason === 'not found on arXiv') throw unknown;
        problem = item.reason;
      } else if (item.id === paperId) {
        return item;
      }
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    // The reader is told what happened, not the request that failed (its address means nothing to them).
    throw upstream(`arXiv could not be reached to fetch ${paperId}`);
  }
  throw problem ? upstream(`arXiv's answer for ${paperId} could not be read: ${problem}`) : unknown;
}

