import { describe, expect, it } from 'vitest';
import { freshDb } from '../../test/helpers.ts';
import { silentLogger } from '../core/log.ts';
import { currentPeriodStart, runIfDue, type Job } from './scheduler.ts';

const counting = (everyMs = 60_000) => {
  const job = { name: 'count', schedule: { everyMs }, runs: 0, async run() { job.runs++; return `run ${job.runs}`; } };
  return job;
};

describe('runIfDue', () => {
  it('runs a job once per period', async () => {
    const db = await freshDb();
    const job = counting(60_000);
    const t = (s: string) => new Date(`2026-11-26T10:${s}Z`);
    expect(await runIfDue(db.kysely, job, silentLogger, t('00:05'))).toEqual({ ran: true, ok: true, detail: 'run 1' });
    expect(await runIfDue(db.kysely, job, silentLogger, t('00:59'))).toEqual({ ran: false });
    expect(await runIfDue(db.kysely, job, silentLogger, t('01:00'))).toMatchObject({ ran: true });
    expect(job.runs).toBe(2);
    const rows = await db.kysely.selectFrom('job_runs').selectAll().orderBy('period_start').execute();
    expect(rows.map((r) => [r.period_start, r.outcome])).toEqual([
      ['2026-11-26T10:00:00.000Z', 'ok'],
      ['2026-11-26T10:01:00.000Z', 'ok'],
    ]);
    await db.close();
  });

  it('lets exactly one of many concurrent claimants run', async () => {
    const db = await freshDb();
    const job = counting();
    const now = new Date('2026-11-26T12:00:30Z');
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => runIfDue(db.kysely, job, silentLogger, now)));
    expect(outcomes.filter((o) => o.ran)).toHaveLength(1);
    expect(job.runs).toBe(1);
    await db.close();
  });

  it('records a failure and does not retry it within the period', async () => {
    const db = await freshDb();
    let attempts = 0;
    const failing: Job = { name: 'fails', schedule: { everyMs: 60_000 }, run: async () => { attempts++; throw new Error('hf: upstream answered 503'); } };
    const now = new Date('2026-11-26T12:00:00Z');
    expect(await runIfDue(db.kysely, failing, silentLogger, now)).toEqual({ ran: true, ok: false, detail: 'hf: upstream answered 503' });
    expect(await runIfDue(db.kysely, failing, silentLogger, now)).toEqual({ ran: false });
    expect(attempts).toBe(1);
    const row = await db.kysely.selectFrom('job_runs').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ outcome: 'failed', detail: 'hf: upstream answered 503' });
    expect(row.finished_at).toBeTruthy();
    await db.close();
  });
});

describe('cron schedules', () => {
  const announcement = { cron: '30 20 * * 0-4', tz: 'America/New_York' };

  it('puts a period at the latest fire time, in the time zone', () => {
    // Wednesday 2026-11-25 20:30 in New York is 01:30 UTC on the 26th.
    expect(currentPeriodStart(announcement, new Date('2026-11-26T02:00:00Z')).toISOString()).toBe('2026-11-26T01:30:00.000Z');
    expect(currentPeriodStart(announcement, new Date('2026-11-26T01:30:00Z')).toISOString()).toBe('2026-11-26T01:30:00.000Z');
    expect(currentPeriodStart(announcement, new Date('2026-11-26T01:29:59Z')).toISOString()).toBe('2026-11-25T01:30:00.000Z');
    // Friday and Saturday have no announcement: Saturday noon still belongs to Thursday evening's run.
    expect(currentPeriodStart(announcement, new Date('2026-11-28T17:00:00Z')).toISOString()).toBe('2026-11-27T01:30:00.000Z');
  });

  it('runs a cron job once per fire time', async () => {
    const db = await freshDb();
    let runs = 0;
    const job: Job = { name: 'cron', schedule: announcement, run: async () => `run ${++runs}` };
    await runIfDue(db.kysely, job, silentLogger, new Date('2026-11-26T02:00:00Z'));
    await runIfDue(db.kysely, job, silentLogger, new Date('2026-11-26T23:00:00Z'));
    await runIfDue(db.kysely, job, silentLogger, new Date('2026-11-27T01:31:00Z'));
    expect(runs).toBe(2);
    await db.close();
  });
});
