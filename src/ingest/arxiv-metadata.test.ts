import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReplayServer, expectedFromXml, importHfPapersAs, readFixture, recordedEntries, recordedIdList } from '../../test/arxiv-replay.ts';
import { FIXTURES, freshDatabaseUrl, freshDb, hasFixtures, testApp, testConfig, testKeys } from '../../test/helpers.ts';
import { cli as runCli } from '../../test/run-cli.ts';
import fs from 'node:fs';
import path from 'node:path';
import { connectDatabase, type Db } from '../db/database.ts';
import { contentVersion } from '../db/content-version.ts';
import { silentLogger } from '../core/log.ts';
import { searchPapers } from '../search/engine.ts';
import { scheduledJobs } from '../jobs/jobs.ts';
import { runIfDue } from '../jobs/scheduler.ts';
import { arxivFetcher, fetchArxivIds } from './arxiv-api.ts';
import { importArxivRecords } from './arxiv-import.ts';
import { backfillArxivMetadata, type BackfillOptions } from './arxiv-metadata.ts';

const INTERVAL_MS = 20;

/** A fetcher on arXiv's terms, with test-sized waits. */
function fetcher(overrides: Record<string, string> = {}) {
  const config = testConfig({ ARXIV_MIN_INTERVAL_MS: String(INTERVAL_MS), ARXIV_MAX_RETRIES: '2', ARXIV_TIMEOUT_MS: '60000', CONTACT_EMAIL: 'ops@example.org', ...overrides });
  return arxivFetcher(laneDb, config, silentLogger, { backoffBaseMs: 10 });
}

const backfill = (db: Db, opts: Partial<BackfillOptions> = {}) => backfillArxivMetadata(db, { fetcher: fetcher(), apiUrl: server.url, ...opts });

/** The recorded search answer's 100 papers, in feed order. */
const SEARCH_100 = hasFixtures ? expectedFromXml(readFixture('arxivpy_query_testing_100.xml')) : [];
/** A well-formed id that arXiv left out of its recorded answer (arxivpy_idlist_two). */
const UNKNOWN = '0808.05394';

const idLists = () => server.requests.map((r) => r.url.searchParams.get('id_list')!.split(','));

let server: ReplayServer;
/** Where the fetchers take their turns at the local arXiv (the lane shared across processes). */
let laneDb: Db;
beforeAll(async () => {
  laneDb = await freshDb();
  server = await new ReplayServer().start();
  if (hasFixtures) {
    const entries = recordedEntries();
    server.fallback = (url) => recordedIdList(entries, url);
  }
});
afterAll(async () => {
  await server.stop();
  await laneDb.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.script.length = 0;
});

/** What the backfill must not touch: the columns the HF import and people set. */
async function untouched(db: Db, ids: string[]) {
  const papers = await db.kysely
    .selectFrom('papers')
    .select(['id', 'title', 'abstract', 'author_names', 'version', 'published_at', 'upvotes', 'github_repo', 'ai_summary', 'organization_id', 'trending_score'])
    .where('id', 'in', ids)
    .orderBy('id')
    .execute();
  const authors = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', 'in', ids).orderBy('paper_id').orderBy('position').execute();
  return { papers, authors };
}

