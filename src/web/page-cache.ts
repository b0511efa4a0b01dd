import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { contentVersion } from '../db/content-version.ts';

interface Entry {
  version: number;
  status: number;
  contentType: string;
  body: Uint8Array;
  /** Headers that describe the body (a search's count and mode), sent again with it. */
  headers: Record<string, string>;
}

// Bounded by count and by bytes: any query string makes a new key.
const MAX_ENTRIES = 1000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const BODY_HEADERS = /^x-(total|search)-/i;

/**
 * Caches rendered GET responses (pages and API answers) by URL until the content
 * version changes (db/content-version.ts), and answers conditional requests:
 * the ETag is the content version, so a reader whose copy is current gets a 304.
 * Only successful HTML and JSON responses are kept, as bytes ready to send.
 */
export function pageCache(buildId: string): MiddlewareHandler<AppEnv> {
  const entries = new Map<string, Entry>();
  let totalBytes = 0;
  const remove = (key: string) => {
    const old = entries.get(key);
    if (old) totalBytes -= old.body.byteLength;
    entries.delete(key);
  };
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    // Signed-in readers see their own votes and forms: their pages are never shared.
    if (c.var.auth?.kind !== 'anonymous') {
      await next();
      c.res.headers.set('Cache-Control', 'private, no-store');
      return;
    }
    const version = await contentVersion(c.var.db.kysely);
    const key = c.req.url;
    const etag = `W/"${buildId}-${version}"`;
    const cacheHeaders = { ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' };

    // The tag names the release and the content version, so it is valid on any instance of the release.
    if (c.req.header('If-None-Match') === etag) {
      return c.body(null, 304, cacheHeaders);
    }
    const hit = entries.get(key);
    if (hit && hit.version === version) {
      // Re-insert to keep the Map in least-recently-used order.
      entries.delete(key);
      entries.set(key, hit);
      return c.body(hit.body as Uint8Array<ArrayBuffer>, hit.status as 200, { ...hit.headers, ...cacheHeaders, 'Content-Type': hit.contentType });
    }

    await next();
    const contentType = c.res.headers.get('Content-Type') ?? '';
    if (c.res.status !== 200 || c.res.headers.has('Set-Cookie') || !/^(text\/html|application\/json|text\/markdown)/.test(contentType)) return;
    // A handler that knows its answer is momentary (e.g. search while a service is down) says so.
    if (c.res.headers.get('Cache-Control')?.includes('no-store')) return;
    const body = new Uint8Array(await c.res.clone().arrayBuffer());
    if (body.byteLength > MAX_BODY_BYTES) return;
    remove(key);
    const headers = Object.fromEntries([...c.res.headers].filter(([name]) => BODY_HEADERS.test(name)));
    entries.set(key, { version, status: 200, contentType, body, headers });
    totalBytes += body.byteLength;
    while (entries.size > MAX_ENTRIES || totalBytes > MAX_TOTAL_BYTES) remove(entries.keys().next().value!);
    for (const [name, value] of Object.entries(cacheHeaders)) c.res.headers.set(name, value);
  };
}
