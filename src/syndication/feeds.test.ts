import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import Parser from 'rss-parser';
import { XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importDemoData } from '../ingest/seed.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import { featureByRules } from '../feed/featuring.ts';
import { mathAsText } from '../ui/math.ts';

const BASE = 'https://papers.example.org';
const LATEST = '2026-11-23';
const HOSTILE_TITLE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> ]]> costs $5 and $x<y$ & more';

const hostile = {
  paper: {
    id: '2611.99999',
    title: HOSTILE_TITLE,
    summary: 'An abstract with <b>markup</b>, ]]> and $x^2$ math\u0001.',
    publishedAt: '2026-11-20T00:00:00.000Z',
    upvotes: 77,
    authors: [{ _id: 'h1', name: '<i>Mallory</i> & Eve', hidden: false }],
    organization: { name: 'evil-org', fullname: '<script>Evil</script> Org' },
  },
  publishedAt: `${LATEST}T10:00:00.000Z`,
  title: HOSTILE_TITLE,
  numComments: 3,
};

const record = (id: string, categories: string[], publishedAt: string): ArxivRecord => ({
  id,
  version: 1,
  title: `Category paper ${id}`,
  abstract: 'We study things in a category.',
  authors: [{ name: 'Ada Lovelace', affiliation: null }, { name: 'Alan Turing', affiliation: null }],
  categories,
  primaryCategory: categories[0] ?? null,
  publishedAt,
  updatedAt: publishedAt,
  comment: null,
  journalRef: null,
  doi: null,
  pdfUrl: null,
  withdrawnAt: null,
});

// JSON Feed 1.1's required fields (https://www.jsonfeed.org/version/1.1/), and the optional ones we send, typed.
const jsonFeed = z.object({
  version: z.literal('https://jsonfeed.org/version/1.1'),
  title: z.string().min(1),
  home_page_url: z.url().optional(),
  feed_url: z.url().optional(),
  language: z.string().optional(),
  authors: z.array(z.object({ name: z.string().optional(), url: z.url().optional() })).optional(),
  items: z.array(
    z
      .object({
        id: z.string().min(1),
        url: z.url().optional(),
        title: z.string().optional(),
        content_html: z.string().optional(),
        content_text: z.string().optional(),
        summary: z.string().optional(),
        date_published: z.iso.datetime().optional(),
        date_modified: z.iso.datetime().optional(),
        authors: z.array(z.object({ name: z.string() })).optional(),
        tags: z.array(z.string()).optional(),
      })
      .refine((i) => i.content_html !== undefined || i.content_text !== undefined, 'an item needs content_html or content_text'),
  ),
});

const decodeHtml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

const parser = new Parser();

