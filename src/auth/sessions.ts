import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { runKept } from '../db/kept-query.ts';
import { hashToken, newToken } from './tokens.ts';
import type { Role } from './users.ts';

export const SESSION_COOKIE = 'dp_session';
const SESSION_DAYS = 30;
/** last_seen_at is written at most this often, so reading pages does not write on every request. */
const TOUCH_MS = 60 * 60 * 1000;

/** The signed-in person, as handlers and pages see them. */
export interface Viewer {
  id: number;
  username: string;
  fullname: string;
  email: string | null;
  role: Role;
  avatarUrl: string | null;
}

/** Whether to show staff links and buttons; whether a request may use staff powers is `staffRole` (http/guards.ts). */
export const isModerator = (v: Viewer | null): boolean => v?.role === 'moderator' || v?.role === 'admin';

/** Whether cookies must be Secure: the site is served over https, directly or behind a proxy. */
export function secureContext(c: Context): boolean {
  const base = c.get('config')?.BASE_URL;
  if (base) return base.startsWith('https:');
  return new URL(c.req.url).protocol === 'https:' || (c.get('config')?.TRUST_PROXY === true && c.req.header('X-Forwarded-Proto') === 'https');
}

/**
 * Signs `userId` in on this browser: a new session row and cookie. Any session the
 * browser had is revoked first, so a token planted before sign-in is worthless (rotation).
 */
export async function startSession(c: Context, db: Kysely<Database>, userId: number): Promise<void> {
  await endSession(c, db);
  const token = newToken();
  const now = new Date();
  await db
    .insertInto('sessions')
    .values({
      token_hash: hashToken(token),
      user_id: userId,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString(),
      user_agent: c.req.header('User-Agent')?.slice(0, 300) ?? null,
    })
    .execute();
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: secureContext(c),
    path: '/',
    maxAge: SESSION_DAYS * 86_400,
  });
}

/** Signs this browser out: its session row goes, and the cookie with it. */
export async function endSession(c: Context, db: Kysely<Database>): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secureContext(c) });
}

/** The user a session token belongs to, if the session is live and the user not banned. */
export async function sessionViewer(db: Kysely<Database>, token: string): Promise<{ viewer: Viewer; sessionHash: string; stateVersion: number } | null> {
  const tokenHash = hashToken(token);
  const now = new Date();
  const [row] = await runKept(
    db,
    'sessionViewer',
    () =>
      db
        .selectFrom('sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .select(['u.id', 'u.username', 'u.fullname', 'u.email', 'u.role', 'u.avatar_url', 'u.banned_at', 'u.state_version', 's.expires_at', 's.last_seen_at'])
        .where('s.token_hash', '=', tokenHash),
    [tokenHash],
  );
  if (!row || row.banned_at || row.expires_at <= now.toISOString()) return null;
  if (now.getTime() - Date.parse(row.last_seen_at) > TOUCH_MS) {
    await db.updateTable('sessions').set({ last_seen_at: now.toISOString() }).where('token_hash', '=', tokenHash).execute();
  }
  return { viewer: toViewer(row), sessionHash: tokenHash, stateVersion: Number(row.state_version) };
}

export function toViewer(row: { id: number; username: string; fullname: string; email: string | null; role: string; avatar_url: string | null }): Viewer {
  return {
    id: row.id,
    username: row.username,
    fullname: row.fullname,
    email: row.email,
    role: row.role === 'admin' || row.role === 'moderator' ? row.role : 'user',
    avatarUrl: row.avatar_url,
  };
}
