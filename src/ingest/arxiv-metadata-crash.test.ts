import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayServer, expectedFromXml, importHfPapersAs, readFixture, recordedEntries, recordedIdList } from '../../test/arxiv-replay.ts';
import { freshDatabaseUrl, hasFixtures } from '../../test/helpers.ts';
import { connectDatabase } from '../db/database.ts';

// The real executable (`dailypapers ingest metadata`) as a child process, killed while its
// second request is in flight, then run again; and the same papers backfilled in one go.
const BIN = path.resolve(import.meta.dirname, '../../bin/dailypapers.js');
const STALL_MS = 3_600_000;

let server: ReplayServer;
let stallSecond = false;
beforeAll(async () => {
  server = await new ReplayServer().start();
  if (!hasFixtures) return;
  const entries = recordedEntries();
  server.fallback = (url) => {
    const reply = recordedIdList(entries, url)!;
    // Held back (until the server stops) when it answers the second request of a run that should stall.
    return stallSecond && server.requests.length === 2 ? { ...reply, delayMs: STALL_MS } : reply;
  };
});
afterAll(() => server.stop());

describe.skipIf(!hasFixtures)('dailypapers ingest metadata across a kill', () => {
  it('SIGKILL mid-run loses nothing and writes nothing half: the next run asks only the rest, and the database matches an uninterrupted run', async () => {
    const ids = [...expectedFromXml(readFixture('arxivpy_query_testing_100.xml')).map((p) => p.id), '1707.08567', '0808.05394'];
    const crashed = await seeded(ids);
    const clean = await seeded(ids);

    stallSecond = true;
    const child = startCli(crashed);
    const ended = exited(child);
    // The second request arrives only after the first batch is committed.
    await Promise.race([until(() => server.requests.length >= 2), ended.then((r) => Promise.reject(new Error(`the run ended early: ${JSON.stringify(r)}`)))]);
    const first = idList(0);
    const mid = await dump(crashed);
    expect(first).toHaveLength(100);
    expect(mid.checks.map((c) => c.paper_id)).toEqual([...first].sort());
    expect(new Set(mid.categories.map((c) => c.paper_id))).toEqual(new Set(first.filter((id) => id !== '0808.05394')));
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');

    stallSecond = false;
    server.requests.length = 0;
    const second = await exited(startCli(crashed));
    expect(second).toMatchObject({ code: 0, signal: null });
    const u = first.includes('0808.05394') ? 0 : 1;
    expect(second.stdout).toBe(`ingest: metadata: 2 paper(s) asked in 1 request(s): ${2 - u} found, ${2 - u} filled in, ${u} unknown to arXiv (asked again later); 0 still to ask\n`);
    // Only what the killed run had not stored.
    expect(idList(0).sort()).toEqual(ids.filter((id) => !first.includes(id)).sort());

    server.requests.length = 0;
    const whole = await exited(startCli(clean));
    expect(whole.stdout).toBe('ingest: metadata: 102 paper(s) asked in 2 request(s): 101 found, 101 filled in, 1 unknown to arXiv (asked again later); 0 still to ask\n');

    const [a, b] = [await dump(crashed), await dump(clean)];
    expect(a.categories.length).toBeGreaterThan(101);
    expect(a).toEqual(b);
  });
});

function idList(i: number): string[] {
  return server.requests[i]!.url.searchParams.get('id_list')!.split(',');
}

async function seeded(ids: string[]): Promise<string> {
  const url = await freshDatabaseUrl();
  const db = await connectDatabase(url);
  try {
    await importHfPapersAs(db, ids);
  } finally {
    await db.close();
  }
  return url;
}

function startCli(databaseUrl: string): ChildProcess {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    ARXIV_API_URL: server.url,
    ARXIV_MIN_INTERVAL_MS: '0',
    ARXIV_MAX_RETRIES: '0',
    ARXIV_TIMEOUT_MS: '600000',
  };
  return spawn(process.execPath, [BIN, 'ingest', 'metadata'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Resolves once `condition` holds; the test's limit bounds the wait. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** What the backfill leaves: the papers' arXiv fields, their categories, the record of asking; write times left out. */
async function dump(url: string) {
  const db = await connectDatabase(url);
  try {
    const papers = await db.kysely.selectFrom('papers').select(['id', 'primary_category', 'comment', 'journal_ref', 'doi', 'license', 'title', 'abstract']).orderBy('id').execute();
    const categories = await db.kysely.selectFrom('paper_categories').selectAll().orderBy('paper_id').orderBy('category').execute();
    const checks = (await db.kysely.selectFrom('arxiv_metadata_checks').selectAll().orderBy('paper_id').execute()).map(({ checked_at: _c, retry_at, ...rest }) => ({
      ...rest,
      retries: retry_at !== null,
    }));
    return { papers, categories, checks };
  } finally {
    await db.close();
  }
}
