import type { Db } from '../db/database.ts';
import { writeContent } from '../db/content-version.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword } from '../auth/passwords.ts';
import { changeRole, setRole } from '../moderation/queries.ts';
import { recordAudit } from '../audit/audit.ts';
import { cliActor } from '../audit/audit.ts';
import { accounts, importedIdentity, linkImportedIdentity, setPasswordHash } from './queries.ts';
import { createApiToken } from './settings.ts';
import { userByHandle } from '../auth/users.ts';
import { ROLES, createAccount, normalizeEmail, withArticle, type Role } from '../auth/users.ts';

const isRole = (role: string): role is Role => (ROLES as readonly string[]).includes(role);

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
    const passwordHash = password ? await hashPassword(password) : undefined;
    await writeContent(
      db.kysely,
      async (trx) => {
        await changeRole(trx, cliActor(), existing.username, 'admin');
        if (passwordHash) await setPasswordHash(trx, existing.id, passwordHash);
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
  if (!isRole(role)) throw new Error(`user: the role is one of ${ROLES.join(', ')}, not "${role}"`);
  const was = await setRole(db.kysely, cliActor(), username, role);
  return was ? `user: ${username} is now ${withArticle(role)} (was ${was})` : `user: ${username} is already ${withArticle(role)}`;
}

/** `user list [--role <role>]`: one line per account that can sign in. */
export async function listUsers(db: Db, role?: string): Promise<string[]> {
  if (role !== undefined && !isRole(role)) throw new Error(`user: the role is one of ${ROLES.join(', ')}, not "${role}"`);
  const rows = await accounts(db.kysely, role);
  if (rows.length === 0) return [role ? `user: no ${role}s` : 'user: no accounts yet (`dailypapers user create-admin <username> <email>`)'];
  const width = Math.max(...rows.map((r) => r.username.length));
  return rows.map((r) => `${r.username.padEnd(width)}  ${r.role.padEnd(9)}  ${r.email}  joined ${r.created_at.slice(0, 10)}${r.banned_at ? '  banned' : ''}`);
}

/**
 * `user link-imported <handle> <username>`: an administrator's verified step (they checked who
 * is who) linking the person a Hugging Face import names to a local account, audited. Imports
 * never link by handle themselves: anyone can register a handle before it appears in one.
 */
export async function linkImported(db: Db, handle: string, username: string): Promise<string> {
  const imported = await importedIdentity(db.kysely, 'hf', handle);
  if (!imported) throw new Error(`user: no imported person with the handle ${handle}`);
  const user = await userByHandle(db.kysely, username);
  if (!user || user.kind !== 'user') throw new Error(`user: no account named ${username}`);
  const gained = await writeContent(
    db.kysely,
    async (trx) => {
      const n = await linkImportedIdentity(trx, imported.id, user.id);
      await recordAudit(trx, cliActor(), { action: 'link-imported', targetType: 'user', targetId: user.username, detail: `hf:${imported.username}` });
      return n;
    },
    () => true,
  );
  return `user: hf:${imported.username} is now ${user.username}; ${gained} authorship${gained === 1 ? '' : 's'} verified`;
}

/**
 * `user token <username> [--scope read|write] [--name …]`: a new personal API token for bots and
 * scripts, printed once (only its hash is kept), as the settings page makes them. `write` also reads.
 */
export async function createUserToken(db: Db, username: string, scope = 'read', name = 'cli'): Promise<string> {
  if (scope !== 'read' && scope !== 'write') throw new Error(`user: the scope is read or write, not "${scope}"`);
  const user = await userByHandle(db.kysely, username);
  if (!user || user.kind !== 'user') throw new Error(`user: no account named ${username}`);
  if (user.banned_at) throw new Error(`user: ${user.username} is banned; lift the ban first`);
  const token = await createApiToken(db.kysely, user.id, name.slice(0, 60) || 'cli', scope === 'write' ? 'read write' : 'read');
  if (token === 'too-many') throw new Error(`user: ${user.username} has as many tokens as an account may; revoke one in /settings`);
  return token;
}
