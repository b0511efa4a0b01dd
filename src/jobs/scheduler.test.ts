import { describe, expect, it } from 'vitest';
import { freshDb } from '../../test/helpers.ts';
import { silentLogger } from '../log.ts';
import { runIfDue, type Job } from './scheduler.ts';

const counting = (everyMs = 60_000) => {
  const job = { name: 'count', everyMs, runs: 0, async run() { job.runs++; return `run ${job.runs}`; } };
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
    const failing: Job = { name: 'fails', everyMs: 60_000, run: async () => { attempts++; throw new Error('hf: upstream answered 503'); } };
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
