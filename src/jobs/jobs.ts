import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { importRecentHfDays } from '../ingest/hf-api.ts';
import { arxivFetcher, searchArxiv } from '../ingest/arxiv-api.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import { RecordProblem } from '../ingest/summary.ts';
import { featureByRules, featuringRules } from '../feed/featuring.ts';
import { silentLogger, type Logger } from '../log.ts';
import { harvestOai, oaiFetcher } from '../ingest/arxiv-oai.ts';
import { addDays, dayOf } from '../feed/periods.ts';
import type { Job } from './scheduler.ts';

/** The scheduled jobs this configuration turns on. */
export function scheduledJobs(db: Db, config: Config, log?: Logger): Job[] {
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
          for await (const rec of searchArxiv({ fetcher: arxivFetcher(config, log), apiUrl: config.ARXIV_API_URL, categories, days: 2 })) {
            if (!(rec instanceof RecordProblem)) seen.push(rec.id);
            yield rec;
          }
        };
        const summary = await importArxivRecords(db, records(), 'arxiv-api');
        const featured = await featureByRules(db, featuringRules(config), seen);
        return `${categories.join(',')}: ${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected; ${featured.length} featured by rules`;
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
          fetcher: oaiFetcher(config, log ?? silentLogger),
          baseUrl: config.ARXIV_OAI_URL,
          set: config.ARXIV_OAI_SET,
          metadataPrefix: 'arXivRaw',
          firstFrom: addDays(dayOf(new Date()), -7),
          log: log ?? silentLogger,
        });
        return `set ${config.ARXIV_OAI_SET} from ${summary.from ?? 'the start'}: ${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected (${summary.pages} pages, ${summary.deleted} deleted)`;
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
        return `${days} day(s) from ${config.HF_API_URL}: ${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected`;
      },
    });
  }
  return jobs;
}
