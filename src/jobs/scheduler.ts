import { INSTANCE } from '../core/instance.ts';
import { CronExpressionParser } from 'cron-parser';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../core/log.ts';
import { jobRuns } from '../core/metrics.ts';

/** A job that runs once per period, whatever the number of app instances. */
export interface Job {
  name: string;
  /**
   * When it runs: every `everyMs` milliseconds (periods aligned to the Unix epoch),
   * or at the times of a cron expression in a time zone (a period lasts from one
   * fire time to the next).
   */
  schedule: { everyMs: number } | { cron: string; tz: string };
  /** Does the work; returns a one-line account of it. */
  run(): Promise<string>;
}

export type RunOutcome = { ran: false } | { ran: true; ok: boolean; detail: string };

/**
 * Runs `job` for the period containing `now` if no instance has claimed that
 * period yet. The claim is an insert on the primary key (job, period_start):
 * the database lets exactly one instance win it, on SQLite and on PostgreSQL
 * alike, so no queue service is needed (docs/decisions/005-scheduled-jobs.md).
 * A failed run is recorded and not retried before the next period.
 */
export async function runIfDue(db: Kysely<Database>, job: Job, log: Logger, now = new Date()): Promise<RunOutcome> {
  const periodStart = currentPeriodStart(job.schedule, now).toISOString();
  const claim = await db
    .insertInto('job_runs')
    .values({ job: job.name, period_start: periodStart, instance: INSTANCE, started_at: new Date().toISOString(), outcome: 'running' })
    .onConflict((oc) => oc.columns(['job', 'period_start']).doNothing())
    .executeTakeFirst();
  if (Number(claim.numInsertedOrUpdatedRows ?? 0) === 0) return { ran: false };

  let ok = true;
  let detail: string;
  try {
    detail = await job.run();
  } catch (err) {
    ok = false;
    detail = (err as Error).message;
  }
  await db
    .updateTable('job_runs')
    .set({ finished_at: new Date().toISOString(), outcome: ok ? 'ok' : 'failed', detail: detail.slice(0, 2000) })
    .where('job', '=', job.name)
    .where('period_start', '=', periodStart)
    .execute();
  jobRuns.inc({ job: job.name, outcome: ok ? 'ok' : 'failed' });
  log[ok ? 'info' : 'warn']({ job: job.name, periodStart, ok, detail }, 'job run');
  return { ran: true, ok, detail };
}

/** The start of the period containing `now`: the latest fire time not after it. */
export function currentPeriodStart(schedule: Job['schedule'], now: Date): Date {
  if ('everyMs' in schedule) return new Date(Math.floor(now.getTime() / schedule.everyMs) * schedule.everyMs);
  // cron-parser's prev() is strictly before currentDate; a fire time exactly at `now` counts.
  const at = new Date(now.getTime() + 1);
  return CronExpressionParser.parse(schedule.cron, { currentDate: at, tz: schedule.tz }).prev().toDate();
}

/** Ticks in this process and runs each job when its period comes round. Returns a stop function. */
export function startScheduler(db: Db, jobs: Job[], log: Logger): () => Promise<void> {
  if (jobs.length === 0) return async () => {};
  const tickMs = Math.max(50, Math.min(5_000, ...jobs.map((j) => ('everyMs' in j.schedule ? j.schedule.everyMs / 4 : 5_000))));
  const running = new Set<Promise<unknown>>();
  const busy = new Set<string>();
  const tick = () => {
    for (const job of jobs) {
      if (busy.has(job.name)) continue;
      busy.add(job.name);
      const run = runIfDue(db.kysely, job, log)
        .catch((err: Error) => log.error({ job: job.name, err }, 'job scheduling failed'))
        .finally(() => {
          busy.delete(job.name);
          running.delete(run);
        });
      running.add(run);
    }
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  tick();
  log.info({ jobs: jobs.map((j) => ({ name: j.name, schedule: j.schedule })), instance: INSTANCE }, 'scheduler started');
  return async () => {
    clearInterval(timer);
    await Promise.allSettled([...running]);
  };
}
