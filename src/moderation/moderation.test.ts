import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { refreshCommentCount } from '../comments/queries.ts';
import { contentVersion } from '../db/content-version.ts';
import { resolveReport } from './queries.ts';
import { createReport } from '../audit/reports.ts';

const item = (id: string, title: string, day: string, upvotes = 5) => ({
  paper: { id, title, summary: `Abstract of ${title}.`, publishedAt: '2026-11-10T00:00:00.000Z', upvotes, authors: [{ _id: `a-${id}`, name: 'Ada Author', hidden: false }, { _id: `b-${id}`, name: 'Bob Writer', hidden: false }] },
  publishedAt: `${day}T09:00:00.000Z`,
  title,
  numComments: 0,
});

/** Two days: Alpha is featured on both, Beta on the first, Gamma on the second. */
async function seed(db: Db) {
  await importHfItems(db, [item('2611.00001', 'Alpha paper', '2026-11-18', 9), item('2611.00002', 'Beta paper', '2026-11-18', 3)], '2026-11-18', 'day1');
  await importHfItems(db, [item('2611.00001', 'Alpha paper', '2026-11-19', 9), item('2611.00003', 'Gamma paper', '2026-11-19', 4)], '2026-11-19', 'day2');
}

describe('moderation', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let mod: TestUser;
  let admin: TestUser;
  let reader: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await seed(db);
    mod = await signedInUser(db, { role: 'moderator' });
    admin = await signedInUser(db, { role: 'admin' });
    reader = await signedInUser(db);
  });
  afterAll(() => db.close());

  const get = async (path: string, user?: TestUser) => {
    const res = await app.request(path, { headers: user ? { Cookie: user.cookie } : {} });
    return { status: res.status, html: await res.text(), res };
  };
  const post = (path: string, user: TestUser, fields: Record<string, string>) =>
    app.request(path, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const auditRows = (action: string, targetId?: string) => {
    let q = db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action);
    if (targetId) q = q.where('target_id', '=', targetId);
    return q.execute();
  };

  it('hiding a paper removes it from the day, the API and its page; unhiding brings it back', async () => {
    // Cached anonymous copies exist before the change.
    expect((await get('/papers/date/2026-11-18')).html).toContain('Beta paper');
    expect((await get('/api/daily_papers?date=2026-11-18')).html).toContain('Beta paper');

    const res = await post('/admin/papers/hide', mod, { paper: '2611.00002', reason: 'spam <b>bold</b>' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toMatch(/^\/admin\?notice=/);

    const day = await get('/papers/date/2026-11-18');
    expect(day.html).not.toContain('Beta paper');
    expect(day.html).toContain('Alpha paper');
    expect((await get('/api/daily_papers?date=2026-11-18')).html).not.toContain('Beta paper');
    expect((await get('/api/daily_papers')).html).not.toContain('Beta paper');
    const api = await get('/api/papers/2611.00002');
    expect(api.status).toBe(410);
    expect(JSON.parse(api.html)).toEqual({ error: 'paper 2611.00002 was removed by moderators' });
    const page = await get('/papers/2611.00002');
    expect(page.status).toBe(410);
    expect(page.html).toContain('Removed by moderators');
    expect((await get('/papers/2611.00002.md')).status).toBe(410);

    const rows = await auditRows('hide-paper', '2611.00002');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: mod.id, target_type: 'paper', detail: 'spam <b>bold</b>' });

    // Moderators still reach it, and the reason is shown escaped.
    const adminPage = await get('/admin', mod);
    expect(adminPage.html).toContain('2611.00002');
    expect(adminPage.html).toContain('spam &lt;b&gt;bold&lt;/b&gt;');

    expect((await post('/admin/papers/unhide', mod, { paper: '2611.00002' })).status).toBe(303);
    expect((await get('/papers/date/2026-11-18')).html).toContain('Beta paper');
    expect((await get('/api/papers/2611.00002')).status).toBe(200);
    expect((await get('/papers/2611.00002')).status).toBe(200);
    expect(await auditRows('unhide-paper', '2611.00002')).toHaveLength(1);

    // Doing it again changes nothing and records nothing.
    await post('/admin/papers/unhide', mod, { paper: '2611.00002' });
    expect(await auditRows('unhide-paper', '2611.00002')).toHaveLength(1);
  });

  it('a day whose only papers are hidden is skipped', async () => {
    await post('/admin/papers/hide', mod, { paper: '2611.00003' });
    await post('/admin/listings/hide', mod, { day: '2026-11-19', paper: '2611.00001' });
    const latest = await get('/papers');
    expect(latest.html).toContain('Wednesday, November 18, 2026');
    await post('/admin/papers/unhide', mod, { paper: '2611.00003' });
    await post('/admin/listings/unhide', mod, { day: '2026-11-19', paper: '2611.00001' });
    expect((await get('/papers')).html).toContain('Thursday, November 19, 2026');
  });

  it('hiding a listing only takes the paper off that day', async () => {
    const res = await post('/admin/listings/hide', mod, { day: '2026-11-18', paper: '2611.00001', reason: 'duplicate' });
    expect(res.status).toBe(303);
    expect((await get('/papers/date/2026-11-18')).html).not.toContain('Alpha paper');
    expect((await get('/papers/date/2026-11-19')).html).toContain('Alpha paper');
    expect((await get('/api/daily_papers?date=2026-11-18')).html).not.toContain('Alpha paper');
    const page = await get('/papers/2611.00001');
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('href="/papers/date/2026-11-18"');
    expect(await auditRows('hide-listing', '2026-11-18/2611.00001')).toHaveLength(1);
    await post('/admin/listings/unhide', mod, { day: '2026-11-18', paper: '2611.00001' });
    expect((await get('/papers/date/2026-11-18')).html).toContain('Alpha paper');
    // An unknown listing is a 404, not a 500.
    expect((await post('/admin/listings/hide', mod, { day: '2026-11-20', paper: '2611.00001' })).status).toBe(404);
  });

  it('hiding a comment keeps its body from readers and recounts the paper', async () => {
    const now = new Date().toISOString();
    const { id } = await db.kysely
      .insertInto('comments')
      .values({ paper_id: '2611.00003', user_id: reader.id, parent_id: null, body: 'Buy cheap pills at spam.example', created_at: now, edited_at: null, deleted_at: null, hidden_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.kysely.transaction().execute((trx) => refreshCommentCount(trx, '2611.00003'));
    const count = async () => (await db.kysely.selectFrom('papers').select('comments').where('id', '=', '2611.00003').executeTakeFirstOrThrow()).comments;
    expect(await count()).toBe(1);
    expect((await get('/papers/2611.00003', reader)).html).toContain('cheap pills');

    expect((await post('/admin/comments/hide', mod, { comment: String(id), reason: 'spam' })).status).toBe(303);
    expect(await count()).toBe(0);
    expect((await get('/papers/2611.00003')).html).not.toContain('cheap pills');
    expect((await get('/papers/2611.00003', reader)).html).not.toContain('cheap pills');
    expect(await auditRows('hide-comment', String(id))).toHaveLength(1);
    // Moderators see it among hidden things, escaped.
    expect((await get('/admin', mod)).html).toContain('Buy cheap pills');

    await post('/admin/comments/unhide', mod, { comment: String(id) });
    expect(await count()).toBe(1);
    expect((await post('/admin/comments/hide', mod, { comment: 'abc' })).status).toBe(400);
    expect((await post('/admin/comments/hide', mod, { comment: '999999' })).status).toBe(404);
  });

  it('banning signs the user out everywhere, revokes their tokens, and they cannot post', async () => {
    const bad = await signedInUser(db);
    expect((await app.request('/api/daily_papers', { headers: { Authorization: `Bearer ${bad.token}` } })).status).toBe(200);

    const res = await post('/admin/users/ban', mod, { username: bad.username, reason: 'harassment' });
    expect(res.status).toBe(303);
    expect(await db.kysely.selectFrom('sessions').select('token_hash').where('user_id', '=', bad.id).execute()).toEqual([]);
    expect((await app.request('/api/daily_papers', { headers: { Authorization: `Bearer ${bad.token}` } })).status).toBe(401);
    const attempt = await post('/papers/2611.00001/report', bad, { reason: 'trying to post' });
    expect([303, 401, 403]).toContain(attempt.status);
    expect(await db.kysely.selectFrom('reports').select('id').where('reporter_id', '=', bad.id).execute()).toEqual([]);
    const rows = await auditRows('ban-user', bad.username);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toBe('harassment');

    // Moderators cannot ban staff, nor themselves; admins can.
    expect((await post('/admin/users/ban', mod, { username: admin.username })).status).toBe(403);
    expect((await post('/admin/users/ban', mod, { username: mod.username })).status).toBe(409);
    expect((await post('/admin/users/ban', mod, { username: 'nobody-here' })).status).toBe(404);

    expect((await post('/admin/users/unban', mod, { username: bad.username })).status).toBe(303);
    const user = await db.kysely.selectFrom('users').select('banned_at').where('id', '=', bad.id).executeTakeFirstOrThrow();
    expect(user.banned_at).toBeNull();
    expect(await auditRows('unban-user', bad.username)).toHaveLength(1);
  });

  it('reports: filed by readers, queued for moderators escaped, resolved and audited', async () => {
    const res = await post('/papers/2611.00002/report', reader, { reason: '<script>alert(1)</script> not a paper' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/papers/2611.00002#report-sent');
    // A second report by the same reader is the same report.
    await post('/papers/2611.00002/report', reader, { reason: 'again' });
    const reports = await db.kysely.selectFrom('reports').selectAll().where('target_id', '=', '2611.00002').execute();
    expect(reports).toHaveLength(1);
    expect((await post('/papers/2611.00002/report', reader, { reason: '' })).status).toBe(400);
    expect((await post('/papers/2612.99999/report', reader, { reason: 'unknown paper' })).status).toBe(404);

    const queue = await get('/admin', mod);
    expect(queue.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; not a paper');
    expect(queue.html).not.toContain('<script>alert(1)');
    expect(queue.html).toContain(`/admin/reports/${reports[0]!.id}/resolve`);

    // Hide the reported paper through the report.
    expect((await post(`/admin/reports/${reports[0]!.id}/resolve`, mod, { resolution: 'hide', note: 'off-topic' })).status).toBe(303);
    expect((await get('/papers/2611.00002')).status).toBe(410);
    const resolved = await db.kysely.selectFrom('reports').selectAll().where('id', '=', reports[0]!.id).executeTakeFirstOrThrow();
    expect(resolved).toMatchObject({ resolution: 'hide', resolved_by: mod.id });
    expect(await auditRows('resolve-report', String(reports[0]!.id))).toHaveLength(1);
    expect((await auditRows('hide-paper', '2611.00002')).length).toBeGreaterThanOrEqual(2);
    expect((await post(`/admin/reports/${reports[0]!.id}/resolve`, mod, { resolution: 'dismiss' })).status).toBe(409);
    await post('/admin/papers/unhide', mod, { paper: '2611.00002' });

    // A comment's report resolved by banning its author.
    const author = await signedInUser(db);
    const { id: commentId } = await db.kysely
      .insertInto('comments')
      .values({ paper_id: '2611.00001', user_id: author.id, parent_id: null, body: 'rude words', created_at: new Date().toISOString(), edited_at: null, deleted_at: null, hidden_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id: reportId } = await db.kysely
      .insertInto('reports')
      .values({ reporter_id: reader.id, target_type: 'comment', target_id: String(commentId), reason: 'rude', created_at: new Date().toISOString(), resolved_at: null, resolved_by: null, resolution: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await get('/admin', mod)).html).toContain('rude words');
    expect((await post(`/admin/reports/${reportId}/resolve`, mod, { resolution: 'ban' })).status).toBe(303);
    expect((await db.kysely.selectFrom('users').select('banned_at').where('id', '=', author.id).executeTakeFirstOrThrow()).banned_at).not.toBeNull();
    expect(await auditRows('ban-user', author.username)).toHaveLength(1);

    // Dismissed.
    await post('/papers/2611.00003/report', reader, { reason: 'meh' });
    const open = await db.kysely.selectFrom('reports').select('id').where('resolved_at', 'is', null).execute();
    expect(open).toHaveLength(1);
    expect((await post(`/admin/reports/${open[0]!.id}/resolve`, mod, { resolution: 'dismiss' })).status).toBe(303);
    expect((await get('/papers/2611.00003')).status).toBe(200);
    expect((await get('/admin', mod)).html).toContain('No open reports.');
    // A paper has no author to ban.
    await post('/papers/2611.00003/report', admin, { reason: 'meh again' });
    const last = await db.kysely.selectFrom('reports').select('id').where('resolved_at', 'is', null).executeTakeFirstOrThrow();
    expect((await post(`/admin/reports/${last.id}/resolve`, mod, { resolution: 'ban' })).status).toBe(422);
    expect((await post(`/admin/reports/${last.id}/resolve`, mod, { resolution: 'explode' })).status).toBe(400);
  });

  it('only moderators reach /admin and its forms; only admins change roles', async () => {
    expect((await get('/admin')).status).toBe(303);
    expect((await get('/admin', reader)).status).toBe(403);
    expect((await get('/admin/audit', reader)).status).toBe(403);
    for (const path of ['/admin/papers/hide', '/admin/listings/hide', '/admin/comments/hide', '/admin/users/ban', '/admin/users/role', '/admin/reports/1/resolve', '/admin/claims/1/approve', '/admin/organizations/assign']) {
      expect((await post(path, reader, { paper: '2611.00001', username: reader.username, day: '2026-11-18', comment: '1', role: 'admin', resolution: 'dismiss' })).status, path).toBe(403);
    }
    expect((await db.kysely.selectFrom('users').select('role').where('id', '=', reader.id).executeTakeFirstOrThrow()).role).toBe('user');
    // Without the CSRF token even a moderator's form is refused.
    const forged = await app.request('/admin/papers/hide', { method: 'POST', headers: formHeaders(mod), body: new URLSearchParams({ paper: '2611.00001' }) });
    expect(forged.status).toBe(403);
    expect((await get('/papers/2611.00001')).status).toBe(200);

    expect((await post('/admin/users/role', mod, { username: reader.username, role: 'moderator' })).status).toBe(403);
    expect((await post('/admin/users/role', admin, { username: reader.username, role: 'moderator' })).status).toBe(303);
    expect((await get('/admin', reader)).status).toBe(200);
    expect(await auditRows('set-role', reader.username)).toHaveLength(1);
    expect((await post('/admin/users/role', admin, { username: reader.username, role: 'user' })).status).toBe(303);
    expect((await post('/admin/users/role', admin, { username: admin.username, role: 'user' })).status).toBe(409);
  });

  it('the audit log page lists every action, newest first, paged', async () => {
    const page = await get('/admin/audit', mod);
    expect(page.status).toBe(200);
    const total = Number((await db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(total).toBeGreaterThan(10);
    expect((page.html.match(/<tr>/g) ?? []).length - 1).toBe(Math.min(total, 100));
    expect(page.html.indexOf('set-role')).toBeLessThan(page.html.indexOf('hide-paper'));
    // Every audit row names an actor.
    expect(await db.kysely.selectFrom('audit_log').select('id').where('actor_id', 'is', null).where('actor_label', 'is', null).execute()).toEqual([]);
  });

  it('role changes and bans change cached pages (content version), and find the user in any case', async () => {
    const someone = await signedInUser(db, { username: 'MixedCase' });
    let version = await contentVersion(db.kysely);
    const bumped = async () => {
      const now = await contentVersion(db.kysely);
      const changed = now > version;
      version = now;
      return changed;
    };
    expect((await post('/admin/users/role', admin, { username: 'mixedcase', role: 'admin' })).status).toBe(303);
    expect((await db.kysely.selectFrom('users').select('role').where('id', '=', someone.id).executeTakeFirstOrThrow()).role).toBe('admin');
    expect(await bumped()).toBe(true);
    // The audit names the user as they spell themselves.
    expect(await auditRows('set-role', 'MixedCase')).toHaveLength(1);
    const again = await post('/admin/users/role', admin, { username: 'MIXEDCASE', role: 'admin' });
    expect(decodeURIComponent(again.headers.get('Location')!)).toContain('already was an admin.');
    expect(await bumped()).toBe(false);
    expect((await post('/admin/users/role', admin, { username: 'mixedcase', role: 'user' })).status).toBe(303);
    expect(await bumped()).toBe(true);

    expect((await post('/admin/users/ban', mod, { username: 'mixedCASE' })).status).toBe(303);
    expect(await bumped()).toBe(true);
    expect((await post('/admin/users/ban', mod, { username: 'mixedcase' })).status).toBe(303);
    expect(await bumped()).toBe(false);
    expect((await post('/admin/users/unban', mod, { username: 'MixedCase' })).status).toBe(303);
    expect(await bumped()).toBe(true);
  });

  it('refusals read plainly: no internal prefix, "an admin"', async () => {
    const json = { Accept: 'application/json' };
    const ban = await app.request('/admin/users/ban', { method: 'POST', headers: { ...formHeaders(mod), ...json }, body: new URLSearchParams({ _csrf: mod.csrf, username: admin.username }) });
    expect(ban.status).toBe(403);
    expect((await ban.json()).error).toBe('only admins can ban an admin');
    const unknown = await app.request('/admin/users/ban', { method: 'POST', headers: { ...formHeaders(mod), ...json }, body: new URLSearchParams({ _csrf: mod.csrf, username: 'nobody-at-all' }) });
    expect((await unknown.json()).error).toBe('no user named nobody-at-all');
  });

  it('reports a user by any case of their name, and bans them through the report', async () => {
    const target = await signedInUser(db, { username: 'Troll-Case' });
    const reportId = await createReport(db.kysely, reader.id, 'user', 'TROLL-CASE', 'spam');
    expect(await createReport(db.kysely, reader.id, 'user', 'troll-case', 'spam again')).toBe(reportId);
    expect((await db.kysely.selectFrom('reports').select('target_id').where('id', '=', reportId).executeTakeFirstOrThrow()).target_id).toBe('Troll-Case');
    await resolveReport(db.kysely, { actorId: mod.id, role: 'moderator' }, reportId, 'ban');
    expect((await db.kysely.selectFrom('users').select('banned_at').where('id', '=', target.id).executeTakeFirstOrThrow()).banned_at).not.toBeNull();
  });

  it('a hidden paper answers 410 "removed by moderators" everywhere readers reach it', async () => {
    await importHfItems(db, [item('2611.00009', 'Hidden paper', '2026-11-19')], '2026-11-19', 'hidden');
    expect((await post('/admin/papers/hide', mod, { paper: '2611.00009' })).status).toBe(303);
    const message = 'paper 2611.00009 was removed by moderators';
    const bearer = { Authorization: `Bearer ${reader.token}`, Accept: 'application/json' };
    const form = { ...bearer, 'Content-Type': 'application/x-www-form-urlencoded' };
    const answers = {
      page: await app.request('/papers/2611.00009'),
      api: await app.request('/api/papers/2611.00009'),
      comments: await app.request('/api/papers/2611.00009/comments'),
      upvote: await app.request('/api/papers/2611.00009/upvote', { method: 'POST', headers: bearer }),
      report: await app.request('/papers/2611.00009/report', { method: 'POST', headers: form, body: 'reason=spam%20again' }),
      claim: await app.request('/papers/2611.00009/claim', { method: 'POST', headers: form, body: 'position=0' }),
    };
    for (const [what, res] of Object.entries(answers)) {
      expect(res.status, what).toBe(410);
      if (what !== 'page') expect((await res.json()).error, what).toBe(message);
    }
  });
});
