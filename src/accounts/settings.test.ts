import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { importDemoData } from '../ingest/seed.ts';
import { testApp } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { CookieClient } from '../../test/cookie-client.ts';

let db: Db;
let app: Hono<AppEnv>;
let paperId: string;

beforeAll(async () => {
  ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '100' }));
  await importDemoData(db);
  paperId = (await db.kysely.selectFrom('papers').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
});
afterAll(() => db.close());

/** A browser signed in as `user` (its session cookie), having loaded /settings. */
async function settingsOf(user: TestUser) {
  const browser = new CookieClient(app);
  const [name, value] = user.cookie.split('=');
  browser.cookies.set(name!, value!);
  const page = await browser.get('/settings');
  expect(page.res.status).toBe(200);
  return { browser, page };
}

const bearer = (token: string, init: RequestInit = {}) => ({ ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });

describe('settings', () => {
  it('needs a signed-in browser', async () => {
    const res = await app.request('/settings');
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/signin?next=%2Fsettings');
    const user = await signedInUser(db);
    expect((await app.request('/settings', bearer(user.token))).status).toBe(403);
  });

  it('saves the full name and bio, with errors next to the field', async () => {
    const user = await signedInUser(db);
    const { browser } = await settingsOf(user);
    const saved = await browser.post('/settings/profile', { fullname: 'Grace Hopper', bio: 'Compilers.\nCOBOL.' });
    expect(saved.res.status).toBe(303);
    const page = await browser.get('/settings?done=profile');
    expect(page.html).toContain('Profile saved.');
    expect(page.html).toContain('value="Grace Hopper"');
    const tooLong = await browser.post('/settings/profile', { fullname: 'x'.repeat(101), bio: '' });
    expect(tooLong.res.status).toBe(422);
    expect(tooLong.html).toMatch(/id="fullname-error"[^>]*>a name has at most 100 characters/);
  });

  it('sets a password, then changes it only with the current one, signing out other browsers', async () => {
    const user = await signedInUser(db);
    const { browser, page } = await settingsOf(user);
    expect(page.html).toContain('Set a password');
    expect(page.html).toContain('autocomplete="new-password"');
    expect((await browser.post('/settings/password', { password: 'short' })).res.status).toBe(422);
    expect((await browser.post('/settings/password', { password: 'first password!' })).res.status).toBe(303);

    const other = new CookieClient(app);
    await other.get('/signin');
    expect((await other.post('/signin', { email: `${user.username}@example.org`, password: 'first password!' })).res.status).toBe(303);

    const again = await browser.get('/settings');
    expect(again.html).toContain('Change password');
    expect(again.html).toContain('autocomplete="current-password"');
    const wrong = await browser.post('/settings/password', { current: 'not it at all', password: 'second password!' });
    expect(wrong.res.status).toBe(403);
    expect(wrong.html).toContain('that is not your current password');
    expect((await browser.post('/settings/password', { current: 'first password!', password: 'second password!' })).res.status).toBe(303);
    expect((await browser.get('/settings')).res.status).toBe(200);
    expect((await other.get('/settings')).res.status).toBe(303);
  });
});

