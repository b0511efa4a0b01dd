import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { hashToken, newToken } from '../auth/tokens.ts';

type Q = Kysely<Database>;

/** What a private feed token looks like: `dpf_` and 43 base64url characters. */
const FEED_TOKEN = /^dpf_[\w-]{43}$/;
/** `last_used_at` is written at most this often: a feed reader polling every minute costs no write each time. */
const TOUCH_EVERY_MS = 60 * 60 * 1000;

/**
 * A new token for the reader's private for-you feed, which revokes the ones before it (one feed
 * link per reader: revoking is making a new one, or revoking all). Read-only: it opens that feed
 * and nothing else. Only its hash is kept; the token is shown once.
 */
export async function createFeedToken(db: Q, userId: number): Promise<string> {
  const token = newToken('dpf_');
  const now = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('feed_tokens').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    await trx.insertInto('feed_tokens').values({ user_id: userId, token_hash: hashToken(token), created_at: now, last_used_at: null, revoked_at: null }).execute();
  });
  return token;
}

/** Revokes every feed token of the reader. */
export async function revokeFeedTokens(db: Q, userId: number): Promise<void> {
  await db.updateTable('feed_tokens').set({ revoked_at: new Date().toISOString() }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
}

/** Whether the reader has a feed link that works. */
export async function hasFeedToken(db: Q, userId: number): Promise<boolean> {
  const row = await db.selectFrom('feed_tokens').select('id').where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}

/** The reader a live feed token belongs to (not banned), or undefined. */
export async function feedTokenOwner(db: Q, token: string): Promise<{ userId: number; username: string } | undefined> {
  if (!FEED_TOKEN.test(token)) return undefined;
  const row = await db
    .selectFrom('feed_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id', 't.last_used_at', 'u.id as user_id', 'u.username'])
    .where('t.token_hash', '=', hashToken(token))
    .where('t.revoked_at', 'is', null)
    .where('u.banned_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const now = Date.now();
  if (!row.last_used_at || now - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
    await db.updateTable('feed_tokens').set({ last_used_at: new Date(now).toISOString() }).where('id', '=', row.id).execute();
  }
  return { userId: row.user_id, username: row.username };
}
