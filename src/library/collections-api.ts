import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { viewerOf } from '../http/authenticate.ts';
import { needViewer } from '../http/guards.ts';
import { idParam } from '../http/params.ts';
import { RequestError, jsonBody } from '../http/respond.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { siteOrigin } from '../http/origin.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { DomainError } from '../core/errors.ts';
import { paperViews } from '../papers/read-model.ts';
import * as library from './collections.ts';
import * as q from './queries.ts';

// Hugging Face's collections API (huggingface_hub's create_collection, get_collection,
// list_collections, update_collection_metadata, delete_collection, add_collection_item,
// update_collection_item, delete_collection_item), for paper items: the same paths, bodies and
// answers, so that its clients work here with a dailypapers API token.

type Json = Record<string, unknown>;

/** A list's collections show at most this many items each, as Hugging Face's do. */
const LIST_ITEMS = 4;
const PAGE = 100;

/**
 * A collection as Hugging Face answers it (huggingface_hub's `Collection`), items in order. Alone
 * it carries its `position` among its owner's collections; in a list (with `itemLimit`) it must
 * not, since list_collections sets it from the list's order.
 */
async function hfCollection(c: Context<AppEnv>, collection: q.Collection, itemLimit?: number): Promise<Json> {
  const db = c.get('db').kysely;
  const position = itemLimit === undefined ? (await q.collectionsOfOwner(db, collection.owner_id, collection.owner_id === viewerId(c))).findIndex((x) => x.id === collection.id) : undefined;
  const all = await q.itemsOf(db, collection.id);
  const items = itemLimit === undefined ? all : all.slice(0, itemLimit);
  const views = new Map((await paperViews(db, items.map((i) => i.paper_id))).map((v) => [v.paper.id, v]));
  const slug = library.fullSlug(collection);
  return {
    slug,
    title: collection.title,
    description: collection.description ?? '',
    owner: { _id: String(collection.owner_id), name: collection.owner, fullname: collection.owner_fullname, avatarUrl: collection.owner_avatar_url ?? '', type: 'user' },
    items: items.map((item, position) => {
      const paper = views.get(item.paper_id)?.paper;
      return {
        _id: String(item.id),
        position,
        type: 'paper',
        id: item.paper_id,
        title: paper?.title,
        publishedAt: paper?.published_at,
        upvotes: paper?.upvotes,
        numComments: paper?.comments,
        thumbnailUrl: paper?.thumbnail_url ?? undefined,
        ...(item.note ? { note: { text: item.note, html: item.note_html ?? '' } } : {}),
      };
    }),
    lastUpdated: collection.updated_at,
    ...(position !== undefined ? { position: Math.max(0, position) } : {}),
    private: collection.private,
    theme: 'gray',
    upvotes: 0,
    isUpvotedByUser: false,
    gating: false,
    shareUrl: `${siteOrigin(c)}/collections/${slug}`,
  };
}

const viewerId = (c: Context<AppEnv>) => viewerOf(c)?.id ?? null;
const pathCollection = (c: Context<AppEnv>) => library.findCollection(c.get('db').kysely, c.req.param('namespace') ?? '', c.req.param('slug') ?? '', viewerId(c));
const ownPathCollection = (c: Context<AppEnv>) => library.ownCollection(c.get('db').kysely, c.req.param('namespace') ?? '', c.req.param('slug') ?? '', needViewer(c, 'write').id);

/** `GET /api/whoami-v2`: who the token (or session) belongs to, in Hugging Face's shape. */
export function whoami(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'read');
  const auth = c.get('auth');
  const role = auth.kind === 'token' && !auth.scopes.has('write') ? 'read' : 'write';
  return c.json({
    type: 'user',
    id: String(viewer.id),
    name: viewer.username,
    fullname: viewer.fullname,
    avatarUrl: viewer.avatarUrl ?? '',
    ...(viewer.email ? { email: viewer.email, emailVerified: true } : {}),
    orgs: [],
    auth: { type: auth.kind === 'token' ? 'access_token' : 'session', ...(auth.kind === 'token' ? { accessToken: { displayName: 'dailypapers', role } } : {}) },
  });
}

const createBody = z.object({
  title: z.string().min(1, 'a collection needs a title').max(library.MAX_TITLE),
  namespace: z.string().optional(),
  description: z.string().max(library.MAX_DESCRIPTION).nullish(),
  private: z.boolean().optional(),
  item: z.object({ type: z.string(), id: z.string() }).optional(),
});

/** `POST /api/collections`: a new collection in the reader's namespace (409 with its slug when the title is taken, as Hugging Face answers). */
export async function createCollectionApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const body = await jsonBody(c, createBody, 'expected {"title", "namespace", "description"?, "private"?}');
  if (body.namespace && body.namespace.toLowerCase() !== viewer.username.toLowerCase()) {
    throw new RequestError(403, `you can create collections only in your own namespace (${viewer.username}), not ${body.namespace}`);
  }
  await enforceLimit(c, 'library');
  const db = c.get('db').kysely;
  const same = (await q.collectionsOfOwner(db, viewer.id, true)).find((x) => x.title.trim().toLowerCase() === body.title.trim().toLowerCase());
  if (same) return c.json({ error: `you already have a collection titled "${same.title}"`, slug: library.fullSlug(same) }, 409);
  const paperId = body.item ? itemPaperId(body.item) : undefined;
  const created = await library.createCollection(db, viewer.id, { title: body.title, description: body.description, private: body.private ?? false });
  if (paperId) await library.addItem(db, created, paperId);
  return c.json(await hfCollection(c, (await q.collectionById(db, created.id))!));
}

/** `GET /api/collections/{namespace}/{slug}`: the collection with all its items. */
export async function getCollectionApi(c: Context<AppEnv>) {
  return c.json(await hfCollection(c, await pathCollection(c)));
}