describe('feeds', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let mod: TestUser;

  beforeAll(async () => {
    ({ db, app } = await testApp({ BASE_URL: BASE }));
    await importDemoData(db);
    await importHfItems(db, [hostile], LATEST, 'hostile');
    // Categories no demo paper has (cs.NE, q-bio.NC, math.AG): their feeds list these papers alone.
    await importArxivRecords(
      db,
      [
        record('2611.20001', ['cs.NE', 'q-bio.NC'], '2026-11-22T18:00:00.000Z'),
        record('2611.20002', ['cs.NE'], '2026-11-22T19:00:00.000Z'),
        record('2611.20003', ['math.AG'], '2026-11-22T20:00:00.000Z'),
        record('2611.20004', ['cs.NE'], '2026-11-22T21:00:00.000Z'),
      ],
      'test',
    );
    const rules = { categories: ['cs.NE', 'math.AG'], keywords: [], maxPerDay: 30 };
    await featureByRules(db, rules, ['2611.20001', '2611.20002'], new Date(`2026-11-20T12:00:00Z`));
    await featureByRules(db, rules, ['2611.20003', '2611.20004'], new Date(`${LATEST}T12:00:00Z`));
    mod = await signedInUser(db, { role: 'moderator' });
  });
  afterAll(() => db.close());

  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
  const text = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return res.text();
  };
  const rss = async (path: string) => {
    const body = await text(path);
    expect(XMLValidator.validate(body), path).toBe(true);
    return parser.parseString(body);
  };
  const json = async (path: string) => jsonFeed.parse(JSON.parse(await text(path)));
  const moderate = (path: string, fields: Record<string, string>) =>
    app.request(path, { method: 'POST', headers: { ...formHeaders(mod), Origin: BASE }, body: new URLSearchParams({ _csrf: mod.csrf, ...fields }) });
  /** Paper ids of a page's cards, in order. */
  const cards = async (path: string) => [...(await text(path)).matchAll(/<h2 class="card-title"[^>]*>\s*<a href="\/papers\/([^"]+)"/g)].map((m) => m[1]!);
  const ids = (links: (string | undefined)[]) => links.map((l) => l!.replace(`${BASE}/papers/`, ''));

  it('the daily feed holds the latest day as /papers ranks it, in all three formats', async () => {
    const page = await cards('/papers');
    expect(page.length).toBeGreaterThan(5);
    expect(page).toContain('2611.99999');
    const r = await rss('/feeds/daily.rss');
    const a = await rss('/feeds/daily.atom');
    const j = await json('/feeds/daily.json');
    expect(ids(r.items.map((i) => i.link))).toEqual(page);
    expect(ids(a.items.map((i) => i.link))).toEqual(page);
    expect(ids(j.items.map((i) => i.url))).toEqual(page);
    expect(r.title).toBe('Daily Papers — Daily papers');
    expect(r.link).toBe(`${BASE}/papers`);
    expect(a.link).toBe(`${BASE}/papers`);
    expect(j.home_page_url).toBe(`${BASE}/papers`);
    expect(j.feed_url).toBe(`${BASE}/feeds/daily.json`);
    const rssXml = await text('/feeds/daily.rss');
    expect(rssXml).toContain(`<atom:link href="${BASE}/feeds/daily.rss" rel="self" type="application/rss+xml"/>`);
    expect(await text('/feeds/daily.atom')).toContain(`<link rel="self" href="${BASE}/feeds/daily.atom"/>`);
  });

  it('items carry link and id, dates, authors, abstract, counts and categories', async () => {
    const r = await rss('/feeds/daily.rss');
    const item = r.items.find((i) => i.link === `${BASE}/papers/2611.09128`)!;
    expect(item.guid).toBe(`${BASE}/papers/2611.09128`);
    expect(item.isoDate).toBe('2026-11-23T07:14:05.000Z');
    expect((item as Record<string, unknown>)['dc:creator']).toMatch(/^Genevieve Tarrant, Hamza Oyelaran/);
    expect(item.content).toMatch(/^Language models spend/);
    expect((item as Record<string, unknown>)['content:encoded']).toMatch(/<p>139 upvotes · 12 comments<\/p>/);

    const a = await rss('/feeds/daily.atom');
    const entry = a.items.find((i) => i.link === `${BASE}/papers/2611.09128`)!;
    expect(entry.id).toBe(`${BASE}/papers/2611.09128`);
    expect(entry.author).toBe('Genevieve Tarrant');
    expect(entry.content).toContain('139 upvotes · 12 comments');

    const j = await json('/feeds/daily.json');
    const ji = j.items.find((i) => i.id === `${BASE}/papers/2611.09128`)!;
    expect(ji.authors!.length).toBe(10);
    expect(ji.date_published).toBe('2026-11-23T07:14:05.000Z');
    expect(ji.summary).toMatch(/^Language models spend/);

    // Featured by the rules from arXiv: categories come along.
    const cat = j.items.find((i) => i.id === `${BASE}/papers/2611.20003`)!;
    expect(cat.tags).toEqual(['math.AG']);
    expect((await rss('/feeds/category/math.AG.rss')).items[0]!.categories).toEqual(['math.AG']);
  });

  it('a hostile title, abstract and author come out as text, never markup', async () => {
    const plainTitle = mathAsText(HOSTILE_TITLE);
    const r = await rss('/feeds/daily.rss');
    const item = r.items.find((i) => i.link === `${BASE}/papers/2611.99999`)!;
    expect(item.title).not.toMatch(/<script|<img/);
    expect(decodeHtml(item.title!)).toBe(plainTitle);
    expect((item as Record<string, unknown>)['content:encoded']).not.toMatch(/<script|<img|<b>|<i>/);
    expect(item.content).not.toContain('<b>');

    const a = await rss('/feeds/daily.atom');
    const entry = a.items.find((i) => i.link === `${BASE}/papers/2611.99999`)!;
    // `type="html"`: the reader decodes the HTML once and gets the text back.
    expect(decodeHtml(entry.title!)).toBe(plainTitle);
    expect(entry.content).not.toMatch(/<script|<img|<b>|<i>/);
    expect(entry.author).toBe('<i>Mallory</i> & Eve');

    const j = await json('/feeds/daily.json');
    const ji = j.items.find((i) => i.id === `${BASE}/papers/2611.99999`)!;
    expect(ji.title).toBe(plainTitle);
    expect(ji.content_html).not.toMatch(/<script|<img|<b>|<i>/);
    expect(ji.content_html).toContain('&lt;b&gt;markup&lt;/b&gt;');
    // A control character XML cannot carry is dropped.
    expect(ji.summary).toBe('An abstract with <b>markup</b>, ]]> and x² math.');

    // RSS readers decode channel text as HTML: it arrives escaped once more, so it shows as text.
    const org = await rss('/feeds/organization/evil-org.rss');
    expect(org.title).toBe('Daily Papers — &lt;script&gt;Evil&lt;/script&gt; Org');
    expect(org.description).not.toContain('<script');
    expect(await text('/feeds/organization/evil-org.atom')).toContain('<title>Daily Papers — &lt;script&gt;Evil&lt;/script&gt; Org</title>');
  });

  it('trending and weekly feeds hold what the API and the week page show', async () => {
    const api = (await (await get('/api/daily_papers?sort=trending&limit=50')).json()) as { paper: { id: string } }[];
    const trending = await rss('/feeds/trending.rss');
    expect(ids(trending.items.map((i) => i.link))).toEqual(api.map((e) => e.paper.id));
    expect(trending.title).toBe('Daily Papers — Trending papers');

    const week = await cards('/papers/week/2026-W48');
    const weekly = await json('/feeds/weekly.json');
    expect(ids(weekly.items.map((i) => i.url))).toEqual(week);
    expect(weekly.home_page_url).toBe(`${BASE}/papers/week/2026-W48`);
    expect(ids((await rss('/feeds/weekly.atom')).items.map((i) => i.link))).toEqual(week);
  });

  it('category feeds list the newest featured papers of the category; organization feeds the newest papers', async () => {
    const ne = await rss('/feeds/category/cs.NE.rss');
    // Featured later first: 20004 (Nov 23), then the two of Nov 20, the later listing first.
    expect(ids(ne.items.map((i) => i.link))).toEqual(['2611.20004', '2611.20001', '2611.20002']);
    expect(ne.title).toBe('Daily Papers — cs.NE');
    expect(ids((await rss('/feeds/category/q-bio.NC.atom')).items.map((i) => i.link))).toEqual(['2611.20001']);

    const org = await cards('/organizations/northwind-ai?sort=newest');
    expect(org.length).toBeGreaterThan(1);
    const feed = await json('/feeds/organization/northwind-ai.json');
    expect(ids(feed.items.map((i) => i.url))).toEqual(org);
    expect(feed.home_page_url).toBe(`${BASE}/organizations/northwind-ai`);
    // Handles match in any case, as on the page; the feed names the canonical one.
    expect((await json('/feeds/organization/NorthWind-AI.json')).feed_url).toBe(`${BASE}/feeds/organization/northwind-ai.json`);
  });

  it('answers with the feed types and cache headers, and 304 to If-None-Match and If-Modified-Since', async () => {
    const types = { rss: 'application/rss+xml; charset=utf-8', atom: 'application/atom+xml; charset=utf-8', json: 'application/feed+json; charset=utf-8' };
    for (const [format, type] of Object.entries(types)) {
      const res = await get(`/feeds/trending.${format}`);
      expect(res.headers.get('Content-Type')).toBe(type);
      expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
    }
    const first = await get('/feeds/daily.atom');
    const etag = first.headers.get('ETag')!;
    const lastModified = first.headers.get('Last-Modified')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(Date.parse(lastModified)).toBeLessThanOrEqual(Date.now() + 1000);

    const byTag = await get('/feeds/daily.atom', { 'If-None-Match': etag });
    expect(byTag.status).toBe(304);
    expect(await byTag.text()).toBe('');
    expect(byTag.headers.get('ETag')).toBe(etag);
    expect(byTag.headers.get('Last-Modified')).toBe(lastModified);
    expect((await get('/feeds/daily.atom', { 'If-None-Match': `"other", W/${etag}` })).status).toBe(304);
    expect((await get('/feeds/daily.atom', { 'If-Modified-Since': lastModified })).status).toBe(304);
    expect((await get('/feeds/daily.atom', { 'If-Modified-Since': new Date(Date.parse(lastModified) - 1000).toUTCString() })).status).toBe(200);
    // Only HTTP dates count, and none from the future.
    expect((await get('/feeds/daily.atom', { 'If-Modified-Since': '2099' })).status).toBe(200);
    expect((await get('/feeds/daily.atom', { 'If-Modified-Since': new Date(Date.now() + 86_400_000).toUTCString() })).status).toBe(200);
    // If-None-Match decides when both are sent (RFC 9110 §13.2.2).
    expect((await get('/feeds/daily.atom', { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified })).status).toBe(200);
    // Another format is another representation.
    expect((await get('/feeds/daily.rss', { 'If-None-Match': etag })).status).toBe(200);
    // A signed-in reader gets the same anonymous feed.
    expect((await get('/feeds/daily.atom', { Cookie: mod.cookie, 'If-None-Match': etag })).status).toBe(304);
  });

  it('hidden papers and listings never appear, and hiding changes the ETag', async () => {
    const before = await get('/feeds/daily.json');
    const etag = before.headers.get('ETag')!;
    const lastModified = before.headers.get('Last-Modified')!;
    const cat = await rss('/feeds/category/cs.NE.rss');
    expect(ids(cat.items.map((i) => i.link))).toContain('2611.20004');
    const page = await cards('/papers');
    const [paper, listed] = [page[1]!, page[2]!];

    expect((await moderate('/admin/papers/hide', { paper, reason: 'test' })).status).toBe(303);
    expect((await moderate('/admin/listings/hide', { day: LATEST, paper: listed, reason: 'test' })).status).toBe(303);
    expect((await moderate('/admin/papers/hide', { paper: '2611.20004', reason: 'test' })).status).toBe(303);

    expect((await get('/feeds/daily.json', { 'If-None-Match': etag })).status).toBe(200);
    // Last-Modified moved on too, even within the same second: If-Modified-Since alone sees the change.
    expect((await get('/feeds/daily.json', { 'If-Modified-Since': lastModified })).status).toBe(200);
    const after = await cards('/papers');
    expect(after).not.toContain(paper);
    expect(after).not.toContain(listed);
    for (const path of ['/feeds/daily.json', '/feeds/weekly.json', '/feeds/trending.json']) {
      const feed = await json(path);
      expect(ids(feed.items.map((i) => i.url)), path).not.toContain(paper);
    }
    expect(ids((await json('/feeds/daily.json')).items.map((i) => i.url))).toEqual(after);
    expect(ids((await rss('/feeds/category/cs.NE.rss')).items.map((i) => i.link))).toEqual(['2611.20001', '2611.20002']);
    const orgOfHidden = await json('/feeds/organization/evil-org.json');
    expect(orgOfHidden.items.map((i) => i.url)).toEqual([`${BASE}/papers/2611.99999`]);
    await moderate('/admin/papers/hide', { paper: '2611.99999', reason: 'test' });
    expect((await json('/feeds/organization/evil-org.json')).items).toEqual([]);
  });

  it('refuses unknown feeds with 404 and malformed names with 400', async () => {
    for (const path of [
      '/feeds/daily.xml',
      '/feeds/daily',
      '/feeds/daily.',
      '/feeds/daily.rss.json',
      '/feeds/trending.r1.rss',
      '/feeds/weekly.x.atom',
      '/feeds/monthly.rss',
      '/feeds/category/cs.LG.xml',
      '/feeds/category/cs.LG',
      '/feeds/category/cs.XX.rss',
      '/feeds/organization/nobody-here.atom',
      '/feeds/organization/northwind-ai.html',
    ]) {
      expect((await get(path)).status, path).toBe(404);
    }
    for (const path of ['/feeds/category/%3Cscript%3E.rss', '/feeds/category/a%2Fb.json', '/feeds/organization/-dash.rss', '/feeds/organization/%22%3E.json']) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.headers.get('Content-Type')).toMatch(/^text\/plain/);
    }
  });

  it('pages link their feeds for discovery', async () => {
    const links = (html: string) => [...html.matchAll(/<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(links(await text('/papers'))).toEqual([
      'application/rss+xml /feeds/daily.rss',
      'application/atom+xml /feeds/daily.atom',
      'application/feed+json /feeds/daily.json',
    ]);
    expect(links(await text('/papers/trending'))[0]).toBe('application/rss+xml /feeds/trending.rss');
    expect(links(await text('/papers/week/2026-W48'))[1]).toBe('application/atom+xml /feeds/weekly.atom');
    expect(links(await text('/papers/month/2026-11'))).toEqual([]);
    expect(await text('/papers')).toContain('<a href="/feeds/daily.rss" class="feed-link" title="Daily papers (RSS)">RSS</a>');
  });
});

describe('feeds of an empty site', () => {
  it('are valid, empty, and use the request origin without BASE_URL', async () => {
    const { db, app } = await testApp();
    const res = await app.request('http://localhost:8123/feeds/daily.rss');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(XMLValidator.validate(body)).toBe(true);
    const feed = await parser.parseString(body);
    expect(feed.items).toEqual([]);
    expect(feed.link).toBe('http://localhost:8123/papers');
    // Links follow the request's Host without BASE_URL, so shared caches must not keep them.
    expect(res.headers.get('Cache-Control')).toBe('private, max-age=300');
    const weekly = jsonFeed.parse(await (await app.request('/feeds/weekly.json')).json());
    expect(weekly.items).toEqual([]);
    await db.close();
  });
});
