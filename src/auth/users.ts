import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database, User } from '../db/schema.ts';
import { hashPassword } from './passwords.ts';

/** What an account may do, from least to most. */
export const ROLES = ['user', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** "a user", "a moderator", "an admin". */
export const withArticle = (role: string): string => `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`;

/** Handles are URL segments (`/users/{name}`): letters, digits, `-` and `_`, 2 to 30 of them. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{1,29}$/;

/** Names that would shadow pages or mislead readers. */
const RESERVED = new Set(['admin', 'administrator', 'moderator', 'root', 'system', 'api', 'settings', 'signin', 'signup', 'signout', 'featuring-rules', 'support', 'help']);

export function usernameProblem(username: string): string | null {
  if (!USERNAME_PATTERN.test(username)) return 'a username has 2 to 30 letters, digits, - or _, and starts with a letter or digit';
  if (RESERVED.has(username.toLowerCase())) return `“${username}” is reserved`;
  return null;
}

/**
 * A handle an import source names (a submitter, an author's account there), checked like a
 * sign-up name: the same characters, though sources allow longer handles than ours (42). An
 * invalid one is dropped from the import and reported, never stored.
 */
export function importedUsernameProblem(username: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{1,41}$/.test(username)) return 'a handle has 2 to 42 letters, digits, - or _, and starts with a letter or digit';
  return null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewAccount {
  username: string;
  email: string;
  fullname?: string;
  password?: string;
  /** An argon2id hash made earlier (a sign-up link carries it, never the password). */
  passwordHash?: string;
  role?: Role;
}

/**
 * Creates an account that can sign in. Fails with a message when the username is
 * malformed or taken, or the address already has an account.
 */
export async function createAccount(db: Kysely<Database>, account: NewAccount): Promise<number> {
  const problem = usernameProblem(account.username);
  if (problem) throw new Error(`account: ${problem}`);
  const email = normalizeEmail(account.email);
  const taken = await db
    .selectFrom('users')
    .select(['username', 'email'])
    .where((eb) => eb.or([eb(eb.fn('lower', ['username']), '=', account.username.toLowerCase()), eb('email', '=', email)]))
    .executeTakeFirst();
  if (taken) throw new Error(taken.email === email ? 'account: that address already has an account' : `account: the username “${account.username}” is taken`);
  const row = await db
    .insertInto('users')
    .values({
      username: account.username,
      fullname: account.fullname?.trim() || account.username,
      email,
      password_hash: account.passwordHash ?? (account.password ? await hashPassword(account.password) : null),
      role: account.role ?? 'user',
      kind: 'user',
      avatar_url: null,
      hf_id: null,
      banned_at: null,
      bio: null,
      created_at: new Date().toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * The one case rule of handles: compared without case, as sign-up keeps them unique that way.
 * `column` is a `username` column of users or imported_users.
 */
export function handleIs(column: string, handle: string): RawBuilder<boolean> {
  return sql<boolean>`lower(${sql.ref(column)}) = ${handle.toLowerCase()}`;
}

/** The local account with this handle, in any case. */
export function userByHandle(db: Kysely<Database> | Transaction<Database>, handle: string): Promise<User | undefined> {
  return db.selectFrom('users').selectAll().where(handleIs('username', handle)).executeTakeFirst();
}
