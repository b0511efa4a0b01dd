import type { Context } from 'hono';
import { sql, type Kysely } from 'kysely';
import type { AppEnv } from './env.ts';
import type { Database } from '../db/schema.ts';
import { viewerOf } from './authenticate.ts';
import { RequestError } from './respond.ts';
import { socketAddress } from './origin.ts';

/**
 * The limits, per action: at most `limit` requests per `windowSeconds` for one
 * client (the signed-in user, else the IP address). Counters live in the
 * database, so several instances share them.
 */
export const RATE_LIMITS = {
  signin: { limit: 10, windowSeconds: 600 },
  signup: { limit: 5, windowSeconds: 3600 },
  emailLink: { limit: 5, windowSeconds: 3600 },
  vote: { limit: 600, windowSeconds: 600 },
  /** Saves, hides and collection edits. */
  library: { limit: 1200, windowSeconds: 600 },
  /** BibTeX and RIS imports, each may fetch from arXiv. */
  libraryImport: { limit: 20, windowSeconds: 3600 },
  comment: { limit: 20, windowSeconds: 600 },
  submit: { limit: 30, windowSeconds: 3600 },
  report: { limit: 20, windowSeconds: 3600 },
  claim: { limit: 20, windowSeconds: 3600 },
  profile: { limit: 30, windowSeconds: 3600 },
  token: { limit: 20, windowSeconds: 3600 },
  /** Digest sign-ups: counted per client and per address, as each sends a mail. */
  subscribe: { limit: 5, windowSeconds: 3600 },
  /** Saving digest preferences through a signed link. */
  digestPreferences: { limit: 30, windowSeconds: 3600 },
  digestPreview: { limit: 60, windowSeconds: 3600 },
} as const satisfies Record<string, { limit: number; windowSeconds: number }>;

export type LimitedAction = keyof typeof RATE_LIMITS;

/** Counts one request against `key`'s fixed window; says how long to wait once over the limit. */
export async function hit(db: Kysely<Database>, key: string, limit: number, windowSeconds: number, now = new Date()): Promise<{ allowed: boolean; retryAfter: number }> {
  const windowStart = new Date(Math.floor(now.getTime() / (windowSeconds * 1000)) * windowSeconds * 1000).toISOString();
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: windowStart, count: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        count: sql<number>`case when rate_limits.window_start = ${windowStart} then rate_limits.count + 1 else 1 end`,
        window_start: windowStart,
      }),
    )
    .returning('count')
    .executeTakeFirstOrThrow();
  const allowed = Number(row.count) <= limit;
  const retryAfter = Math.max(1, Math.ceil((Date.parse(windowStart) + windowSeconds * 1000 - now.getTime()) / 1000));
  return { allowed, retryAfter };
}

/** The client a limit counts against: the user when signed in, else the address. */
export function clientKey(c: Context<AppEnv>): string {
  const viewer = viewerOf(c);
  if (viewer) return `u:${viewer.id}`;
  const forwarded = c.get('config').TRUST_PROXY ? c.req.header('X-Forwarded-For')?.split(',')[0]?.trim() : undefined;
  return `ip:${forwarded || socketAddress(c) || 'unknown'}`;
}

/**
 * Counts this request against `action`'s limit for this client (the user, else the
 * address); over it, the request ends with a 429 and `Retry-After`.
 */
export async function enforceLimit(c: Context<AppEnv>, action: LimitedAction): Promise<void> {
  await enforceLimitFor(c, action, clientKey(c));
}

/**
 * Like `enforceLimit`, counted against `subject` whoever asks (e.g. `e:` and an
 * e-mail address), so attempts spread over many addresses still add up.
 */
export async function enforceLimitFor(c: Context<AppEnv>, action: LimitedAction, subject: string): Promise<void> {
  const { limit, windowSeconds } = RATE_LIMITS[action];
  const scale = c.get('config').RATE_LIMIT_SCALE;
  if (scale === 0) return;
  const { allowed, retryAfter } = await hit(c.get('db').kysely, `${action}:${subject}`, Math.ceil(limit * scale), windowSeconds);
  if (!allowed) throw new RequestError(429, `too many requests; try again in ${retryAfter} s`, undefined, { 'Retry-After': String(retryAfter) });
}
