import type { Db } from '../src/db/database.ts';
import { createAccount, type NewAccount } from '../src/auth/users.ts';
import { hashToken, newToken } from '../src/auth/tokens.ts';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { sessionCsrfToken } from '../src/http/authenticate.ts';

/** A signed-in test user: real account, session and API token rows, as sign-in would make them. */
export interface TestUser {
  id: number;
  username: string;
  /** `Cookie` header value for the session. */
  cookie: string;
  /** The CSRF token forms of this session carry. */
  csrf: string;
  /** A personal API token with read and write scopes. */
  token: string;
}

let counter = 0;

export async function signedInUser(db: Db, account: Partial<NewAccount> = {}): Promise<TestUser> {
  const username = account.username ?? `user${process.pid}x${++counter}`;
  const id = await createAccount(db.kysely, { email: `${username}@example.org`, ...account, username });
  const session = newToken();
  const now = new Date();
  await db.kysely
    .insertInto('sessions')
    .values({ token_hash: hashToken(session), user_id: id, created_at: now.toISOString(), last_seen_at: now.toISOString(), expires_at: new Date(now.getTime() + 86_400_000).toISOString(), user_agent: 'test' })
    .execute();
  const token = newToken('dp_');
  await db.kysely
    .insertInto('api_tokens')
    .values({ user_id: id, name: 'test', token_hash: hashToken(token), scopes: 'read write', created_at: now.toISOString(), last_used_at: null, revoked_at: null })
    .execute();
  return { id, username, cookie: `${SESSION_COOKIE}=${session}`, csrf: sessionCsrfToken(session), token };
}

/** Headers for a same-site form POST by `user`. */
export function formHeaders(user: TestUser): Record<string, string> {
  return { Cookie: user.cookie, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' };
}
