import type { KeyedConfig } from '../db/secrets.ts';
import type { Db } from '../db/database.ts';
import { importRecentHfDays } from '../ingest/hf-api.ts';
import { arxivFetcher, searchArxiv } from '../ingest/arxiv-api.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import { backfillArxivMetadata, describeBackfill } from '../ingest/arxiv-metadata.ts';
import { RecordProblem } from '../ingest/summary.ts';
import { featureByRules, featuringRules } from '../feed/featuring.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { harvestOai, oaiFetcher } from '../ingest/arxiv-oai.ts';
import { addDays, dayOf } from '../core/periods.ts';
import type { Job } from './scheduler.ts';
import { createMailer, type Mailer } from '../mail/mailer.ts';
import { dailyCron, describeEnqueue, describeSend, duePeriods, enqueueAndSend, SENDER_PERIOD_MS, weeklyCron } from '../digests/schedule.ts';
import { sendDue } from '../digests/send.ts';
import { pruneOutbox } from '../digests/outbox.ts';
import { describeEmbedRun, embedBacklog } from '../search/backlog.ts';
import { fetchImages } from '../images/fetch.ts';
import { describeRelatedRun, relatedBacklog } from '../search/related.ts';
import { pruneSearchChanges } from '../search/search-index.ts';

/** How often the embedding job takes up the backlog: new papers become findable by meaning within this. */
export const EMBEDDINGS_PERIOD_MS = 5 * 60_000;

/** How often the related-papers job takes up what imports left (each import job does its own papers first). */
export const RELATED_PERIOD_MS = 10 * 60_000;
/** How long an import job spends on its new papers' related papers: the rest waits for the related-papers job. */
const RELATED_AFTER_IMPORT_MS = 60_000;

/** The related papers of what an import brought, so their pages show them at once; one line for the job's summary. */
async function relatedAfterImport(db: Db): Promise<string> {
  return `; ${describeRelatedRun(await relatedBacklog(db, { deadline: Date.now() + RELATED_AFTER_IMPORT_MS }))}`;
}

