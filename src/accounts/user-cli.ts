import os from 'node:os';
import type { Db } from '../db/database.ts';
import { writeContent } from '../db/content-version.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword } from '../auth/passwords.ts';
import { recordAudit } from '../moderation/queries.ts';
import { accounts, setPasswordHash, setRole, userByHandle, type Role } from './queries.ts';
import { createAccount, normalizeEmail } from './users.ts';

export const ROLES: readonly Role[] = ['user', 'moderator', 'admin'];

const actorLabel = () => `cli:${os.userInfo().username}`;

/** Reads a password piped on stdin (`--password-stdin`): the first line, without its newline. */
export async function readPasswordStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let data = '';
  for await (const chunk of stdin) data += String(chunk);
  const password = data.split(/\r?\n/)[0] ?? '';
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new Error(`user: a password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
  }
  return password;
}

/**
 * `user create-admin <username> <email>`: creates an admin, or makes the existing
 * user of that name one (their address must match, so a typo cannot promote a stranger).
 */
export async function createAdmin(db: Db, username: string, email: string, password?: string): Promise<string> {
  const existing = await userByHandle(db.kysely, username);
  if (existing) {
    if (existing.email !== normalizeEmail(email)) throw new Error(`user: ${existing.username} exists with another e-mail address; use \`dailypapers user set-role ${existing.username} admin\``);
    await writeContent(
      db.kysely,
      async (trx) => {
        await setRole(trx, existing.id, 'admin');
        if (password) await setPasswordHash(trx, existing.id, await hashPassword(password));
        await recordAudit(trx, { actorLabel: actorLabel(), action: 'set-role', targetType: 'user', targetId: String(existing.id), detail: `${existing.role} → admin` });
      },
      () => true,
    );
    return `user: ${existing.username} is now an admin (was ${existing.role})${password ? '; password set' : ''}`;
  }
  const id = await createAccount(db.kysely, { username, email, password, role: 'admin' }).catch((err: Error) => {
    throw new Error(err.message.replace(/^account: /, 'user: '));
  });
  return `user: created admin ${username} <${normalizeEmail(email)}> (id ${id})${password ? ' with a password' : '; it signs in by e-mailed link'}`;
}

/** `user set-role <username> <role>`, audited. */
export async function setUserRole(db: Db, username: string, role: string): Promise<string> {
  if (!ROLES.includes(role as Role)) throw new Error(`user: the role is one of ${ROLES.join(', ')}, not "${role}"`);
  const user = await userByHandle(db.kysely, username);
  if (!user) throw new Error(`user: no user named ${username}`);
  if (user.role === role) return `user: ${user.username} is already ${role === 'user' ? 'a user' : `a ${role}`}`;
  await writeContent(
    db.kysely,
    async (trx) => {
      await setRole(trx, user.id, role as Role);
      await recordAudit(trx, { actorLabel: actorLabel(), action: 'set-role', targetType: 'user', targetId: String(user.id), detail: `${user.role} → ${role}` });
    },
    () => true,
  );
  return `user: ${user.username} is now ${role === 'user' ? 'a user' : `a ${role}`} (was ${user.role})`;
}

/** `user list [--role <role>]`: one line per account that can sign in. */
export async function listUsers(db: Db, role?: string): Promise<string[]> {
  if (role !== undefined && !ROLES.includes(role as Role)) throw new Error(`user: the role is one of ${ROLES.join(', ')}, not "${role}"`);
  const rows = await accounts(db.kysely, role as Role | undefined);
  if (rows.length === 0) return [role ? `user: no ${role}s` : 'user: no accounts yet (`dailypapers user create-admin <username> <email>`)'];
  const width = Math.max(...rows.map((r) => r.username.length));
  return rows.map((r) => `${r.username.padEnd(width)}  ${r.role.padEnd(9)}  ${r.email}  joined ${r.created_at.slice(0, 10)}${r.banned_at ? '  banned' : ''}`);
}
