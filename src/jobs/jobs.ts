import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { importRecentHfDays } from '../ingest/hf-api.ts';
import type { Job } from './scheduler.ts';

/** The scheduled jobs this configuration turns on. */
export function scheduledJobs(db: Db, config: Config): Job[] {
  const jobs: Job[] = [];
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
