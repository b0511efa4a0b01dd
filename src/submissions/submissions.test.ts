import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { hasFixtures, testApp } from '../../test/helpers.ts';
import { ARXIV_FIXTURES, ReplayServer } from '../../test/arxiv-replay.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { contentVersion } from '../db/content-version.ts';

/** The body of a real recorded arXiv answer. */
const recorded = (name: string) => (JSON.parse(fs.readFileSync(path.join(ARXIV_FIXTURES, name), 'utf8')) as { body: string }).body;
const atom = { 'Content-Type': 'application/atom+xml; charset=utf-8' };

// Needs ../shared/fixtures (recorded arXiv answers); skips itself where it is absent.
describe.skipIf(!hasFixtures)('submitting papers', () => {
  let replay: ReplayServer;
  let db: Db;
  let app: Awaited<ReturnType<typeof testApp>>['app'];
  let user: TestUser;
  const today = () => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    replay = await new ReplayServer().loadRecordings().start();
    // arXiv's real answers, served for the single-id queries a submission makes:
    // 1707.08567 is in the two-id recording, 0000.0000's empty feed is how arXiv says "no such paper".
    replay.routes.set('id_list=1707.08567', { status: 200, body: recorded('arxivpy_idlist_two.recorded.json'), headers: atom });
    replay.routes.set('id_list=2501.99999', { status: 200, body: recorded('arxivpy_empty_id_0000.0000.recorded.json'), headers: atom });
  });
  afterAll(() => replay.stop());

  beforeEach(async () => {
    ({ db, app } = await testApp({ ARXIV_API_URL: replay.url, ARXIV_MIN_INTERVAL_MS: '0', RATE_LIMIT_SCALE: '0', SUBMISSIONS_PER_DAY: '2' }));
    user = await signedInUser(db, { fullname: 'Grace Hopper' });
  });

  const submitApi = (body: unknown, who: TestUser = user) =>
    app.request('/api/daily_papers', { method: 'POST', headers: { Authorization: `Bearer ${who.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const submitForm = (paper: string, who: TestUser = user) =>
    app.request('/submit', { method: 'POST', headers: formHeaders(who), body: `_csrf=${who.csrf}&paper=${encodeURIComponent(paper)}` });
  const listings = () => db.kysely.selectFrom('daily_listings').selectAll().execute();

  it.each([
    ['a bare id', '1707.08567'],
    ['a versioned id', '1707.08567v1'],
    ['an abs link', 'https://arxiv.org/abs/1707.08567'],
    ['a versioned pdf link', 'https://arxiv.org/pdf/1707.08567v1.pdf'],
    ['an arXiv: prefix', 'arXiv:1707.08567'],
  ])('fetches an unknown paper from arXiv and lists it today, by %s', async (_, input) => {
    const version = await contentVersion(db.kysely);
    const res = await submitForm(input);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/papers/1707.08567');
    const paper = await db.kysely.selectFrom('papers').selectAll().where('id', '=', '1707.08567').executeTakeFirstOrThrow();
    expect(paper.title).toMatch(/\S/);
    expect(paper.trending_score).toBeGreaterThan(0);
    expect(await listings()).toMatchObject([{ paper_id: '1707.08567', day: today(), source: 'community', submitter_id: user.id }]);
    expect(await contentVersion(db.kysely)).toBeGreaterThan(version);
    // The card and the paper page say who submitted it.
    expect(await (await app.request(`/papers/date/${today()}`)).text()).toMatch(/Submitted by <a class="person" href="\/users\/[^"]+">(?:(?!<\/a>).)*Grace Hopper<\/a>/);
    expect(await (await app.request('/papers/1707.08567')).text()).toContain('submitted by Grace Hopper');
    await db.close();
  });

  it('takes an old-style id through the API, in either body shape, and answers like GET /api/daily_papers', async () => {
    const res = await submitApi({ arxivId: 'astro-ph/0601001' });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/papers/astro-ph/0601001');
    const body = await res.json();
    expect(body.paper).toMatchObject({ id: 'astro-ph/0601001', upvotes: 0 });
    expect(body.submittedBy.name).toBe(user.username);
    const listed = await (await app.request(`/api/daily_papers?date=${today()}`)).json();
    expect(listed.map((e: { paper: { id: string } }) => e.paper.id)).toEqual(['astro-ph/0601001']);

    const again = await submitApi({ paper: { id: 'https://arxiv.org/abs/astro-ph/0601001v1' } });
    expect(again.status).toBe(409);
    await db.close();
  });

  it('refuses a paper already featured on any day (409, with where it is), without asking arXiv', async () => {
    await importHfItems(
      db,
      [{ paper: { id: '2406.00001', title: 'Old news', summary: 'x', publishedAt: '2024-06-01T00:00:00.000Z', upvotes: 3, authors: [] }, publishedAt: '2024-06-02T08:00:00.000Z', title: 'Old news', numComments: 0 }],
      '2024-06-02',
      'test',
    );
    const asked = replay.requests.length;
    const res = await submitApi({ paper: { id: '2406.00001' } });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toMatch(/already featured, on .*June 2, 2024/);
    expect(body.details[0]).toMatch(/\/papers\/2406\.00001$/);
    const page = await submitForm('2406.00001');
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('href="/papers/2406.00001"');
    expect(replay.requests.length).toBe(asked);
    expect(await listings()).toHaveLength(1);
    await db.close();
  });

  it('refuses a paper whose only listing moderators hid (409), without telling the hidden day', async () => {
    await importHfItems(
      db,
      [{ paper: { id: '2406.00002', title: 'Hidden news', summary: 'x', publishedAt: '2024-06-01T00:00:00.000Z', upvotes: 3, authors: [] }, publishedAt: '2024-06-02T08:00:00.000Z', title: 'Hidden news', numComments: 0 }],
      '2024-06-02',
      'test',
    );
    await db.kysely.updateTable('daily_listings').set({ hidden_at: new Date().toISOString() }).where('paper_id', '=', '2406.00002').execute();
    const res = await submitApi({ paper: { id: '2406.00002' } });
    expect(res.status).toBe(409);
    const body = await res.json();
    expect(body.error).toMatch(/removed from the lists by moderators/);
    expect(JSON.stringify(body)).not.toMatch(/June 2|2024-06-02/);
    const page = await submitForm('2406.00002');
    expect(page.status).toBe(409);
    const html = await page.text();
    expect(html).toContain('removed from the lists by moderators');
    expect(html).not.toContain('June 2, 2024');
    expect(await listings()).toHaveLength(1);
    await db.close();
  });

  it('holds each user to SUBMISSIONS_PER_DAY (429 with Retry-After)', async () => {
    for (const id of ['2406.00011', '2406.00012', '2406.00013']) {
      await db.kysely.insertInto('papers').values({ id, version: 1, title: id, abstract: 'x', primary_category: 'cs.LG', published_at: '2024-06-01T00:00:00.000Z', updated_at: null, comment: null, journal_ref: null, doi: null, pdf_url: null, github_repo: null, github_stars: null, project_page: null, withdrawn_at: null, license: null, organization_id: null, upvotes_source: 0, upvotes: 0, comments_source: 0, hidden_at: null, discussion_id: null, ai_summary: null, ai_keywords: null, thumbnail_url: null, trending_score: 0, created_at: '2024-06-01T00:00:00.000Z', modified_at: '2024-06-01T00:00:00.000Z' }).execute();
    }
    expect((await submitApi({ arxivId: '2406.00011' })).status).toBe(201);
    expect((await submitApi({ arxivId: '2406.00012' })).status).toBe(201);
    const third = await submitApi({ arxivId: '2406.00013' });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await third.json()).error).toMatch(/2 papers today/);
    // Another user still can.
    expect((await submitApi({ arxivId: '2406.00013' }, await signedInUser(db))).status).toBe(201);
    await db.close();
  });

  it('says 404 for a paper arXiv does not know, 502 when arXiv fails, and writes nothing', async () => {
    const unknown = await submitApi({ arxivId: '2501.99999' });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatch(/arXiv does not know a paper 2501\.99999/);

    replay.script.push({ status: 503, body: 'down', headers: { 'Retry-After': '0' } }, { status: 503, body: 'down', headers: { 'Retry-After': '0' } });
    const down = await submitApi({ arxivId: '1707.08567' });
    expect(down.status).toBe(502);
    const error = (await down.json()).error as string;
    expect(error).toMatch(/arXiv could not be reached.*Nothing was saved/);
    expect(error).not.toMatch(/https?:|export\.arxiv|query/);
    const page = await submitForm('1707.08567');
    expect(page.status).toBe(303); // arXiv is back
    await db.close();
  });

  it('gives a clear 400 for input that is not an arXiv id, and for a bad body', async () => {
    const form = await submitForm('https://example.org/paper');
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('is not an arXiv id or an arXiv link');
    expect((await submitApi({ arxivId: 'nope' })).status).toBe(400);
    const bad = await submitApi({ paper: {} });
    expect(bad.status).toBe(400);
    expect((await bad.json()).details.length).toBeGreaterThan(0);
    const notJson = await app.request('/api/daily_papers', { method: 'POST', headers: { Authorization: `Bearer ${user.token}` }, body: '{' });
    expect(notJson.status).toBe(400);
    expect(await listings()).toEqual([]);
    await db.close();
  });

  it('sends readers who are not signed in to sign in, and API clients without a token away with 401', async () => {
    const page = await app.request('/submit');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/signin?next=%2Fsubmit');
    const api = await app.request('/api/daily_papers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"arxivId":"1707.08567"}' });
    expect(api.status).toBe(401);
    const form = await (await app.request('/submit', { headers: { Cookie: user.cookie } })).text();
    expect(form).toContain('name="_csrf"');
    expect(form).toContain('2 submissions left today');
    await db.close();
  });
});