describe('personal API tokens', () => {
  it('are shown once, stored hashed, limited by scope, and dead once revoked', async () => {
    const user = await signedInUser(db);
    const { browser } = await settingsOf(user);
    const created = await browser.post('/settings/tokens', { name: 'reader script', scopes: 'read' });
    expect(created.res.status).toBe(201);
    const readToken = /value="(dp_[\w-]{43})"/.exec(created.html)![1]!;
    expect(created.html).toContain('not shown again');
    const stored = await db.kysely.selectFrom('api_tokens').select('token_hash').where('name', '=', 'reader script').executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(readToken);
    expect((await browser.get('/settings')).html).not.toContain(readToken);

    // Reading works; writing needs the write scope.
    const me = await app.request(`/api/users/${user.username}`, bearer(readToken));
    expect(me.status).toBe(200);
    expect(((await me.json()) as { name: string }).name).toBe(user.username);
    const vote = await app.request(`/api/papers/${paperId}/upvote`, bearer(readToken, { method: 'POST' }));
    expect(vote.status).toBe(403);
    expect(await db.kysely.selectFrom('upvotes').select('paper_id').where('user_id', '=', user.id).execute()).toEqual([]);

    const writer = await browser.post('/settings/tokens', { name: 'voter', scopes: 'read write' });
    const writeToken = /value="(dp_[\w-]{43})"/.exec(writer.html)![1]!;
    expect((await app.request(`/api/papers/${paperId}/upvote`, bearer(writeToken, { method: 'POST' }))).status).toBe(200);

    // Revoked: the token no longer authenticates anything.
    const list = await browser.get('/settings');
    expect(list.html).toContain('reader script');
    const id = (await db.kysely.selectFrom('api_tokens').select('id').where('name', '=', 'reader script').executeTakeFirstOrThrow()).id;
    expect((await browser.post(`/settings/tokens/${id}/revoke`, {})).res.status).toBe(303);
    expect((await app.request(`/api/users/${user.username}`, bearer(readToken))).status).toBe(401);
    expect((await browser.get('/settings')).html).not.toContain('reader script');

    // Someone else's token is not found; nonsense is not an id.
    const stranger = await signedInUser(db);
    const { browser: theirs } = await settingsOf(stranger);
    const writerId = (await db.kysely.selectFrom('api_tokens').select('id').where('name', '=', 'voter').executeTakeFirstOrThrow()).id;
    expect((await theirs.post(`/settings/tokens/${writerId}/revoke`, {})).res.status).toBe(404);
    expect((await theirs.post('/settings/tokens/nope/revoke', {})).res.status).toBe(400);
    expect((await app.request(`/api/papers/${paperId}/upvote`, bearer(writeToken, { method: 'DELETE' }))).status).toBe(200);
  });

  it('cannot manage tokens or sessions with a token', async () => {
    const user = await signedInUser(db);
    const res = await app.request('/settings/tokens', bearer(user.token, { method: 'POST', body: new URLSearchParams({ name: 'sneaky', scopes: 'read write' }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));
    expect(res.status).toBe(403);
    const { browser } = await settingsOf(user);
    const bad = await browser.post('/settings/tokens', { name: '', scopes: 'admin' });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('name the token');
  });
});

describe('settings rate limits', () => {
  it('limits profile saves and token creation per user (429 with Retry-After), with nothing written', async () => {
    // Scaled by 0.05: two profile saves (of 30) and one token (of 20) per hour.
    const limited = await testApp({ RATE_LIMIT_SCALE: '0.05' });
    try {
      const user = await signedInUser(limited.db);
      const browser = new CookieClient(limited.app);
      const [name, value] = user.cookie.split('=');
      browser.cookies.set(name!, value!);
      await browser.get('/settings');
      expect((await browser.post('/settings/profile', { fullname: 'One', bio: '' })).res.status).toBe(303);
      // The API token counts against the same user.
      const api = await limited.app.request('/settings/profile', bearer(user.token, { method: 'POST', body: new URLSearchParams({ fullname: 'Two', bio: '' }), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }));
      expect(api.status).toBe(303);
      const third = await browser.post('/settings/profile', { fullname: 'Three', bio: '' });
      expect(third.res.status).toBe(429);
      expect(Number(third.res.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect((await limited.db.kysely.selectFrom('users').select('fullname').where('id', '=', user.id).executeTakeFirstOrThrow()).fullname).toBe('Two');

      expect((await browser.post('/settings/tokens', { name: 'first', scopes: 'read' })).res.status).toBe(201);
      expect((await browser.post('/settings/tokens', { name: 'second', scopes: 'read' })).res.status).toBe(429);
      const names = await limited.db.kysely.selectFrom('api_tokens').select('name').where('user_id', '=', user.id).orderBy('id').execute();
      expect(names.map((n) => n.name)).toEqual(['test', 'first']);
    } finally {
      await limited.db.close();
    }
  });
});
