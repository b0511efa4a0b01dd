import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from './env.ts';
import { SESSION_COOKIE, secureContext, sessionViewer, toViewer, type Viewer } from '../auth/sessions.ts';
import { hashToken, newToken, sameSecret } from '../auth/tokens.ts';
import { siteOrigin } from './origin.ts';
import { SLOT } from './reader-template.ts';

/** How a request proved who it is: a browser session, an API token, or nothing. */
export type Auth =
  | { kind: 'anonymous' }
  /** `template`: the page is being rendered once for every reader of the viewer's role, with markers for what is theirs (http/reader-template.ts). */
  | { kind: 'session'; viewer: Viewer; sessionToken: string; template?: true }
  | { kind: 'token'; viewer: Viewer; scopes: ReadonlySet<'read' | 'write'> };

const ANON_CSRF_COOKIE = 'dp_csrf';

/**
 * Finds the viewer: `Authorization: Bearer dp_…` (a personal API token) or the
 * session cookie. A bad bearer token is a 401; a stale cookie is just anonymous.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const db = c.get('db').kysely;
    // Only Bearer is ours; other schemes (HTTP Basic in front of a staging site) are not our business.
    const bearer = /^Bearer\s+(\S*)$/i.exec(c.req.header('Authorization') ?? '');
    if (bearer) {
      const auth = bearer[1] ? await tokenAuth(c, bearer[1]) : null;
      if (!auth) {
        return c.json({ error: 'invalid or revoked API token' }, 401, { 'WWW-Authenticate': 'Bearer' });
      }
      c.set('auth', auth);
      return next();
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    const session = cookie ? await sessionViewer(db, cookie) : null;
    c.set('auth', session ? { kind: 'session', viewer: session.viewer, sessionToken: cookie! } : { kind: 'anonymous' });
    return next();
  };
}

async function tokenAuth(c: Context<AppEnv>, token: string): Promise<Auth | null> {
  const db = c.get('db').kysely;
  const row = await db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as token_id', 't.scopes', 't.last_used_at', 'u.id', 'u.username', 'u.fullname', 'u.email', 'u.role', 'u.avatar_url', 'u.banned_at'])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row || row.banned_at) return null;
  const now = new Date();
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.token_id).execute();
  }
  const scopes = new Set(row.scopes.split(' ').filter((s): s is 'read' | 'write' => s === 'read' || s === 'write'));
  return { kind: 'token', viewer: toViewer(row), scopes };
}

/** Whether this page is a template for every reader of a role, not one reader's page (http/reader-template.ts). */
export function renderingTemplate(c: Context<AppEnv>): boolean {
  const auth = c.get('auth');
  return auth?.kind === 'session' && auth.template === true;
}

/** The signed-in person, or null. */
export function viewerOf(c: Context<AppEnv>): Viewer | null {
  const auth = c.get('auth');
  return auth && auth.kind !== 'anonymous' ? auth.viewer : null;
}

/**
 * The CSRF token forms carry in `_csrf` (and scripts in `X-CSRF-Token`): derived
 * from the session token when signed in, else a random value in a cookie of its
 * own (double submit), so sign-in and sign-up forms are protected too.
 */
export function csrfToken(c: Context<AppEnv>): string {
  const auth = c.get('auth');
  if (auth?.kind === 'session') return auth.template ? SLOT.csrf : sessionCsrfToken(auth.sessionToken);
  let token = getCookie(c, ANON_CSRF_COOKIE);
  if (!token || !/^[\w-]{43}$/.test(token)) {
    token = newToken();
    setCookie(c, ANON_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'Lax', path: '/', secure: secureContext(c) });
  }
  return token;
}

/** The CSRF token of a session: derived from its secret token, so it needs no storage. */
export function sessionCsrfToken(sessionToken: string): string {
  return hashToken(`csrf:${sessionToken}`).slice(0, 43);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests that a browser sent from another site: the
 * Origin (or Sec-Fetch-Site) must be this site's, and the request must carry the
 * CSRF token. Requests authenticated by an API token carry no cookies and are exempt.
 */
export function csrfProtection(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method) || c.get('auth')?.kind === 'token') return next();
    if (await isOneClickUnsubscribe(c)) return next();
    const origin = c.req.header('Origin');
    const ownOrigin = new URL(siteOrigin(c)).origin;
    const fetchSite = c.req.header('Sec-Fetch-Site');
    if ((origin && origin !== 'null' && origin !== ownOrigin) || origin === 'null' || fetchSite === 'cross-site') {
      return refuse(c, 'cross-site request refused');
    }
    // A look preference (web/preferences.ts) changes only this browser's cookie, and anonymous pages are shared and carry no token: a same-origin signal is the check.
    if (c.req.path === '/preferences' && (origin === ownOrigin || fetchSite === 'same-origin')) return next();
    // An anonymous API call carries no credentials to abuse: the handler answers it (401 where it must).
    if (c.get('auth')?.kind === 'anonymous' && c.req.path.startsWith('/api/')) return next();
    const expected = c.get('auth')?.kind === 'session' ? csrfToken(c) : getCookie(c, ANON_CSRF_COOKIE);
    const sent = c.req.header('X-CSRF-Token') ?? (await formField(c, '_csrf'));
    if (!expected || !sent || !sameSecret(sent, expected)) {
      return refuse(c, 'the form has expired or did not come from this site; reload the page and try again');
    }
    return next();
  };
}

/**
 * RFC 8058 one-click unsubscribe: mail providers POST `List-Unsubscribe=One-Click` to the URL of a
 * digest's List-Unsubscribe header, with no cookies, Origin or CSRF token. Only that request on
 * that route passes: it carries no session power, and the signed token in its URL is the
 * authority (digests/pages.tsx refuses it without a valid one).
 */
async function isOneClickUnsubscribe(c: Context<AppEnv>): Promise<boolean> {
  return c.req.method === 'POST' && c.req.path === '/unsubscribe' && (await formField(c, 'List-Unsubscribe')) === 'One-Click';
}

async function formField(c: Context<AppEnv>, name: string): Promise<string | undefined> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(type)) return undefined;
  try {
    const value = (await c.req.parseBody())[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function refuse(c: Context<AppEnv>, message: string) {
  if (wantsJson(c)) return c.json({ error: message }, 403);
  return c.text(`403 Forbidden: ${message}`, 403);
}

/** Whether the client asked for JSON (the API, or a page's script) rather than a page. */
export function wantsJson(c: Context<AppEnv>): boolean {
  return c.req.path.startsWith('/api/') || (c.req.header('Accept') ?? '').includes('application/json');
}
