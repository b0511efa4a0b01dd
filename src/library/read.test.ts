import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { formHeaders, type TestUser } from '../../test/community.ts';
import { appWithTwoReaders } from '../../test/library.ts';
import { savePaper } from './collections.ts';

// "Mark read" (issue 17): a toggle on cards and the paper page, shown on the reader's cached
// pages, an "unread" filter in the library, and a setting that leaves read papers out of the
// daily lists.
const DAY = '2026-11-18';
const IDS = ['2611.00301', '2611.00302', '2611.00303'];
const record = (id: string, i: number) => ({
  paper: { id, title: `Reading ${id}`, summary: 'An abstract about reading.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 10 - i, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Reading ${id}`,
  numComments: 0,
});
/** The papers a page shows as read by its reader (the form offers "unread"). */
const readOn = (html: string) => IDS.filter((id) => new RegExp(`action="/papers/${id.replace('.', '\\.')}/read"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="unread"`).test(html));
const cardsOn = (html: string) => IDS.filter((id) => html.includes(`action="/papers/${id}/upvote"`));

describe('mark read', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  const page = async (path: string, user?: TestUser) => (await app.request(path, { headers: user ? { Cookie: user.cookie } : {} })).text();
  const form = (user: TestUser, path: string, body: string, extra: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { ...formHeaders(user), ...extra }, body: `_csrf=${user.csrf}&${body}` });

  beforeAll(async () => {
    ({ db, app, ada, bob } = await appWithTwoReaders(IDS.map(record), DAY));
  });
  afterAll(() => db.close());

  it('marks read with a plain form, back to the page, which shows it read to that reader only', async () => {
    const path = `/papers/date/${DAY}`;
    expect(readOn(await page(path, ada))).toEqual([]);
    expect(await page(path, ada)).toContain('<span class="read-label">Mark read</span>');
    const res = await form(ada, `/papers/${IDS[1]}/read`, 'action=read', { Referer: `http://localhost${path}` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(path);
    expect(readOn(await page(path, ada))).toEqual([IDS[1]]);
    expect(readOn(await page(`/papers/${IDS[1]}`, ada))).toEqual([IDS[1]]);
    expect(readOn(await page(path, bob))).toEqual([]);
    // Anonymous readers have no read button.
    expect(await page(path)).not.toContain('/read"');
    // Still on the list: reading a paper does not hide it unless the reader asks.
    expect(cardsOn(await page(path, ada))).toEqual(IDS);
  });

  it('answers the script in JSON, marks unread, and refuses what it does not know', async () => {
    const post = (action: string) => app.request(`/papers/${IDS[0]}/read`, { method: 'POST', headers: { ...formHeaders(ada), Accept: 'application/json', 'X-CSRF-Token': ada.csrf }, body: `action=${action}` });
    expect(await (await post('read')).json()).toEqual({ read: true });
    expect(readOn(await page(`/papers/date/${DAY}`, ada))).toEqual([IDS[0], IDS[1]]);
    expect(await (await post('unread')).json()).toEqual({ read: false });
    expect(readOn(await page(`/papers/date/${DAY}`, ada))).toEqual([IDS[1]]);
    const bad = await post('sideways');
    expect(bad.status).toBe(400);
    expect((await app.request('/papers/2611.99999/read', { method: 'POST', headers: { ...formHeaders(ada), Accept: 'application/json', 'X-CSRF-Token': ada.csrf }, body: 'action=read' })).status).toBe(404);
    expect((await app.request(`/papers/${IDS[0]}/read`, { method: 'POST', headers: formHeaders(ada), body: 'action=read' })).status).toBe(403);
  });

  it('filters the library to unread papers', async () => {
    await savePaper(db.kysely, ada.id, IDS[1]!);
    await savePaper(db.kysely, ada.id, IDS[2]!);
    expect(cardsOn(await page('/library', ada)).sort()).toEqual([IDS[1], IDS[2]]);
    const unread = await page('/library?unread=1', ada);
    expect(cardsOn(unread)).toEqual([IDS[2]]);
    expect(unread).toContain('<input type="checkbox" name="unread" value="1" checked=""/>');
    expect((await app.request('/library?unread=yes', { headers: { Cookie: ada.cookie } })).status).toBe(400);
  });

  it('leaves read papers out of the daily, weekly and trending lists of a reader who chose so, and nowhere else', async () => {
    const res = await form(ada, '/library/settings', 'hide_read=1');
    expect(res.status).toBe(303);
    expect(await page('/library', ada)).toContain('<input type="checkbox" name="hide_read" value="1" checked=""/>');
    for (const path of [`/papers/date/${DAY}`, '/papers/week/2026-W47', '/papers/trending']) {
      expect(cardsOn(await page(path, ada)), path).toEqual([IDS[0], IDS[2]]);
      expect(cardsOn(await page(path, bob)), path).toEqual(IDS);
    }
    // Search, the paper page and the library still show it.
    expect(cardsOn(await page('/papers/search?q=reading', ada))).toContain(IDS[1]);
    expect(readOn(await page(`/papers/${IDS[1]}`, ada))).toEqual([IDS[1]]);
    expect(cardsOn(await page('/library', ada))).toContain(IDS[1]);
    // And back.
    await form(ada, '/library/settings', '');
    expect(cardsOn(await page(`/papers/date/${DAY}`, ada))).toEqual(IDS);
    expect((await form(ada, '/library/settings', 'hide_read=maybe')).status).toBe(400);
  });
});