/** The scheduled jobs this configuration turns on; the digest jobs sign links with `config.keys`. */
export function scheduledJobs(db: Db, config: KeyedConfig, log?: Logger): Job[] {
  const jobs: Job[] = [];
  const categories = config.ARXIV_INGEST_CATEGORIES.split(',').map((c) => c.trim()).filter(Boolean);
  if (categories.length > 0) {
    jobs.push({
      name: 'arxiv-ingest',
      schedule: { cron: config.ARXIV_INGEST_CRON, tz: config.ARXIV_INGEST_TZ },
      // The last two days of submissions: enough to bridge a missed run, and idempotent.
      async run() {
        const seen: string[] = [];
        const records = async function* () {
          for await (const rec of searchArxiv({ fetcher: arxivFetcher(db, config, log), apiUrl: config.ARXIV_API_URL, categories, days: 2 })) {
            if (!(rec instanceof RecordProblem)) seen.push(rec.id);
            yield rec;
          }
        };
        const summary = await importArxivRecords(db, records(), 'arxiv-api');
        const featured = await featureByRules(db, featuringRules(config), seen);
        return `${categories.join(',')}: ${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected; ${featured.length} featured by rules${await relatedAfterImport(db)}`;
      },
    });
  }
  if (config.ARXIV_OAI_SET) {
    jobs.push({
      name: 'arxiv-oai',
      schedule: { cron: config.ARXIV_INGEST_CRON, tz: config.ARXIV_INGEST_TZ },
      // Incremental: each run asks from the last datestamp the previous one saw (checkpointed per page).
      async run() {
        const summary = await harvestOai({
          db,
          fetcher: oaiFetcher(db, config, log ?? silentLogger),
          baseUrl: config.ARXIV_OAI_URL,
          set: config.ARXIV_OAI_SET,
          metadataPrefix: 'arXivRaw',
          firstFrom: addDays(dayOf(new Date()), -7),
          log: log ?? silentLogger,
        });
        return `set ${config.ARXIV_OAI_SET} from ${summary.from ?? 'the start'}: ${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected (${summary.pages} pages, ${summary.deleted} deleted)${await relatedAfterImport(db)}`;
      },
    });
  }
  if (config.HF_SYNC_INTERVAL_SECONDS > 0) {
    jobs.push({
      name: 'hf-sync',
      schedule: { everyMs: config.HF_SYNC_INTERVAL_SECONDS * 1000 },
      // Today's and yesterday's lists: new papers arrive all day, and votes keep moving after.
      async run() {
        const { days, summary } = await importRecentHfDays(db, config, { wanted: config.HF_SYNC_DAYS, lookBack: config.HF_SYNC_DAYS });
        return `${days} day(s) from ${config.HF_API_URL}: ${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected${await relatedAfterImport(db)}`;
      },
    });
  }
  if (config.ARXIV_METADATA_INTERVAL_SECONDS > 0) {
    const periodMs = config.ARXIV_METADATA_INTERVAL_SECONDS * 1000;
    jobs.push({
      name: 'arxiv-metadata',
      schedule: { everyMs: periodMs },
      // Bounded to most of a period, so that no two instances ask arXiv for the same papers at once.
      async run() {
        const summary = await backfillArxivMetadata(db, {
          fetcher: arxivFetcher(db, config, log),
          apiUrl: config.ARXIV_API_URL,
          deadline: Date.now() + periodMs * 0.8,
          log,
        });
        return describeBackfill(summary);
      },
    });
  }
  jobs.push({
    name: 'related-papers',
    schedule: { everyMs: RELATED_PERIOD_MS },
    // Bounded to most of a period, so that no two instances work the backlog at once.
    run: async () => describeRelatedRun(await relatedBacklog(db, { deadline: Date.now() + RELATED_PERIOD_MS * 0.8 })),
  });
  jobs.push({
    name: 'search-changes-prune',
    schedule: { everyMs: 3_600_000 },
    // The search index's change log (decision 019) past a day: every live process has read it.
    run: async () => `pruned ${await pruneSearchChanges(db)} search index change(s) older than a day`,
  });
  if (config.EMBEDDINGS_URL) {
    jobs.push({
      name: 'embeddings',
      schedule: { everyMs: EMBEDDINGS_PERIOD_MS },
      // Bounded to most of a period, so that no two instances work the backlog at once.
      async run() {
        const summary = await embedBacklog(db, config, { deadline: Date.now() + EMBEDDINGS_PERIOD_MS * 0.8, log });
        if (summary.stopped) throw new Error(describeEmbedRun(summary));
        return describeEmbedRun(summary);
      },
    });
  }
  if (config.IMAGES_INTERVAL_SECONDS > 0) {
    const everyMs = config.IMAGES_INTERVAL_SECONDS * 1000;
    jobs.push({
      name: 'images',
      schedule: { everyMs },
      // Bounded to most of a period; what is left waits for the next one.
      async run() {
        const r = await fetchImages(db.kysely, { deadline: Date.now() + everyMs * 0.8, log });
        return `${r.stored} image(s) kept, ${r.failed} given up, ${r.retrying} to retry${r.more ? '; more left for the next run' : ''}`;
      },
    });
  }
  jobs.push(...digestJobs(db, config, log));
  return jobs;
}

/**
 * Digests: the daily one on weekdays and the weekly one on DIGEST_WEEKDAY, both at DIGEST_HOUR
 * in DIGEST_TZ, each built into the outbox and sent; and a sender loop that retries what is due.
 * Each run opens its own SMTP pool and closes it, so idle minutes hold no connections.
 */
function digestJobs(db: Db, config: KeyedConfig, log?: Logger): Job[] {
  const withMailer = async (work: (mailer: Mailer) => Promise<string>) => {
    const mailer = createMailer(config);
    try {
      return await work(mailer);
    } finally {
      mailer.close();
    }
  };
  const tz = config.DIGEST_TZ;
  const build = (frequency: 'daily' | 'weekly') => () =>
    withMailer(async (mailer) => {
      const periods = await duePeriods(db, config, [frequency]);
      const { built, sent } = await enqueueAndSend(db, config, mailer, periods, { log });
      return [...built.map(describeEnqueue), describeSend(sent)].join('; ');
    });
  return [
    { name: 'digest-daily', schedule: { cron: dailyCron(config), tz }, run: build('daily') },
    { name: 'digest-weekly', schedule: { cron: weeklyCron(config), tz }, run: build('weekly') },
    {
      name: 'digest-sender',
      schedule: { everyMs: SENDER_PERIOD_MS },
      run: () =>
        withMailer(async (mailer) =>
          describeSend(await sendDue(db, mailer, config, { concurrency: config.DIGEST_SEND_CONCURRENCY, deadline: Date.now() + SENDER_PERIOD_MS * 0.8, log })),
        ),
    },
    {
      name: 'digest-prune',
      schedule: { cron: '30 3 * * *', tz },
      run: async () => {
        const pruned = await pruneOutbox(db);
        return `pruned ${pruned.digests} digest(s) and ${pruned.bodies} bod(ies) past retention`;
      },
    },
  ];
}
