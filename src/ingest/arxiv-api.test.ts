import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReplayServer, expectedFromXml, readFixture, storedPapers, syntheticFeed } from '../../test/arxiv-replay.ts';
import { freshDatabaseUrl, freshDb, hasFixtures, testConfig } from '../../test/helpers.ts';
import { cli as runCli } from '../../test/run-cli.ts';
import { connectDatabase, type Db } from '../db/database.ts';
import { silentLogger } from '../core/log.ts';
import { arxivBodyError, arxivFetcher, categoryQuery, fetchArxivIds, searchArxiv } from './arxiv-api.ts';
import { importArxivRecords } from './arxiv-import.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { RecordProblem } from './summary.ts';

const INTERVAL_MS = 20;

/** A fetcher on arXiv's terms, but with test-sized waits. */
function fetcher(overrides: Record<string, string> = {}) {
  const config = testConfig({ ARXIV_MIN_INTERVAL_MS: String(INTERVAL_MS), ARXIV_MAX_RETRIES: '2', ARXIV_TIMEOUT_MS: '60000', CONTACT_EMAIL: 'ops@example.org', ...overrides });
  return arxivFetcher(laneDb, config, silentLogger, { backoffBaseMs: 10 });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);
/**
 * The fetcher spaces each request from the end of the previous answer; the server
 * sees each one after a delivery delay that varies on a busy machine (measured here: up to
 * ~40 ms with the load average at 10-12 and this server in the test process).
 * Unspaced requests would arrive a few milliseconds apart, so this slack still
 * shows the spacing.
 */
const ARRIVAL_JITTER_MS = 60;

let server: ReplayServer;
/** Where the fetchers take their turns at the local arXiv (the lane shared across processes). */
let laneDb: Db;
beforeAll(async () => {
  laneDb = await freshDb();
  server = await new ReplayServer().start();
});
afterAll(async () => {
  await server.stop();
  await laneDb.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.script.length = 0;
  server.routes.clear();
  if (hasFixtures) {
    server.loadRecordings();
    server.routes.set('id_list=1111.2011v2', { status: 200, body: readFixture('arxivpy_2016_idlist_1111.2011v2.xml') });
  }
});

describe('arxivBodyError and categoryQuery', () => {
  it('recognises disguised errors and leaves good feeds alone', () => {
    expect(arxivBodyError('Rate exceeded.')).toBe('rate exceeded');
    expect(arxivBodyError('Service Unavailable')).toMatch(/^not XML/);
    expect(arxivBodyError('<html><body>busy</body></html>')).toBe('not an Atom feed');
    expect(arxivBodyError(syntheticFeed(['2401.00001']).slice(0, 300))).toMatch(/^truncated/);
    expect(arxivBodyError(syntheticFeed(['2401.00001']))).toBeNull();
  });

  it('builds the category query and refuses what is not a category', () => {
    expect(categoryQuery(['cs.LG', 'cs.CL', 'astro-ph'])).toBe('(cat:cs.LG OR cat:cs.CL OR cat:astro-ph)');
    expect(() => categoryQuery(['cs.LG) OR (all:x'])).toThrow(/^ingest: not an arXiv category/);
    expect(() => categoryQuery([])).toThrow(/^ingest: /);
  });
});

