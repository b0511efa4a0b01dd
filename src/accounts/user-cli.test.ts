import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { freshDatabaseUrl } from '../../test/helpers.ts';
import { signedInUser } from '../../test/community.ts';
import { contentVersion } from '../db/content-version.ts';
import { createAdmin, listUsers, setUserRole } from './user-cli.ts';
import { cli } from '../../test/run-cli.ts';
import { hashToken } from '../auth/tokens.ts';

let url: string;
let db: Db;
beforeAll(async () => {
  url = await freshDatabaseUrl();
  db = await connectDatabase(url);
});
afterAll(() => db.close());

describe('dailypapers user …', () => {
  it('token prints a new API token that works with its scope, once per run; bad input is one line', async () => {
    await signedInUser(db, { username: 'token-bot' });
    const run = await cli(['user', 'token', 'token-bot', '--scope', 'write'], { DATABASE_URL: url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(token).toMatch(/^dp_[\w-]{20,}$/);
    const row = await db.kysely.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
    expect([row.scopes, row.name, row.revoked_at]).toEqual(['read write', 'cli', null]);
    const readOnly = (await cli(['user', 'token', 'token-bot'], { DATABASE_URL: url })).stdout.trim();
    expect(readOnly).not.toBe(token);
    expect((await db.kysely.selectFrom('api_tokens').select('scopes').where('token_hash', '=', hashToken(readOnly)).executeTakeFirstOrThrow()).scopes).toBe('read');
    const bad = await cli(['user', 'token', 'token-bot', '--scope', 'admin'], { DATABASE_URL: url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('dailypapers: user: the scope is read or write');
    const nobody = await cli(['user', 'token', 'nobody-here'], { DATABASE_URL: url });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('no account named nobody-here');
  });

  it('create-admin from the CLI, with a password from stdin', async () => {
    const run = await cli(['user', 'create-admin', 'root-admin', 'Root@Example.org', '--password-stdin'], { DATABASE_URL: url }, 'an admin password\n');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/created admin root-admin <root@example.org>.*with a password/);
    const row = await db.kysely.selectFrom('users').selectAll().where('username', '=', 'root-admin').executeTakeFirstOrThrow();
    expect(row.role).toBe('admin');
    expect(await verifyPassword(row.password_hash!, 'an admin password')).toBe(true);

    const listed = await cli(['user', 'list', '--role', 'admin'], { DATABASE_URL: url });
    expect(listed.stdout).toMatch(/^root-admin\s+admin\s+root@example.org/m);
    const bad = await cli(['user', 'set-role', 'root-admin', 'king'], { DATABASE_URL: url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('dailypapers: user: the role is one of user, moderator, admin');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('promotes an existing user, sets roles with an audit row, and lists', async () => {
    const someone = await signedInUser(db, { username: 'promote-me' });
    expect(await createAdmin(db, 'promote-me', 'promote-me@example.org')).toBe('user: promote-me is now an admin (was user)');
    await expect(createAdmin(db, 'promote-me', 'other@example.org')).rejects.toThrow(/another e-mail address/);
    const version = await contentVersion(db.kysely);
    expect(await setUserRole(db, 'promote-me', 'moderator')).toBe('user: promote-me is now a moderator (was admin)');
    // Pages show roles: the change is a content write, like the admin page's (the same setRole).
    expect(await contentVersion(db.kysely)).toBeGreaterThan(version);
    expect(await setUserRole(db, 'Promote-Me', 'moderator')).toBe('user: Promote-Me is already a moderator');
    await expect(setUserRole(db, 'nobody', 'admin')).rejects.toMatchObject({ kind: 'not-found', message: 'no user named nobody' });
    // Audited like the admin page's changes: the target is the username.
    const audit = await db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'set-role').where('target_id', '=', someone.username).orderBy('id').execute();
    expect(audit.map((a) => a.detail)).toEqual(['user → admin', 'admin → moderator']);
    expect(audit[0]!.actor_label).toMatch(/^cli:/);
    expect((await listUsers(db, 'moderator')).join('\n')).toContain('promote-me');
    await expect(listUsers(db, 'king')).rejects.toThrow(/role is one of/);
    await expect(createAdmin(db, 'x', 'x@example.org')).rejects.toThrow(/^user: a username has/);
  });
});
