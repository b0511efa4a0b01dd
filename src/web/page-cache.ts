import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { currentContentVersion, readerVersion } from '../db/content-version.ts';
import { SESSION_COOKIE, sessionViewer, type Viewer } from '../auth/sessions.ts';
import { csrfToken, sessionCsrfToken } from '../http/authenticate.ts';
import { votedPaperIds } from '../votes/queries.ts';
import { libraryStateAmong } from '../library/queries.ts';
import { followKeysOf } from '../follows/queries.ts';
import { cachedResponses } from '../core/metrics.ts';
import { fillTemplate, parseTemplate, templateViewer, type ReaderState, type ReaderTemplate } from '../http/reader-template.ts';
import { pageVariant } from '../http/preferences.ts';
import { bytesOfPage } from '../http/respond.ts';

/** A reader's state on a page's papers. */
interface PaperStates {
  voted: ReadonlySet<string>;
  saved: ReadonlySet<string>;
  hidden: ReadonlySet<string>;
  read?: ReadonlySet<string>;
  omitted?: ReadonlySet<string>;
}
const NO_STATES: PaperStates = { voted: new Set(), saved: new Set(), hidden: new Set() };

interface Kept<T> {
  version: string;
  value: Promise<T>;
}

/** A reader's entry of `map` at `version`, made by `make` when missing or stale; forgotten if its query fails. */
function kept<K, T>(map: Map<K, Kept<T>>, key: K, version: string, make: () => Promise<T>): Promise<T> {
  let entry = map.get(key);
  if (!entry || entry.version !== version) {
    const fresh = { version, value: make() };
    entry = fresh;
    map.delete(key);
    map.set(key, fresh);
    if (map.size > MAX_KEPT_READERS) map.delete(map.keys().next().value!);
    fresh.value.catch(() => map.get(key) === fresh && map.delete(key));
  }
  return entry.value;
}

/** One page as every anonymous reader gets it: bytes and headers ready to send, compressed once. */
interface Entry {
  version: number;
  etag: string;
  identity: Variant;
  /** Compressed on the first request that asks for each encoding (see `compressed`). */
  gzip?: Variant | Promise<Variant | null>;
  br?: Variant | Promise<Variant | null>;
  /** Bytes held, for the cache's bound. */
  size: number;
}
interface Variant {
  body: Buffer;
  headers: Record<string, string>;
}

/** One page as every signed-in reader of a role gets it, before their own state is put in. */
interface TemplateEntry {
  version: number;
  status: number;
  template: ReaderTemplate;
  headers: Record<string, string>;
  size: number;
}

// Bounded by count and by bytes: any query string makes a new key.
const MAX_ENTRIES = 1000;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const BODY_HEADERS = /^x-(total|search)-/i;
/** How long a session read for a page view is trusted (a sign-out elsewhere shows within it). */
const SESSION_TTL_MS = 1000;
/** Readers' sessions and vote sets kept, at most. */
const MAX_KEPT_READERS = 10_000;
const CACHEABLE_TYPE = /^(text\/html|application\/json|text\/markdown)/;
/** Headers of a template's render that are not the template's: each reader's copy gets its own (lowercase, as `Headers` names them). */
const READER_OWN_HEADERS = new Set(['content-length', 'set-cookie', 'x-request-id', 'etag', 'cache-control', 'vary']);
/** A Buffer as the Uint8Array a Response takes (it is one). */
const bytes = (b: Buffer) => b as unknown as Uint8Array<ArrayBuffer>;
const SESSION_MARK = `${SESSION_COOKIE}=`;
const SESSION_VALUE = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([\\w-]+)`);

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);
/** A signed-in reader's page is compressed per view: fast settings (see readerResponse). */
const READER_BROTLI_OPTIONS = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } };
const READER_GZIP_LEVEL = 3;
/** Below this, compressing a reader's page saves less than it costs. */
const MIN_COMPRESSED_BYTES = 1024;
/**
 * A stored page's compression, once per encoding asked for. Measured on the busiest day (138 KB):
 * brotli 5 makes 17.8 KB for half the CPU of brotli 6 (17.7 KB); gzip 6, 20.0 KB for 0.9 of gzip 9's
 * (19.9 KB) (docs/decisions/021-rendering-cpu.md).
 */
const BROTLI_OPTIONS = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT } };
const GZIP_LEVEL = 6;

/** The cache of rendered pages: consulted ahead of the app for anonymous readers, and as a middleware for the rest. */
export interface PageCache {
  /**
   * Answers a request that is anonymous by its headers alone (no session cookie, no
   * Authorization) from the cache, before any middleware: null when the app must answer.
   */
  early(req: Request): Response | Promise<Response | null> | null;
  /** The middleware for `/papers*` and `/api/*`: serves and fills the cache, and signed-in readers' pages from templates. */
  middleware: MiddlewareHandler<AppEnv>;
  /** Drops the sessions and votes kept for signed-in readers: after any write in this process. */
  forgetReaders(): void;
}

