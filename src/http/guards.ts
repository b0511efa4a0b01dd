import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from './env.ts';
import { viewerOf, wantsJson } from './authenticate.ts';
import { isModerator, type Viewer } from '../auth/sessions.ts';
import { RequestError } from './respond.ts';
import { refererPath, safeRedirect } from './redirects.ts';

/**
 * The signed-in viewer, or the request ends here: an API client gets 401 (403 when
 * its token lacks the `write` scope a write needs), a reader is sent to sign in and back.
 */
export function needViewer(c: Context<AppEnv>, access: 'read' | 'write' = 'write'): Viewer {
  const viewer = viewerOf(c);
  const auth = c.get('auth');
  if (!viewer) {
    if (wantsJson(c)) throw jsonFailure(401, 'sign in or send an API token (Authorization: Bearer …)');
    throw new HTTPException(303, { res: c.redirect(`/signin?next=${encodeURIComponent(returnPath(c))}`, 303) });
  }
  if (auth.kind === 'token' && !auth.scopes.has(access)) {
    throw jsonFailure(403, `this API token lacks the "${access}" scope`);
  }
  return viewer;
}

/** Where to come back to after signing in: this page, or for a form post the page it was on (same site only). */
function returnPath(c: Context<AppEnv>): string {
  if (c.req.method === 'GET') return safeRedirect(c.req.path) ?? '/papers';
  return refererPath(c) ?? '/papers';
}

/**
 * The staff powers this request carries: the viewer's role, but only from a signed-in browser
 * session. An API token, even with the `write` scope, never carries a moderator's or an admin's
 * powers. The one place that decides it: every route that exercises staff powers asks here.
 */
export function staffRole(c: Context<AppEnv>): 'moderator' | 'admin' | null {
  const auth = c.get('auth');
  if (auth?.kind !== 'session' || !isModerator(auth.viewer)) return null;
  return auth.viewer.role === 'admin' ? 'admin' : 'moderator';
}

/** The viewer, who must be a moderator or an admin, in a browser session. */
export function needModerator(c: Context<AppEnv>): Viewer {
  const viewer = needViewer(c);
  if (staffRole(c) === null) throw staffRefusal(c, 'only moderators can do this');
  return viewer;
}

/** The viewer, who must be an admin, in a browser session. */
export function needAdmin(c: Context<AppEnv>): Viewer {
  const viewer = needViewer(c);
  if (staffRole(c) !== 'admin') throw staffRefusal(c, 'only admins can do this');
  return viewer;
}

function staffRefusal(c: Context<AppEnv>, message: string): RequestError {
  if (c.get('auth').kind === 'token') return new RequestError(403, 'moderation needs a signed-in browser session, not an API token');
  return new RequestError(403, message);
}

// The API's own refusals of a client: 401 must carry WWW-Authenticate, which RequestError does not.
function jsonFailure(status: 401 | 403, message: string): HTTPException {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer';
  return new HTTPException(status, { res: new Response(JSON.stringify({ error: message }), { status, headers }) });
}
