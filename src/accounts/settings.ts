import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { writeContent } from '../db/content-version.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import { apiTokensOfUser, endOtherSessions, insertApiToken, revokeAllApiTokens, revokeApiToken, setPasswordHash, updateProfile, userById } from './queries.ts';

type Db = Kysely<Database>;

/** More live tokens than this is a mistake, not a need. */
export const MAX_API_TOKENS = 20;

/** Saves name and bio. Both show on public pages and cards, so cached pages are renewed. */
export async function saveProfile(db: Db, userId: number, profile: { fullname: string; bio: string }): Promise<void> {
  await writeContent(
    db,
    async (trx) => {
      const user = await userById(trx, userId);
      await updateProfile(trx, userId, { fullname: profile.fullname || (user?.username ?? ''), bio: profile.bio || null });
    },
    () => true,
  );
}

/**
 * Sets a new password; the current one must be given when there is one. Every
 * other browser is signed out, since a password change often follows a leak, and
 * with `revokeTokens` every API token stops working too.
 */
export async function changePassword(
  db: Db,
  userId: number,
  current: string,
  next: string,
  keepSession: string | null,
  revokeTokens: boolean,
): Promise<'changed' | 'wrong-current'> {
  const user = await userById(db, userId);
  if (!user) return 'wrong-current';
  if (user.password_hash && !(await verifyPassword(user.password_hash, current))) return 'wrong-current';
  const hash = await hashPassword(next);
  await db.transaction().execute(async (trx) => {
    await setPasswordHash(trx, userId, hash);
    await endOtherSessions(trx, userId, keepSession);
    if (revokeTokens) await revokeAllApiTokens(trx, userId, new Date());
  });
  return 'changed';
}

/** "Sign out everywhere": every session of the user, and with `revokeTokens` every API token. */
export async function endEverywhere(db: Db, userId: number, revokeTokens: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await endOtherSessions(trx, userId, null);
    if (revokeTokens) await revokeAllApiTokens(trx, userId, new Date());
  });
}

/** A new personal API token: returned once, stored only as its hash. */
export async function createApiToken(db: Db, userId: number, name: string, scopes: 'read' | 'read write'): Promise<string | 'too-many'> {
  if ((await apiTokensOfUser(db, userId)).length >= MAX_API_TOKENS) return 'too-many';
  const token = newToken('dp_');
  await insertApiToken(db, { userId, name, tokenHash: hashToken(token), scopes, now: new Date() });
  return token;
}

export function revokeOwnApiToken(db: Db, userId: number, tokenId: number): Promise<boolean> {
  return revokeApiToken(db, userId, tokenId, new Date());
}
