import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { importDemoData } from '../ingest/seed.ts';
import { testApp } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';

let db: Db;
let app: Hono<AppEnv>;
let user: TestUser;
let papers: { id: string; title: string }[];

beforeAll(async () => {
  ({ db, app } = await testApp());
  await importDemoData(db);
  papers = await db.kysely.selectFrom('papers').select(['id', 'title']).orderBy('id').limit(6).execute();
  user = await signedInUser(db, { username: 'curie', fullname: '<script>alert(1)</script> Marie', role: 'moderator' });
  await db.kysely.updateTable('users').set({ bio: 'Radioactivity. <img src=x onerror=alert(2)>' }).where('id', '=', user.id).execute();
  const k = db.kysely;
  // Submitted: two listings; authored: one paper, as an approved claim leaves it; upvoted: through the API.
  const [a, b, c, d, hidden] = papers;
  await k.updateTable('daily_listings').set({ submitter_id: user.id }).where('paper_id', 'in', [a!.id, b!.id, hidden!.id]).execute();
  await k.updateTable('paper_authors').set({ user_id: user.id }).where('paper_id', '=', c!.id).where('position', '=', 0).execute();
  for (const p of [d!, a!, hidden!]) {
    const res = await app.request(`/api/papers/${p.id}/upvote`, { method: 'POST', headers: { Authorization: `Bearer ${user.token}` } });
    expect(res.status).toBe(200);
  }
  await k.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', hidden!.id).execute();
});
afterAll(() => db.close());

const titlesIn = (html: string) => papers.filter((p) => html.includes(`href="/papers/${p.id}"`)).map((p) => p.id);

describe('profile pages', () => {
  it('show who the user is, escaped, with the papers they submitted as feed cards', async () => {
    const res = await app.request('/users/curie');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Marie');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('@curie');
    expect(html).toContain('Moderator');
    expect(html).toMatch(/Submitted <span class="tab-count">2<\/span>/);
    expect(html).toMatch(/Upvoted <span class="tab-count">2<\/span>/);
    expect(html).toMatch(/Authored <span class="tab-count">1<\/span>/);
    expect(html).toContain('class="card"');
    expect(titlesIn(html).sort()).toEqual([papers[0]!.id, papers[1]!.id].sort());
    expect(html).not.toContain(user.username + '@example.org');
  });

  it('list upvoted and authored papers; hidden papers never', async () => {
    const upvoted = await (await app.request('/users/curie?tab=upvoted')).text();
    expect(titlesIn(upvoted).sort()).toEqual([papers[0]!.id, papers[3]!.id].sort());
    const authored = await (await app.request('/users/curie?tab=authored')).text();
    expect(titlesIn(authored)).toEqual([papers[2]!.id]);
    // A signed-in reader sees their own votes pressed on the cards.
    const own = await (await app.request('/users/curie?tab=upvoted', { headers: { Cookie: user.cookie } })).text();
    expect(own).toContain('aria-pressed="true"');
    expect(own).toContain('Edit profile and settings');
  });

  it('is a 404 page for an unknown user, and ignores a bad tab', async () => {
    const res = await app.request('/users/nobody-here');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('Nothing here');
    expect((await app.request('/users/curie?tab=%3Cx%3E')).status).toBe(200);
  });

  it('has a JSON twin with public fields only', async () => {
    const res = await app.request('/api/users/curie');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: 'curie', fullname: '<script>alert(1)</script> Marie', role: 'moderator', numSubmitted: 2, numUpvoted: 2, numPapers: 1 });
    expect(JSON.stringify(body)).not.toContain('example.org');
    expect(body).not.toHaveProperty('email');
    expect((await app.request('/api/users/nobody-here')).status).toBe(404);
  });

  it('of an account nobody made (an import\'s) show no join date, and open on the tab that has papers', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    const row = await db.kysely
      .insertInto('users')
      .values({ username: 'imported-author', fullname: 'Imported Author', avatar_url: null, hf_id: null, kind: 'user', created_at: at, email: null, password_hash: null, banned_at: null, bio: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.kysely.updateTable('paper_authors').set({ user_id: row.id }).where('paper_id', '=', papers[4]!.id).where('position', '=', 0).execute();
    await db.kysely.updateTable('papers').set({ hidden_at: null }).where('id', '=', papers[4]!.id).execute();
    const html = await (await app.request('/users/imported-author')).text();
    expect(html).not.toContain('joined');
    expect(html).toMatch(/href="\/users\/imported-author\?tab=authored" class="tab active" aria-current="page"/);
    expect(titlesIn(html)).toEqual([papers[4]!.id]);
    // An account someone made keeps its join date, and its first tab.
    const own = await (await app.request('/users/curie')).text();
    expect(own).toContain('joined');
    expect(own).toMatch(/tab=submitted" class="tab active"/);
  });
});