describe('the fetcher under faults, against a local server', () => {
  it('retries a 503 after the Retry-After it was given, with its User-Agent', async () => {
    server.script.push({ status: 503, body: '<h1>Retry after 1 seconds</h1>', headers: { 'Retry-After': '1', 'Content-Type': 'text/html' } });
    server.script.push({ status: 200, body: syntheticFeed(['2401.00001']) });
    const got = await collect(fetchArxivIds(fetcher(), server.url, ['2401.00001']));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ id: '2401.00001', version: 1 });
    expect(server.requests).toHaveLength(2);
    // Both timestamps are taken by the server; the client waited the full second in between.
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(995);
    expect(server.requests[0]!.userAgent).toMatch(/^dailypapers\/.*mailto:ops@example\.org/);
  });

  it('retries a 200 "Rate exceeded." body, then reads the feed', async () => {
    server.script.push({ status: 200, body: 'Rate exceeded.', headers: { 'Content-Type': 'text/plain' } });
    server.script.push({ status: 200, body: syntheticFeed(['2401.00002']) });
    const got = await collect(fetchArxivIds(fetcher(), server.url, ['2401.00002']));
    expect(got).toEqual([expect.objectContaining({ id: '2401.00002' })]);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a connection reset in the middle of the body, and fails cleanly when it keeps happening', async () => {
    const feed = syntheticFeed(['2401.00003']);
    server.script.push({ status: 200, body: feed, resetAfterBytes: 200 });
    server.script.push({ status: 200, body: feed });
    const got = await collect(fetchArxivIds(fetcher(), server.url, ['2401.00003']));
    expect(got).toEqual([expect.objectContaining({ id: '2401.00003' })]);
    expect(server.requests).toHaveLength(2);

    const db = await freshDb();
    for (let i = 0; i < 3; i++) server.script.push({ status: 200, body: feed, resetAfterBytes: 200 });
    await expect(importArxivRecords(db, fetchArxivIds(fetcher(), server.url, ['2401.00003']), 'test')).rejects.toThrow(/arxiv: .* failed after 3 attempt\(s\)/);
    expect(await db.kysely.selectFrom('papers').select('id').execute()).toEqual([]);
    await db.close();
  });

  it('fails cleanly on truncated or malformed XML, with nothing of the run written', async () => {
    const db = await freshDb();
    try {
      const page1 = syntheticFeed(
        Array.from({ length: 10 }, (_, i) => `2601.0000${i}`),
        { totalResults: 30, published: new Date().toISOString() },
      );
      // Truncated: retried (it may be the connection), then given up.
      server.script.push({ status: 200, body: page1 }, ...Array.from({ length: 3 }, () => ({ status: 200, body: page1.slice(0, page1.length - 200) })));
      const run = importArxivRecords(db, searchArxiv({ fetcher: fetcher(), apiUrl: server.url, categories: ['cs.LG'], days: 2, pageSize: 10 }), 'test');
      await expect(run).rejects.toThrow(/^arxiv: .*failed after 3 attempt\(s\): truncated feed/);
      expect(server.requests).toHaveLength(4);

      // Malformed but complete: not retried, a clear parse error.
      server.requests.length = 0;
      server.script.push({ status: 200, body: page1 }, { status: 200, body: page1.replace('</summary>', '</title>') });
      const run2 = importArxivRecords(db, searchArxiv({ fetcher: fetcher(), apiUrl: server.url, categories: ['cs.LG'], days: 2, pageSize: 10 }), 'test');
      await expect(run2).rejects.toThrow(/^arxiv: malformed XML: .*\(page start=10\)$/);
      expect(server.requests).toHaveLength(2);

      const { n } = await db.kysely.selectFrom('papers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(n)).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('retries a response slower than the timeout, then fails cleanly', async () => {
    const slow = { status: 200, body: syntheticFeed(['2401.00003']), delayMs: 1500 };
    server.script.push(slow, slow);
    const f = fetcher({ ARXIV_TIMEOUT_MS: '150', ARXIV_MAX_RETRIES: '1' });
    await expect(collect(fetchArxivIds(f, server.url, ['2401.00003']))).rejects.toThrow(/^arxiv: .*failed after 2 attempt\(s\): timed out after 150 ms/);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a 4xx at once and on repeated 5xx after the retries', async () => {
    server.script.push({ status: 400, body: 'bad' });
    await expect(collect(fetchArxivIds(fetcher(), server.url, ['2401.00004']))).rejects.toThrow(/^arxiv: .* answered 400/);
    expect(server.requests).toHaveLength(1);
    server.requests.length = 0;
    server.script.push({ status: 500, body: 'x' }, { status: 502, body: 'x' }, { status: 500, body: 'x' });
    await expect(collect(fetchArxivIds(fetcher(), server.url, ['2401.00004']))).rejects.toThrow(/failed after 3 attempt\(s\): answered 500/);
    expect(server.requests).toHaveLength(3);
  });

  it('keeps requests at least the minimum interval apart, as the server sees them, across every fetcher of the process', async () => {
    const spaced = 300;
    for (let i = 0; i < 5; i++) server.script.push({ status: 200, body: syntheticFeed([`2401.0001${i}`]) });
    // Two clients, as a job and a reader's submission each have their own.
    const [a, b] = [fetcher({ ARXIV_MIN_INTERVAL_MS: String(spaced) }), fetcher({ ARXIV_MIN_INTERVAL_MS: String(spaced) })];
    // Started all at once: together they must still send them one at a time, spaced.
    await Promise.all(Array.from({ length: 5 }, (_, i) => collect(fetchArxivIds(i % 2 ? a : b, server.url, [`2401.0001${i}`]))));
    expect(server.requests).toHaveLength(5);
    const times = server.requests.map((r) => r.at);
    for (const gap of gaps(times)) expect(gap).toBeGreaterThanOrEqual(spaced - ARRIVAL_JITTER_MS);
    // Jitter does not add up: over the whole run the spacing holds to the same slack.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(4 * spaced - ARRIVAL_JITTER_MS);
  });

  it('asks id_list in chunks of 100 with max_results set, reporting the ids arXiv left out', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `2402.${String(i).padStart(5, '0')}`);
    server.script.push({ status: 200, body: syntheticFeed([ids[0]!]) }, { status: 200, body: syntheticFeed([]) });
    const got = await collect(fetchArxivIds(fetcher(), server.url, ids));
    expect(server.requests.map((r) => r.url.searchParams.get('id_list')!.split(',').length)).toEqual([100, 50]);
    expect(server.requests.map((r) => r.url.searchParams.get('max_results'))).toEqual(['100', '50']);
    expect(got.filter((g) => !(g instanceof RecordProblem))).toHaveLength(1);
    expect(got.filter((g) => g instanceof RecordProblem)).toHaveLength(149);
    expect(got[1]).toEqual(new RecordProblem(ids[1]!, 'not found on arXiv'));
  });
});

