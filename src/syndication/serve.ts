import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import type { PaperView } from '../papers/read-model.ts';
import { currentContentVersion } from '../db/content-version.ts';
import { siteOrigin } from '../http/origin.ts';
import { categoriesOfPapers } from '../papers/queries.ts';
import { FEED_FORMATS, FEED_TYPES, renderFeed, type FeedFormat, type FeedSpec } from './render.ts';

/** What a feed handler loads: the feed's description and its papers, in order. */
export interface FeedContent {
  spec: FeedSpec;
  views: PaperView[];
}

interface CachedFeed {
  version: number;
  body: string;
  etag: string;
  /** When these bytes were first built: the time the feed last changed, as far as this process knows. */
  lastModified: string;
}

// Feed readers poll: a rendered feed is kept until the content version changes
// (db/content-version.ts). One cache per database, as the version is the database's.
// Bounded by count and by bytes, like the page cache.
const MAX_ENTRIES = 500;
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;
const caches = new WeakMap<Db, Map<string, CachedFeed>>();

/** IMF-fixdate, the one HTTP date format a validator may use (RFC 9110 §5.6.7). */
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** `daily.rss` → `{ name: 'daily', format: 'rss' }`; null for any other extension. */
export function feedFile(file: string, name?: string): { name: string; format: FeedFormat } | null {
  const dot = file.lastIndexOf('.');
  const format = file.slice(dot + 1) as FeedFormat;
  if (dot <= 0 || !FEED_FORMATS.includes(format)) return null;
  // `daily.rss.json` is not another name for the daily feed.
  if (name !== undefined && file.slice(0, dot) !== name) return null;
  return { name: file.slice(0, dot), format };
}

/**
 * Answers a feed request: from the cache while the content is unchanged, else loaded
 * by `load` (which may answer a refusal instead) and rendered. Conditional GET as in
 * RFC 9110 §13.2.2: `If-None-Match` (weak comparison) decides when present, else
 * `If-Modified-Since` against Last-Modified, the time the bytes last changed (a rebuild
 * that yields the same bytes keeps it). The ETag hashes the bytes, so it holds across
 * instances and restarts. Without BASE_URL (development), links follow a loopback request's
 * host, so shared caches are told to keep out.
 */
export async function serveFeed(c: Context<AppEnv>, format: FeedFormat, load: (db: Kysely<Database>) => Promise<FeedContent | Response>): Promise<Response> {
  const db = c.get('db');
  const version = await currentContentVersion(db.kysely);
  // The query string is part of the key: it names the search of a search feed.
  const url = new URL(c.req.url);
  const key = `${siteOrigin(c)}${url.pathname}${url.search}`;
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let feed = cache.get(key);
  if (!feed || feed.version !== version) {
    const loaded = await load(db.kysely);
    if (loaded instanceof Response) return loaded;
    const built = await build(c, loaded, format, version);
    feed = !feed ? built : { ...built, lastModified: nextLastModified(feed, built) };
  }
  // Re-insert to keep the Map in least-recently-used order.
  cache.delete(key);
  cache.set(key, feed);
  let total = 0;
  for (const entry of cache.values()) total += entry.body.length;
  while (cache.size > MAX_ENTRIES || (total > MAX_TOTAL_BYTES && cache.size > 1)) {
    const oldest = cache.keys().next().value!;
    total -= cache.get(oldest)!.body.length;
    cache.delete(oldest);
  }

  const shared = c.get('config').BASE_URL ? 'public' : 'private';
  const headers: Record<string, string> = { ETag: feed.etag, 'Last-Modified': feed.lastModified, 'Cache-Control': `${shared}, max-age=300` };
  if (notModified(c, feed)) return c.body(null, 304, headers);
  return c.body(feed.body, 200, { ...headers, 'Content-Type': FEED_TYPES[format] });
}

async function build(c: Context<AppEnv>, { spec, views }: FeedContent, format: FeedFormat, version: number): Promise<CachedFeed> {
  // A paper featured on two days of a period is one entry, at its better rank.
  const seen = new Set<string>();
  const unique = views.filter((v) => !seen.has(v.paper.id) && seen.add(v.paper.id));
  const categories = await categoriesOfPapers(c.get('db').kysely, unique.map((v) => v.paper.id));
  const entries = unique.map((view) => ({ view, categories: categories.get(view.paper.id) ?? [] }));
  const { body } = renderFeed(spec, entries, format, c.get('config').SITE_NAME, siteOrigin(c));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  // Whole seconds, as HTTP dates have.
  return { version, body, etag, lastModified: new Date(Math.floor(Date.now() / 1000) * 1000).toUTCString() };
}

/**
 * Last-Modified of a rebuilt feed: unchanged bytes keep the old date; changed bytes get a
 * date strictly later than the old one (a second on, if the change came within the same
 * second), so a reader sending only If-Modified-Since never gets a 304 for new content.
 */
function nextLastModified(previous: CachedFeed, built: CachedFeed): string {
  if (previous.etag === built.etag) return previous.lastModified;
  const after = Date.parse(previous.lastModified) + 1000;
  return new Date(Math.max(after, Date.parse(built.lastModified))).toUTCString();
}

function notModified(c: Context<AppEnv>, feed: CachedFeed): boolean {
  const tags = c.req.header('If-None-Match');
  if (tags !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return tags.trim() === '*' || tags.split(',').some((tag) => opaque(tag) === opaque(feed.etag));
  }
  const header = c.req.header('If-Modified-Since')?.trim() ?? '';
  // Only a real HTTP date counts, and never one from the future (RFC 9110 §13.1.3).
  if (!HTTP_DATE.test(header)) return false;
  const since = Date.parse(header);
  return since <= Date.now() && Date.parse(feed.lastModified) <= since;
}
