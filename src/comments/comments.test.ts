import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { contentVersion } from '../db/content-version.ts';
import type { CommentJson } from './comments.ts';

const item = (id: string, numComments: number) => ({
  paper: {
    id,
    title: `A paper about $x^2$ (${id})`,
    summary: 'An abstract.',
    publishedAt: '2026-11-01T00:00:00.000Z',
    upvotes: 3,
    authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }],
  },
  publishedAt: '2026-11-18T09:00:00.000Z',
  title: id,
  numComments,
});

const PAPER = '2611.00001';
const OLD_STYLE = 'hep-th/9901001';
const OTHER = '2611.00002';

describe('comments', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  let mod: TestUser;

  beforeAll(async () => {
    ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0' }));
    await importHfItems(db, [item(PAPER, 2), item(OLD_STYLE, 0), item(OTHER, 0)], '2026-11-18', 'test');
    ada = await signedInUser(db, { username: 'ada', fullname: 'Ada L.' });
    bob = await signedInUser(db, { username: 'bob' });
    mod = await signedInUser(db, { username: 'mo', role: 'moderator' });
  });
  afterAll(() => db.close());

  const form = (user: TestUser, path: string, fields: Record<string, string>) =>
    app.request(path, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const api = (user: TestUser | null, method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { ...(user ? { Authorization: `Bearer ${user.token}` } : {}), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const page = async (path: string, user?: TestUser) => (await app.request(path, { headers: user ? { Cookie: user.cookie } : {} })).text();
  const idFrom = (res: Response) => Number(/#c(\d+)$/.exec(res.headers.get('Location') ?? '')![1]);
  const count = async (id: string) => (await db.kysely.selectFrom('papers').select('comments').where('id', '=', id).executeTakeFirstOrThrow()).comments;

  it('posts a comment and a reply through the page forms, back to the comment', async () => {
    const res = await form(ada, `/papers/${PAPER}/comments`, { comment: 'First! $E=mc^2$ and `code`' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toMatch(new RegExp(`^/papers/${PAPER}#c\\d+$`));
    const first = idFrom(res);
    const reply = await form(bob, `/papers/${PAPER}/comments`, { comment: 'A reply', parentId: String(first) });
    expect(reply.status).toBe(303);
    const row = await db.kysely.selectFrom('comments').selectAll().where('id', '=', idFrom(reply)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ paper_id: PAPER, user_id: bob.id, parent_id: first, body: 'A reply' });
    // Imported baseline (2) plus the two written here.
    expect(await count(PAPER)).toBe(4);
  });

  it('works for old-style ids with a slash', async () => {
    const res = await form(ada, `/papers/${OLD_STYLE}/comments`, { comment: 'old ids work' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toMatch(/^\/papers\/hep-th\/9901001#c\d+$/);
    const list = (await (await api(null, 'GET', `/api/papers/${OLD_STYLE}/comments`)).json()) as CommentJson[];
    expect(list.map((c) => c.body)).toEqual(['old ids work']);
  });

  it('shows the thread on the paper page: nested, oldest first, Markdown and math rendered', async () => {
    const html = await page(`/papers/${PAPER}`);
    expect(html).toContain('id="discussion"');
    const first = html.indexOf('First!');
    const reply = html.indexOf('A reply');
    expect(first).toBeGreaterThan(0);
    expect(reply).toBeGreaterThan(first);
    // The reply sits in a nested list inside the first comment's item.
    const between = html.slice(first, reply);
    expect(between).toContain('<ol class="comments replies">');
    expect(html).toContain('<code>code</code>');
    expect(html).toMatch(/First! <span class="katex">/);
    expect(html).toContain('href="/users/ada"');
    // The comments at the import source: said once, with a link to them.
    expect(html).toMatch(/<a href="https:\/\/huggingface.co\/papers\/[^"]+#community" rel="nofollow noopener">Also 2 comments on Hugging Face →<\/a>/);
    expect(html.match(/on Hugging Face/g)).toHaveLength(1);
    // Anonymous readers are asked to sign in, and get no forms (their page is cached).
    expect(html).toContain(`href="/signin?next=/papers/${PAPER}%23discussion"`);
    expect(html).not.toContain('name="_csrf"');
  });

  it('gives signed-in readers the forms: reply for all, edit and delete for their own, report for others', async () => {
    const html = await page(`/papers/${PAPER}`, bob);
    expect(html).toContain(`action="/papers/${PAPER}/comments"`);
    expect(html).toContain('name="parentId"');
    const [firstId, replyId] = [...html.matchAll(/<article class="comment" id="c(\d+)"/g)].map((m) => m[1]);
    expect(html).toContain(`action="/comments/${replyId}/edit"`);
    expect(html).toContain(`action="/comments/${replyId}/delete"`);
    expect(html).not.toContain(`action="/comments/${firstId}/edit"`);
    expect(html).not.toContain(`action="/comments/${firstId}/delete"`);
    expect(html).toContain(`action="/comments/${firstId}/report"`);
    expect(html).not.toContain(`action="/comments/${replyId}/report"`);
    expect(html).not.toContain('Sign in to comment');
    // A moderator may delete anyone's comment.
    expect(await page(`/papers/${PAPER}`, mod)).toContain(`action="/comments/${firstId}/delete"`);
  });

  it('caps visual nesting: replies deeper than four levels line up at the last one', async () => {
    let parent = idFrom(await form(ada, `/papers/${OTHER}/comments`, { comment: 'level 1' }));
    for (let level = 2; level <= 6; level++) {
      parent = idFrom(await form(level % 2 ? ada : bob, `/papers/${OTHER}/comments`, { comment: `level ${level}`, parentId: String(parent) }));
    }
    const html = await page(`/papers/${OTHER}`);
    // From the thread's first list on: other lists on the page (related papers) do not nest comments.
    const at = (text: string) => html.slice(html.indexOf('<ol class="comments'), html.indexOf(text));
    const depth = (text: string) => (at(text).match(/<ol class="comments/g)?.length ?? 0) - (at(text).match(/<\/ol>/g)?.length ?? 0);
    expect([1, 2, 3, 4, 5, 6].map((l) => depth(`level ${l}<`))).toEqual([1, 2, 3, 4, 4, 4]);
    expect(html).toContain('↪ @ada');
  });

  it('edits one’s own comment, marks it edited, and refuses someone else’s', async () => {
    const id = idFrom(await form(bob, `/papers/${PAPER}/comments`, { comment: 'typo teh' }));
    const before = await contentVersion(db.kysely);
    const res = await form(bob, `/comments/${id}/edit`, { comment: 'typo fixed' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/papers/${PAPER}#c${id}`);
    expect(await contentVersion(db.kysely)).toBeGreaterThan(before);
    const html = await page(`/papers/${PAPER}`);
    expect(html).toContain('typo fixed');
    expect(html).not.toContain('typo teh');
    expect(html).toContain('· edited');
    expect((await form(ada, `/comments/${id}/edit`, { comment: 'hijacked' })).status).toBe(403);
    expect((await api(ada, 'PATCH', `/api/comments/${id}`, { comment: 'hijacked' })).status).toBe(403);
    // Not even a moderator edits other people's words.
    expect((await form(mod, `/comments/${id}/edit`, { comment: 'hijacked' })).status).toBe(403);
  });

  it('deletes: a comment with replies leaves a placeholder, one without disappears, counts follow', async () => {
    const parent = idFrom(await form(ada, `/papers/${OTHER}/comments`, { comment: 'parent to delete' }));
    const child = idFrom(await form(bob, `/papers/${OTHER}/comments`, { comment: 'child stays', parentId: String(parent) }));
    const lonely = idFrom(await form(ada, `/papers/${OTHER}/comments`, { comment: 'lonely to delete' }));
    const n = await count(OTHER);
    expect((await form(bob, `/comments/${parent}/delete`, {})).status).toBe(403);
    const res = await form(ada, `/comments/${parent}/delete`, {});
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/papers/${OTHER}#discussion`);
    expect((await form(ada, `/comments/${lonely}/delete`, {})).status).toBe(303);
    expect(await count(OTHER)).toBe(n - 2);
    const html = await page(`/papers/${OTHER}`);
    expect(html).toContain(`id="c${parent}"`);
    expect(html).toContain('[deleted]');
    expect(html).not.toContain('parent to delete');
    expect(html).toContain('child stays');
    expect(html).not.toContain(`id="c${lonely}"`);
    // Deleting the last reply takes the placeholder with it.
    expect((await api(bob, 'DELETE', `/api/comments/${child}`)).status).toBe(204);
    const after = await page(`/papers/${OTHER}`);
    expect(after).not.toContain(`id="c${parent}"`);
    expect((await api(bob, 'DELETE', `/api/comments/${child}`)).status).toBe(404);
  });

  it('lets a moderator delete any comment, in the audit log', async () => {
    const id = idFrom(await form(bob, `/papers/${PAPER}/comments`, { comment: 'rude' }));
    expect((await form(mod, `/comments/${id}/delete`, {})).status).toBe(303);
    const audit = await db.kysely.selectFrom('audit_log').selectAll().where('target_id', '=', String(id)).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_id: mod.id, action: 'delete-comment', target_type: 'comment' });
    // Authors deleting their own comments are not moderation.
    const own = idFrom(await form(bob, `/papers/${PAPER}/comments`, { comment: 'mine' }));
    await form(bob, `/comments/${own}/delete`, {});
    expect(await db.kysely.selectFrom('audit_log').select('id').where('target_id', '=', String(own)).executeTakeFirst()).toBeUndefined();
  });

  it('shows a hidden comment as removed while it has replies, never its body', async () => {
    const parent = idFrom(await form(ada, `/papers/${OLD_STYLE}/comments`, { comment: 'secret spam' }));
    await form(bob, `/papers/${OLD_STYLE}/comments`, { comment: 'answer', parentId: String(parent) });
    await db.kysely.updateTable('comments').set({ hidden_at: new Date().toISOString() }).where('id', '=', parent).execute();
    const html = await page(`/papers/${OLD_STYLE}`, ada);
    expect(html).toContain('[removed by a moderator]');
    expect(html).not.toContain('secret spam');
    const list = (await (await api(null, 'GET', `/api/papers/${OLD_STYLE}/comments`)).json()) as CommentJson[];
    const placeholder = list.find((c) => c.id === parent)!;
    expect(placeholder).toMatchObject({ state: 'removed', author: null, body: '', html: '' });
    expect(JSON.stringify(list)).not.toContain('secret spam');
    expect((await form(ada, `/comments/${parent}/edit`, { comment: 'sneaky' })).status).toBe(403);
  });

  it('files reports for the moderators, once per person', async () => {
    const id = idFrom(await form(ada, `/papers/${PAPER}/comments`, { comment: 'report me' }));
    const res = await form(bob, `/comments/${id}/report`, { reason: 'spam', detail: 'selling things' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/papers/${PAPER}#c${id}`);
    await form(bob, `/comments/${id}/report`, { reason: 'spam' });
    const reports = await db.kysely.selectFrom('reports').selectAll().where('target_id', '=', String(id)).execute();
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ reporter_id: bob.id, target_type: 'comment', reason: 'spam: selling things', resolved_at: null });
    expect((await form(bob, `/comments/${id}/report`, { reason: 'other', detail: '' })).status).toBe(400);
    expect((await form(bob, '/comments/999999/report', { reason: 'spam' })).status).toBe(404);
  });

  it('writes through the API with a token: create, reply, edit, read back', async () => {
    const created = await api(ada, 'POST', `/api/papers/${PAPER}/comments`, { comment: 'via **API** $\\alpha$' });
    expect(created.status).toBe(201);
    const body = (await created.json()) as CommentJson;
    expect(body).toMatchObject({ paperId: PAPER, parentId: null, author: { user: 'ada', fullname: 'Ada L.' }, body: 'via **API** $\\alpha$', editedAt: null });
    expect(body.html).toContain('<strong>API</strong>');
    expect(body.html).toContain('class="katex"');
    expect(Date.parse(body.createdAt)).not.toBeNaN();
    const reply = (await (await api(bob, 'POST', `/api/papers/${PAPER}/comments`, { comment: 'api reply', parentId: body.id })).json()) as CommentJson;
    expect(reply.parentId).toBe(body.id);
    const edited = await api(ada, 'PATCH', `/api/comments/${body.id}`, { comment: 'edited via API' });
    expect(edited.status).toBe(200);
    expect(((await edited.json()) as CommentJson).editedAt).not.toBeNull();
    const list = (await (await api(null, 'GET', `/api/papers/${PAPER}/comments`)).json()) as CommentJson[];
    const ids = list.map((c) => c.id);
    expect(ids.indexOf(reply.id)).toBe(ids.indexOf(body.id) + 1);
    expect(list.find((c) => c.id === body.id)!.body).toBe('edited via API');
    expect(Object.keys(list[0]!).sort()).toEqual(['author', 'body', 'createdAt', 'editedAt', 'html', 'id', 'paperId', 'parentId']);
  });

  it('takes a session with X-CSRF-Token on the API, and refuses one without', async () => {
    const headers = { Cookie: ada.cookie, 'Content-Type': 'application/json', Origin: 'http://localhost' };
    const ok = await app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers: { ...headers, 'X-CSRF-Token': ada.csrf }, body: JSON.stringify({ comment: 'from a script' }) });
    expect(ok.status).toBe(201);
    const refused = await app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers, body: JSON.stringify({ comment: 'forged' }) });
    expect(refused.status).toBe(403);
  });

  it('refuses forged forms (CSRF) and cross-site posts', async () => {
    const before = await count(PAPER);
    const noToken = await app.request(`/papers/${PAPER}/comments`, { method: 'POST', headers: formHeaders(ada), body: new URLSearchParams({ comment: 'forged' }) });
    expect(noToken.status).toBe(403);
    const crossSite = await app.request(`/papers/${PAPER}/comments`, {
      method: 'POST',
      headers: { ...formHeaders(ada), Origin: 'https://evil.example' },
      body: new URLSearchParams({ _csrf: ada.csrf, comment: 'forged' }),
    });
    expect(crossSite.status).toBe(403);
    expect(await count(PAPER)).toBe(before);
  });

  it('sends anonymous writers to sign in (pages) or answers 401 (API)', async () => {
    const csrf = 'a'.repeat(43);
    const res = await app.request(`/papers/${PAPER}/comments`, {
      method: 'POST',
      headers: { Cookie: `dp_csrf=${csrf}`, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost', Referer: `http://localhost/papers/${PAPER}` },
      body: new URLSearchParams({ _csrf: csrf, comment: 'anon' }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toMatch(/^\/signin\?next=/);
    // An API client without a token (but past the CSRF check, as a page's script would be) is told to authenticate.
    const anon = { Cookie: `dp_csrf=${csrf}`, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' };
    const apiRes = await app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers: anon, body: JSON.stringify({ comment: 'anon' }) });
    expect(apiRes.status).toBe(401);
    expect((await app.request('/api/comments/1', { method: 'DELETE', headers: anon })).status).toBe(401);
    // A bare request with neither token nor cookie never gets through either.
    expect((await api(null, 'POST', `/api/papers/${PAPER}/comments`, { comment: 'anon' })).status).toBeGreaterThanOrEqual(401);
  });

  it('answers bad input with a clear 4xx and writes nothing', async () => {
    const before = await db.kysely.selectFrom('comments').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const bad: [Response | Promise<Response>, number][] = [
      [form(ada, `/papers/${PAPER}/comments`, { comment: '   \n ' }), 400],
      [form(ada, `/papers/${PAPER}/comments`, { comment: 'x'.repeat(10_001) }), 413],
      [form(ada, `/papers/${PAPER}/comments`, { comment: 'x', parentId: 'abc' }), 400],
      [form(ada, `/papers/${PAPER}/comments`, { comment: 'x', parentId: '99999999999' }), 400],
      [form(ada, `/papers/${PAPER}/comments`, { comment: 'x', parentId: '999999' }), 400],
      [form(ada, '/papers/2611.99999/comments', { comment: 'unknown paper' }), 404],
      [form(ada, '/papers/not-an-id/comments', { comment: 'x' }), 400],
      [form(ada, '/comments/abc/edit', { comment: 'x' }), 400],
      [form(ada, '/comments/99999999999999/delete', {}), 400],
      [api(ada, 'POST', `/api/papers/${PAPER}/comments`, { comment: '' }), 400],
      [api(ada, 'POST', `/api/papers/${PAPER}/comments`, { comment: 'y'.repeat(10_001) }), 413],
      [api(ada, 'POST', `/api/papers/${PAPER}/comments`, { text: 'wrong field' }), 400],
      [api(ada, 'POST', `/api/papers/${PAPER}/comments`, { comment: 'x', parentId: 'one' }), 400],
      [api(ada, 'POST', '/api/papers/2611.99999/comments', { comment: 'x' }), 404],
      [api(ada, 'GET', '/api/papers/2611.99999/comments'), 404],
      [api(ada, 'PATCH', '/api/comments/424242', { comment: 'x' }), 404],
    ];
    for (const [res, status] of bad) expect((await res).status).toBe(status);
    const raw = await app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers: { Authorization: `Bearer ${ada.token}`, 'Content-Type': 'application/json' }, body: '{not json' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: expect.stringContaining('JSON') });
    const after = await db.kysely.selectFrom('comments').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('refuses a parent from another paper', async () => {
    const other = idFrom(await form(ada, `/papers/${OTHER}/comments`, { comment: 'on the other paper' }));
    expect((await form(ada, `/papers/${PAPER}/comments`, { comment: 'x', parentId: String(other) })).status).toBe(400);
    expect((await api(ada, 'POST', `/api/papers/${PAPER}/comments`, { comment: 'x', parentId: other })).status).toBe(400);
  });

  it('refuses replies to deleted comments', async () => {
    const gone = idFrom(await form(ada, `/papers/${OTHER}/comments`, { comment: 'soon gone' }));
    await form(ada, `/comments/${gone}/delete`, {});
    expect((await api(bob, 'POST', `/api/papers/${OTHER}/comments`, { comment: 'x', parentId: gone })).status).toBe(400);
  });

  it('rate-limits posting (429 with Retry-After)', async () => {
    // One comment per window: the limit (20) scaled by 0.05.
    const limited = await testApp({ RATE_LIMIT_SCALE: '0.05' });
    try {
      await importHfItems(limited.db, [item(PAPER, 0)], '2026-11-18', 'limited');
      const user = await signedInUser(limited.db, { username: 'eager' });
      const post = () =>
        limited.app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ comment: 'hi' }) });
      expect((await post()).status).toBe(201);
      const res = await post();
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0);
      const n = await limited.db.kysely.selectFrom('comments').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(1);
    } finally {
      await limited.db.close();
    }
  });

  it('counts edits and deletes against the comment limit too, pages and API alike', async () => {
    // Three writes per window: the limit (20) scaled by 0.15.
    const limited = await testApp({ RATE_LIMIT_SCALE: '0.15' });
    try {
      await importHfItems(limited.db, [item(PAPER, 0)], '2026-11-18', 'limited');
      const user = await signedInUser(limited.db, { username: 'fiddler' });
      const headers = { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json' };
      const created = await limited.app.request(`/api/papers/${PAPER}/comments`, { method: 'POST', headers, body: JSON.stringify({ comment: 'v1' }) });
      const { id } = (await created.json()) as CommentJson;
      const edit = await limited.app.request(`/comments/${id}/edit`, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf, comment: 'v2' }) });
      expect(edit.status).toBe(303);
      expect((await limited.app.request(`/api/comments/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ comment: 'v3' }) })).status).toBe(200);
      const apiDelete = await limited.app.request(`/api/comments/${id}`, { method: 'DELETE', headers });
      expect(apiDelete.status).toBe(429);
      expect(Number(apiDelete.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect((await limited.app.request(`/comments/${id}/delete`, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf }) })).status).toBe(429);
      expect((await limited.app.request(`/api/comments/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ comment: 'v4' }) })).status).toBe(429);
      const row = await limited.db.kysely.selectFrom('comments').select(['body', 'deleted_at']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row).toEqual({ body: 'v3', deleted_at: null });
    } finally {
      await limited.db.close();
    }
  });

  it('edits through the page form whatever stray parentId it carries; an empty edit is still refused as empty', async () => {
    const id = idFrom(await form(bob, `/papers/${PAPER}/comments`, { comment: 'before' }));
    const res = await form(bob, `/comments/${id}/edit`, { comment: 'after', parentId: 'not-a-number' });
    expect(res.status).toBe(303);
    expect((await db.kysely.selectFrom('comments').select('body').where('id', '=', id).executeTakeFirstOrThrow()).body).toBe('after');
    const empty = await app.request(`/comments/${id}/edit`, { method: 'POST', headers: { ...formHeaders(bob), Accept: 'application/json' }, body: new URLSearchParams({ _csrf: bob.csrf, comment: '  ' }) });
    expect(empty.status).toBe(400);
  });

  it('keeps hidden papers closed to discussion', async () => {
    const hidden = '2611.00003';
    await importHfItems(db, [item(hidden, 0)], '2026-11-18', 'hidden');
    await db.kysely.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', hidden).execute();
    expect((await form(ada, `/papers/${hidden}/comments`, { comment: 'x' })).status).toBe(410);
    expect((await api(null, 'GET', `/api/papers/${hidden}/comments`)).status).toBe(410);
  });

  it('shows the count on cards and as numComments in the API, and keeps it through a re-import', async () => {
    const n = await count(PAPER);
    const visible = await db.kysely
      .selectFrom('comments')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('paper_id', '=', PAPER)
      .where('deleted_at', 'is', null)
      .where('hidden_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(n).toBe(2 + Number(visible.n));
    const list = await page('/papers/date/2026-11-18');
    // The badge counts every comment and says how many of them are at the import source.
    expect(list).toContain(`href="/papers/${PAPER}#discussion" title="${n} comments, 2 of them at the import source"`);
    const daily = (await (await app.request('/api/daily_papers?date=2026-11-18')).json()) as { paper: { id: string }; numComments: number }[];
    expect(daily.find((e) => e.paper.id === PAPER)!.numComments).toBe(n);
    // The source now reports 5 comments: the baseline moves, local comments stay counted.
    await importHfItems(db, [{ ...item(PAPER, 5), publishedAt: '2026-11-18T10:00:00.000Z' }], '2026-11-18', 'again');
    expect(await count(PAPER)).toBe(n + 3);
  });
});
