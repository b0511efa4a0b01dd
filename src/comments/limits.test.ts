// Issue 13: a comment's math cannot stall the server. Comments are bounded when written
// (formulas, bytes, layout), typeset once and stored, and long discussions come in pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import type { CommentJson } from './comments.ts';
import { MAX_COMMENT_HTML_BYTES, MAX_MATH_SPANS, renderComment } from './markdown.ts';
import { COMMENTS_PER_PAGE } from './thread.ts';
import { refreshCommentCount } from './queries.ts';

const item = (id: string) => ({
  paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-11-01T00:00:00.000Z', upvotes: 1, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: '2026-11-18T09:00:00.000Z',
  title: id,
  numComments: 0,
});

const SIZE = '2611.00011';
const LAYOUT = '2611.00012';
const STORED = '2611.00013';
const LONG = '2611.00014';
const HEAVY = '2611.00015';
/** The largest body the page cache keeps (web/page-cache.ts): a bigger page is rendered again on every view. */
const PAGE_CACHE_MAX_BODY = 2 * 1024 * 1024;
const FLOOD = '$x^2$ '.repeat(1666);
const NOTICE = '$\\smash{\\kern{-2em}\\raisebox{30em}{\\colorbox{yellow}{\\Huge NOTICE: your session expired, sign in again at evil.example}}}$';

