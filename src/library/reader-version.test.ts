import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { formHeaders, type TestUser } from '../../test/community.ts';
import { appWithTwoReaders } from '../../test/library.ts';
import { readerVersion } from '../db/content-version.ts';

// Every write of a reader's library changes what their own pages show, so it bumps their
// version (decision 018): their cached pages and ETags change, and no one else's.

const DAY = '2026-11-18';
const IDS = ['2611.00701', '2611.00702', '2611.00703'] as const;
const record = (id: string) => ({
  paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 1, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Paper ${id}`,
  numComments: 0,
});
const PATH = `/papers/date/${DAY}`;
const savedOn = (html: string) => IDS.filter((id) => new RegExp(`action="/papers/${id.replace('.', '\\.')}/save"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="unsave"`).test(html));

describe("a reader's own library writes bump their version", () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;

  const view = async (user: TestUser, path = PATH) => {
    const res = await app.request(path, { headers: { Cookie: user.cookie } });
    return { etag: res.headers.get('ETag'), html: await res.text() };
  };
  const form = (user: TestUser, path: string, fields: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const hub = (user: TestUser, method: string, path: string, body?: unknown) =>
    app.request(`http://localhost${path}`, { method, headers: { authorization: `Bearer ${user.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });

  /**
   * Runs `write` as Ada and checks that it bumped her version, that her next page view has a new
   * ETag (and the page `expectAfter` describes), and that Bob's cached page is the same one: his
   * ETag is answered with 304 and his version is untouched.
   */
  const bumps = async (label: string, write: () => Response | Promise<Response>, check?: (html: string) => void) => {
    const before = await view(ada);
    const bobBefore = await view(bob);
    const [adaVersion, bobVersion] = [await readerVersion(db.kysely, ada.id), await readerVersion(db.kysely, bob.id)];
    const res = await write();
    expect(res.status, `${label}: ${res.status} ${await res.clone().text()}`).toBeLessThan(400);
    expect(await readerVersion(db.kysely, ada.id), label).toBeGreaterThan(adaVersion);
    expect(await readerVersion(db.kysely, bob.id), label).toBe(bobVersion);
    const after = await view(ada);
    expect(after.etag, label).not.toBe(before.etag);
    check?.(after.html);
    const bobAgain = await app.request(PATH, { headers: { Cookie: bob.cookie, 'If-None-Match': bobBefore.etag! } });
    expect(bobAgain.status, `${label}: another reader's cached page`).toBe(304);
  };

  let collection = '';
  let itemIds: number[] = [];
  const itemsOf = async () => {
    const json = (await (await hub(ada, 'GET', `/api/collections/${collection}`)).json()) as { items: { _id: string; id: string }[] };
    return json.items;
  };

  beforeAll(async () => {
    ({ db, app, ada, bob } = await appWithTwoReaders(IDS.map(record), DAY));
  });
  afterAll(() => db.close());

  it('saving and un-saving (the button, the API)', async () => {
    await bumps('save (form)', () => form(ada, `/papers/${IDS[0]}/save`, { action: 'save' }), (html) => expect(savedOn(html)).toEqual([IDS[0]]));
    await bumps('unsave (API)', () => hub(ada, 'DELETE', `/api/papers/${IDS[0]}/save`), (html) => expect(savedOn(html)).toEqual([]));
    await bumps('save (API)', () => hub(ada, 'POST', `/api/papers/${IDS[0]}/save`), (html) => expect(savedOn(html)).toEqual([IDS[0]]));
  });

  it('a private collection: made, renamed, items added, noted, moved and deleted, and the collection deleted (forms and the Hugging Face API)', async () => {
    await bumps('create collection (API)', async () => {
      const res = await hub(ada, 'POST', '/api/collections', { title: 'Reading group', namespace: ada.username, private: true });
      collection = ((await res.clone().json()) as { slug: string }).slug;
      return res;
    });
    await bumps('rename collection (API)', () => hub(ada, 'PATCH', `/api/collections/${collection}`, { description: 'week 3' }));
    await bumps('add item (API)', () => hub(ada, 'POST', `/api/collections/${collection}/items`, { item: { type: 'paper', id: IDS[1] } }), (html) => expect(savedOn(html)).toEqual([IDS[0], IDS[1]]));
    await bumps('add item (form)', () => form(ada, `/collections/${collection}/items`, { paper: IDS[2] }), (html) => expect(savedOn(html)).toEqual(IDS));
    const items = await itemsOf();
    itemIds = items.map((i) => Number(i._id));
    expect(items.map((i) => i.id)).toEqual([IDS[1], IDS[2]]);
    await bumps('note (API)', () => hub(ada, 'PATCH', `/api/collections/${collection}/items/${itemIds[0]}`, { note: 'Read **this** first' }));
    await bumps('move (form)', () => form(ada, `/collections/${collection}/items/${itemIds[1]}/edit`, { position: '0' }));
    await bumps('note on a saved paper (form)', () => form(ada, `/library/notes/${IDS[0]}`, { note: 'Mine.' }));
    await bumps('delete item (API)', () => hub(ada, 'DELETE', `/api/collections/${collection}/items/${itemIds[0]}`), (html) => expect(savedOn(html)).toEqual([IDS[0], IDS[2]]));
    await bumps('delete item (form)', () => form(ada, `/collections/${collection}/items/${itemIds[1]}/delete`), (html) => expect(savedOn(html)).toEqual([IDS[0]]));
    await bumps('add item again (API)', () => hub(ada, 'POST', `/api/collections/${collection}/items`, { item: { type: 'paper', id: IDS[1] } }), (html) => expect(savedOn(html)).toEqual([IDS[0], IDS[1]]));
    await bumps('delete collection (form)', () => form(ada, `/collections/${collection}/delete`), (html) => expect(savedOn(html)).toEqual([IDS[0]]));
    await bumps('create collection (form)', () => form(ada, '/collections', { title: 'Second', private: '1' }));
    const [second] = (await db.kysely.selectFrom('collections').select(['id', 'slug']).where('owner_id', '=', ada.id).where('title', '=', 'Second').execute()).map((c) => `${ada.username}/${c.slug}`);
    await bumps('import (form)', () => form(ada, `/collections/${second}/import`, { text: `@article{x, title={T}, eprint={${IDS[2]}}, archivePrefix={arXiv}}` }), (html) => expect(savedOn(html)).toEqual([IDS[0], IDS[2]]));
    await bumps('delete collection (API)', () => hub(ada, 'DELETE', `/api/collections/${second}`), (html) => expect(savedOn(html)).toEqual([IDS[0]]));
  });

  it('hiding, not interested, read marks and the setting that leaves read papers out', async () => {
    await bumps('hide (form)', () => form(ada, `/papers/${IDS[1]}/hide`, { action: 'not-interested' }), (html) => expect(html).not.toContain(`action="/papers/${IDS[1]}/upvote"`));
    await bumps('unhide (API)', () => hub(ada, 'DELETE', `/api/papers/${IDS[1]}/hide`), (html) => expect(html).toContain(`action="/papers/${IDS[1]}/upvote"`));
    await bumps('read (API)', () => hub(ada, 'POST', `/api/papers/${IDS[2]}/read`));
    await bumps('leave read papers out (form)', () => form(ada, '/library/settings', { hide_read: '1' }), (html) => expect(html).not.toContain(`action="/papers/${IDS[2]}/upvote"`));
    await bumps('unread (API)', () => hub(ada, 'DELETE', `/api/papers/${IDS[2]}/read`), (html) => expect(html).toContain(`action="/papers/${IDS[2]}/upvote"`));
  });

  it('follows and unfollows', async () => {
    await bumps('follow (form)', () => form(ada, '/follows', { kind: 'author', target: 'Ada Lovelace', action: 'follow' }));
    await bumps('unfollow (API)', () => hub(ada, 'DELETE', '/api/follows?kind=author&target=Ada%20Lovelace'));
  });
});