// Replays of real arXiv responses; without ../shared/fixtures only these are skipped.
describe.skipIf(!hasFixtures)('arXiv API against recorded responses (needs ../shared/fixtures)', () => {
  const now = new Date('2026-04-12T23:00:00Z');

  it('pages through a search (start=0, 10, 20) with the right query, until a page stays empty', async () => {
    server.routes.set('start=20&max_results=10', { status: 200, body: readFixture('arxivpy_empty_id_0000.0000.xml') });
    const expected = [...expectedFromXml(readFixture('arxivpy_query_testing_start0_max10.xml')), ...expectedFromXml(readFixture('arxivpy_query_testing_start10_max10.xml'))];
    const db = await freshDb();
    try {
      const summary = await importArxivRecords(db, searchArxiv({ fetcher: fetcher(), apiUrl: server.url, categories: ['cs.SE', 'cs.LG'], days: 20 * 365, now, pageSize: 10 }), 'test');
      expect(summary).toMatchObject({ new: 20, updated: 0, unchanged: 0, rejected: 0 });
      expect(
        await storedPapers(
          db,
          expected.map((e) => e.id),
        ),
      ).toEqual(expected);
    } finally {
      await db.close();
    }
    // totalResults promised more, so the empty page at 20 was asked twice more before giving up.
    expect(server.requests.map((r) => Object.fromEntries(r.url.searchParams))).toEqual(
      [0, 10, 20, 20, 20].map((start) => ({
        search_query: '(cat:cs.SE OR cat:cs.LG)',
        sortBy: 'submittedDate',
        sortOrder: 'descending',
        start: String(start),
        max_results: '10',
      })),
    );
  });

  it('asks again for a page that came back empty in the middle of a result', async () => {
    const page2 = readFixture('arxivpy_query_testing_start10_max10.xml').replace(/<opensearch:totalResults>\d+</, '<opensearch:totalResults>20<');
    server.script.push(
      { status: 200, body: readFixture('arxivpy_query_testing_start0_max10.xml') },
      { status: 200, body: readFixture('arxivpy_empty_id_0000.0000.xml') },
      { status: 200, body: page2 },
    );
    const got = await collect(searchArxiv({ fetcher: fetcher(), apiUrl: server.url, categories: ['cs.SE'], days: 20 * 365, now, pageSize: 10 }));
    expect(got).toHaveLength(20);
    expect(server.requests.map((r) => r.url.searchParams.get('start'))).toEqual(['0', '10', '10']);
  });

  it('stops at the first page that reaches past the window, keeping only papers inside it', async () => {
    const days = 6 * 365;
    const cutoff = now.getTime() - days * 86_400_000;
    const page1 = expectedFromXml(readFixture('arxivpy_query_testing_start0_max10.xml'));
    const inside = page1.filter((p) => Date.parse(p.publishedAt) >= cutoff).map((p) => p.id);
    expect(inside.length).toBeGreaterThan(0);
    expect(inside.length).toBeLessThan(10);
    const got = await collect(searchArxiv({ fetcher: fetcher(), apiUrl: server.url, categories: ['cs.SE'], days, now, pageSize: 10 }));
    expect(got.map((r) => (r as ArxivRecord).id)).toEqual(inside);
    expect(server.requests).toHaveLength(1);
  });

  it('stops when totalResults is reached', async () => {
    const body = readFixture('arxivpy_query_testing_start0_max10.xml').replace(/<opensearch:totalResults>\d+</, '<opensearch:totalResults>10<');
    server.routes.set('start=0&max_results=10', { status: 200, body });
    const got = await collect(searchArxiv({ fetcher: fetcher(), apiUrl: server.url, categories: ['cs.SE'], days: 20 * 365, now, pageSize: 10 }));
    expect(got).toHaveLength(10);
    expect(server.requests).toHaveLength(1);
  });

  it('stores what id_list returns (current, old-style and 2016 format) and reports the id arXiv dropped', async () => {
    const db = await freshDb();
    try {
      const summary = await importArxivRecords(db, fetchArxivIds(fetcher(), server.url, ['0808.05394', '1707.08567']), 'test');
      expect(summary).toMatchObject({ new: 1, rejected: 1, problems: [{ position: '0808.05394', reason: 'not found on arXiv' }] });
      expect(server.requests[0]!.url.searchParams.get('id_list')).toBe('0808.05394,1707.08567');

      for (const [ids, file] of [
        [['astro-ph/0601001'], 'arxivpy_oldstyle_id_astro-ph_0601001.xml'],
        [['1111.2011v2'], 'arxivpy_2016_idlist_1111.2011v2.xml'],
      ] as const) {
        expect(await importArxivRecords(db, fetchArxivIds(fetcher(), server.url, [...ids]), 'test')).toMatchObject({ new: 1, rejected: 0 });
        const expected = expectedFromXml(readFixture(file));
        expect(await storedPapers(db, [expected[0]!.id])).toEqual(expected);
      }
      expect(await storedPapers(db, ['1707.08567'])).toEqual(expectedFromXml(readFixture('arxivpy_idlist_two.xml')));

      // The empty result: the id is reported, nothing fails.
      expect(await collect(fetchArxivIds(fetcher(), server.url, ['0000.0000']))).toEqual([new RecordProblem('0000.0000', 'not found on arXiv')]);
    } finally {
      await db.close();
    }
  });

  it("fails clearly on arXiv's error answer (HTTP 400 with an error entry), without retrying", async () => {
    await expect(collect(fetchArxivIds(fetcher(), server.url, ['abc']))).rejects.toThrow(/^arxiv: .*id_list=abc.* answered 400/);
    expect(server.requests).toHaveLength(1);
    // The same error entry delivered with status 200 names arXiv's reason.
    server.script.push({ status: 200, body: readFixture('arxivpy_error_bad_id_abc.xml') });
    await expect(collect(fetchArxivIds(fetcher(), server.url, ['abc']))).rejects.toThrow(/^arxiv: incorrect id format for abc \(id_list 1-1\)$/);
  });
});

