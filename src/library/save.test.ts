import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { formHeaders, type TestUser } from '../../test/community.ts';
import { appWithTwoReaders } from '../../test/library.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import { hiddenPaperIds, savedPaperIds } from './queries.ts';

const DAY = '2026-11-18';
const IDS = ['2611.00201', '2611.00202', '2611.00203'];
const record = (id: string) => ({
  paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 1, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Paper ${id}`,
  numComments: 0,
});
const savedOn = (html: string) => IDS.filter((id) => new RegExp(`action="/papers/${id.replace('.', '\\.')}/save"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="unsave"`).test(html));
const cardsOn = (html: string) => IDS.filter((id) => html.includes(`action="/papers/${id}/upvote"`));

describe('save and hide', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  const page = async (path: string, user: TestUser) => (await app.request(path, { headers: { Cookie: user.cookie } })).text();

  beforeAll(async () => {
    ({ db, app, ada, bob } = await appWithTwoReaders(IDS.map(record), DAY));
  });
  afterAll(() => db.close());

  it('saves with a plain form (no JavaScript) and comes back to the page, which shows it saved', async () => {
    const path = `/papers/date/${DAY}`;
    expect(savedOn(await page(path, ada))).toEqual([]);
    const res = await app.request(`/papers/${IDS[1]}/save`, { method: 'POST', headers: { ...formHeaders(ada), Referer: `http://localhost${path}` }, body: `_csrf=${ada.csrf}&action=save` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(path);
    expect(savedOn(await page(path, ada))).toEqual([IDS[1]]);
    expect(savedOn(await page(path, bob))).toEqual([]);
    expect(savedOn(await page(`/papers/${IDS[1]}`, ada))).toEqual([IDS[1]]);
    // The first save made the reader's default collection, private.
    const collections = await db.kysely.selectFrom('collections').selectAll().where('owner_id', '=', ada.id).execute();
    expect(collections.map((c) => [c.title, c.private, c.is_default, c.slug])).toEqual([['Saved papers', 1, 1, `saved-papers-${collections[0]!.id}`]]);
  });

  it('answers the script in JSON, and un-saves', async () => {
    const post = (action: string) =>
      app.request(`/papers/${IDS[1]}/save`, { method: 'POST', headers: { ...formHeaders(ada), Accept: 'application/json', 'X-CSRF-Token': ada.csrf }, body: `action=${action}` });
    expect(await (await post('save')).json()).toEqual({ saved: true });
    expect(await savedPaperIds(db.kysely, ada.id)).toEqual([IDS[1]]);
    expect(await (await post('unsave')).json()).toEqual({ saved: false });
    expect(await savedPaperIds(db.kysely, ada.id)).toEqual([]);
    expect((await post('sideways')).status).toBe(400);
  });

  it('refuses a form without its CSRF token, and sends an anonymous reader to sign in', async () => {
    const res = await app.request(`/papers/${IDS[1]}/save`, { method: 'POST', headers: formHeaders(ada), body: 'action=save' });
    expect(res.status).toBe(403);
    const anon = await app.request(`/papers/${IDS[1]}/save`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' }, body: 'action=save' });
    expect(anon.status).toBe(403);
    // The anonymous page's save button leads to sign-in and back.
    const html = await (await app.request(`/papers/${IDS[1]}`)).text();
    expect(html).toMatch(/<form class="save" method="get" action="\/signin">\s*<input type="hidden" name="next" value="\/papers\/2611\.00201"|<form class="save" method="get" action="\/signin">/);
  });

  it('saves, hides and marks read through the API with a token, with clear errors', async () => {
    const api = (method: string, path: string, user: TestUser | null, body?: unknown) =>
      app.request(path, { method, headers: { ...(user ? { Authorization: `Bearer ${user.token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    expect(await (await api('POST', `/api/papers/${IDS[0]}/save`, bob)).json()).toEqual({ saved: true });
    expect(await (await api('POST', `/api/papers/${IDS[0]}/save`, bob)).json()).toEqual({ saved: true });
    expect(await savedPaperIds(db.kysely, bob.id)).toEqual([IDS[0]]);
    expect(await (await api('DELETE', `/api/papers/${IDS[0]}/save`, bob)).json()).toEqual({ saved: false });
    expect((await api('POST', '/api/papers/2611.99999/save', bob)).status).toBe(404);
    expect((await api('POST', '/api/papers/not-an-id/save', bob)).status).toBe(400);
    expect((await api('POST', `/api/papers/${IDS[0]}/save`, null)).status).toBe(401);
    const readOnly = newToken('dp_');
    await db.kysely.insertInto('api_tokens').values({ user_id: bob.id, name: 'ro', token_hash: hashToken(readOnly), scopes: 'read', created_at: new Date().toISOString(), last_used_at: null, revoked_at: null }).execute();
    expect((await app.request(`/api/papers/${IDS[0]}/hide`, { method: 'POST', headers: { Authorization: `Bearer ${readOnly}` } })).status).toBe(403);

    expect(await (await api('POST', `/api/papers/${IDS[2]}/hide`, bob, { reason: 'not-interested' })).json()).toEqual({ hidden: true, reason: 'not-interested' });
    expect((await api('POST', `/api/papers/${IDS[2]}/hide`, bob, { reason: 'bored' })).status).toBe(400);
    expect(await hiddenPaperIds(db.kysely, bob.id)).toEqual(new Set([IDS[2]]));
    expect(cardsOn(await page(`/papers/date/${DAY}`, bob))).toEqual([IDS[0], IDS[1]]);
    expect(cardsOn(await page(`/papers/date/${DAY}`, ada))).toEqual(IDS);
    expect(await (await api('POST', `/api/papers/${IDS[2]}/unhide`, bob)).json()).toEqual({ hidden: false });
    expect(cardsOn(await page(`/papers/date/${DAY}`, bob))).toEqual(IDS);
    expect(await (await api('POST', `/api/papers/${IDS[2]}/hide`, bob)).json()).toEqual({ hidden: true, reason: 'hidden' });
    expect(await (await api('DELETE', `/api/papers/${IDS[2]}/hide`, bob)).json()).toEqual({ hidden: false });
    expect(await (await api('POST', `/api/papers/${IDS[2]}/read`, bob)).json()).toEqual({ read: true });
    expect(await (await api('DELETE', `/api/papers/${IDS[2]}/read`, bob)).json()).toEqual({ read: false });
  });

  it('hides with the "not interested" form and comes back; the paper page offers the undo', async () => {
    const path = `/papers/date/${DAY}`;
    const res = await app.request(`/papers/${IDS[0]}/hide`, { method: 'POST', headers: { ...formHeaders(ada), Referer: `http://localhost${path}` }, body: `_csrf=${ada.csrf}&action=not-interested` });
    expect(res.status).toBe(303);
    expect(cardsOn(await page(path, ada))).toEqual([IDS[1], IDS[2]]);
    expect(await page(`/papers/${IDS[0]}`, ada)).toContain('value="unhide"');
    await app.request(`/papers/${IDS[0]}/hide`, { method: 'POST', headers: formHeaders(ada), body: `_csrf=${ada.csrf}&action=unhide` });
    expect(cardsOn(await page(path, ada))).toEqual(IDS);
  });
});