/**
 * Caches rendered GET responses (pages and API answers) by URL until the content version
 * changes (db/content-version.ts, held in memory), and answers conditional requests: the ETag
 * names the release and the content version (and, signed in, the reader), so a reader whose
 * copy is current gets a 304. Anonymous readers get the bytes as stored, gzip or brotli as their
 * Accept-Encoding asks (compressed once, off the event loop, when the entry is filled). Signed-in
 * readers get the page rendered once per role with markers, filled in with their own state
 * (http/reader-template.ts): their name, token and which of its papers they upvoted, one query.
 */
export function createPageCache(opts: { db: Db; buildId: string; securityHeaders: Promise<Record<string, string>> }): PageCache {
  const { db, buildId } = opts;
  let security: Record<string, string> | undefined;
  void opts.securityHeaders.then((h) => (security = h));
  const entries = new Map<string, Entry | TemplateEntry>();
  let totalBytes = 0;
  const remove = (key: string) => {
    const old = entries.get(key);
    if (old) totalBytes -= old.size;
    entries.delete(key);
  };
  const store = (key: string, entry: Entry | TemplateEntry) => {
    remove(key);
    entries.set(key, entry);
    totalBytes += entry.size;
    while (entries.size > MAX_ENTRIES || totalBytes > MAX_TOTAL_BYTES) remove(entries.keys().next().value!);
  };

  /** The anonymous entry for `url` at `version`, as a response to `req`; null on a miss. */
  const answer = (req: Request, url: string, version: number): Response | Promise<Response> | null => {
    const entry = entries.get(url);
    if (!entry || entry.version !== version || !('identity' in entry)) return null;
    cachedResponses.inc();
    if (req.headers.get('If-None-Match') === entry.etag) {
      return new Response(null, { status: 304, headers: { ...security, ETag: entry.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' } });
    }
    const accepted = req.headers.get('Accept-Encoding');
    const encoding = accepted === null || entry.identity.body.byteLength < MIN_COMPRESSED_BYTES ? undefined : /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
    const send = (variant: Variant) => new Response(req.method === 'HEAD' ? null : bytes(variant.body), { status: 200, headers: variant.headers });
    if (!encoding) return send(entry.identity);
    const variant = compressed(url, entry, encoding);
    return variant instanceof Promise ? variant.then((v) => send(v ?? entry.identity)) : send(variant);
  };

  /**
   * The entry's bytes in `encoding`: compressed on the first request that asks, on libuv's
   * threads, and kept; concurrent askers share it. A page nobody asks compressed (a crawler's
   * one-off query string) costs no compression, and one encoding's clients never pay for the other's.
   */
  const compressed = (url: string, entry: Entry, encoding: 'br' | 'gzip'): Variant | Promise<Variant | null> => {
    const kept = entry[encoding];
    if (kept) return kept;
    const body = entry.identity.body;
    const making = (encoding === 'br' ? brotli(body, BROTLI_OPTIONS) : gzip(body, { level: GZIP_LEVEL })).then(
      (packed): Variant => {
        const variant = { body: packed, headers: { ...entry.identity.headers, 'Content-Encoding': encoding, 'Content-Length': String(packed.byteLength) } };
        entry[encoding] = variant;
        if (entries.get(url) === entry) {
          entry.size += packed.byteLength;
          totalBytes += packed.byteLength;
        }
        return variant;
      },
      () => {
        entry[encoding] = undefined;
        return null;
      },
    );
    entry[encoding] = making;
    return making;
  };

  const fillAnonymous = (url: string, version: number, etag: string, res: Response, body: Buffer) => {
    const headers: Record<string, string> = { ...security };
    for (const [name, value] of res.headers) if (BODY_HEADERS.test(name)) headers[name] = value;
    Object.assign(headers, { 'Content-Type': res.headers.get('Content-Type')!, ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding', 'Content-Length': String(body.byteLength) });
    store(url, { version, etag, identity: { body, headers }, size: body.byteLength });
  };

  const early: PageCache['early'] = (req) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !security) return null;
    const headers = req.headers;
    if (headers.get('Authorization') !== null) return null;
    const cookie = headers.get('Cookie');
    if (cookie?.includes(SESSION_MARK)) return earlyPersonal(req, cookie);
    const url = req.url + pageVariant(cookie);
    const version = currentContentVersion(db.kysely);
    if (typeof version === 'number') return answer(req, url, version);
    return version.then((v) => answer(req, url, v), () => null);
  };

  /**
   * A signed-in reader's page from the role's template, ahead of the chain: the session's one
   * query, then the template's one (their votes). Null (the chain answers) on a miss, a stale or
   * banned session, or anything but a page under /papers.
   */
  const earlyPersonal = async (req: Request, cookie: string): Promise<Response | null> => {
    const url = req.url;
    const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    if (!(path === '/papers' || path.startsWith('/papers/') || path.startsWith('/papers?'))) return null;
    const token = SESSION_VALUE.exec(cookie)?.[1];
    if (!token) return null;
    const [version, session] = await Promise.all([currentContentVersion(db.kysely), recentSession(token)]);
    if (!session) return null;
    const variant = pageVariant(cookie);
    const key = `${session.viewer.role}\n${url}${variant}`;
    const entry = entries.get(key);
    if (!entry || entry.version !== version || !('template' in entry)) return null;
    cachedResponses.inc();
    const { etag, cacheHeaders } = readerTags(version, session.stateVersion, session.viewer, token, variant);
    if (req.headers.get('If-None-Match') === etag) return new Response(null, { status: 304, headers: { ...security, ...cacheHeaders } });
    const state = await stateFor(entry.template, session.viewer, sessionCsrfToken(token), key, `${version}:${session.stateVersion}`);
    return readerResponse(req, entry.template, state, entry.status, { ...entry.headers, ...cacheHeaders });
  };

  /** The ETag of a reader's copy: the release, the content version, their own version (saves, hides, follows, votes) and who they are in this session. */
  const readerTags = (version: number, stateVersion: number, viewer: Viewer, sessionToken: string, variant: string) => {
    const reader = createHash('sha256').update(`${sessionToken}\n${viewer.id}\n${viewer.role}\n${viewer.username}\n${viewer.email ?? ''}${variant}`).digest('base64url').slice(0, 16);
    const etag = `W/"${buildId}-${version}-${stateVersion}-${reader}"`;
    return { etag, cacheHeaders: { ETag: etag, 'Cache-Control': 'private, no-cache', Vary: 'Accept-Encoding, Cookie' } };
  };

  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const auth = c.get('auth');
    if (auth.kind === 'session' && !c.req.path.startsWith('/api/')) return personalPage(c, next, auth.viewer, auth.sessionToken);
    // API tokens read the API as themselves: never shared.
    if (auth.kind !== 'anonymous') {
      await next();
      c.res.headers.set('Cache-Control', 'private, no-store');
      return;
    }
    const version = await currentContentVersion(db.kysely);
    const variant = pageVariant(c.req.header('Cookie'));
    const url = c.req.url + variant;
    const hit = answer(c.req.raw, url, version);
    if (hit) return hit;
    const etag = `W/"${buildId}-${version}${variant ? `-${variant.slice(1)}` : ''}"`;
    // The tag names the release and the content version, so it is valid on any instance of the release.
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304, { ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' });
    await next();
    const res = c.res;
    const contentType = res.headers.get('Content-Type') ?? '';
    if (res.status !== 200 || res.headers.has('Set-Cookie') || !CACHEABLE_TYPE.test(contentType)) return;
    // A handler that knows its answer is momentary (e.g. search while a service is down) says so.
    if (res.headers.get('Cache-Control')?.includes('no-store')) return;
    for (const [name, value] of Object.entries({ ETag: etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' })) res.headers.set(name, value);
    // A page's bytes as htmlPage made them; any other answer read once and answered from the same bytes (a clone tees the stream, which costs more).
    let body = bytesOfPage(res);
    if (!body) {
      body = Buffer.from(await res.arrayBuffer());
      c.res = undefined;
      c.res = new Response(bytes(body), { status: res.status, headers: res.headers });
    }
    if (body.byteLength > MAX_BODY_BYTES || !security) return;
    fillAnonymous(url, version, etag, res, body);
  };

  /**
   * A signed-in reader's page: the role's template (rendered on a miss with stand-in markers for
   * everything personal), filled in with this reader's state. The ETag names the reader's session
   * too, since the page carries their token; their votes are in the content version.
   */
  const personalPage = async (c: Context<AppEnv>, next: () => Promise<void>, viewer: Viewer, sessionToken: string) => {
    const [version, stateVersion] = await Promise.all([currentContentVersion(db.kysely), readerVersion(db.kysely, viewer.id)]);
    const variant = pageVariant(c.req.header('Cookie'));
    const { etag, cacheHeaders } = readerTags(version, stateVersion, viewer, sessionToken, variant);
    if (c.req.header('If-None-Match') === etag) return c.body(null, 304, cacheHeaders);
    const key = `${viewer.role}\n${c.req.url}${variant}`;
    let entry = entries.get(key);
    if (!entry || entry.version !== version || !('template' in entry)) {
      entry = undefined;
      const auth = c.get('auth');
      c.set('auth', { kind: 'session', viewer: templateViewer(viewer.role), sessionToken: '', template: true });
      try {
        await next();
      } finally {
        c.set('auth', auth);
      }
      const res = c.res;
      const contentType = res.headers.get('Content-Type') ?? '';
      // Redirects and the like carry nothing personal.
      if (!res.body || !/^(text\/|application\/json)/.test(contentType)) return;
      const template = parseTemplate(await res.text());
      // With the security headers, which the chain adds after this middleware, so that the early path can send them.
      const headers: Record<string, string> = { ...security };
      for (const [name, value] of res.headers) if (!READER_OWN_HEADERS.has(name)) headers[name] = value;
      const fresh: TemplateEntry = { version, status: res.status, template, headers, size: template.parts.reduce((n, p) => n + (Buffer.isBuffer(p) ? p.byteLength : 0), 0) * 2 };
      const cacheable = res.status === 200 && !res.headers.has('Set-Cookie') && CACHEABLE_TYPE.test(contentType) && !res.headers.get('Cache-Control')?.includes('no-store') && fresh.size < MAX_BODY_BYTES * 2;
      if (cacheable) store(key, fresh);
      else {
        // Not shared, but rendered as a template all the same: fill it in, never to be stored anywhere.
        const cookies = res.headers.getSetCookie();
        c.res = undefined;
        c.res = new Response(bytes(fillTemplate(fresh.template, await readerState(c, fresh.template, viewer))), { status: res.status, headers: { ...headers, 'Cache-Control': 'private, no-store' } });
        for (const cookie of cookies) c.res.headers.append('Set-Cookie', cookie);
        return;
      }
      entry = fresh;
    } else {
      entries.delete(key);
      entries.set(key, entry);
    }
    const state = await stateFor(entry.template, viewer, csrfToken(c), key, `${version}:${stateVersion}`);
    c.res = undefined;
    c.res = await readerResponse(c.req.raw, entry.template, state, entry.status, { ...entry.headers, ...cacheHeaders });
  };

  /** What the template is filled with for this reader: one query for which of its papers they upvoted, one for what they saved and hid. */
  const readerState = (c: Context<AppEnv>, template: ReaderTemplate, viewer: Viewer) => stateFor(template, viewer, csrfToken(c));

  /**
   * A reader's page, compressed as their Accept-Encoding asks, fast, on libuv's threads. Measured
   * on the busiest day (100 KB): brotli at quality 1 makes 18.6 KB for about 0.4 ms of CPU, where
   * the template's chunks deflated once and spliced around the reader's parts made 61 KB (each
   * chunk loses the page's repetition) and cost more to assemble (docs/decisions/013-serving.md).
   */
  const readerResponse = async (req: Request, template: ReaderTemplate, state: ReaderState, status: number, headers: Record<string, string>): Promise<Response> => {
    const page = fillTemplate(template, state);
    const accepted = req.headers.get('Accept-Encoding') ?? '';
    const encoding = page.byteLength < MIN_COMPRESSED_BYTES ? undefined : /\bbr\b/.test(accepted) ? 'br' : /\bgzip\b/.test(accepted) ? 'gzip' : undefined;
    const body = encoding === 'br' ? await brotli(page, READER_BROTLI_OPTIONS) : encoding === 'gzip' ? await gzip(page, { level: READER_GZIP_LEVEL }) : page;
    const sent = { ...headers, ...(encoding ? { 'Content-Encoding': encoding } : {}), 'Content-Length': String(body.byteLength) };
    return new Response(req.method === 'HEAD' ? null : bytes(body), { status, headers: sent });
  };

  /**
   * Which of a template's papers each reader upvoted, saved and hid, and what they follow, kept
   * until the content version or their own version (their votes, saves, hides and follows bump
   * it) changes: a reader reading the same page again costs no query.
   */
  const readerSets = new Map<string, Kept<PaperStates>>();
  const followSets = new Map<number, Kept<Set<string>>>();
  const statesOf = async (template: ReaderTemplate, userId: number): Promise<PaperStates> => {
    const [voted, library] = await Promise.all([votedPaperIds(db.kysely, userId, template.paperIds), libraryStateAmong(db.kysely, userId, template.libraryPaperIds)]);
    return { voted, ...library };
  };
  const stateFor = async (template: ReaderTemplate, viewer: Viewer, csrf: string, key?: string, version?: string): Promise<ReaderState> => {
    if (!template.personal) return { viewer, csrf: '', ...NO_STATES };
    const [states, follows] = await Promise.all([statesFor(template, viewer, key, version), template.follows ? followsFor(viewer, version) : undefined]);
    return { viewer, csrf, ...states, follows };
  };
  const statesFor = (template: ReaderTemplate, viewer: Viewer, key?: string, version?: string): Promise<PaperStates> => {
    if (template.paperIds.length === 0 && template.libraryPaperIds.length === 0) return Promise.resolve(NO_STATES);
    if (key === undefined || version === undefined) return statesOf(template, viewer.id);
    return kept(readerSets, `${viewer.id}\n${key}`, version, () => statesOf(template, viewer.id));
  };
  const followsFor = (viewer: Viewer, version?: string): Promise<Set<string>> => {
    if (version === undefined) return followKeysOf(db.kysely, viewer.id);
    return kept(followSets, viewer.id, version, () => followKeysOf(db.kysely, viewer.id));
  };

  /**
   * The session a cookie names, as read at most SESSION_TTL_MS ago: a page view does not query
   * for it each time. Writes go through the chain, which reads it afresh; any write in this
   * process forgets them all (a sign-out, a ban), another process's shows within the TTL. A read
   * older than half the TTL starts the next one, answered from meanwhile: a reader reading steadily
   * never waits on it (on PostgreSQL, every view of theirs waited for it once a second).
   */
  type KeptSession = { at: number; session: Promise<{ viewer: Viewer; stateVersion: number } | null>; refreshing?: boolean };
  const sessions = new Map<string, KeptSession>();
  const readSession = (token: string, now: number) => {
    const fresh: KeptSession = { at: now, session: sessionViewer(db.kysely, token) };
    fresh.session.catch(() => sessions.get(token) === fresh && sessions.delete(token));
    return fresh;
  };
  const keep = (token: string, fresh: KeptSession) => {
    sessions.delete(token);
    sessions.set(token, fresh);
    if (sessions.size > MAX_KEPT_READERS) sessions.delete(sessions.keys().next().value!);
  };
  const recentSession = (token: string) => {
    const now = performance.now();
    const kept = sessions.get(token);
    if (!kept || now - kept.at > SESSION_TTL_MS) {
      const fresh = readSession(token, now);
      keep(token, fresh);
      return fresh.session;
    }
    if (now - kept.at > SESSION_TTL_MS / 2 && !kept.refreshing) {
      kept.refreshing = true;
      const next = readSession(token, now);
      // Only in place of the entry it refreshes: a write here meanwhile (forgetReaders) dropped that one.
      next.session.then(() => sessions.get(token) === kept && keep(token, next), () => {});
    }
    return kept.session;
  };
  const forgetReaders = () => {
    sessions.clear();
    readerSets.clear();
    followSets.clear();
  };

  return { early, middleware, forgetReaders };
}