describe.skipIf(!hasFixtures)('arXiv metadata backfill against recorded arXiv answers', () => {
  it('fills categories, comment, journal reference and DOI of HF papers, 100 ids a request; `cat:`, the category filter and the paper page find them', async () => {
    const { db, app } = await testApp();
    try {
      const hfIds = await importHfPapersAs(db, [...SEARCH_100.map((p) => p.id), '1707.08567', UNKNOWN]);
      // A paper ingested from arXiv has its categories already: never asked.
      await importArxivRecords(db, fetchArxivIds(fetcher(), server.url, ['astro-ph/0601001']), 'test');
      // What a person set stays: a comment and a DOI on one paper.
      const curated = SEARCH_100.find((p) => p.comment && p.doi)!;
      await db.kysely.updateTable('papers').set({ comment: 'Camera-ready, see the project page', doi: '10.1000/curated' }).where('id', '=', curated.id).execute();
      const before = await untouched(db, hfIds);
      const versionBefore = await contentVersion(db.kysely);
      server.requests.length = 0;

      const summary = await backfill(db);
      expect(summary).toEqual({ asked: 102, found: 101, filled: 101, unknown: 1, requests: 2, remaining: 0 });
      // Two requests, 100 ids and the rest, each id once, each asking for as many results as ids.
      expect(idLists().map((l) => l.length)).toEqual([100, 2]);
      expect(idLists().flat().sort()).toEqual([...hfIds].sort());
      for (const r of server.requests) expect(r.url.searchParams.get('max_results')).toBe(r.url.searchParams.get('id_list')!.split(',').length.toString());
      expect(server.requests[0]!.userAgent).toMatch(/^dailypapers\/.*mailto:ops@example\.org/);

      // arXiv's values where the paper had none, read from the recorded XML independently of the parser.
      const expected = [...SEARCH_100, ...expectedFromXml(readFixture('arxivpy_idlist_two.xml'))];
      const rows = await db.kysely.selectFrom('papers').select(['id', 'primary_category', 'comment', 'journal_ref', 'doi', 'license']).where('id', 'in', hfIds).execute();
      const cats = await db.kysely.selectFrom('paper_categories').selectAll().where('paper_id', 'in', hfIds).execute();
      for (const e of expected) {
        const row = rows.find((r) => r.id === e.id)!;
        const mine = e.id === curated.id;
        expect(row, e.id).toEqual({
          id: e.id,
          primary_category: e.primaryCategory,
          comment: mine ? 'Camera-ready, see the project page' : e.comment,
          journal_ref: e.journalRef,
          doi: mine ? '10.1000/curated' : e.doi,
          license: null,
        });
        expect(cats.filter((c) => c.paper_id === e.id).map((c) => c.category).sort(), e.id).toEqual(e.categories);
      }
      expect(rows.find((r) => r.id === UNKNOWN)).toMatchObject({ primary_category: null, comment: null });
      expect(SEARCH_100.filter((p) => p.journalRef).length).toBeGreaterThan(10);
      // Title, abstract, authors, votes and the rest stay as the HF import left them.
      expect(await untouched(db, hfIds)).toEqual(before);
      expect(await contentVersion(db.kysely)).toBeGreaterThan(versionBefore);

      // Search finds them by category, as the query language and as the filter.
      const category = mostCommonCategory(SEARCH_100);
      const withCategory = SEARCH_100.filter((p) => p.categories.includes(category)).map((p) => p.id);
      const found = await searchPapers(db, { q: `cat:${category}`, limit: 100 });
      expect(found.hits.map((h) => h.paperId)).toEqual(expect.arrayContaining(withCategory));
      expect(found.total).toBeGreaterThanOrEqual(withCategory.length);
      const page = await (await app.request(`/papers/search?cat=${encodeURIComponent(category)}`)).text();
      const listed = [...page.matchAll(/class="card-title" id="t-\d+"><a href="\/papers\/([^"]+)"/g)].map((m) => m[1]);
      expect(listed.length).toBe(Math.min(withCategory.length, 20));
      expect(withCategory).toEqual(expect.arrayContaining(listed));

      // The paper page links its categories to the filter, primary first.
      const paper = SEARCH_100.find((p) => p.categories.length > 1)!;
      const html = await (await app.request(`/papers/${paper.id}`)).text();
      const links = [...html.matchAll(/<a href="\/papers\/search\?cat=([^"]+)">([^<]+)<\/a>/g)].map((m) => [decodeURIComponent(m[1]!), m[2]]);
      expect(links.map(([cat]) => cat)).toEqual([paper.primaryCategory, ...paper.categories.filter((c) => c !== paper.primaryCategory)]);
      expect(links.every(([cat, text]) => cat === text)).toBe(true);

      // Done: the next run asks nothing.
      server.requests.length = 0;
      expect(await backfill(db)).toEqual({ asked: 0, found: 0, filled: 0, unknown: 0, requests: 0, remaining: 0 });
      expect(server.requests).toHaveLength(0);
    } finally {
      await db.close();
    }
  });

  it('remembers an id arXiv does not know: asked again after a day, a week, a month, then never; a malformed id is never sent', async () => {
    const db = await freshDb();
    try {
      await importHfPapersAs(db, [UNKNOWN]);
      // An id arXiv would refuse the whole request for (HTTP 400), as a paper row could hold it.
      const at0 = '2026-11-30T00:00:00.000Z';
      await db.kysely
        .insertInto('papers')
        .values({ id: '2613.00001', title: 'Not an arXiv id', abstract: '', published_at: at0, upvotes_source: 0, upvotes: 0, comments_source: 0, trending_score: 0, created_at: at0, modified_at: at0 })
        .execute();
      const t0 = Date.parse('2026-12-01T00:00:00Z');
      const at = (ms: number) => backfill(db, { now: () => new Date(t0 + ms) });
      const DAY = 86_400_000;

      expect(await at(0)).toMatchObject({ asked: 2, found: 0, unknown: 2, requests: 1, remaining: 0 });
      expect(idLists()).toEqual([[UNKNOWN]]);
      const check = () => db.kysely.selectFrom('arxiv_metadata_checks').selectAll().orderBy('paper_id').execute();
      expect((await check()).map((c) => [c.paper_id, c.outcome, c.attempts, c.retry_at])).toEqual([
        [UNKNOWN, 'unknown', 1, new Date(t0 + DAY).toISOString()],
        ['2613.00001', 'unknown', 1, new Date(t0 + DAY).toISOString()],
      ]);

      expect(await at(DAY - 1000)).toMatchObject({ asked: 0, requests: 0 });
      for (const [when, attempts] of [[DAY, 2], [8 * DAY, 3], [38 * DAY, 4]] as const) {
        server.requests.length = 0;
        expect(await at(when)).toMatchObject({ asked: 2, unknown: 2, requests: 1 });
        expect(idLists()).toEqual([[UNKNOWN]]);
        expect((await check()).map((c) => c.attempts)).toEqual([attempts, attempts]);
      }
      expect((await check()).map((c) => c.retry_at)).toEqual([null, null]);
      server.requests.length = 0;
      expect(await at(3650 * DAY)).toMatchObject({ asked: 0, requests: 0 });
      expect(server.requests).toHaveLength(0);
    } finally {
      await db.close();
    }
  });

  it("waits out a 503's Retry-After and stores the batch once; a failure that outlasts the retries keeps the batches before it, and the next run asks only the rest", async () => {
    const db = await freshDb();
    try {
      const ids = await importHfPapersAs(db, SEARCH_100.slice(0, 6).map((p) => p.id));
      // arXiv's own 503 page (recorded with Retry-After: 10), told to wait 1 s here.
      const unavailable = {
        status: 503,
        body: fs.readFileSync(path.join(FIXTURES, 'oai-pmh/paperhive_arxiv_503_retry_after.html'), 'utf8'),
        headers: { 'Retry-After': '1', 'Content-Type': 'text/html' },
      };
      server.script.push(unavailable);
      expect(await backfill(db, { batchSize: 2, limit: 2 })).toMatchObject({ asked: 2, found: 2, filled: 2, requests: 1, remaining: 4 });
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1]!.url.href).toBe(server.requests[0]!.url.href);
      // Both timestamps are the server's: the client waited the full second it was told.
      expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(995);

      // The next batch meets 503s past the client's retries (2): the run fails, the batches before it stay.
      server.requests.length = 0;
      const failing = { ...unavailable, headers: { ...unavailable.headers, 'Retry-After': '0' } };
      await expect(backfill(db, { batchSize: 2, onBatch: () => server.script.push(failing, failing, failing) })).rejects.toThrow(
        /^arxiv: .*failed after 3 attempt\(s\): answered 503/,
      );
      const [stored, ...failed] = idLists();
      expect(failed).toEqual([failed[0], failed[0], failed[0]]);
      const checked = (await db.kysely.selectFrom('arxiv_metadata_checks').select('paper_id').execute()).map((c) => c.paper_id).sort();
      const categorised = (await db.kysely.selectFrom('paper_categories').select('paper_id').distinct().execute()).map((c) => c.paper_id).sort();
      const firstTwo = ids.filter((id) => !stored!.includes(id) && !failed[0]!.includes(id));
      expect(checked).toEqual([...firstTwo, ...stored!].sort());
      expect(categorised).toEqual(checked);

      server.requests.length = 0;
      expect(await backfill(db, { batchSize: 2 })).toMatchObject({ asked: 2, found: 2, requests: 1, remaining: 0 });
      expect(idLists()).toEqual([failed[0]]);
    } finally {
      await db.close();
    }
  });

  it('an id arXiv refuses (400, "incorrect id format") is found by halving its batch and recorded as unknown; the rest of the batch is stored', async () => {
    const db = await freshDb();
    const recorded = server.fallback!;
    try {
      // An id that reads as one here and that arXiv refuses, answered with arXiv's recorded refusal.
      const REFUSED = '2512.99999';
      const refusal = readFixture('arxivpy_error_bad_id_abc.xml').replaceAll('abc', REFUSED);
      server.fallback = (url) => (url.searchParams.get('id_list')!.split(',').includes(REFUSED) ? { status: 400, body: refusal } : recorded(url));
      const good = SEARCH_100.slice(0, 7).map((p) => p.id);
      await importHfPapersAs(db, [...good, REFUSED]);

      const summary = await backfill(db);
      expect(summary).toMatchObject({ asked: 8, found: 7, filled: 7, unknown: 1, remaining: 0 });
      // The whole list, then halves down to the refused id alone: log2(8) + 1 refusals, and the good halves once each.
      const lists = idLists();
      expect(lists[0]!.sort()).toEqual([...good, REFUSED].sort());
      expect(lists.filter((l) => l.includes(REFUSED)).map((l) => l.length)).toEqual([8, 4, 2, 1]);
      expect(lists.filter((l) => !l.includes(REFUSED)).flat().sort()).toEqual([...good].sort());
      const checks = await db.kysely.selectFrom('arxiv_metadata_checks').select(['paper_id', 'outcome']).where('paper_id', '=', REFUSED).execute();
      expect(checks).toEqual([{ paper_id: REFUSED, outcome: 'unknown' }]);
      // Nothing is left to ask now: the next run sends no request.
      server.requests.length = 0;
      expect(await backfill(db)).toMatchObject({ asked: 0, requests: 0 });
    } finally {
      server.fallback = recorded;
      await db.close();
    }
  });

  it('dailypapers ingest metadata: a summary line, --limit, and a bad --limit refused in one line', async () => {
    const DATABASE_URL = await freshDatabaseUrl();
    const db = await connectDatabase(DATABASE_URL);
    try {
      await importHfPapersAs(db, [...SEARCH_100.slice(0, 3).map((p) => p.id), UNKNOWN]);
    } finally {
      await db.close();
    }
    const cli = (args: string[]) => runCli(['ingest', 'metadata', ...args], { DATABASE_URL, ARXIV_API_URL: server.url, ARXIV_MIN_INTERVAL_MS: String(INTERVAL_MS), ARXIV_MAX_RETRIES: '0' });
    const bad = await cli(['--limit', 'many']);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toBe('dailypapers: ingest: --limit must be a whole number of papers from 1, not "many"\n');

    const first = await cli(['--limit', '2']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ingest: metadata: 2 paper\(s\) asked in 1 request\(s\): \d found, \d filled in, \d unknown to arXiv \(asked again later\); 2 still to ask\n$/);
    const rest = await cli([]);
    expect(rest.stdout).toContain('; 0 still to ask');
    expect(idLists().flat().sort()).toEqual([...SEARCH_100.slice(0, 3).map((p) => p.id), UNKNOWN].sort());
  });

  it('runs as a scheduled job once per period across instances; 0 turns it off', async () => {
    const db = await freshDb();
    try {
      await importHfPapersAs(db, SEARCH_100.slice(0, 5).map((p) => p.id));
      const config = testConfig({ ARXIV_API_URL: server.url, ARXIV_MIN_INTERVAL_MS: '0', HF_SYNC_INTERVAL_SECONDS: '0' });
      const off = testConfig({ ARXIV_METADATA_INTERVAL_SECONDS: '0' });
      expect(scheduledJobs(db, { ...off, keys: testKeys }).map((j) => j.name)).not.toContain('arxiv-metadata');
      // Two instances' jobs, ticking at the same moment.
      const job = () => scheduledJobs(db, { ...config, keys: testKeys }).find((j) => j.name === 'arxiv-metadata')!;
      const [a, b] = [job(), job()];
      expect(a.schedule).toEqual({ everyMs: 3_600_000 });
      const now = new Date();
      const outcomes = await Promise.all([runIfDue(db.kysely, a, silentLogger, now), runIfDue(db.kysely, b, silentLogger, now)]);
      expect(outcomes.filter((o) => o.ran)).toEqual([
        { ran: true, ok: true, detail: '5 paper(s) asked in 1 request(s): 5 found, 5 filled in, 0 unknown to arXiv (asked again later); 0 still to ask' },
      ]);
      expect(idLists()).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});

function mostCommonCategory(papers: { categories: string[] }[]): string {
  const counts = new Map<string, number>();
  for (const p of papers) for (const c of p.categories) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}