describe.skipIf(!hasFixtures)('dailypapers ingest (needs ../shared/fixtures)', () => {
  /** The CLI, in this process, against the replayed arXiv. */
  const cli = (args: string[], env: Record<string, string>) =>
    runCli(args, { ARXIV_API_URL: server.url, ARXIV_MIN_INTERVAL_MS: String(INTERVAL_MS), ARXIV_MAX_RETRIES: '0', ...env });

  it('ingest ids: fetches the good ids, reports bad and dropped ones, fails only when nothing was stored', async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    const ok = await cli(['ingest', 'ids', '0808.05394', '1707.08567', 'nonsense'], { DATABASE_URL });
    expect(ok.stdout).toContain('ingest: 1 new, 0 updated, 0 unchanged, 2 rejected');
    expect(ok.stderr).toContain('rejected nonsense: not an arXiv id');
    expect(ok.stderr).toContain('rejected 0808.05394: not found on arXiv');
    expect(ok.code).toBe(0);
    const db = await connectDatabase(DATABASE_URL);
    try {
      expect(await storedPapers(db, ['1707.08567'])).toEqual(expectedFromXml(readFixture('arxivpy_idlist_two.xml')));
    } finally {
      await db.close();
    }

    const none = await cli(['ingest', 'ids', 'nonsense'], { DATABASE_URL });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('ingest: 0 new, 0 updated, 0 unchanged, 1 rejected');
    expect(server.requests.map((r) => r.url.searchParams.get('id_list'))).toEqual(['0808.05394,1707.08567']);
  });

  it('ingest arxiv: searches the categories, and an upstream failure is one line and exit 1', async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    const ok = await cli(['ingest', 'arxiv', '--categories', 'cs.SE,cs.LG', '--days', '3650'], { DATABASE_URL });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ingest: [1-9]\d* new, 0 updated, 0 unchanged, 0 rejected$/m);
    expect(server.requests[0]!.url.searchParams.get('search_query')).toBe('(cat:cs.SE OR cat:cs.LG)');
    expect(server.requests[0]!.url.searchParams.get('max_results')).toBe('100');

    server.script.push({ status: 503, body: 'down' });
    const failed = await cli(['ingest', 'arxiv', '--categories', 'cs.LG', '--days', '2'], { DATABASE_URL });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^dailypapers: arxiv: .* failed after 1 attempt\(s\): answered 503/);
    expect(failed.stderr).not.toMatch(/\n\s+at /);

    const bad = await cli(['ingest', 'arxiv', '--categories', 'cs.LG,(x)'], { DATABASE_URL });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('dailypapers: ingest: not an arXiv category: "(x)"');
  });
});
