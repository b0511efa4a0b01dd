import pino from 'pino';
import type { Config } from '../core/config.ts';
import { migrateToLatest, type Db } from '../db/database.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { arxivFetcher, categoryQuery, fetchArxivIds, searchArxiv } from './arxiv-api.ts';
import { backfillArxivMetadata, describeBackfill } from './arxiv-metadata.ts';
import { importArxivRecords } from './arxiv-import.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { RecordProblem, type ImportSummary } from './summary.ts';
import type { CommandOutput } from '../core/command-output.ts';

/** Retry warnings go to stderr, so stdout carries only the summary line. */
function stderrLogger(config: Config) {
  return pino({ level: config.LOG_LEVEL, base: { service: 'dailypapers' } }, pino.destination({ dest: 2, sync: true }));
}

/** `dailypapers ingest arxiv --categories cs.LG,cs.CL --days 2`; false when every record was rejected. */
export async function ingestArxivCommand(config: Config, db: Db, opts: { categories: string; days: string }, io: CommandOutput): Promise<boolean> {
  const categories = opts.categories.split(',').map((c) => c.trim()).filter(Boolean);
  categoryQuery(categories); // validates before anything is fetched
  const days = Number(opts.days);
  if (!Number.isFinite(days) || days <= 0 || days > 3650) throw new Error(`ingest: --days must be a number of days above 0, not ${JSON.stringify(opts.days)}`);
  await migrateToLatest(db);
  const fetcher = arxivFetcher(db, config, stderrLogger(config));
  const summary = await importArxivRecords(db, searchArxiv({ fetcher, apiUrl: config.ARXIV_API_URL, categories, days }), 'arxiv-api');
  return finish(summary, io);
}

/** `dailypapers ingest ids <ids...>`: bad ids are reported, the rest fetched; false when every record was rejected. */
export async function ingestIdsCommand(config: Config, db: Db, ids: string[], io: CommandOutput): Promise<boolean> {
  const good: string[] = [];
  const bad: RecordProblem[] = [];
  for (const raw of ids) {
    const parsed = parseArxivId(raw);
    if (parsed) good.push(`${parsed.id}${parsed.version ? `v${parsed.version}` : ''}`);
    else bad.push(new RecordProblem(raw, 'not an arXiv id'));
  }
  await migrateToLatest(db);
  const fetcher = arxivFetcher(db, config, stderrLogger(config));
  async function* all(): AsyncGenerator<ArxivRecord | RecordProblem> {
    yield* bad;
    if (good.length) yield* fetchArxivIds(fetcher, config.ARXIV_API_URL, good);
  }
  return finish(await importArxivRecords(db, all(), 'arxiv-api'), io);
}

/** `dailypapers ingest metadata [--limit N]`: arXiv's categories and the like for papers that have none. */
export async function ingestMetadataCommand(config: Config, db: Db, opts: { limit?: string }, io: CommandOutput): Promise<void> {
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 10_000_000)) {
    throw new Error(`ingest: --limit must be a whole number of papers from 1, not ${JSON.stringify(opts.limit)}`);
  }
  await migrateToLatest(db);
  const log = stderrLogger(config);
  const summary = await backfillArxivMetadata(db, { fetcher: arxivFetcher(db, config, log), apiUrl: config.ARXIV_API_URL, limit, log });
  io.out(`ingest: metadata: ${describeBackfill(summary)}`);
}

function finish(s: ImportSummary, io: CommandOutput): boolean {
  for (const p of s.problems) io.err(`rejected ${p.position}: ${p.reason}`);
  if (s.rejected > s.problems.length) io.err(`… and ${s.rejected - s.problems.length} more rejected`);
  io.out(`ingest: ${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`);
  return !(s.new + s.updated + s.unchanged === 0 && s.rejected > 0);
}
