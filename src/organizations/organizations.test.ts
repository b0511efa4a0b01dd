import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { addMember, createOrganization, setPaperOrganization } from './queries.ts';

const operator = { actorLabel: 'cli:test' };

const item = (id: string, title: string, upvotes: number, publishedAt: string) => ({
  paper: { id, title, summary: `About ${title}.`, publishedAt, upvotes, authors: [{ name: 'A. Person' }] },
  publishedAt: '2026-11-18T09:00:00.000Z',
});

describe('organizations', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let mod: TestUser;
  let lead: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importHfItems(
      db,
      [item('2611.00201', 'Old but loved', 50, '2026-10-01T00:00:00.000Z'), item('2611.00202', 'New and quiet', 2, '2026-11-15T00:00:00.000Z'), item('2611.00203', 'Hidden one', 99, '2026-11-01T00:00:00.000Z'), item('2611.00204', 'Elsewhere', 7, '2026-11-01T00:00:00.000Z')],
      '2026-11-18',
      'org',
    );
    mod = await signedInUser(db, { role: 'moderator' });
    lead = await signedInUser(db, { fullname: 'Lab <Lead>' });
    const member = await signedInUser(db, { fullname: 'Mem Ber' });
    await createOrganization(db.kysely, operator, 'deeplab', 'Deep <Lab> Research');
    await addMember(db.kysely, operator, 'deeplab', lead.username, 'admin');
    await addMember(db.kysely, operator, 'deeplab', member.username, 'member');
    for (const id of ['2611.00201', '2611.00202', '2611.00203']) await setPaperOrganization(db.kysely, operator, id, 'deeplab');
    await db.kysely.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', '2611.00203').execute();
  });
  afterAll(() => db.close());

  const get = async (path: string) => {
    const res = await app.request(path);
    return { status: res.status, html: await res.text(), res };
  };

  it('shows the organization, its members linked to their profiles, and its visible papers by upvotes', async () => {
    const { status, html } = await get('/organizations/deeplab');
    expect(status).toBe(200);
    expect(html).toContain('<h1>Deep &lt;Lab&gt; Research</h1>');
    expect(html).toContain(`<a href="/users/${lead.username}">Lab &lt;Lead&gt;</a>`);
    expect(html).toContain('Mem Ber');
    expect(html).toContain('2 papers');
    expect(html).not.toContain('Hidden one');
    expect(html).not.toContain('Elsewhere');
    expect(html.indexOf('Old but loved')).toBeLessThan(html.indexOf('New and quiet'));
    const newest = await get('/organizations/deeplab?sort=newest');
    expect(newest.html.indexOf('New and quiet')).toBeLessThan(newest.html.indexOf('Old but loved'));
  });

  it('an assignment survives a later import of the paper that names no organization', async () => {
    await importHfItems(db, [item('2611.00202', 'New and quiet', 3, '2026-11-15T00:00:00.000Z')], '2026-11-18', 'again');
    const paper = await db.kysely.selectFrom('papers').select(['organization_id', 'upvotes']).where('id', '=', '2611.00202').executeTakeFirstOrThrow();
    expect(paper.upvotes).toBe(3);
    expect(paper.organization_id).not.toBeNull();
  });

  it('cards link the organization to its page', async () => {
    const { html } = await get('/papers/date/2026-11-18');
    expect(html).toContain('<a class="org" href="/organizations/deeplab"');
    expect((await get('/papers/2611.00201')).html).toContain('href="/organizations/deeplab"');
  });

  it('answers JSON at /api/organizations/{name}, and 404 for unknown ones', async () => {
    const res = await app.request('/api/organizations/deeplab');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { fullname: string; numPapers: number; members: { user: string; role: string }[]; papers: { id: string }[] };
    expect(body.fullname).toBe('Deep <Lab> Research');
    expect(body.numPapers).toBe(2);
    expect(body.members).toContainEqual({ user: lead.username, fullname: 'Lab <Lead>', role: 'admin' });
    expect(body.papers.map((p) => p.id)).toEqual(['2611.00201', '2611.00202']);
    expect((await get('/organizations/nope')).status).toBe(404);
    expect((await app.request('/api/organizations/nope')).status).toBe(404);
  });

  it('moderators assign a paper from the admin page, audited; the org page follows', async () => {
    const post = (fields: Record<string, string>) =>
      app.request('/admin/organizations/assign', { method: 'POST', headers: formHeaders(mod), body: new URLSearchParams({ _csrf: mod.csrf, ...fields }) });
    expect((await post({ paper: '2611.00204', organization: 'deeplab' })).status).toBe(303);
    expect((await get('/organizations/deeplab')).html).toContain('Elsewhere');
    expect((await post({ paper: '2611.00204', organization: 'nope' })).status).toBe(404);
    expect((await post({ paper: '2611.00204', organization: '' })).status).toBe(303);
    expect((await get('/organizations/deeplab')).html).not.toContain('Elsewhere');
    const audit = await db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'set-organization').where('target_id', '=', '2611.00204').execute();
    expect(audit.map((a) => a.detail)).toEqual(['deeplab', '(none)']);
  });

  it('refuses a taken or malformed handle', async () => {
    await expect(createOrganization(db.kysely, operator, 'DeepLab', 'x')).rejects.toThrow(/exists already/);
    await expect(createOrganization(db.kysely, operator, 'bad name', 'x')).rejects.toThrow(/handle/);
  });

  it('finds organizations and users in any case, as their handles are unique regardless of case', async () => {
    const casey = await signedInUser(db, { username: 'Casey-Org' });
    await addMember(db.kysely, operator, 'DEEPLAB', 'casey-org', 'member');
    const row = await db.kysely.selectFrom('organization_members').select('role').where('user_id', '=', casey.id).executeTakeFirstOrThrow();
    expect(row.role).toBe('member');
    const audit = await db.kysely.selectFrom('audit_log').select(['target_id', 'detail']).where('action', '=', 'add-member').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit).toEqual({ target_id: 'deeplab', detail: 'Casey-Org as member' });
    await setPaperOrganization(db.kysely, operator, '2611.00204', 'DeepLab');
    expect((await db.kysely.selectFrom('papers').select('organization_id').where('id', '=', '2611.00204').executeTakeFirstOrThrow()).organization_id).not.toBeNull();
    await setPaperOrganization(db.kysely, operator, '2611.00204', null);
    expect((await get('/organizations/DeepLab')).status).toBe(200);
    await expect(addMember(db.kysely, operator, 'deeplab', 'no-such-user', 'member')).rejects.toThrow('no user named no-such-user');
  });
});
