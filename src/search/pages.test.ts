import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import Parser from 'rss-parser';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { importDemoData } from '../ingest/seed.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';

// The search page, the API and the feeds over the demo data, plus a hostile record
// and a paper only ingested from arXiv (never featured).
const BASE = 'https://papers.example.org';
const HOSTILE_TITLE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> Zebrafish & reward';
const hostile = {
  paper: {
    id: '2611.99998',
    title: HOSTILE_TITLE,
    summary: 'A zebrafish study with <b>markup</b> & a reward.',
    publishedAt: '2026-11-20T00:00:00.000Z',
    upvotes: 3,
    authors: [{ _id: 'h1', name: 'Mallory', hidden: false }],
  },
  publishedAt: '2026-11-21T10:00:00.000Z',
  title: HOSTILE_TITLE,
  numComments: 0,
};

const parser = new Parser();

describe('search: page, API and feeds', () => {
  let db: Db;
  let app: Hono<AppEnv>;

  beforeAll(async () => {
    ({ db, app } = await testApp({ BASE_URL: BASE }));
    await importDemoData(db);
    await importHfItems(db, [hostile], '2026-11-21', 'hostile');
    await importArxivRecords(
      db,
      [
        {
          id: '2611.30001',
          version: 1,
          title: 'Zebrafish Swimming Gaits Learned with Reward Shaping',
          abstract: 'We learn zebrafish gaits from video with a shaped reward.',
          authors: [{ name: 'Ada Lovelace', affiliation: null }],
          categories: ['q-bio.NC', 'cs.LG'],
          primaryCategory: 'q-bio.NC',
          publishedAt: '2026-11-19T12:00:00.000Z',
          updatedAt: '2026-11-19T12:00:00.000Z',
          comment: null,
          journalRef: null,
          doi: null,
          pdfUrl: null,
          withdrawnAt: null,
        },
      ],
      'test',
    );
  });
  afterAll(() => db.close());

  const page = async (query: string, status = 200) => {
    const res = await app.request(`/papers/search${query}`);
    const body = await res.text();
    expect(res.status, `${query}: ${body.slice(0, 300)}`).toBe(status);
    return body;
  };
  /** Paper ids of a page's cards, in order. */
  const cards = (html: string) => [...html.matchAll(/<h2 class="card-title"[^>]*>\s*<a href="\/papers\/([^"]+)"/g)].map((m) => m[1]!);
  const api = async (query: string) => {
    const res = await app.request(`/api/papers/search${query}`);
    return { res, body: (await res.json()) as any };
  };

  it('shows the form, examples and the query syntax before anything is asked', async () => {
    const html = await page('');
    expect(html).toContain('<form id="search-form" class="search-bar" role="search" action="/papers/search" method="get">');
    for (const syntax of ['&quot;exact phrase&quot;', '-survey', 'diffusion OR flow', 'diffus*', 'title:agents', 'author:', 'cat:cs.LG', 'org:internlm', 'after:2025-01-01', 'has:code']) {
      expect(html, syntax).toContain(syntax);
    }
    expect(cards(html)).toEqual([]);
    // Only the page's own search box: the header's is left out here.
    expect(html.match(/name="q"/g)).toHaveLength(1);
    expect(html).toContain('<script src="/static/search.js" defer=""></script>');
    // Nothing asked, nothing to follow.
    expect(html).not.toContain('/feeds/search');
  });

  it('every other page has the header search box', async () => {
    const res = await app.request('/papers');
    const html = await res.text();
    expect(html).toMatch(/<form class="header-search" role="search" action="\/papers\/search" method="get"><input type="search" name="q"/);
  });

  it('lists the matches as cards with the words marked, a count, sort links and feed links', async () => {
    const html = await page('?q=reward');
    const ids = cards(html);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    expect(ids).toContain('2611.04512');
    // A title that is about the word comes before papers that only mention it.
    expect(ids.indexOf('2611.04512')).toBeLessThan(ids.indexOf('2611.04809'));
    expect(html).toContain('Cheap Critics: Training <mark>Reward</mark> Models on a Single Consumer GPU');
    expect(html).toMatch(/<p class="card-abstract snippet">[^<]*(<mark>[^<]+<\/mark>[^<]*)+<\/p>/);
    expect(html).toContain(`<strong>${ids.length} results</strong>`);
    expect(html).toContain('<a href="/papers/search?q=reward&amp;sort=upvotes">Most upvoted</a>');
    expect(html).toContain('<a href="/papers/search?q=reward" aria-current="page">Relevance</a>');
    expect(html).toContain('<link rel="alternate" type="application/rss+xml" title="Search: reward (RSS)" href="/feeds/search.rss?q=reward"/>');
    expect(html).toContain('<link rel="alternate" type="application/atom+xml" title="Search: reward (Atom)" href="/feeds/search.atom?q=reward"/>');
    // The never-featured arXiv paper is found too, with its authors named.
    expect(ids).toContain('2611.30001');
    expect(html).toContain('Ada Lovelace');
  });

  it('a title with math is typeset rather than marked', async () => {
    const html = await page('?q=divergence+preference');
    expect(cards(html)[0]).toBe('2611.05602');
    expect(html).toContain('class="katex"');
    expect(html).not.toContain('$\\alpha$');
  });

  it('escapes a hostile title and abstract, marking only the words', async () => {
    const html = await page('?q=zebrafish');
    expect(cards(html)).toContain('2611.99998');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>markup');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt; <mark>Zebrafish</mark> &amp; reward');
    expect(html).toContain('&lt;b&gt;markup&lt;/b&gt;');
    // What the reader typed comes back as text too: in the box, the title, the count line.
    const reflected = await page('?q=%3Cscript%3Ealert(3)%3C%2Fscript%3E+zebrafish');
    expect(reflected).not.toContain('<script>alert(3)');
    expect(reflected).toContain('value="&lt;script&gt;alert(3)&lt;/script&gt; zebrafish"');
  });

  it('sorts by upvotes and by date', async () => {
    const byUpvotes = cards(await page('?q=reward&sort=upvotes'));
    const rows = await db.kysely.selectFrom('papers').select(['id', 'upvotes', 'published_at']).where('id', 'in', byUpvotes).execute();
    const upvotes = new Map(rows.map((r) => [r.id, r.upvotes]));
    const published = new Map(rows.map((r) => [r.id, r.published_at]));
    const counts = byUpvotes.map((id) => upvotes.get(id)!);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const byDate = cards(await page('?q=reward&sort=date')).map((id) => published.get(id)!);
    expect(byDate).toEqual([...byDate].sort().reverse());
  });

  it('filters by the form fields: dates with "to" included, code, upvotes, organization, category', async () => {
    const day = cards(await page('?q=&from=2026-11-16&to=2026-11-16'));
    expect(day).toHaveLength(7);
    const rows = await db.kysely.selectFrom('papers').selectAll().where('id', 'in', day).execute();
    expect(rows.every((r) => r.published_at.startsWith('2026-11-16'))).toBe(true);

    const all = cards(await page('?q=reward'));
    const coded = cards(await page('?q=reward&has_code=1&min_upvotes=50'));
    expect(coded.length).toBeGreaterThan(0);
    expect(coded.length).toBeLessThan(all.length);
    for (const r of await db.kysely.selectFrom('papers').selectAll().where('id', 'in', coded).execute()) {
      expect(r.github_repo).toMatch(/^https:/);
      expect(r.upvotes).toBeGreaterThanOrEqual(50);
    }
    const html = await page('?q=reward&has_code=1');
    expect(html).toContain('name="has_code" form="search-form" value="1" checked=""');
    expect(html).toContain('Clear filters');

    expect(cards(await page('?q=&org=northwind-ai')).length).toBeGreaterThan(1);
    expect(cards(await page('?q=zebrafish&cat=q-bio'))).toEqual(['2611.30001']);
  });

  it('pages through results without overlap, with numbered links', async () => {
    const first = await page('?q=after:2020');
    const second = await page('?q=after:2020&p=1');
    const third = await page('?q=after:2020&p=2');
    const [a, b, c] = [cards(first), cards(second), cards(third)];
    expect([a.length, b.length, c.length]).toEqual([20, 20, 2]);
    expect(new Set([...a, ...b, ...c]).size).toBe(42);
    expect(first).toContain('<strong>42 results</strong>');
    expect(first).toContain('<a href="/papers/search?q=after%3A2020&amp;p=1" rel="next">Next →</a>');
    expect(first).toContain('<a class="page-number" href="/papers/search?q=after%3A2020&amp;p=1" aria-label="Page 2">2</a>');
    expect(first).toContain('<a class="page-number" href="/papers/search?q=after%3A2020&amp;p=2" aria-label="Page 3">3</a>');
    expect(first).toContain('<span class="page-number current" aria-current="page">1</span>');
    expect(second).toContain('<a href="/papers/search?q=after%3A2020" rel="prev">← Previous</a>');
    expect(third).not.toContain('rel="next"');
    // Past the end: the count stays, with a way back.
    expect(await page('?q=after:2020&p=9')).toContain('Back to the first page');
  });

  it('says when nothing matches, and how to widen the search', async () => {
    const html = await page('?q=xylophone&has_code=1');
    expect(html).toContain('No papers match “xylophone”');
    expect(html).toContain('<a href="/papers/search?q=xylophone">Search without the filters</a>');
  });

  it('refuses a bad query or field with a 400 that says what is wrong, keeping what was typed', async () => {
    const filter = await page('?q=diffusion+has:nothing', 400);
    expect(filter).toContain('has:nothing is not a filter; has:code is');
    expect(filter).toContain('value="diffusion has:nothing"');
    expect(await page(`?q=${'a'.repeat(1200)}`, 400)).toContain('the query is too long');
    expect(await page('?q=x&min_upvotes=lots', 400)).toContain('min_upvotes: must be a whole number');
    expect(await page('?q=x&from=2026-02-30', 400)).toContain('from: is not a calendar day');
    expect(await page('?q=x&from=2026-02-03&to=2026-02-01', 400)).toContain('to: is before from');
    expect(await page('?q=x&cat=%3Cscript%3E', 400)).toContain('cat: wants an arXiv category such as cs.LG, not &quot;&lt;script&gt;&quot;');
    expect(await page('?q=x&sort=best', 400)).toContain('sort: ');
    // Operators of the databases' own syntax are only words here.
    expect((await app.request('/papers/search?q=NEAR(a%20b)%20%5E%20%7Btitle%7D%3A%20%22')).status).toBe(200);
  });

  it('the API answers Hugging Face envelopes, with our extensions beside them', async () => {
    const { res, body } = await api('?q=reward&limit=3');
    expect(res.status).toBe(200);
    expect(body).toHaveLength(3);
    expect(res.headers.get('X-Total-Count')).toBe(String(cards(await page('?q=reward')).length));
    expect(res.headers.get('X-Total-Is-Estimate')).toBe('false');
    expect(res.headers.get('X-Search-Mode')).toBe('text');
    for (const item of body) {
      expect(Object.keys(item)).toEqual(expect.arrayContaining(['paper', 'title', 'summary', 'publishedAt', 'numComments', 'highlight']));
      expect(item.paper.id).toMatch(/^\d{4}\.\d{5}$/);
      expect(item.highlight.summary).toMatch(/<mark>/);
    }
    // Field for field what /api/daily_papers says of the same listing, plus `highlight`.
    const critics = (await api('?q=cheap+critics')).body[0];
    const { highlight, ...envelope } = critics;
    expect(highlight.title).toBe('<mark>Cheap</mark> <mark>Critics</mark>: Training Reward Models on a Single Consumer GPU');
    const daily = (await (await app.request('/api/daily_papers?date=2026-11-16')).json()) as any[];
    expect(envelope).toEqual(daily.find((e) => e.paper.id === '2611.04512'));
    // Its order and the page's agree; offset pages on.
    const ids = cards(await page('?q=reward'));
    expect(body.map((i: any) => i.paper.id)).toEqual(ids.slice(0, 3));
    expect((await api('?q=reward&limit=3&offset=3')).body.map((i: any) => i.paper.id)).toEqual(ids.slice(3, 6));
    // A second, cached answer keeps the headers.
    const again = await app.request('/api/papers/search?q=reward&limit=3');
    expect(again.headers.get('X-Total-Count')).toBe(res.headers.get('X-Total-Count'));
  });

  it('the API gives never-featured papers the same shape, and takes the filters', async () => {
    const { body } = await api('?q=zebrafish&cat=cs.LG');
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({
      paper: { id: '2611.30001', title: 'Zebrafish Swimming Gaits Learned with Reward Shaping', authors: [{ name: 'Ada Lovelace' }] },
      title: 'Zebrafish Swimming Gaits Learned with Reward Shaping',
      publishedAt: '2026-11-19T12:00:00.000Z',
      numComments: 0,
    });
    const dated = await api('?q=&after=2026-11-16&before=2026-11-17&sort=date&has_code=true&min_upvotes=10');
    expect(dated.body.length).toBeGreaterThan(0);
    for (const item of dated.body) {
      expect(item.paper.publishedAt.slice(0, 10)).toBe('2026-11-16');
      expect(item.paper.githubRepo).toBeTruthy();
      expect(item.paper.upvotes).toBeGreaterThanOrEqual(10);
    }
    const prefixed = await api('?q=zebraf&prefix=1');
    expect(prefixed.body.map((i: any) => i.paper.id).sort()).toEqual(['2611.30001', '2611.99998']);
    expect((await api('?q=zebraf')).body).toEqual([]);
  });

  it('the API refuses bad parameters with a 400 naming each', async () => {
    const cases: [string, RegExp][] = [
      ['?q=a+has:nothing', /^q: has:nothing is not a filter/],
      ['?q=a&limit=0', /^limit: must be at least 1/],
      ['?q=a&limit=101', /^limit: must be at most 100/],
      ['?q=a&sort=best', /^sort: /],
      ['?q=a&after=2025-02-30', /^after: is not a calendar day/],
      ['?q=a&org=a%20b', /^org: wants an organization/],
      ['?q=a&page=2', /page/],
    ];
    for (const [query, detail] of cases) {
      const { res, body } = await api(query);
      expect(res.status, query).toBe(400);
      expect(body.error, query).toBeTruthy();
      expect(body.details[0], query).toMatch(detail);
    }
  });

  it('search feeds hold the same papers as the page sorted by date, and answer 304 to their ETag', async () => {
    const pageIds = cards(await page('?q=reward&sort=date'));
    const rss = await parser.parseString(await (await app.request('/feeds/search.rss?q=reward')).text());
    const atom = await parser.parseString(await (await app.request('/feeds/search.atom?q=reward')).text());
    const json = (await (await app.request('/feeds/search.json?q=reward')).json()) as { items: { url: string }[]; feed_url: string; home_page_url: string };
    const ids = (links: (string | undefined)[]) => links.map((l) => l!.replace(`${BASE}/papers/`, ''));
    expect(ids(rss.items.map((i) => i.link))).toEqual(pageIds);
    expect(ids(atom.items.map((i) => i.link))).toEqual(pageIds);
    expect(ids(json.items.map((i) => i.url))).toEqual(pageIds);
    expect(rss.title).toBe('Daily Papers — Search: reward');
    expect(json.feed_url).toBe(`${BASE}/feeds/search.json?q=reward`);
    expect(json.home_page_url).toBe(`${BASE}/papers/search?q=reward&sort=date`);

    // Another query is another feed, not a cached copy of the first.
    const other = await parser.parseString(await (await app.request('/feeds/search.rss?q=zebrafish&cat=cs.LG')).text());
    expect(ids(other.items.map((i) => i.link))).toEqual(['2611.30001']);

    const first = await app.request('/feeds/search.atom?q=reward');
    const etag = first.headers.get('ETag')!;
    expect((await app.request('/feeds/search.atom?q=reward', { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await app.request('/feeds/search.atom?q=zebrafish', { headers: { 'If-None-Match': etag } })).status).toBe(200);
  });

  it('search feeds refuse what is not a search', async () => {
    const empty = await app.request('/feeds/search.rss');
    expect(empty.status).toBe(400);
    expect(await empty.text()).toMatch(/needs a query/);
    const bad = await app.request('/feeds/search.rss?q=has:nothing');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('has:nothing is not a filter');
    expect((await app.request('/feeds/search.xml?q=a')).status).toBe(404);
  });
});
