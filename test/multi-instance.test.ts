import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../src/db/database.ts';
import { freshDatabaseUrl, testDialect } from './helpers.ts';
import { startServer, type RunningServer } from './e2e/server.ts';

/**
 * Three app processes on one database (PostgreSQL on the PostgreSQL pass, one SQLite
 * file on the SQLite pass), all running the scheduler: a stand-in for Hugging Face's
 * API answers the scheduled sync, and counts how often it is asked.
 */
describe(`three instances on one ${testDialect} database`, () => {
  const PERIOD_SECONDS = 2;
  let upstream: http.Server;
  const upstreamCalls: number[] = [];
  /** The days the syncs asked for: one, or two when the run crosses midnight (UTC). */
  const upstreamDays = new Set<string>();
  let upstreamBusy = 0;
  let servers: RunningServer[] = [];
  let db: Db;

  beforeAll(async () => {
    // Every call answers today's list with one more upvote than the call before.
    upstream = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://localhost');
      upstreamCalls.push(Date.now());
      upstreamBusy++;
      res.once('close', () => upstreamBusy--);
      const day = url.searchParams.get('date')!;
      upstreamDays.add(day);
      const items = [1, 2, 3].map((n) => ({
        paper: {
          id: `2611.0${n}000`,
          title: `Synced paper ${n}`,
          summary: 'Kept fresh by the scheduled sync.',
          publishedAt: '2026-11-01T00:00:00.000Z',
          submittedOnDailyAt: `${day}T08:00:00.000Z`,
          upvotes: upstreamCalls.length * n,
          authors: [{ _id: `a${n}`, name: `Author ${n}`, hidden: false }],
        },
        publishedAt: `${day}T08:00:00.000Z`,
        title: `Synced paper ${n}`,
        numComments: 0,
      }));
      // A fresh connection per sync: an instance reusing one this server is closing as idle (the
      // next sync came late on a busy machine) would fail its fetch for no fault of its own.
      res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify(items));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const hfUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    const databaseUrl = await freshDatabaseUrl();
    // One site behind a load balancer: its address is configured, the same for every instance.
    const env = { HF_API_URL: hfUrl, HF_SYNC_INTERVAL_SECONDS: String(PERIOD_SECONDS), HF_SYNC_DAYS: '1', BASE_URL: 'http://127.0.0.1:8080' };
    servers = await Promise.all([1, 2, 3].map(() => startServer({ databaseUrl, env })));
    db = await connectDatabase(databaseUrl, { poolSize: 2 });
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await db?.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  /** Resolves once `condition` holds, asking every 50 ms; the test's own limit bounds the wait. */
  async function until(condition: () => Promise<boolean>): Promise<void> {
    while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const hfRuns = () => db.kysely.selectFrom('job_runs').selectAll().where('job', '=', 'hf-sync').orderBy('period_start').execute();

  it('runs the scheduled job exactly once per period while all three read and import', async () => {
    // Reads on every instance and imports through two of them, until the imports are done and three periods have run.
    let reading = true;
    const readers = servers.map(async (server) => {
      let reads = 0;
      while (reading || reads === 0) {
        for (const path of ['/papers', '/api/daily_papers?limit=5', '/papers/trending']) {
          const res = await fetch(`${server.baseUrl}${path}`);
          expect(res.status, `${server.baseUrl}${path}`).toBe(200);
          await res.arrayBuffer();
          reads++;
        }
      }
      return reads;
    });
    // Two demo days as API answers under new ids, imported at the same time from two processes.
    const demo = JSON.parse(fs.readFileSync('src/ingest/demo-papers.json', 'utf8')) as { days: { date: string; items: unknown[] }[] };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-multi-'));
    const files = demo.days.slice(0, 2).map((d) => {
      const file = path.join(dir, `${d.date}.json`);
      fs.writeFileSync(file, JSON.stringify(d.items).replaceAll('"2611.', '"2612.'));
      return { file, count: d.items.length };
    });
    const importResults = await Promise.all(files.map(({ file }, i) => servers[i]!.cli(['import', 'hf', file])));
    await until(async () => (await hfRuns()).filter((r) => r.finished_at !== null).length >= 3);
    reading = false;
    const reads = await Promise.all(readers);
    expect(reads.every((n) => n > 0)).toBe(true);
    importResults.forEach((result, i) => {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`import: ${files[i]!.count} new`);
    });

    const runs = await hfRuns();
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // The newest runs may still be in flight (more than one when a sync outlasts a period); every finished one succeeded.
    const finished = runs.filter((r) => r.finished_at !== null);
    expect(runs.filter((r) => r.finished_at === null).map((r) => r.outcome)).toEqual(runs.filter((r) => r.finished_at === null).map(() => 'running'));
    expect(finished.filter((r) => r.outcome !== 'ok').map((r) => `${r.period_start} ${r.outcome}: ${r.detail}`)).toEqual([]);
    // One upstream call per run: a period run twice would have called more often than there are runs.
    expect(upstreamCalls.length).toBeGreaterThanOrEqual(finished.length);
    expect(upstreamCalls.length).toBeLessThanOrEqual(runs.length);
    expect(new Set(runs.map((r) => r.period_start)).size).toBe(runs.length);
    // Each run is one whole period, in order. A period may be missing: one that all three instances
    // sleep through (a starved machine) is not run late, by design (runIfDue runs the current one).
    const starts = runs.map((r) => Date.parse(r.period_start));
    for (const start of starts) expect(start % (PERIOD_SECONDS * 1000)).toBe(0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeGreaterThan(starts[i - 1]!);
  });

  it('leaves the data consistent and every instance serving the same answers', async () => {
    // Between two periods: every run finished, and no upstream call is being answered.
    await until(async () => upstreamBusy === 0 && (await hfRuns()).every((r) => r.finished_at !== null));
    const callsBefore = upstreamCalls.length;
    const papers = await db.kysely.selectFrom('papers').select(['id', 'upvotes']).execute();
    const synced = papers.filter((p) => p.id.endsWith('000') && p.id.startsWith('2611.0'));
    expect(synced).toHaveLength(3);
    // The last sync's votes are what is stored (one more sync may have landed meanwhile).
    const upvotes = synced.find((p) => p.id === '2611.03000')!.upvotes;
    expect([callsBefore * 3, upstreamCalls.length * 3]).toContain(upvotes);

    const listings = await db.kysely.selectFrom('daily_listings').select(['day', 'paper_id']).execute();
    // The seeded demo (40), the two imported days (13) and the three synced papers on each day synced.
    expect(listings).toHaveLength(53 + 3 * upstreamDays.size);
    expect(new Set(listings.map((l) => `${l.day} ${l.paper_id}`)).size).toBe(listings.length);

    for (const path of ['/api/daily_papers?limit=100', '/papers/trending', '/api/papers/2611.03000']) {
      // A sync landing between the three requests changes the answer; ask again then.
      let distinct = 0;
      for (let tries = 0; tries < 5 && distinct !== 1; tries++) {
        const bodies = await Promise.all(servers.map(async (s) => (await fetch(`${s.baseUrl}${path}`)).text()));
        distinct = new Set(bodies).size;
      }
      expect(distinct, path).toBe(1);
    }
  });
});