const listQuery = z.object({
  owner: z.array(z.string().max(60)).default([]),
  item: z.array(z.string().max(120)).default([]),
  sort: z.enum(['lastModified', 'trending', 'upvotes']).optional(),
  limit: z.coerce.number().int().min(1).max(PAGE).optional(),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/**
 * `GET /api/collections?owner=&item=papers/{id}&limit=`: public collections (and the reader's own
 * private ones), most recently changed first, each with its first four items; pages follow
 * the `Link: <…>; rel="next"` header, as huggingface_hub's paginate expects. Without the
 * `position` field, which list_collections sets itself.
 */
export async function listCollectionsApi(c: Context<AppEnv>) {
  const parsed = listQuery.safeParse({ owner: c.req.queries('owner') ?? [], item: c.req.queries('item') ?? [], sort: c.req.query('sort'), limit: c.req.query('limit'), offset: c.req.query('offset') });
  if (!parsed.success) throw new RequestError(400, 'expected owner=, item=papers/{id}, sort=lastModified|trending|upvotes, limit= (1–100), offset=', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const { owner, item, offset } = parsed.data;
  const limit = parsed.data.limit ?? PAGE;
  const paperIds = item.map((i) => {
    const id = /^papers\/(.+)$/.exec(i)?.[1];
    const arxiv = id ? parseArxivId(id) : null;
    if (!arxiv) throw new RequestError(400, `item must be papers/{arXiv id}: ${i.slice(0, 80)}`);
    return arxiv.id;
  });
  const found = await q.listCollections(c.get('db').kysely, { owners: owner, paperIds, viewerId: viewerId(c), limit, offset });
  const body = await Promise.all(found.map((x) => hfCollection(c, x, LIST_ITEMS)));
  if (found.length === limit) {
    const next = new URL(c.req.url);
    next.searchParams.set('offset', String(offset + limit));
    c.header('Link', `<${siteOrigin(c)}${next.pathname}${next.search}>; rel="next"`);
  }
  return c.json(body);
}

const updateBody = z.object({
  title: z.string().min(1).max(library.MAX_TITLE).optional(),
  description: z.string().max(library.MAX_DESCRIPTION).nullish(),
  private: z.boolean().optional(),
  // Hugging Face's too; accepted and left as they are (one order of collections, by last change; one theme).
  position: z.number().int().min(0).optional(),
  theme: z.string().max(40).optional(),
});

/** `PATCH /api/collections/{namespace}/{slug}`: title (the slug follows, keeping its id), description, privacy; `{"data": collection}`. */
export async function updateCollectionApi(c: Context<AppEnv>) {
  const collection = await ownPathCollection(c);
  const body = await jsonBody(c, updateBody, 'expected {"title"?, "description"?, "private"?, "position"?, "theme"?}');
  await enforceLimit(c, 'library');
  const updated = await library.updateCollection(c.get('db').kysely, collection, { title: body.title, description: body.description, private: body.private });
  return c.json({ success: true, data: await hfCollection(c, updated) });
}

/** `DELETE /api/collections/{namespace}/{slug}`. */
export async function deleteCollectionApi(c: Context<AppEnv>) {
  const collection = await ownPathCollection(c);
  await library.deleteCollection(c.get('db').kysely, collection);
  return c.json({ success: true });
}

const itemBody = z.object({ item: z.object({ type: z.string(), id: z.string().max(120) }), note: z.string().nullish() });

function itemPaperId(item: { type: string; id: string }): string {
  if (item.type !== 'paper') throw new RequestError(400, `this site's collections hold papers only, not a ${item.type.slice(0, 20)}`);
  const arxiv = parseArxivId(item.id);
  if (!arxiv) throw new RequestError(400, `not an arXiv id: ${item.id.slice(0, 100)}`);
  return arxiv.id;
}

/** `POST /api/collections/{namespace}/{slug}/items` with `{"item": {"type": "paper", "id"}, "note"?}`: the collection; 409 when the paper is there already. */
export async function addCollectionItemApi(c: Context<AppEnv>) {
  const collection = await ownPathCollection(c);
  const body = await jsonBody(c, itemBody, 'expected {"item": {"type": "paper", "id": "<arXiv id>"}, "note"?}');
  await enforceLimit(c, 'library');
  await library.addItem(c.get('db').kysely, collection, itemPaperId(body.item), body.note);
  return c.json(await hfCollection(c, (await q.collectionById(c.get('db').kysely, collection.id))!));
}

const itemUpdate = z.object({ note: z.string().nullish(), position: z.number().int().min(0).optional() });

/** `PATCH /api/collections/{namespace}/{slug}/items/{item_object_id}` with `{"note"?, "position"?}`. */
export async function updateCollectionItemApi(c: Context<AppEnv>) {
  const collection = await ownPathCollection(c);
  const body = await jsonBody(c, itemUpdate, 'expected {"note"?, "position"?}');
  await enforceLimit(c, 'library');
  await library.updateItem(c.get('db').kysely, collection, itemIdParam(c), body);
  return c.json({ success: true, data: await hfCollection(c, (await q.collectionById(c.get('db').kysely, collection.id))!) });
}

/** `DELETE /api/collections/{namespace}/{slug}/items/{item_object_id}`. */
export async function deleteCollectionItemApi(c: Context<AppEnv>) {
  const collection = await ownPathCollection(c);
  await library.deleteItem(c.get('db').kysely, collection, itemIdParam(c));
  return c.json({ success: true });
}

function itemIdParam(c: Context<AppEnv>): number {
  try {
    return idParam(c, 'item');
  } catch {
    throw new DomainError('not-found', `no item ${String(c.req.param('item')).slice(0, 40)} in this collection`);
  }
}
