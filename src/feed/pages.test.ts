import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp, testDialect } from '../../test/helpers.ts';
import { importDemoData } from '../ingest/seed.ts';
import { importHfItems } from '../ingest/hf-import.ts';

const hostile = {
  paper: {
    id: 'astro-ph/0601001',
    title: '<script>alert(1)</script> "><img src=x onerror=alert(2)> costs $5 and $\\frac{1$',
    summary: 'An abstract with <b>markup</b> and $x^2$ math.',
    publishedAt: '2006-01-01T00:00:00.000Z',
    upvotes: 1,
    authors: [{ _id: 'h1', name: '<i>Mallory</i>', hidden: false }],
    githubRepo: 'javascript:alert(3)',
  },
  publishedAt: '2026-11-18T09:00:00.000Z',
  title: 'hostile',
  numComments: 0,
};

describe('pages', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importDemoData(db);
    await importHfItems(db, [hostile], '2026-11-18', 'hostile');
  });
  afterAll(() => db.close());

  const page = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, html: await res.text(), res };
  };

  it('/papers shows the latest day, ranked by upvotes, with a link to the previous day with papers', async () => {
    const { status, html } = await page('/papers');
    expect(status).toBe(200);
    expect(html).toContain('Monday, November 23, 2026');
    // The weekend had no papers: "previous" skips it.
    expect(html).toContain('href="/papers/date/2026-11-20" rel="prev"');
    const counts = [...html.matchAll(/class="upvote-count">(\d+)</g)].map((m) => Number(m[1]));
    expect(counts.length).toBeGreaterThan(3);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('a day page links both ways, skipping empty days', async () => {
    const { html } = await page('/papers/date/2026-11-20');
    expect(html).toContain('Friday, November 20, 2026');
    expect(html).toContain('href="/papers/date/2026-11-19" rel="prev"');
    expect(html).toContain('href="/papers/date/2026-11-23" rel="next"');
    const empty = await page('/papers/date/2026-11-21');
    expect(empty.status).toBe(200);
    expect(empty.html).toContain('No papers were featured on this day');
    expect(empty.html).toContain('<nav class="empty-nav" aria-label="Days with papers"><a class="button" href="/papers/date/2026-11-20" rel="prev">← Earlier papers</a><a class="button" href="/papers/date/2026-11-23" rel="next">Later papers →</a></nav>');
  });

  it('the date picker lands on the nearest day with papers, not on an empty one', async () => {
    const go = async (date: string) => (await app.request(`/papers/date?date=${date}`)).headers.get('location');
    expect(await go('2026-11-20')).toBe('/papers/date/2026-11-20');
    // Saturday is nearer Friday, Sunday nearer Monday; far past and future go to the first and last days.
    expect(await go('2026-11-21')).toBe('/papers/date/2026-11-20');
    expect(await go('2026-11-22')).toBe('/papers/date/2026-11-23');
    expect(await go('2030-01-01')).toBe('/papers/date/2026-11-23');
  });

  it('the date picker redirects to the day, and bad dates get a 400 page', async () => {
    const res = await app.request('/papers/date?date=2026-11-17');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/papers/date/2026-11-17');
    for (const bad of ['/papers/date/2025-13-40', '/papers/date?date=yesterday', '/papers/week/2026-W99', '/papers/month/2026-13']) {
      const { status, html } = await page(bad);
      expect(status, bad).toBe(400);
      expect(html).toContain('Go to the latest papers');
    }
  });

  it('weekly and monthly views gather their days', async () => {
    const latestWeek = await app.request('/papers/week');
    expect(latestWeek.headers.get('location')).toBe('/papers/week/2026-W48');
    const week = await page('/papers/week/2026-W47');
    expect(week.html).toContain('Week of Nov 16, 2026');
    expect(week.html).toContain('33 papers, ranked by upvotes');
    expect(week.html).toContain('href="/papers/week/2026-W48" rel="next"');
    const month = await page('/papers/month/2026-11');
    expect(month.html).toContain('November 2026');
    expect(month.html).toContain('41 papers');
    expect(month.html).not.toContain('Next page');
  });

  it('trending ranks the newest popular papers first', async () => {
    const { status, html } = await page('/papers/trending');
    expect(status).toBe(200);
    expect(html).toContain('Trending papers');
    expect((html.match(/<article class="card"/g) ?? []).length).toBe(41);
  });

  it('the paper page shows everything and typesets math', async () => {
    const list = (await (await app.request('/api/daily_papers?month=2026-11&limit=100')).json()) as { paper: { id: string; title: string } }[];
    const withMath = list.find((e) => /\$[^$]+\$/.test(e.paper.title))!;
    const { status, html } = await page(`/papers/${withMath.paper.id}`);
    expect(status).toBe(200);
    expect(html).toContain('class="katex"');
    expect(html).not.toContain(withMath.paper.title.match(/\$[^$]+\$/)![0]);
    expect(html).toContain(`href="https://arxiv.org/abs/${withMath.paper.id}"`);
    expect(html).toContain(`href="https://arxiv.org/pdf/${withMath.paper.id}"`);
    expect(html).toContain('Cite (BibTeX)');
    expect(html).toContain('<link rel="stylesheet" href="/static/katex/katex.min.css"/>');
  });

  it('a versioned id redirects to the paper, and the paper is available as Markdown', async () => {
    const res = await app.request('/papers/astro-ph/0601001v2');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/papers/astro-ph/0601001');
    const md = await page('/papers/astro-ph/0601001.md');
    expect(md.status).toBe(200);
    expect(md.res.headers.get('content-type')).toMatch(/text\/markdown/);
    expect(md.html).toMatch(/^# <script>/);
    expect(md.html).toContain('- arXiv: https://arxiv.org/abs/astro-ph/0601001');
  });

  it('renders hostile titles, abstracts and authors as text', async () => {
    for (const path of ['/papers/date/2026-11-18', '/papers/astro-ph/0601001']) {
      const { html } = await page(path);
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<b>markup');
      expect(html).not.toContain('<i>Mallory');
      expect(html).not.toContain('href="javascript:');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(html).toContain('costs $5 and $\\frac{1$');
    }
  });

  it('answers unknown pages with a helpful 404', async () => {
    const unknownPaper = await page('/papers/2401.99999');
    expect(unknownPaper.status).toBe(404);
    expect(unknownPaper.html).toContain('href="https://arxiv.org/abs/2401.99999"');
    for (const path of ['/nowhere', '/papers/not-an-id']) {
      const { status, html } = await page(path);
      expect(status, path).toBe(404);
      expect(html).toContain('Nothing here');
      expect(html).toContain('href="/papers/trending"');
    }
  });

  it('serves its assets and security headers', async () => {
    const css = await app.request('/static/style.css');
    expect(css.status).toBe(200);
    expect((await app.request('/static/katex/katex.min.css')).status).toBe(200);
    expect((await app.request('/static/katex/fonts/KaTeX_Main-Regular.woff2')).status).toBe(200);
    expect((await app.request('/static/../package.json')).status).toBe(404);
    const { res } = await page('/papers');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // Request ids come with answers that went through the chain (a cached page is sent ahead of it).
    expect((await app.request('/papers/2611.99999')).headers.get('x-request-id')).toBeTruthy();
  });

  it('answers conditional requests and shows new imports at once', async () => {
    const first = await app.request('/papers/date/2026-11-19');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    const again = await app.request('/papers/date/2026-11-19', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect((await app.request('/papers/date/2026-11-19')).headers.get('etag')).toBe(etag);

    const fresh = { ...hostile, paper: { ...hostile.paper, id: '2611.09999', title: 'A freshly imported paper', githubRepo: undefined } };
    await importHfItems(db, [fresh], '2026-11-19', 'fresh');
    const changed = await app.request('/papers/date/2026-11-19', { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await changed.text()).toContain('A freshly imported paper');
  });

  it('shares ETags between instances of one release', async () => {
    const { createApp } = await import('../app.ts');
    const { testConfig } = await import('../../test/helpers.ts');
    const config = testConfig({ RELEASE_ID: 'abc123' });
    const [a, b] = [createApp({ db, config }), createApp({ db, config })];
    const tagA = (await a.request('/papers')).headers.get('etag');
    // The second instance never rendered the page, and still knows the reader's copy is current.
    expect((await b.request('/papers', { headers: { 'If-None-Match': tagA! } })).status).toBe(304);
    expect((await b.request('/papers')).headers.get('etag')).toBe(tagA);
  });

  it("a day's previous and next days follow imports and moderation at once, kept across votes", async () => {
    const { setVisibility } = await import('../moderation/queries.ts');
    const { castVote } = await import('../votes/votes.ts');
    const { signedInUser } = await import('../../test/community.ts');
    const latest = /name="date" value="([\d-]+)"/.exec((await page('/papers')).html)![1]!;
    const nextLink = async () => /<a class="period-step" href="([^"]+)" rel="next"/.exec((await page(`/papers/date/${latest}`)).html)?.[1];
    expect(await nextLink()).toBeUndefined();
    const later = { ...hostile, paper: { ...hostile.paper, id: '2612.00001', title: 'A paper on a later day' } };
    await importHfItems(db, [later], '2031-12-24', 'later');
    expect(await nextLink()).toBe('/papers/date/2031-12-24');
    // A vote re-renders the day without asking its neighbours again; they are unchanged by it.
    const voter = await signedInUser(db);
    await castVote(db, voter.id, 'astro-ph/0601001', 'up');
    expect(await nextLink()).toBe('/papers/date/2031-12-24');
    await setVisibility(db.kysely, { actorLabel: 'cli:test' }, { type: 'paper', id: '2612.00001' }, true, 'test');
    expect(await nextLink()).toBeUndefined();
  });

  it("a day's kept frame carries each address's own path, escaped, in its preference forms", async () => {
    const nextOf = (html: string) => [...html.matchAll(/name="next" value="(\/papers\/date\/[^"]*)"/g)].map((m) => m[1]);
    const first = await page('/papers/date/2026-11-18?from=one');
    const second = await page('/papers/date/2026-11-18?from="two"&<x>');
    // The banner's dismissal leads back to the day; the view and theme switches to the address itself.
    expect(nextOf(first.html)).toEqual(['/papers/date/2026-11-18', '/papers/date/2026-11-18?from=one', '/papers/date/2026-11-18?from=one']);
    expect(nextOf(second.html)).toEqual(['/papers/date/2026-11-18', '/papers/date/2026-11-18?from=%22two%22&amp;%3Cx%3E', '/papers/date/2026-11-18?from=%22two%22&amp;%3Cx%3E']);
    expect(second.html.replaceAll('?from=%22two%22&amp;%3Cx%3E', '?from=one')).toBe(first.html);
  });

  it("a paper page's related papers show each one's title, organization or authors, date and votes, hidden ones left out", async () => {
    const { setVisibility } = await import('../moderation/queries.ts');
    const ids = (await db.kysely.selectFrom('papers').select('id').where('hidden_at', 'is', null).where('id', '!=', 'astro-ph/0601001').orderBy('id').limit(3).execute()).map((r) => r.id);
    await db.kysely.deleteFrom('related_papers').where('paper_id', '=', 'astro-ph/0601001').execute();
    await db.kysely.insertInto('related_papers').values(ids.map((related_id, rank) => ({ paper_id: 'astro-ph/0601001', rank, related_id }))).execute();
    await db.kysely.updateTable('papers').set({ related_at: new Date().toISOString() }).where('id', '=', 'astro-ph/0601001').execute();
    await setVisibility(db.kysely, { actorLabel: 'cli:test' }, { type: 'paper', id: ids[1]! }, true, 'test');
    const section = /<section class="related"[\s\S]*?<\/section>/.exec((await page('/papers/astro-ph/0601001')).html)?.[0] ?? '';
    const shown = [...section.matchAll(/<li><a href="\/papers\/([^"]+)">[\s\S]*?<span class="related-meta">([\s\S]*?)<\/span><\/li>/g)].map((m) => [m[1], m[2]]);
    const expected = await db.kysely
      .selectFrom('papers as p')
      .leftJoin('organizations as o', 'o.id', 'p.organization_id')
      .select(['p.id', 'p.upvotes', 'p.published_at', 'o.fullname'])
      .select((eb) => eb.selectFrom('paper_authors as a').select(eb.fn.countAll<number>().as('n')).whereRef('a.paper_id', '=', 'p.id').as('authors'))
      .where('p.id', 'in', [ids[0]!, ids[2]!])
      .orderBy('p.id')
      .execute();
    expect(shown.map(([id]) => id)).toEqual([ids[0], ids[2]]);
    shown.forEach(([, meta], i) => {
      const paper = expected[i]!;
      const who = paper.fullname ?? `${Number(paper.authors)} author${Number(paper.authors) === 1 ? '' : 's'}`;
      expect(meta).toContain(who);
      expect(meta).toContain(`datetime="${paper.published_at}"`);
      expect(meta).toContain(`${paper.upvotes} upvote`);
    });
    await setVisibility(db.kysely, { actorLabel: 'cli:test' }, { type: 'paper', id: ids[1]! }, false, 'test');
  });

  it('/healthz checks the database', async () => {
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checkedMsAgo: number };
    expect(body).toEqual({ status: 'ok', database: testDialect, checkedMsAgo: expect.any(Number) });
    expect(body.checkedMsAgo).toBeGreaterThanOrEqual(0);
    expect(body.checkedMsAgo).toBeLessThan(1000);
  });

  it('/healthz answers from one shared probe without waiting for it, and 503 once a probe fails', async () => {
    const { createApp } = await import('../app.ts');
    const { freshDb, testConfig } = await import('../../test/helpers.ts');
    const own = await freshDb();
    const probed = createApp({ db: own, config: testConfig() });
    const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as { status: string; checkedMsAgo?: number } });
    // The security headers are taken once, asynchronously: the first request may go through the chain.
    expect((await probed.request('/healthz')).status).toBe(200);
    expect((await probed.request('/healthz')).headers.get('content-security-policy')).toContain("default-src 'self'");
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Past the version's 10 ms: answered from the last read (its age said), while the next probe starts.
    const held = await json(await probed.request('/healthz'));
    expect(held).toEqual({ status: 200, body: { status: 'ok', database: testDialect, checkedMsAgo: expect.any(Number) } });
    expect(held.body.checkedMsAgo).toBeGreaterThanOrEqual(10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // That probe failed: no more answering from the past; the database is asked and found unavailable.
    const down = await json(await probed.request('/healthz'));
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
  });
});
