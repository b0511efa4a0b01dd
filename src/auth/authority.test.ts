import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { safeRedirect } from '../http/redirects.ts';

// Who may do what: staff powers need a browser session, ban rules hold both ways, tokens end with
// "sign out everywhere", and no redirect leaves the site (issue 13, "Accounts and authority").

const PAPER = '2611.07001';

describe('authority', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let mod: TestUser;
  let admin: TestUser;
  let writer: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importHfItems(
      db,
      [{ paper: { id: PAPER, title: 'Authority paper', summary: 'About who may do what.', publishedAt: '2026-11-10T00:00:00.000Z', upvotes: 1, authors: [{ _id: 'a1', name: 'Ada Author', hidden: false }] }, publishedAt: '2026-11-18T09:00:00.000Z', title: 'Authority paper', numComments: 0 }],
      '2026-11-18',
      'authority',
    );
    mod = await signedInUser(db, { role: 'moderator' });
    admin = await signedInUser(db, { role: 'admin' });
    writer = await signedInUser(db);
  });
  afterAll(() => db.close());

  const post = (path: string, user: TestUser, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { ...formHeaders(user), ...headers }, body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const bearer = (user: TestUser) => ({ Authorization: `Bearer ${user.token}` });
  const newComment = async (user: TestUser, text: string): Promise<number> => {
    const res = await app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers: { ...bearer(user), 'Content-Type': 'application/json' }, body: JSON.stringify({ comment: text }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };
  const audit = (action: string, targetId: string) => db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).where('target_id', '=', targetId).execute();

  it("a moderator's API token cannot delete someone else's comment; the moderator's browser session can", async () => {
    const id = await newComment(writer, 'A comment to keep.');
    const byToken = await app.request(`/api/comments/${id}`, { method: 'DELETE', headers: bearer(mod) });
    expect(byToken.status).toBe(403);
    expect(await audit('delete-comment', String(id))).toHaveLength(0);
    const row = await db.kysely.selectFrom('comments').select('deleted_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.deleted_at).toBeNull();

    // An admin's token has no more power than a moderator's.
    expect((await app.request(`/api/comments/${id}`, { method: 'DELETE', headers: bearer(admin) })).status).toBe(403);

    // The same moderator, signed in in a browser, may.
    const bySession = await post(`/comments/${id}/delete`, mod, {});
    expect(bySession.status).toBe(303);
    expect(await audit('delete-comment', String(id))).toHaveLength(1);
  });

  it('a token deletes its own comment as before', async () => {
    const id = await newComment(writer, 'Mine to delete.');
    expect((await app.request(`/api/comments/${id}`, { method: 'DELETE', headers: bearer(writer) })).status).toBe(204);
  });

  it('a moderator cannot lift a ban an admin put on another moderator; an admin can', async () => {
    const other = await signedInUser(db, { role: 'moderator' });
    expect((await post('/admin/users/ban', admin, { username: other.username, reason: 'abuse' })).status).toBe(303);
    const lift = await post('/admin/users/unban', mod, { username: other.username, reason: 'friend' });
    expect(lift.status).toBe(403);
    expect((await db.kysely.selectFrom('users').select('banned_at').where('id', '=', other.id).executeTakeFirstOrThrow()).banned_at).not.toBeNull();
    expect(await audit('unban-user', other.username)).toHaveLength(0);
    expect((await post('/admin/users/unban', admin, { username: other.username })).status).toBe(303);
    expect((await db.kysely.selectFrom('users').select('banned_at').where('id', '=', other.id).executeTakeFirstOrThrow()).banned_at).toBeNull();
  });

  it('a moderator still bans and unbans an ordinary user', async () => {
    const user = await signedInUser(db);
    expect((await post('/admin/users/ban', mod, { username: user.username })).status).toBe(303);
    expect((await post('/admin/users/unban', mod, { username: user.username })).status).toBe(303);
    expect((await db.kysely.selectFrom('users').select('banned_at').where('id', '=', user.id).executeTakeFirstOrThrow()).banned_at).toBeNull();
  });

  const tokenWorks = async (user: TestUser) => (await app.request(`/api/papers/${PAPER}/comments`, { headers: bearer(user) })).status !== 401;

  it('"sign out everywhere" revokes API tokens too, unless the box is unticked', async () => {
    const user = await signedInUser(db);
    expect(await tokenWorks(user)).toBe(true);
    const settings = await (await app.request('/settings', { headers: { Cookie: user.cookie } })).text();
    expect(settings).toMatch(/<input type="checkbox" name="revoke_tokens" value="1" checked/);
    // The token list shows each token's last use.
    expect(settings).toMatch(/last used \w+/);
    // The form as the page sends it, box ticked.
    expect((await post('/settings/sessions/end-all', user, { tokens_choice: '1', revoke_tokens: '1' })).status).toBe(303);
    expect(await tokenWorks(user)).toBe(false);

    const keeper = await signedInUser(db);
    expect((await post('/settings/sessions/end-all', keeper, { tokens_choice: '1' })).status).toBe(303);
    expect(await tokenWorks(keeper)).toBe(true);
    expect((await app.request('/settings', { headers: { Cookie: keeper.cookie } })).status).not.toBe(200);
  });

  it('a new password revokes API tokens too, unless the box is unticked', async () => {
    const user = await signedInUser(db, { password: 'the first password' });
    const res = await post('/settings/password', user, { current: 'the first password', password: 'the second password', tokens_choice: '1', revoke_tokens: '1' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/settings?done=password-tokens');
    expect(await tokenWorks(user)).toBe(false);

    const keeper = await signedInUser(db, { password: 'the first password' });
    expect((await post('/settings/password', keeper, { current: 'the first password', password: 'the second password', tokens_choice: '1' })).status).toBe(303);
    expect(await tokenWorks(keeper)).toBe(true);
  });

  it('the upvote form goes back only to a page of this site, whatever the Referer says', async () => {
    const vote = (referer: string) => post(`/papers/${PAPER}/upvote`, writer, { action: 'up' }, { Referer: referer });
    for (const referer of ['http://localhost//evil.example/x', 'http://localhost/\\evil.example/x', 'http://evil.example/papers', 'http://localhost/%0d%0aSet-Cookie:x']) {
      const res = await vote(referer);
      expect(res.status, referer).toBe(303);
      const location = res.headers.get('Location')!;
      expect(location.startsWith('/') && !location.startsWith('//') && !location.includes('\\'), `${referer} → ${location}`).toBe(true);
      expect(new URL(location, 'http://localhost').origin).toBe('http://localhost');
    }
    expect((await vote('http://localhost/papers/trending?x=1')).headers.get('Location')).toBe('/papers/trending?x=1');
  });

  it('sending a signed-out reader to sign in keeps only a same-site path', async () => {
    const res = await app.request('//evil.example/x/upvote', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', Referer: 'http://localhost//evil.example/x' } });
    const location = res.headers.get('Location') ?? '';
    expect(decodeURIComponent(location)).not.toContain('//evil.example');
  });
});

describe('safeRedirect', () => {
  it('keeps paths on this site and refuses everything else', () => {
    for (const ok of ['/papers', '/papers/2401.01234#discussion', '/search?q=a%20b']) expect(safeRedirect(ok)).toBe(ok);
    for (const bad of ['//evil.example', '/\\evil.example', '/x\\y', 'https://evil.example/', 'papers', '/a\tb', '/a\nb', '/a\u0000', '/ü', '', null, undefined]) {
      expect(safeRedirect(bad), String(bad)).toBeUndefined();
    }
  });
});
