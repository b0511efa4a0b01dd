import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { freshDatabaseUrl } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { cli as runCli } from '../../test/run-cli.ts';

const ME = `cli:${os.userInfo().username}`;

describe('moderation and organizations from the CLI', () => {
  let url: string;
  let db: Db;
  let user: TestUser;
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    db = await connectDatabase(url);
    const item = (id: string, day: string) => ({
      paper: { id, title: `Paper ${id}`, summary: 'S.', publishedAt: '2026-11-10T00:00:00.000Z', upvotes: 1, authors: [] },
      publishedAt: `${day}T09:00:00.000Z`,
    });
    await importHfItems(db, [item('2611.00301', '2026-11-18'), item('2611.00302', '2026-11-18')], '2026-11-18', 'cli');
    user = await signedInUser(db);
  });
  afterAll(() => db.close());

  /** The CLI, in this process, against the test database. */
  const cli = (...args: string[]) => runCli(args, { DATABASE_URL: url });
  const lastAudit = () => db.kysely.selectFrom('audit_log').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
  const hiddenAt = async (id: string) => (await db.kysely.selectFrom('papers').select('hidden_at').where('id', '=', id).executeTakeFirstOrThrow()).hidden_at;

  it('hides and unhides papers and listings, recorded as the operator', async () => {
    const hide = await cli('moderate', 'hide-paper', '2611.00301', '--reason', 'spam');
    expect(hide.stdout).toContain('moderate: hid paper 2611.00301');
    expect(await hiddenAt('2611.00301')).not.toBeNull();
    expect(await lastAudit()).toMatchObject({ actor_id: null, actor_label: ME, action: 'hide-paper', target_id: '2611.00301', detail: 'spam' });
    expect((await cli('moderate', 'unhide-paper', 'https://arxiv.org/abs/2611.00301v2')).stdout).toContain('unhid paper 2611.00301');
    expect(await hiddenAt('2611.00301')).toBeNull();

    expect((await cli('moderate', 'hide-listing', '2026-11-18', '2611.00302')).code).toBe(0);
    expect(await lastAudit()).toMatchObject({ actor_label: ME, action: 'hide-listing', target_id: '2026-11-18/2611.00302' });

    const unknown = await cli('moderate', 'hide-paper', '2612.00001');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('moderate: no paper 2612.00001');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    expect((await cli('moderate', 'hide-comment', '12345')).stderr).toContain('no comment 12345');
  });

  it('bans and unbans, lists reports and the audit log', async () => {
    const ban = await cli('moderate', 'ban', user.username, '--reason', 'abuse');
    expect(ban.stdout).toContain(`banned ${user.username}`);
    expect(await db.kysely.selectFrom('sessions').select('token_hash').where('user_id', '=', user.id).execute()).toEqual([]);
    expect(await lastAudit()).toMatchObject({ actor_label: ME, action: 'ban-user', detail: 'abuse' });
    expect((await cli('moderate', 'unban', user.username)).stdout).toContain(`unbanned ${user.username}`);

    await db.kysely
      .insertInto('reports')
      .values({ reporter_id: user.id, target_type: 'paper', target_id: '2611.00302', reason: 'off-topic', created_at: new Date().toISOString(), resolved_at: null, resolved_by: null, resolution: null })
      .execute();
    const reports = await cli('moderate', 'reports');
    expect(reports.stdout).toMatch(/paper 2611\.00302 +by .*off-topic/);

    const audit = await cli('moderate', 'audit', '--limit', '2');
    const lines = audit.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('unban-user');
    expect((await cli('moderate', 'audit', '--limit', 'many')).code).toBe(1);
  });

  it('creates organizations, adds members and assigns papers', async () => {
    expect((await cli('org', 'create', 'acme', 'ACME Labs')).stdout).toContain('org: created acme');
    expect((await cli('org', 'create', 'acme', 'Again')).stderr).toContain('exists already');
    expect((await cli('org', 'add-member', 'acme', user.username, '--role', 'admin')).code).toBe(0);
    expect((await cli('org', 'add-member', 'acme', user.username, '--role', 'owner')).code).toBe(1);
    expect((await cli('org', 'set-paper', '2611.00301', 'acme')).stdout).toContain('belongs to acme');
    const org = await db.kysely.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow();
    const member = await db.kysely.selectFrom('organization_members').selectAll().where('organization_id', '=', org.id).executeTakeFirstOrThrow();
    expect(member).toMatchObject({ user_id: user.id, role: 'admin' });
    expect((await db.kysely.selectFrom('papers').select('organization_id').where('id', '=', '2611.00301').executeTakeFirstOrThrow()).organization_id).toBe(org.id);
    const actions = await db.kysely.selectFrom('audit_log').select('action').where('actor_label', '=', ME).where('target_type', 'in', ['organization', 'paper']).execute();
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['create-organization', 'add-member', 'set-organization']));
  });
});
