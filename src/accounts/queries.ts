import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ApiTokenTable, Database, ImportedIdentity, User } from '../db/schema.ts';
import type { Role } from '../auth/users.ts';

type Q = Kysely<Database> | Transaction<Database>;

/** The account that signs in with this (normalized) address. */
export function userByEmail(db: Q, email: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export function userById(db: Q, id: number): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertEmailToken(db: Q, row: { tokenHash: string; email: string; purpose: 'signin' | 'signup'; payload: string | null; now: Date; ttlMs: number }): Promise<void> {
  await db
    .insertInto('email_tokens')
    .values({
      token_hash: row.tokenHash,
      email: row.email,
      purpose: row.purpose,
      payload: row.payload,
      created_at: row.now.toISOString(),
      expires_at: new Date(row.now.getTime() + row.ttlMs).toISOString(),
      used_at: null,
    })
    .execute();
}

/** An unused, unexpired link, without using it (for the confirm page). */
export function liveEmailToken(db: Q, tokenHash: string, now: Date) {
  return db
    .selectFrom('email_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
}

/** Marks a link used and returns it, in one statement: of two concurrent uses, one wins. */
export function useEmailToken(db: Q, tokenHash: string, now: Date) {
  return db
    .updateTable('email_tokens')
    .set({ used_at: now.toISOString() })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.toISOString())
    .returningAll()
    .executeTakeFirst();
}

export function sessionsOfUser(db: Q, userId: number, now: Date) {
  return db
    .selectFrom('sessions')
    .select(['token_hash', 'created_at', 'last_seen_at', 'user_agent'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', now.toISOString())
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export function apiTokensOfUser(db: Q, userId: number): Promise<Omit<Selectable<ApiTokenTable>, 'token_hash'>[]> {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'user_id', 'name', 'scopes', 'created_at', 'last_used_at', 'revoked_at'])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('id', 'desc')
    .execute();
}

export async function insertApiToken(db: Q, row: { userId: number; name: string; tokenHash: string; scopes: string; now: Date }): Promise<void> {
  await db
    .insertInto('api_tokens')
    .values({ user_id: row.userId, name: row.name, token_hash: row.tokenHash, scopes: row.scopes, created_at: row.now.toISOString(), last_used_at: null, revoked_at: null })
    .execute();
}

/** Revokes one of the user's own tokens; false when there was no such live token. */
export async function revokeApiToken(db: Q, userId: number, tokenId: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now.toISOString() })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The identity an import source gave this handle, e.g. (`hf`, `akhaliq`). */
export function importedIdentity(db: Q, source: string, username: string): Promise<ImportedIdentity | undefined> {
  return db.selectFrom('imported_users').selectAll().where('source', '=', source).where('username', '=', username).executeTakeFirst();
}

/**
 * Links an imported identity to a local account: the papers it authored show that account as
 * their verified author, where no claim named another already. How many authorships it gained.
 */
export async function linkImportedIdentity(db: Q, importedId: number, userId: number): Promise<number> {
  await db.updateTable('imported_users').set({ user_id: userId }).where('id', '=', importedId).execute();
  const result = await db.updateTable('paper_authors').set({ user_id: userId }).where('imported_user_id', '=', importedId).where('user_id', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Revokes every live API token of a user ("sign out everywhere", a new password); how many. */
export async function revokeAllApiTokens(db: Q, userId: number, now: Date): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: now.toISOString() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function updateProfile(db: Q, userId: number, profile: { fullname: string; bio: string | null }): Promise<void> {
  await db.updateTable('users').set(profile).where('id', '=', userId).execute();
}

export async function setPasswordHash(db: Q, userId: number, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

/** Accounts that can sign in (they have an address), oldest first. */
export function accounts(db: Q, role?: Role) {
  let query = db
    .selectFrom('users')
    .select(['id', 'username', 'email', 'role', 'created_at', 'banned_at'])
    .where('email', 'is not', null);
  if (role) query = query.where('role', '=', role);
  return query.orderBy('id').execute();
}

// ---- profile lists: visible papers only, newest first, as cards

export type ProfileTab = 'submitted' | 'upvoted' | 'authored';

/** How many visible papers each profile tab holds. */
export async function profileCounts(db: Q, userId: number): Promise<Record<ProfileTab, number>> {
  const [submitted, upvoted, authored] = await Promise.all([
    db
      .selectFrom('daily_listings as l')
      .innerJoin('papers as p', 'p.id', 'l.paper_id')
      .select(sql<number>`count(distinct l.paper_id)`.as('n'))
      .where('l.submitter_id', '=', userId)
      .where('l.hidden_at', 'is', null)
      .where('p.hidden_at', 'is', null)
      .executeTakeFirst(),
    db
      .selectFrom('upvotes as u')
      .innerJoin('papers as p', 'p.id', 'u.paper_id')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('u.user_id', '=', userId)
      .where('p.hidden_at', 'is', null)
      .executeTakeFirst(),
    db
      .selectFrom('paper_authors as a')
      .innerJoin('papers as p', 'p.id', 'a.paper_id')
      .select(sql<number>`count(distinct a.paper_id)`.as('n'))
      .where('a.user_id', '=', userId)
      .where('p.hidden_at', 'is', null)
      .executeTakeFirst(),
  ]);
  return { submitted: Number(submitted?.n ?? 0), upvoted: Number(upvoted?.n ?? 0), authored: Number(authored?.n ?? 0) };
}

/** The ids of the visible papers on one profile tab, newest first. */
export async function profilePaperIds(db: Q, userId: number, tab: ProfileTab, limit: number): Promise<string[]> {
  let ids: string[];
  if (tab === 'submitted') {
    const rows = await db
      .selectFrom('daily_listings as l')
      .innerJoin('papers as p', 'p.id', 'l.paper_id')
      .select('l.paper_id')
      .select((eb) => eb.fn.max('l.submitted_at').as('at'))
      .where('l.submitter_id', '=', userId)
      .where('l.hidden_at', 'is', null)
      .where('p.hidden_at', 'is', null)
      .groupBy('l.paper_id')
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    ids = rows.map((r) => r.paper_id);
  } else if (tab === 'upvoted') {
    const rows = await db
      .selectFrom('upvotes as u')
      .innerJoin('papers as p', 'p.id', 'u.paper_id')
      .select('u.paper_id')
      .where('u.user_id', '=', userId)
      .where('p.hidden_at', 'is', null)
      .orderBy('u.created_at', 'desc')
      .orderBy('u.paper_id')
      .limit(limit)
      .execute();
    ids = rows.map((r) => r.paper_id);
  } else {
    const rows = await db
      .selectFrom('paper_authors as a')
      .innerJoin('papers as p', 'p.id', 'a.paper_id')
      .select(['a.paper_id', 'p.published_at'])
      .where('a.user_id', '=', userId)
      .where('p.hidden_at', 'is', null)
      .groupBy(['a.paper_id', 'p.published_at'])
      .orderBy('p.published_at', 'desc')
      .limit(limit)
      .execute();
    ids = rows.map((r) => r.paper_id);
  }
  return ids;
}

/** Signs the user out of every browser but the one whose session hash is `keep`. */
export async function endOtherSessions(db: Q, userId: number, keep: string | null): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keep) query = query.where('token_hash', '!=', keep);
  await query.execute();
}
