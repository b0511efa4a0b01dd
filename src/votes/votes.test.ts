import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import { trendingScore } from '../papers/trending.ts';
import { castVote, castVotes } from './votes.ts';

const DAY = '2026-11-18';
/** A hand-made Hugging Face record: a paper its source says has `upvotes` votes. */
const record = (id: string, upvotes: number) => ({
  paper: {
    id,
    title: `Paper ${id}`,
    summary: 'An abstract.',
    publishedAt: '2026-11-17T00:00:00.000Z',
    upvotes,
    authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }],
  },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Paper ${id}`,
  numComments: 0,
});

describe('upvotes', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0' }));
    await importHfItems(db, [record('2611.00001', 5), record('2611.00002', 0), record('astro-ph/0601001', 2), record('2611.00003', 1)], DAY, 'test');
    await db.kysely.updateTable('papers').set({ hidden_at: '2026-11-19T00:00:00.000Z' }).where('id', '=', '2611.00003').execute();
    ada = await signedInUser(db);
    bob = await signedInUser(db);
  });
  afterAll(() => db.close());

  const api = (method: 'POST' | 'DELETE', id: string, user: TestUser | null) =>
    app.request(`/api/papers/${id}/upvote`, { method, headers: user ? { Authorization: `Bearer ${user.token}` } : {} });
  const stored = async (id: string) => {
    const paper = await db.kysely.selectFrom('papers').select(['upvotes', 'upvotes_source', 'trending_score']).where('id', '=', id).executeTakeFirstOrThrow();
    const rows = await db.kysely.selectFrom('upvotes').selectAll().where('paper_id', '=', id).execute();
    return { upvotes: Number(paper.upvotes), source: Number(paper.upvotes_source), trending: Number(paper.trending_score), rows };
  };

  it('POST upvotes once per person; DELETE withdraws; both are idempotent', async () => {
    let res = await api('POST', '2611.00001', ada);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upvoted: true, upvotes: 6 });
    res = await api('POST', '2611.00001', ada);
    expect(await res.json()).toEqual({ upvoted: true, upvotes: 6 });
    expect((await stored('2611.00001')).rows).toHaveLength(1);

    expect(await (await api('POST', '2611.00001', bob)).json()).toEqual({ upvoted: true, upvotes: 7 });
    expect(await (await api('DELETE', '2611.00001', ada)).json()).toEqual({ upvoted: false, upvotes: 6 });
    expect(await (await api('DELETE', '2611.00001', ada)).json()).toEqual({ upvoted: false, upvotes: 6 });
    const after = await stored('2611.00001');
    expect(after.rows.map((r) => r.user_id)).toEqual([bob.id]);
    expect(after.upvotes).toBe(after.source + after.rows.length);
    expect(after.trending).toBe(trendingScore(6, new Date(`${DAY}T09:00:00.000Z`)));
    await api('DELETE', '2611.00001', bob);
  });

  it('the page form toggles, or sets with action=up|down, and goes back where it came from', async () => {
    const post = (body: string, extra: Record<string, string> = {}) =>
      app.request('/papers/2611.00002/upvote', { method: 'POST', headers: { ...formHeaders(ada), ...extra }, body: `_csrf=${ada.csrf}${body}` });
    let res = await post('', { Referer: 'http://localhost/papers/date/2026-11-18?x=1' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/papers/date/2026-11-18?x=1');
    expect((await stored('2611.00002')).upvotes).toBe(1);
    res = await post('', { Referer: 'https://elsewhere.example/papers' });
    expect(res.headers.get('location')).toBe('/papers/2611.00002');
    expect((await stored('2611.00002')).upvotes).toBe(0);
    await post('&action=up');
    await post('&action=up');
    expect((await stored('2611.00002')).rows).toHaveLength(1);
    res = await post('&action=down', { Accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upvoted: false, upvotes: 0 });
    expect((await post('&action=sideways')).status).toBe(400);
  });

  it('the page script posts with X-CSRF-Token and gets JSON', async () => {
    const res = await app.request('/papers/2611.00002/upvote', {
      method: 'POST',
      headers: { Cookie: ada.cookie, Origin: 'http://localhost', Accept: 'application/json', 'X-CSRF-Token': ada.csrf, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'action=up',
    });
    expect(await res.json()).toEqual({ upvoted: true, upvotes: 1 });
    await api('DELETE', '2611.00002', ada);
  });

  it('works for old-style ids, with their slash', async () => {
    expect(await (await api('POST', 'astro-ph/0601001', ada)).json()).toEqual({ upvoted: true, upvotes: 3 });
    expect(await (await api('DELETE', 'astro-ph/0601001v1', ada)).json()).toEqual({ upvoted: false, upvotes: 2 });
  });

  it('count = baseline + stored votes, also after a later import refreshes the baseline', async () => {
    await api('POST', '2611.00001', ada);
    await api('POST', '2611.00001', bob);
    expect((await stored('2611.00001')).upvotes).toBe(7);
    await importHfItems(db, [record('2611.00001', 40)], DAY, 'later');
    expect(await stored('2611.00001')).toMatchObject({ source: 40, upvotes: 42 });
    expect(await (await api('DELETE', '2611.00001', bob)).json()).toEqual({ upvoted: false, upvotes: 41 });
    await importHfItems(db, [record('2611.00001', 38)], DAY, 'later still');
    expect(await stored('2611.00001')).toMatchObject({ source: 38, upvotes: 39 });
    const res = await app.request('/api/papers/2611.00001');
    expect((await res.json()).upvotes).toBe(39);
  });

  it('refuses readers who are not signed in: sign-in for pages, 401 for the API', async () => {
    const csrf = newToken();
    const res = await app.request('/papers/2611.00001/upvote', {
      method: 'POST',
      headers: { Cookie: `dp_csrf=${csrf}`, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', Referer: 'http://localhost/papers/date/2026-11-18' },
      body: `_csrf=${csrf}&action=up`,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/signin?next=${encodeURIComponent('/papers/date/2026-11-18')}`);
    const anon = await api('POST', '2611.00001', null);
    expect(anon.status).toBe(401);
    expect((await anon.json()).error).toMatch(/sign in/);
    expect((await stored('2611.00001')).rows).toHaveLength(1);
  });

  it('refuses a token without the write scope (403), and cross-site or token-less form posts (403)', async () => {
    const readOnly = newToken('dp_');
    await db.kysely
      .insertInto('api_tokens')
      .values({ user_id: bob.id, name: 'ro', token_hash: hashToken(readOnly), scopes: 'read', created_at: new Date().toISOString(), last_used_at: null, revoked_at: null })
      .execute();
    const res = await app.request('/api/papers/2611.00001/upvote', { method: 'POST', headers: { Authorization: `Bearer ${readOnly}` } });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatch(/write/);

    const foreign = await app.request('/papers/2611.00001/upvote', {
      method: 'POST',
      headers: { ...formHeaders(bob), Origin: 'https://evil.example' },
      body: `_csrf=${bob.csrf}&action=up`,
    });
    expect(foreign.status).toBe(403);
    const noToken = await app.request('/papers/2611.00001/upvote', { method: 'POST', headers: formHeaders(bob), body: 'action=up' });
    expect(noToken.status).toBe(403);
    const session = await app.request('/api/papers/2611.00001/upvote', { method: 'POST', headers: { Cookie: bob.cookie, Origin: 'http://localhost' } });
    expect(session.status).toBe(403);
    expect((await stored('2611.00001')).rows.map((r) => r.user_id)).toEqual([ada.id]);
  });

  it('says 400 for a bad id, 404 for an unknown paper, 410 for a hidden one, and writes nothing', async () => {
    const bad = await api('POST', 'not-an-id', ada);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/not an arXiv id/);
    const unknown = await api('POST', '2611.09999', ada);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatch(/not found/);
    const hidden = await api('POST', '2611.00003', ada);
    expect(hidden.status).toBe(410);
    expect((await hidden.json()).error).toMatch(/removed by moderators/);
    const page = await app.request('/papers/2611.00003/upvote', { method: 'POST', headers: formHeaders(ada), body: `_csrf=${ada.csrf}` });
    expect(page.status).toBe(410);
    expect(await db.kysely.selectFrom('upvotes').selectAll().where('paper_id', 'in', ['2611.09999', '2611.00003']).execute()).toEqual([]);
  });

  it('shows the viewer their votes as pressed buttons; anonymous pages carry no per-person state', async () => {
    const mine = await app.request(`/papers/date/${DAY}`, { headers: { Cookie: ada.cookie } });
    const html = await mine.text();
    expect(html).toMatch(/action="\/papers\/2611\.00001\/upvote"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+"\/?>\s*<input type="hidden" name="action" value="down"\/?>\s*<button[^>]*aria-pressed="true"/);
    expect(html).toMatch(/action="\/papers\/2611\.00002\/upvote"[\s\S]*?aria-pressed="false"/);
    expect(html).toContain('<script src="/static/buttons.js" defer');
    const paper = await (await app.request('/papers/2611.00001', { headers: { Cookie: ada.cookie } })).text();
    expect(paper).toContain('aria-pressed="true"');

    const anon = await (await app.request(`/papers/date/${DAY}`)).text();
    expect(anon).not.toContain('_csrf');
    // Nothing pressed but the page's own view and theme switches.
    expect(anon.replace(/<form class="pref-switch[\s\S]*?<\/form>/g, '')).not.toContain('aria-pressed="true"');
    expect(anon).toContain('action="/signin"');
    expect(anon).toContain('name="next" value="/papers/2611.00001"');
  });

  it('a vote changes the content version, so cached anonymous pages show the new count', async () => {
    const before = await (await app.request('/papers/2611.00002')).text();
    expect(before).toContain('class="upvote-count">0<');
    await api('POST', '2611.00002', bob);
    const after = await (await app.request('/papers/2611.00002')).text();
    expect(after).toContain('class="upvote-count">1<');
  });
});

describe('castVotes', () => {
  it('applies a batch in order, writing only each person\'s net change, and answers each vote', async () => {
    const { db } = await testApp();
    await importHfItems(db, [record('2611.00001', 3), record('2611.00002', 0)], DAY, 'test');
    const [a, b] = [await signedInUser(db), await signedInUser(db)];
    const outcomes = await castVotes(db, [
      { userId: a.id, paperId: '2611.00001', action: 'toggle' },
      { userId: a.id, paperId: '2611.00001', action: 'toggle' },
      { userId: a.id, paperId: '2611.00001', action: 'up' },
      { userId: b.id, paperId: '2611.00001', action: 'down' },
      { userId: b.id, paperId: '2611.00002', action: 'up' },
      { userId: b.id, paperId: '2611.09999', action: 'up' },
    ]);
    expect(outcomes).toEqual([
      { kind: 'ok', upvoted: true, upvotes: 4 },
      { kind: 'ok', upvoted: false, upvotes: 4 },
      { kind: 'ok', upvoted: true, upvotes: 4 },
      { kind: 'ok', upvoted: false, upvotes: 4 },
      { kind: 'ok', upvoted: true, upvotes: 1 },
      { kind: 'unknown' },
    ]);
    const rows = await db.kysely.selectFrom('upvotes').select(['user_id', 'paper_id']).orderBy('paper_id').execute();
    expect(rows).toEqual([
      { user_id: a.id, paper_id: '2611.00001' },
      { user_id: b.id, paper_id: '2611.00002' },
    ]);
    // Votes cast at once share transactions, and each still gets its own answer.
    const toggles = await Promise.all(Array.from({ length: 9 }, () => castVote(db, a.id, '2611.00002', 'toggle')));
    expect(toggles.map((t) => t.upvoted)).toEqual([true, false, true, false, true, false, true, false, true]);
    const paper = await db.kysely.selectFrom('papers').select('upvotes').where('id', '=', '2611.00002').executeTakeFirstOrThrow();
    expect(Number(paper.upvotes)).toBe(2);
    await db.close();
  });
});

describe('vote rate limit', () => {
  it('answers 429 with Retry-After past the limit', async () => {
    const { db, app } = await testApp({ RATE_LIMIT_SCALE: '0.005' }); // 600 × 0.005 = 3 votes per window
    await importHfItems(db, [record('2611.00001', 0)], DAY, 'test');
    const user = await signedInUser(db);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await app.request('/api/papers/2611.00001/upvote', { method: 'POST', headers: { Authorization: `Bearer ${user.token}` } })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    await db.close();
  });
});
