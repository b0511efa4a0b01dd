import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';

const DAY = '2026-11-18';
const IDS = ['2611.00301', '2611.00302', '2611.00303', '2611.00304', '2611.00305'];
const record = (id: string) => ({
  paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 3, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Paper ${id}`,
  numComments: 0,
});

type Json = Record<string, any>;

/**
 * What huggingface_hub's dataclasses do with an answer (hf_api.py `Collection.__init__` and
 * `CollectionItem.__init__`): the keys they pop without a default must be there, and a list's
 * collections must not carry `position`, which list_collections passes itself.
 */
function parseCollection(data: Json, position?: number): Json {
  const kwargs: Json = { ...data, ...(position !== undefined ? { position } : {}) };
  if (position !== undefined && 'position' in data) throw new TypeError("Collection() got multiple values for keyword argument 'position'");
  for (const key of ['slug', 'title', 'owner', 'items', 'lastUpdated', 'position', 'private', 'theme', 'upvotes']) {
    if (!(key in kwargs)) throw new Error(`KeyError: '${key}'`);
  }
  if (Number.isNaN(Date.parse(kwargs.lastUpdated))) throw new Error('parse_datetime failed');
  return {
    slug: kwargs.slug,
    title: kwargs.title,
    owner: kwargs.owner,
    private: kwargs.private,
    description: kwargs.description ?? null,
    items: (kwargs.items as Json[]).map((item) => {
      for (const key of ['_id', 'id', 'type', 'position']) if (!(key in item)) throw new Error(`CollectionItem: missing ${key}`);
      return { item_object_id: item._id, item_id: item.id, item_type: item.type, position: item.position, note: item.note ? item.note.text : null };
    }),
  };
}

describe("Hugging Face's collections API, driven as huggingface_hub drives it", () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  // Requests as huggingface_hub's HfApi sends them: Bearer token, JSON bodies, the same paths.
  const hub = (user: TestUser | null) => {
    const headers = (json: boolean) => ({ ...(user ? { authorization: `Bearer ${user.token}` } : {}), ...(json ? { 'Content-Type': 'application/json' } : {}), 'user-agent': 'huggingface_hub/0.30.0; python/3.12' });
    const send = (method: string, path: string, body?: unknown) => app.request(`http://localhost${path}`, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
    return {
      whoami: () => send('GET', '/api/whoami-v2'),
      create_collection: async (title: string, opts: { namespace?: string; description?: string; private?: boolean } = {}) => {
        const namespace = opts.namespace ?? ((await (await send('GET', '/api/whoami-v2')).json()) as Json).name;
        const payload: Json = { title, namespace, private: opts.private ?? false };
        if (opts.description !== undefined) payload.description = opts.description;
        return send('POST', '/api/collections', payload);
      },
      get_collection: (slug: string) => send('GET', `/api/collections/${slug}`),
      list_collections: (params: string) => send('GET', `/api/collections?${params}`),
      update_collection_metadata: (slug: string, payload: Json) => send('PATCH', `/api/collections/${slug}`, payload),
      delete_collection: (slug: string) => send('DELETE', `/api/collections/${slug}`),
      add_collection_item: (slug: string, itemId: string, itemType: string, note?: string) => send('POST', `/api/collections/${slug}/items`, { item: { id: itemId, type: itemType }, ...(note !== undefined ? { note } : {}) }),
      update_collection_item: (slug: string, itemObjectId: string, payload: Json) => send('PATCH', `/api/collections/${slug}/items/${itemObjectId}`, payload),
      delete_collection_item: (slug: string, itemObjectId: string) => send('DELETE', `/api/collections/${slug}/items/${itemObjectId}`),
    };
  };

  beforeAll(async () => {
    ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0' }));
    await importHfItems(db, IDS.map(record), DAY, 'test');
    ada = await signedInUser(db, { username: 'ada' });
    bob = await signedInUser(db, { username: 'bob' });
  });
  afterAll(() => db.close());

  it('whoami-v2 names the token’s owner; no token is a 401', async () => {
    const me = (await (await hub(ada).whoami()).json()) as Json;
    expect(me).toMatchObject({ type: 'user', name: 'ada', auth: { type: 'access_token', accessToken: { role: 'write' } } });
    expect((await hub(null).whoami()).status).toBe(401);
  });

  it('creates, fills, reorders, annotates, renames and deletes a collection as huggingface_hub does', async () => {
    const client = hub(ada);
    const res = await client.create_collection('ICCV 2026: reading list', { description: 'Papers to read before the conference' });
    expect(res.status).toBe(200);
    let collection = parseCollection((await res.json()) as Json);
    expect(collection.slug).toMatch(/^ada\/iccv-2026-reading-list-\d+$/);
    expect(collection).toMatchObject({ title: 'ICCV 2026: reading list', owner: { name: 'ada' }, private: false, description: 'Papers to read before the conference', items: [] });
    const slug = collection.slug as string;

    // create_collection(exists_ok=True) reads the slug from a 409.
    const again = await client.create_collection('ICCV 2026: reading list');
    expect(again.status).toBe(409);
    expect(((await again.json()) as Json).slug).toBe(slug);

    for (const id of IDS.slice(0, 3)) expect((await client.add_collection_item(slug, id, 'paper')).status).toBe(200);
    collection = parseCollection((await (await client.add_collection_item(slug, IDS[3]!, 'paper', 'Read **first**: $O(n^2)$')).json()) as Json);
    expect(collection.items.map((i: Json) => [i.item_id, i.item_type, i.position])).toEqual(IDS.slice(0, 4).map((id, i) => [id, 'paper', i]));
    expect(collection.items[3].note).toBe('Read **first**: $O(n^2)$');

    // add_collection_item(exists_ok=True) expects 409 for a duplicate; unknown papers and other item types are refused clearly.
    expect((await client.add_collection_item(slug, IDS[0]!, 'paper')).status).toBe(409);
    expect((await client.add_collection_item(slug, '2611.99999', 'paper')).status).toBe(404);
    const model = await client.add_collection_item(slug, 'meta-llama/Llama-2-7b', 'model');
    expect(model.status).toBe(400);
    expect(((await model.json()) as Json).error).toContain('papers only');

    // update_collection_item: move the last to the front, with a note; the answer is not parsed by the client.
    const last = collection.items[3].item_object_id as string;
    expect((await client.update_collection_item(slug, last, { position: 0, note: 'Now first' })).status).toBe(200);
    collection = parseCollection((await (await client.get_collection(slug)).json()) as Json);
    expect(collection.items.map((i: Json) => i.item_id)).toEqual([IDS[3], IDS[0], IDS[1], IDS[2]]);
    expect(collection.items.map((i: Json) => i.position)).toEqual([0, 1, 2, 3]);
    expect(collection.items[0].note).toBe('Now first');
    const raw = (await (await client.get_collection(slug)).json()) as Json;
    expect(raw.items[0].note.html).toContain('Now first');

    // delete_collection_item(missing_ok=True) expects 404 for an item already gone.
    expect((await client.delete_collection_item(slug, collection.items[1].item_object_id)).status).toBe(200);
    expect((await client.delete_collection_item(slug, collection.items[1].item_object_id)).status).toBe(404);
    expect((await client.delete_collection_item(slug, 'not-an-id')).status).toBe(404);

    // update_collection_metadata reads `data`; the slug follows the title and keeps its id.
    const updated = await client.update_collection_metadata(slug, { title: 'ICCV reading', private: true, theme: 'pink' });
    expect(updated.status).toBe(200);
    const renamed = parseCollection(((await updated.json()) as Json).data);
    const id = slug.split('-').at(-1);
    expect(renamed).toMatchObject({ slug: `ada/iccv-reading-${id}`, private: true });
    // The old slug still finds it (by its id), as on Hugging Face.
    expect((await client.get_collection(slug)).status).toBe(200);

    // Another reader cannot change it, nor see it now that it is private.
    expect((await hub(bob).add_collection_item(renamed.slug, IDS[4]!, 'paper')).status).toBe(404);
    expect((await hub(bob).get_collection(renamed.slug)).status).toBe(404);
    expect((await hub(null).get_collection(renamed.slug)).status).toBe(404);
    expect((await hub(bob).create_collection('Mine', { namespace: 'ada' })).status).toBe(403);

    expect((await client.delete_collection(renamed.slug)).status).toBe(200);
    // delete_collection(missing_ok=True) expects 404 for one already gone.
    expect((await client.delete_collection(renamed.slug)).status).toBe(404);
  });

  it('lists collections by owner and by paper, private ones only to their owner, paginated by Link', async () => {
    const client = hub(bob);
    const open = parseCollection((await (await client.create_collection('Open list')).json()) as Json);
    const secret = parseCollection((await (await client.create_collection('Secret list', { private: true })).json()) as Json);
    for (const id of IDS) await client.add_collection_item(open.slug, id, 'paper');
    await client.add_collection_item(secret.slug, IDS[0]!, 'paper');

    const list = async (user: TestUser | null, params: string) => {
      const res = await hub(user).list_collections(params);
      expect(res.status).toBe(200);
      return { link: res.headers.get('link'), collections: ((await res.json()) as Json[]).map((data, position) => parseCollection(data, position)) };
    };
    const mine = await list(bob, 'owner=bob');
    expect(mine.collections.map((x) => x.title).sort()).toEqual(['Open list', 'Secret list']);
    // Each collection of a list shows its first four items.
    expect(mine.collections.find((x) => x.title === 'Open list')!.items).toHaveLength(4);
    expect((await list(ada, 'owner=bob')).collections.map((x) => x.title)).toEqual(['Open list']);
    expect((await list(null, 'owner=bob')).collections.map((x) => x.title)).toEqual(['Open list']);
    expect((await list(null, `item=papers/${IDS[0]}`)).collections.map((x) => x.title)).toEqual(['Open list']);
    expect((await list(bob, `item=papers/${IDS[0]}`)).collections.map((x) => x.title).sort()).toEqual(['Open list', 'Secret list']);

    const first = await list(bob, 'owner=bob&limit=1');
    expect(first.collections).toHaveLength(1);
    const next = /<([^>]+)>; rel="next"/.exec(first.link ?? '')?.[1];
    expect(next).toBeDefined();
    const second = await list(bob, new URL(next!).search.slice(1));
    expect(second.collections).toHaveLength(1);
    expect(second.collections[0]!.slug).not.toBe(first.collections[0]!.slug);

    expect((await hub(null).list_collections('item=models/gpt2')).status).toBe(400);
    expect((await hub(null).list_collections('limit=0')).status).toBe(400);
  });

  it('refuses bad bodies with a clear 400, never a 500', async () => {
    const send = (method: string, path: string, body: string) => app.request(path, { method, headers: { authorization: `Bearer ${ada.token}`, 'Content-Type': 'application/json' }, body });
    expect((await send('POST', '/api/collections', '{')).status).toBe(400);
    expect((await send('POST', '/api/collections', JSON.stringify({ title: '' }))).status).toBe(400);
    expect((await send('POST', '/api/collections', JSON.stringify({ title: 'x'.repeat(500) }))).status).toBe(400);
    const created = (await (await send('POST', '/api/collections', JSON.stringify({ title: 'Notes', namespace: 'ada' }))).json()) as Json;
    expect((await send('POST', `/api/collections/${created.slug}/items`, JSON.stringify({ item: { id: 'nope', type: 'paper' } }))).status).toBe(400);
    expect((await send('POST', `/api/collections/${created.slug}/items`, JSON.stringify({ item: { id: IDS[0], type: 'paper' }, note: 'x'.repeat(5000) }))).status).toBe(400);
    expect((await send('PATCH', `/api/collections/${created.slug}`, JSON.stringify({ private: 'yes' }))).status).toBe(400);
    expect((await app.request(`/api/collections/${created.slug}`, { method: 'DELETE' })).status).toBe(401);
  });
});
