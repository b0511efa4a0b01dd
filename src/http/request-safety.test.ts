import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from '../../test/helpers.ts';
import { signedInUser } from '../../test/community.ts';
import { importDemoData } from '../ingest/seed.ts';
import { hit } from './rate-limit.ts';
import type { Db } from '../db/database.ts';

let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('authentication and request safety', () => {
  it('shares cached pages only with anonymous readers', async () => {
    const t = await testApp();
    db = t.db;
    await importDemoData(t.db);
    const user = await signedInUser(t.db);
    const anonymous = await t.app.request('/papers');
    expect(anonymous.headers.get('ETag')).toBeTruthy();
    const signedIn = await t.app.request('/papers', { headers: { Cookie: user.cookie } });
    expect(signedIn.status).toBe(200);
    // The reader's own copy: a tag of its own (one), never the shared one, and kept private.
    const tag = signedIn.headers.get('ETag');
    expect(tag).toMatch(/^W\/"[^",]+"$/);
    expect(tag).not.toBe(anonymous.headers.get('ETag'));
    expect(signedIn.headers.get('Cache-Control')).toBe('private, no-cache');
    expect(signedIn.headers.get('Vary')).toContain('Cookie');
    expect(await signedIn.text()).toContain(`/users/${user.username}`);
    // The anonymous copy is still the anonymous one.
    const again = await t.app.request('/papers');
    expect(await again.text()).not.toContain(`/users/${user.username}`);
  });

  it('treats a revoked or unknown session cookie as anonymous, and refuses a bad API token', async () => {
    const t = await testApp();
    db = t.db;
    const user = await signedInUser(t.db);
    await t.db.kysely.deleteFrom('sessions').where('user_id', '=', user.id).execute();
    const page = await t.app.request('/papers', { headers: { Cookie: user.cookie } });
    expect(await page.text()).toContain('Sign in');
    const api = await t.app.request('/api/daily_papers', { headers: { Authorization: 'Bearer dp_not-a-token' } });
    expect(api.status).toBe(401);
    expect(api.headers.get('WWW-Authenticate')).toBe('Bearer');
    const ok = await t.app.request('/api/daily_papers', { headers: { Authorization: `Bearer ${user.token}` } });
    expect(ok.status).toBe(200);
    await t.db.kysely.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).execute();
    expect((await t.app.request('/api/daily_papers', { headers: { Authorization: `Bearer ${user.token}` } })).status).toBe(401);
  });

  it('refuses cross-site and tokenless form posts before any handler runs', async () => {
    const t = await testApp();
    db = t.db;
    const user = await signedInUser(t.db);
    const form = (headers: Record<string, string>, body: string) =>
      t.app.request('/signout', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: user.cookie, ...headers }, body });
    expect((await form({ Origin: 'https://evil.example' }, `_csrf=${user.csrf}`)).status).toBe(403);
    expect((await form({ 'Sec-Fetch-Site': 'cross-site' }, `_csrf=${user.csrf}`)).status).toBe(403);
    expect((await form({ Origin: 'http://localhost' }, '')).status).toBe(403);
    expect((await form({ Origin: 'http://localhost' }, '_csrf=forged')).status).toBe(403);
    // The session survived every refused attempt.
    expect(await t.db.kysely.selectFrom('sessions').select('user_id').where('user_id', '=', user.id).executeTakeFirst()).toBeTruthy();
  });

  it('refuses oversized bodies with 413', async () => {
    const t = await testApp();
    db = t.db;
    const res = await t.app.request('/api/daily_papers', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(200_000) },
      body: JSON.stringify({ pad: 'x'.repeat(200_000 - 12) }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/larger than/);
  });

  it('counts requests per key in fixed windows shared through the database', async () => {
    const t = await testApp();
    db = t.db;
    const at = new Date('2026-11-26T10:00:30Z');
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await hit(t.db.kysely, 'vote:u:1', 3, 60, at));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3]!.retryAfter).toBe(30);
    expect((await hit(t.db.kysely, 'vote:u:2', 3, 60, at)).allowed).toBe(true);
    // A new window starts over.
    expect((await hit(t.db.kysely, 'vote:u:1', 3, 60, new Date('2026-11-26T10:01:00Z'))).allowed).toBe(true);
  });

  it('answers broken input with a 4xx, never a 500', async () => {
    const t = await testApp();
    db = t.db;
    await importDemoData(t.db);
    const user = await signedInUser(t.db);
    const paper = (await t.db.kysely.selectFrom('papers').select('id').executeTakeFirstOrThrow()).id;
    // A multipart body that does not parse.
    const broken = await t.app.request(`/papers/${paper}/upvote`, {
      method: 'POST',
      headers: { Cookie: user.cookie, Origin: 'http://localhost', 'X-CSRF-Token': user.csrf, 'Content-Type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nbroken',
    });
    expect(broken.status).toBe(400);
    // An id past what an integer column holds.
    const huge = await t.app.request('/settings/tokens/99999999999/revoke', {
      method: 'POST',
      headers: { Cookie: user.cookie, Origin: 'http://localhost', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${user.csrf}`,
    });
    expect(huge.status).toBeLessThan(500);
    // An anonymous form post with a Referer that is not a URL goes to sign-in, back to the front page.
    const anonymous = await t.app.request(`/papers/${paper}/upvote`, {
      method: 'POST',
      headers: { Origin: 'http://localhost', Referer: 'not a url', Cookie: 'dp_csrf=' + 'a'.repeat(43), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${'a'.repeat(43)}`,
    });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('Location')).toBe('/signin?next=%2Fpapers');
  });

  it('leaves other Authorization schemes alone, and never lets an API token moderate', async () => {
    const t = await testApp();
    db = t.db;
    const basic = await t.app.request('/papers', { headers: { Authorization: 'Basic c3RhZ2luZzpzZWNyZXQ=' } });
    expect(basic.status).not.toBe(401);
    const admin = await signedInUser(t.db, { role: 'admin' });
    const victim = await signedInUser(t.db);
    const viaToken = await t.app.request('/admin/users/role', {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin.token}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `username=${victim.username}&role=moderator`,
    });
    expect(viaToken.status).toBe(403);
    expect((await t.app.request('/admin', { headers: { Authorization: `Bearer ${admin.token}` } })).status).toBe(403);
    const role = await t.db.kysely.selectFrom('users').select('role').where('id', '=', victim.id).executeTakeFirstOrThrow();
    expect(role.role).toBe('user');
  });
});