describe('comments: bounded, typeset once, paged', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;

  beforeAll(async () => {
    ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0' }));
    await importHfItems(db, [SIZE, LAYOUT, STORED, LONG, HEAVY].map(item), '2026-11-18', 'test');
    ada = await signedInUser(db, { username: 'ada', fullname: 'Ada L.' });
  });
  afterAll(() => db.close());

  const form = (path: string, fields: Record<string, string>) =>
    app.request(path, { method: 'POST', headers: formHeaders(ada), body: new URLSearchParams({ _csrf: ada.csrf, ...fields }) });
  const api = (method: string, path: string, body?: unknown) =>
    app.request(path, { method, headers: { Authorization: `Bearer ${ada.token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  /** The page as Ada sees it: never from the anonymous page cache. */
  const page = async (path: string) => (await app.request(path, { headers: { Cookie: ada.cookie } })).text();
  const rows = (paperId: string) => db.kysely.selectFrom('comments').selectAll().where('paper_id', '=', paperId).orderBy('id').execute();
  /** A comment stored as one written before 013 would be (html null), or with the html given. */
  // Rows as an older release wrote them (no stored HTML, or HTML made elsewhere), counted in
  // papers.comments as every release did: the paper page reads no comments of a paper without any.
  const insert = async (paperId: string, body: string, html: string | null, parentId: number | null = null) => {
    const id = Number((await db.kysely.insertInto('comments').values({ paper_id: paperId, user_id: ada.id, parent_id: parentId, body, html, created_at: new Date().toISOString() }).returning('id').executeTakeFirstOrThrow()).id);
    await refreshCommentCount(db.kysely, paperId);
    return id;
  };

  it('refuses 10,000 characters of `$x^2$ ` on the form and the API with a 413 that says why, storing nothing', async () => {
    const viaApi = await api('POST', `/api/papers/${SIZE}/comments`, { comment: FLOOD });
    expect(viaApi.status).toBe(413);
    expect(((await viaApi.json()) as { error: string }).error).toContain(`at most ${MAX_MATH_SPANS} formulas; this one has 1,666`);
    const viaForm = await form(`/papers/${SIZE}/comments`, { comment: FLOOD });
    expect(viaForm.status).toBe(413);
    expect(await viaForm.text()).toContain(`at most ${MAX_MATH_SPANS} formulas`);
    expect(await rows(SIZE)).toEqual([]);

    // An edit is held to the same bounds.
    const ok = (await (await api('POST', `/api/papers/${SIZE}/comments`, { comment: 'fine $x^2$' })).json()) as CommentJson;
    expect((await api('PATCH', `/api/comments/${ok.id}`, { comment: FLOOD })).status).toBe(413);
    expect((await rows(SIZE)).map((r) => r.body)).toEqual(['fine $x^2$']);
  });

  it('refuses math that would draw outside its box (422), on writes and edits', async () => {
    const viaApi = await api('POST', `/api/papers/${LAYOUT}/comments`, { comment: `Hello ${NOTICE}` });
    expect(viaApi.status).toBe(422);
    expect(((await viaApi.json()) as { error: string }).error).toMatch(/negative space of -2em, which could move it out of its place/);
    expect((await form(`/papers/${LAYOUT}/comments`, { comment: NOTICE })).status).toBe(422);
    const ok = (await (await api('POST', `/api/papers/${LAYOUT}/comments`, { comment: 'harmless' })).json()) as CommentJson;
    expect((await form(`/comments/${ok.id}/edit`, { comment: '$\\raisebox{30em}{NOTICE}$' })).status).toBe(422);
    expect((await rows(LAYOUT)).map((r) => r.body)).toEqual(['harmless']);
  });

  it('typesets a comment once, when written or edited, and serves the stored HTML', async () => {
    const created = (await (await api('POST', `/api/papers/${STORED}/comments`, { comment: 'Energy $E=mc^2$' })).json()) as CommentJson;
    const [row] = await rows(STORED);
    expect(row!.html).toBe((renderComment('Energy $E=mc^2$') as { html: string }).html);
    expect(created.html).toBe(row!.html);

    // What is served is what was stored, not a new rendering.
    await db.kysely.updateTable('comments').set({ html: '<p>the stored rendering</p>' }).where('id', '=', created.id).execute();
    expect(await page(`/papers/${STORED}`)).toContain('<div class="comment-body"><p>the stored rendering</p></div>');
    const listed = (await (await api('GET', `/api/papers/${STORED}/comments`)).json()) as CommentJson[];
    expect(listed[0]!.html).toBe('<p>the stored rendering</p>');

    // An edit stores the new rendering; a delete keeps nothing.
    expect((await api('PATCH', `/api/comments/${created.id}`, { comment: 'Now $\\alpha$' })).status).toBe(200);
    expect((await rows(STORED))[0]!.html).toContain('class="katex"');
    expect((await rows(STORED))[0]!.html).not.toContain('the stored rendering');
    expect((await api('DELETE', `/api/comments/${created.id}`)).status).toBe(204);
    expect((await rows(STORED))[0]).toMatchObject({ body: '', html: '' });
  });

  it('typesets comments written before 013 once, on first read, within the limits', async () => {
    const old = await insert(STORED, 'From before: $\\beta$', null);
    const flood = await insert(STORED, FLOOD, null);
    const html = await page(`/papers/${STORED}`);
    const stored = new Map((await rows(STORED)).map((r) => [r.id, r.html]));
    expect(stored.get(old)).toContain('class="katex"');
    expect(html).toContain(stored.get(old)!);
    expect(Buffer.byteLength(stored.get(flood)!)).toBeLessThanOrEqual(MAX_COMMENT_HTML_BYTES);
    expect(html).toContain(stored.get(flood)!);
  });

  it('pages long discussions by whole threads, with links that work without JavaScript, and the API alike', async () => {
    const first = await insert(LONG, 'thread 1', '<p>thread 1</p>');
    await insert(LONG, 'reply to 1', '<p>reply to 1</p>', first);
    for (let i = 2; i <= 60; i++) await insert(LONG, `thread ${i}`, `<p>thread ${i}</p>`);
    const articles = (html: string) => (html.match(/<article class="comment"/g) ?? []).length;

    const one = await page(`/papers/${LONG}`);
    expect(articles(one)).toBe(COMMENTS_PER_PAGE);
    expect(one).toContain('<p>thread 49</p>');
    expect(one).not.toContain('<p>thread 50</p>');
    expect(one).toMatch(new RegExp(`<a href="/papers/${LONG}\\?comments=2#discussion" rel="next">\\s*More comments`));
    expect(one).toContain('<span class="discussion-count">61</span>');
    const two = await page(`/papers/${LONG}?comments=2`);
    expect(articles(two)).toBe(11);
    expect(two).toContain('<p>thread 60</p>');
    expect(two).toMatch(new RegExp(`<a href="/papers/${LONG}#discussion" rel="prev">\\s*← Earlier comments`));
    expect(two).not.toContain('rel="next"');
    // Past the last page is the last page; not a number is the first.
    expect(articles(await page(`/papers/${LONG}?comments=99`))).toBe(11);
    expect(articles(await page(`/papers/${LONG}?comments=x`))).toBe(COMMENTS_PER_PAGE);

    const res = await api('GET', `/api/papers/${LONG}/comments`);
    expect(res.headers.get('X-Total-Pages')).toBe('2');
    expect(res.headers.get('X-Total-Count')).toBe('61');
    expect(((await res.json()) as CommentJson[]).length).toBe(COMMENTS_PER_PAGE);
    const second = (await (await api('GET', `/api/papers/${LONG}/comments?page=2`)).json()) as CommentJson[];
    expect(second.map((c) => c.body)).toEqual(Array.from({ length: 11 }, (_, i) => `thread ${50 + i}`));
    expect((await api('GET', `/api/papers/${LONG}/comments?page=0`)).status).toBe(400);
    expect((await api('GET', `/api/papers/${LONG}/comments?page=x`)).status).toBe(400);

    // Writing sends the writer to the page that shows their comment.
    const posted = await form(`/papers/${LONG}/comments`, { comment: 'the newest' });
    expect(posted.headers.get('Location')).toMatch(new RegExp(`^/papers/${LONG}\\?comments=2#c\\d+$`));
    const reply = await form(`/papers/${LONG}/comments`, { comment: 'a late reply', parentId: String(first) });
    expect(reply.headers.get('Location')).toMatch(new RegExp(`^/papers/${LONG}#c\\d+$`));
  });

  it('keeps every page of the heaviest comments small enough for the page cache', async () => {
    const heavy = `<p>${'x'.repeat(MAX_COMMENT_HTML_BYTES - 8)}</p>`;
    for (let i = 0; i < 12; i++) await insert(HEAVY, `heavy ${i}`, heavy);
    const res = await api('GET', `/api/papers/${HEAVY}/comments`);
    const pages = Number(res.headers.get('X-Total-Pages'));
    expect(pages).toBeGreaterThan(1);
    for (let n = 1; n <= pages; n++) {
      const anonymous = await app.request(`/papers/${HEAVY}?comments=${n}`);
      expect(anonymous.status).toBe(200);
      expect((await anonymous.arrayBuffer()).byteLength).toBeLessThan(PAGE_CACHE_MAX_BODY);
      expect(Buffer.byteLength(await page(`/papers/${HEAVY}?comments=${n}`))).toBeLessThan(PAGE_CACHE_MAX_BODY);
    }
  });
});
