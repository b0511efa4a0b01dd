import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { AppEnv } from '../app.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { ListingView } from '../feed/queries.ts';
import { contentVersion } from '../db/content-version.ts';
import { categoriesOfPapers } from '../papers/queries.ts';
import { FEED_FORMATS, FEED_TYPES, renderFeed, type FeedFormat, type FeedSpec } from './render.ts';

/** What a feed handler loads: the feed's description and its papers, in order. */
export interface FeedContent {
  spec: FeedSpec;
  views: ListingView[];
}

interface CachedFeed {
  version: number;
  body: string;
  etag: string;
  lastModified: string | null;
}

// Feed readers poll: a rendered feed is kept until the content version changes
// (db/content-version.ts). One cache per database, as the version is the database's.
const MAX_ENTRIES = 500;
const caches = new WeakMap<Db, Map<string, CachedFeed>>();

const CACHE_CONTROL = 'public, max-age=300';

/** `daily.rss` → `{ name: 'daily', format: 'rss' }`; null for any other extension. */
export function feedFile(file: string): { name: string; format: FeedFormat } | null {
  const dot = file.lastIndexOf('.');
  const format = file.slice(dot + 1) as FeedFormat;
  if (dot <= 0 || !FEED_FORMATS.includes(format)) return null;
  return { name: file.slice(0, dot), format };
}

/**
 * Answers a feed request: from the cache while the content is unchanged, else loaded
 * by `load` (which may answer a refusal instead) and rendered. Conditional GET as in
 * RFC 9110 §13.2.2: `If-None-Match` (weak comparison) decides when present, else
 * `If-Modified-Since` against the newest entry's date. The ETag hashes the bytes, so
 * it holds across instances and restarts; vote counts changing alone change the ETag
 * but not Last-Modified, which dates the entries.
 */
export async function serveFeed(c: Context<AppEnv>, format: FeedFormat, load: (db: Kysely<Database>) => Promise<FeedContent | Response>): Promise<Response> {
  const db = c.var.db;
  const version = await contentVersion(db.kysely);
  const key = c.req.url.split('?')[0]!;
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let feed = cache.get(key);
  if (!feed || feed.version !== version) {
    const loaded = await load(db.kysely);
    if (loaded instanceof Response) return loaded;
    feed = await build(c, loaded, format, version);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  // Re-insert to keep the Map in least-recently-used order.
  cache.delete(key);
  cache.set(key, feed);

  const headers: Record<string, string> = { ETag: feed.etag, 'Cache-Control': CACHE_CONTROL };
  if (feed.lastModified) headers['Last-Modified'] = feed.lastModified;
  if (notModified(c, feed)) return c.body(null, 304, headers);
  return c.body(feed.body, 200, { ...headers, 'Content-Type': FEED_TYPES[format] });
}

async function build(c: Context<AppEnv>, { spec, views }: FeedContent, format: FeedFormat, version: number): Promise<CachedFeed> {
  // A paper featured on two days of a period is one entry, at its better rank.
  const seen = new Set<string>();
  const unique = views.filter((v) => !seen.has(v.paper.id) && seen.add(v.paper.id));
  const categories = await categoriesOfPapers(c.var.db.kysely, unique.map((v) => v.paper.id));
  const entries = unique.map((view) => ({ view, categories: categories.get(view.paper.id) ?? [] }));
  const config = c.var.config;
  const base = (config.BASE_URL ?? new URL(c.req.url).origin).replace(/\/+$/, '');
  const { body, updated } = renderFeed(spec, entries, format, config.SITE_NAME, base);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { version, body, etag, lastModified: updated ? updated.toUTCString() : null };
}

function notModified(c: Context<AppEnv>, feed: CachedFeed): boolean {
  const tags = c.req.header('If-None-Match');
  if (tags !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return tags.trim() === '*' || tags.split(',').some((tag) => opaque(tag) === opaque(feed.etag));
  }
  const since = Date.parse(c.req.header('If-Modified-Since') ?? '');
  // HTTP dates have whole seconds, as Last-Modified does.
  return feed.lastModified !== null && Number.isFinite(since) && Date.parse(feed.lastModified) <= since;
}
