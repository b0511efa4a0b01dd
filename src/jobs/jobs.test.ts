import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freshDb, testConfig, testKeys } from '../../test/helpers.ts';
import { silentLogger } from '../core/log.ts';
import { scheduledJobs } from './jobs.ts';
import { runIfDue } from './scheduler.ts';

/** An Atom answer of the arXiv search API with entries published `hoursAgo` before now. */
function atomFeed(entries: { id: string; title: string; category: string; hoursAgo: number }[]): string {
  const iso = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/test</id>
  <title>arXiv Query</title>
  <updated>${iso(0)}</updated>
  <opensearch:totalResults>${entries.length}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  ${entries
    .map(
      (e) => `<entry>
    <id>http://arxiv.org/abs/${e.id}v1</id>
    <title>${e.title}</title>
    <updated>${iso(e.hoursAgo)}</updated>
    <summary>An abstract about ${e.title}.</summary>
    <author><name>Ada Lovelace</name></author>
    <published>${iso(e.hoursAgo)}</published>
    <link href="https://arxiv.org/abs/${e.id}v1" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/${e.id}v1" rel="related" type="application/pdf" title="pdf"/>
    <arxiv:primary_category term="${e.category}"/>
    <category term="${e.category}" scheme="http://arxiv.org/schemas/atom"/>
  </entry>`,
    )
    .join('\n')}
</feed>`;
}

describe('the scheduled arXiv ingest', () => {
  it('ingests the recent submissions of its categories and features what the rules pick', async () => {
    const asked: string[] = [];
    const server = http.createServer((req, res) => {
      asked.push(req.url!);
      res.writeHead(200, { 'Content-Type': 'application/atom+xml' });
      res.end(
        atomFeed([
          { id: '2611.20001', title: 'Diffusion Models for Proteins', category: 'cs.LG', hoursAgo: 2 },
          { id: '2611.20002', title: 'A Note on Graphs', category: 'cs.LG', hoursAgo: 5 },
          { id: '2611.20003', title: 'An Old Paper', category: 'cs.LG', hoursAgo: 24 * 5 },
        ]),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = testConfig({
      ARXIV_API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/query`,
      ARXIV_MIN_INTERVAL_MS: '0',
      ARXIV_INGEST_CATEGORIES: 'cs.LG,cs.CL',
      FEATURE_KEYWORDS: 'diffusion',
      HF_SYNC_INTERVAL_SECONDS: '0',
    });
    const db = await freshDb();
    const job = scheduledJobs(db, { ...config, keys: testKeys }).find((j) => j.name === 'arxiv-ingest')!;
    expect(job.schedule).toEqual({ cron: '30 20 * * 0-4', tz: 'America/New_York' });
    const outcome = await runIfDue(db.kysely, job, silentLogger);
    expect(outcome).toEqual({ ran: true, ok: true, detail: 'cs.LG,cs.CL: 2 new, 0 updated, 0 unchanged, 0 rejected; 1 featured by rules; related papers of 2 paper(s) computed, 0 remaining' });
    // The new papers' related papers were computed with the import: their pages read them.
    expect(await db.kysely.selectFrom('papers').select('id').where('related_at', 'is', null).execute()).toEqual([]);
    expect(new URL(asked[0]!, 'http://localhost').searchParams.get('search_query')).toBe('(cat:cs.LG OR cat:cs.CL)');
    const listings = await db.kysely.selectFrom('daily_listings').select(['paper_id', 'source']).execute();
    expect(listings).toEqual([{ paper_id: '2611.20001', source: 'rule' }]);
    // The same period does not run twice.
    expect(await runIfDue(db.kysely, job, silentLogger)).toEqual({ ran: false });
    await db.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('the scheduled OAI-PMH harvest', () => {
  it('starts a week back, then asks only from the last datestamp it saw', async () => {
    // A project-made arXivRaw page without a resumption token: a complete list.
    const page = fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/oai-pmh/arXivRaw-cs-page3.xml'), 'utf8');
    const asked: URLSearchParams[] = [];
    const server = http.createServer((req, res) => {
      asked.push(new URL(req.url!, 'http://localhost').searchParams);
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      res.end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config = testConfig({
      ARXIV_OAI_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oai2`,
      ARXIV_MIN_INTERVAL_MS: '0',
      ARXIV_OAI_SET: 'cs',
      HF_SYNC_INTERVAL_SECONDS: '0',
    });
    const db = await freshDb();
    const job = scheduledJobs(db, { ...config, keys: testKeys }).find((j) => j.name === 'arxiv-oai')!;
    const first = await runIfDue(db.kysely, job, silentLogger, new Date('2026-11-26T02:00:00Z'));
    expect(first).toMatchObject({ ran: true, ok: true });
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    expect(Object.fromEntries(asked[0]!)).toMatchObject({ verb: 'ListRecords', metadataPrefix: 'arXivRaw', set: 'cs', from: weekAgo });
    const papers = await db.kysely.selectFrom('papers').select('id').execute();
    expect(papers.length).toBeGreaterThan(0);

    await runIfDue(db.kysely, job, silentLogger, new Date('2026-11-27T02:00:00Z'));
    const state = await db.kysely.selectFrom('harvest_state').selectAll().executeTakeFirstOrThrow();
    expect(asked[1]!.get('from')).toBe(state.last_datestamp!.slice(0, 10));
    await db.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
