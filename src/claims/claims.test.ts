import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';

const PAPER = '2611.00101';
const ITEM = {
  paper: { id: PAPER, title: 'Claimed paper', summary: 'S.', publishedAt: '2026-11-10T00:00:00.000Z', upvotes: 1, authors: [{ name: 'Ada Lovelace' }, { name: 'Bob <b>Builder</b>' }, { name: 'Cy Young' }] },
  publishedAt: '2026-11-18T09:00:00.000Z',
};

describe('authorship claims', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let mod: TestUser;
  let ada: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importHfItems(db, [ITEM], '2026-11-18', 'claims');
    mod = await signedInUser(db, { role: 'moderator' });
    ada = await signedInUser(db, { fullname: 'Ada L.' });
    bob = await signedInUser(db);
  });
  afterAll(() => db.close());

  const post = (path: string, user: TestUser, fields: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const page = async (path: string, user?: TestUser) => (await app.request(path, { headers: user ? { Cookie: user.cookie } : {} })).text();
  const claim = (user: TestUser) => db.kysely.selectFrom('authorship_claims').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();

  it('the paper page offers signed-in readers a claim form, and anonymous ones a sign-in link', async () => {
    const html = await page(`/papers/${PAPER}`, ada);
    expect(html).toContain(`action="/papers/${PAPER}/claim"`);
    expect(html).toContain('<option value="1">Bob &lt;b&gt;Builder&lt;/b&gt;</option>');
    expect(await page(`/papers/${PAPER}`)).toContain(`/signin?next=${encodeURIComponent(`/papers/${PAPER}`)}`);
  });

  it('a claim approved by a moderator makes a verified author, linked on the paper page', async () => {
    const res = await post(`/papers/${PAPER}/claim`, ada, { position: '0' });
    expect(res.status).toBe(303);
    expect((await claim(ada)).status).toBe('pending');
    // One claim per user per paper.
    expect((await post(`/papers/${PAPER}/claim`, ada, { position: '2' })).status).toBe(409);
    expect((await post(`/papers/${PAPER}/claim`, ada, { position: 'x' })).status).toBe(400);
    expect((await post(`/papers/${PAPER}/claim`, bob, { position: '7' })).status).toBe(404);
    expect((await post('/papers/2612.00001/claim', bob, { position: '0' })).status).toBe(404);

    const queue = await page('/admin', mod);
    expect(queue).toContain('Ada Lovelace');
    expect(queue).toContain(ada.username);
    const { id } = await claim(ada);
    expect((await post(`/admin/claims/${id}/approve`, mod)).status).toBe(303);

    const author = await db.kysely.selectFrom('paper_authors').select('user_id').where('paper_id', '=', PAPER).where('position', '=', 0).executeTakeFirstOrThrow();
    expect(author.user_id).toBe(ada.id);
    expect((await claim(ada)).status).toBe('approved');
    const html = await page(`/papers/${PAPER}`);
    expect(html).toMatch(new RegExp(`<a href="/users/${ada.username}" rel="author">Ada Lovelace</a><span class="verified" title="verified author"`));
    const audit = await db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'approve-claim').where('target_id', '=', String(id)).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_id).toBe(mod.id);

    // A later import of the same paper keeps the verified author.
    await importHfItems(db, [{ ...ITEM, paper: { ...ITEM.paper, upvotes: 5 } }], '2026-11-18', 'again');
    expect((await db.kysely.selectFrom('paper_authors').select('user_id').where('paper_id', '=', PAPER).where('position', '=', 0).executeTakeFirstOrThrow()).user_id).toBe(ada.id);

    // Nobody else can claim a verified author, and a decided claim stays decided.
    expect((await post(`/papers/${PAPER}/claim`, bob, { position: '0' })).status).toBe(409);
    expect((await post(`/admin/claims/${id}/reject`, mod)).status).toBe(409);
  });

  it('a rejected claim links nobody and cannot be filed again', async () => {
    expect((await post(`/papers/${PAPER}/claim`, bob, { position: '2' })).status).toBe(303);
    const { id } = await claim(bob);
    expect((await post(`/admin/claims/${id}/approve`, bob)).status).toBe(403);
    expect((await post(`/admin/claims/${id}/reject`, mod)).status).toBe(303);
    expect((await claim(bob)).status).toBe('rejected');
    const author = await db.kysely.selectFrom('paper_authors').select('user_id').where('paper_id', '=', PAPER).where('position', '=', 2).executeTakeFirstOrThrow();
    expect(author.user_id).toBeNull();
    expect(await db.kysely.selectFrom('audit_log').select('id').where('action', '=', 'reject-claim').execute()).toHaveLength(1);
    expect((await post(`/papers/${PAPER}/claim`, bob, { position: '2' })).status).toBe(409);
    expect(await page('/admin', mod)).toContain('No pending claims.');
  });

  it('claims through the API with a token answer JSON', async () => {
    const carol = await signedInUser(db);
    const res = await app.request(`/papers/${PAPER}/claim`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${carol.token}`, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'position=1',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'pending' });
  });

  it('a moderator cannot decide their own claim: another moderator does', async () => {
    const own = await signedInUser(db, { role: 'moderator' });
    expect((await post(`/papers/${PAPER}/claim`, own, { position: '2' })).status).toBe(303);
    const { id } = await claim(own);
    const refused = await app.request(`/admin/claims/${id}/approve`, { method: 'POST', headers: { ...formHeaders(own), Accept: 'application/json' }, body: new URLSearchParams({ _csrf: own.csrf }) });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toBe('you cannot decide your own claim; another moderator will');
    expect((await post(`/admin/claims/${id}/reject`, own)).status).toBe(403);
    expect((await claim(own)).status).toBe('pending');
    expect((await post(`/admin/claims/${id}/approve`, mod)).status).toBe(303);
    expect((await claim(own)).status).toBe('approved');
  });

  it('answers 410 for a hidden paper, like its page', async () => {
    const hidden = '2611.00102';
    await importHfItems(db, [{ ...ITEM, paper: { ...ITEM.paper, id: hidden } }], '2026-11-18', 'claims');
    await db.kysely.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', hidden).execute();
    const res = await app.request(`/papers/${hidden}/claim`, { method: 'POST', headers: { Authorization: `Bearer ${bob.token}`, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'position=0' });
    expect(res.status).toBe(410);
    expect((await res.json()).error).toBe(`paper ${hidden} was removed by moderators`);
  });
});

describe('claim limits', () => {
  it('count in a bucket of their own, not against reports', async () => {
    // Scaled by 0.05: one claim and one report per hour.
    const limited = await testApp({ RATE_LIMIT_SCALE: '0.05' });
    try {
      const papers = ['2611.00103', '2611.00104'];
      await importHfItems(limited.db, papers.map((id) => ({ ...ITEM, paper: { ...ITEM.paper, id } })), '2026-11-18', 'claims');
      const user = await signedInUser(limited.db);
      const send = (path: string, body: string) =>
        limited.app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${user.token}`, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }, body });
      expect((await send(`/papers/${papers[0]}/report`, 'reason=spam%20spam')).status).toBe(201);
      expect((await send(`/papers/${papers[0]}/claim`, 'position=0')).status).toBe(201);
      const second = await send(`/papers/${papers[1]}/claim`, 'position=0');
      expect(second.status).toBe(429);
      expect(Number(second.headers.get('Retry-After'))).toBeGreaterThan(0);
    } finally {
      await limited.db.close();
    }
  });
});
