import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { createOrganization, setPaperOrganization } from '../organizations/queries.ts';

const operator = { actorLabel: 'cli:test' };

const item = (id: string, title: string, publishedAt: string, authors: string[]) => ({
  paper: { id, title, summary: `About ${title}.`, publishedAt, upvotes: 1, authors: authors.map((name) => ({ name })) },
  publishedAt: '2026-11-18T09:00:00.000Z',
});

describe('follows', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importHfItems(
      db,
      [
        item('2611.00301', 'Engines of analysis', '2026-11-10T00:00:00.000Z', ['Ada Lovelace', 'Charles Babbage']),
        item('2611.00302', 'Notes on the engine', '2026-11-12T00:00:00.000Z', ['Ada Lovelace']),
        item('2611.00303', 'Gradient <b>tricks</b>', '2026-11-14T00:00:00.000Z', ['Grace Hopper']),
        item('2611.00304', 'Quiet diffusion models', '2026-11-15T00:00:00.000Z', ['Alan Turing']),
        item('2611.00305', 'Removed engine paper', '2026-11-16T00:00:00.000Z', ['Ada Lovelace']),
        item('2611.00306', 'Something old by Ada', '2026-01-01T00:00:00.000Z', ['Ada Lovelace']),
      ],
      '2026-11-18',
      'follows',
    );
    await createOrganization(db.kysely, operator, 'navylab', 'Navy <Lab>');
    await setPaperOrganization(db.kysely, operator, '2611.00303', 'navylab');
    await db.kysely.insertInto('paper_categories').values({ paper_id: '2611.00304', category: 'cs.LG' }).execute();
    await db.kysely.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', '2611.00305').execute();
    ada = await signedInUser(db);
    bob = await signedInUser(db);
  });
  afterAll(() => db.close());

  const page = async (path: string, user?: TestUser) => {
    const res = await app.request(path, { headers: user ? { Cookie: user.cookie } : {} });
    return { status: res.status, html: await res.text() };
  };
  const follow = (user: TestUser, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.request('/follows', { method: 'POST', headers: { ...formHeaders(user), ...headers }, body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const api = (user: TestUser, method: string, path: string, body?: unknown) =>
    app.request(path, { method, headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('has a page for every author name: their visible papers, newest first, and a follow button that leads anonymous readers to sign in', async () => {
    const { status, html } = await page('/authors/Ada%20Lovelace');
    expect(status).toBe(200);
    expect(html).toContain('<h1>Ada Lovelace</h1>');
    expect(html).toContain('3 papers');
    expect(html.indexOf('Notes on the engine')).toBeLessThan(html.indexOf('Engines of analysis'));
    expect(html).not.toContain('Removed engine paper');
    expect(html).toMatch(/<form class="follow" method="get" action="\/signin"><input type="hidden" name="next" value="\/authors\/Ada%20Lovelace"\/>/);
    expect((await page('/authors/Nobody%20Here')).status).toBe(404);
    // Paper pages link each unclaimed author's name to it.
    expect((await page('/papers/2611.00301')).html).toContain('<a href="/authors/Charles%20Babbage">Charles Babbage</a>');
  });

  it('follows with the plain form and back to the page; each reader sees their own state on the shared template', async () => {
    const res = await follow(ada, { kind: 'author', target: 'Ada Lovelace' }, { Referer: 'http://localhost/authors/Ada%20Lovelace' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe('/authors/Ada%20Lovelace');
    // Interleaved readers of the same cached template.
    for (let i = 0; i < 2; i++) {
      const mine = await page('/authors/Ada%20Lovelace', ada);
      const theirs = await page('/authors/Ada%20Lovelace', bob);
      expect(mine.html).toContain('aria-pressed="true">Following Ada Lovelace</button>');
      expect(mine.html).not.toContain('>Follow Ada Lovelace</button>');
      expect(theirs.html).toContain('aria-pressed="false">Follow Ada Lovelace</button>');
      expect(theirs.html).not.toContain('Following Ada Lovelace');
      expect(theirs.html).toContain(`value="${bob.csrf}"`);
      expect(theirs.html).not.toContain(ada.csrf);
    }
  });

  it('answers the script with JSON, refuses a form without its CSRF token, and checks what is followed', async () => {
    const res = await follow(ada, { kind: 'organization', target: 'navylab' }, { Accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ kind: 'organization', target: 'navylab', following: true });
    const forged = await app.request('/follows', { method: 'POST', headers: formHeaders(ada), body: new URLSearchParams({ kind: 'author', target: 'Grace Hopper' }) });
    expect(forged.status).toBe(403);
    const bad = await follow(ada, { kind: 'category', target: 'not a category!' }, { Accept: 'application/json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/category/);
    const unknownOrg = await follow(ada, { kind: 'organization', target: 'nolab' }, { Accept: 'application/json' });
    expect(unknownOrg.status).toBe(404);
    const badKind = await follow(ada, { kind: 'planet', target: 'Mars' }, { Accept: 'application/json' });
    expect(badKind.status).toBe(400);
    const anonymous = await app.request('/follows', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', Accept: 'application/json' }, body: 'kind=author&target=Ada' });
    expect([401, 403]).toContain(anonymous.status);
  });

  it('organization pages and search pages carry follow buttons filled per reader', async () => {
    expect((await page('/organizations/navylab', ada)).html).toContain('Following Navy &lt;Lab&gt;</button>');
    expect((await page('/organizations/navylab', bob)).html).toContain('>Follow Navy &lt;Lab&gt;</button>');
    const search = await page('/papers/search?q=diffusion&cat=cs.LG', bob);
    expect(search.html).toContain('name="target" value="diffusion cat:cs.LG"');
    expect(search.html).toContain('>Follow cs.LG</button>');
    const res = await follow(bob, { kind: 'search', target: 'diffusion cat:cs.LG' }, { Accept: 'application/json' });
    expect(res.status).toBe(200);
    expect((await page('/papers/search?q=diffusion&cat=cs.LG', bob)).html).toContain('>Following this search</button>');
    expect((await page('/papers/search?q=diffusion&cat=cs.LG', ada)).html).toContain('>Follow this search</button>');
  });

  it('speaks JSON at /api/follows with an API token: list, follow, unfollow, clear errors', async () => {
    expect((await api(ada, 'POST', '/api/follows', { kind: 'category', target: 'cs' })).status).toBe(200);
    expect((await api(ada, 'POST', '/api/follows', { kind: 'category', target: 'cs' })).status).toBe(200);
    const list = (await (await api(ada, 'GET', '/api/follows')).json()) as { kind: string; target: string }[];
    expect(list.map((f) => `${f.kind}:${f.target}`).sort()).toEqual(['author:Ada Lovelace', 'category:cs', 'organization:navylab']);
    expect((await api(ada, 'POST', '/api/follows', { kind: 'search', target: 'after:notaday' })).status).toBe(400);
    expect((await api(ada, 'POST', '/api/follows', 'nonsense')).status).toBe(400);
    const off = await api(ada, 'DELETE', '/api/follows?kind=category&target=cs');
    expect(await off.json()).toEqual({ kind: 'category', target: 'cs', following: false });
    expect((await app.request('/api/follows')).status).toBe(401);
  });

  it('the Following view lists new papers from what the reader follows, newest first, with why', async () => {
    await api(ada, 'POST', '/api/follows', { kind: 'category', target: 'cs' });
    const { status, html } = await page('/following', ada);
    expect(status).toBe(200);
    const order = ['Quiet diffusion models', 'Gradient &lt;b&gt;tricks&lt;/b&gt;', 'Notes on the engine', 'Engines of analysis'].map((t) => html.indexOf(t));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain('in cs');
    expect(html).toContain('from navylab');
    expect(html).toContain('by Ada Lovelace');
    // Each follow in the list has an unfollow button that says so, and names what it unfollows.
    expect(html).toMatch(/<button type="submit" class="button follow-button following" aria-label="Unfollow the category cs">Unfollow<\/button>/);
    expect(html).not.toMatch(/>Following\s*<\/button>/);
    expect(html).not.toContain('Removed engine paper');
    // Older than the window: not new.
    expect(html).not.toContain('Something old by Ada');
    const bobs = await page('/following', bob);
    expect(bobs.html).toContain('Quiet diffusion models');
    expect(bobs.html).toContain('matches “diffusion cat:cs.LG”');
    expect(bobs.html).not.toContain('Engines of analysis');
    expect((await app.request('/following')).status).toBe(303);
    // A paper the reader hid ("not interested") leaves their Following view, not anyone else's.
    await db.kysely.insertInto('paper_marks').values({ user_id: ada.id, paper_id: '2611.00302', read_at: null, hidden_at: new Date().toISOString(), hidden_reason: 'not-interested' }).execute();
    expect((await page('/following', ada)).html).not.toContain('Notes on the engine');
    await api(bob, 'POST', '/api/follows', { kind: 'author', target: 'Ada Lovelace' });
    expect((await page('/following', bob)).html).toContain('Notes on the engine');
  });
});
