import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp, testConfig } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { addSubscribers, seedDigestPapers } from '../../test/digests.ts';
import { deriveKeys } from '../db/secrets.ts';
import { parseDigestPeriod } from '../digests/build.ts';
import { enqueueDigests } from '../digests/outbox.ts';
import { hidePaper } from './collections.ts';

const DAY = '2026-11-24';
const SETTINGS = { BASE_URL: 'https://papers.example.org', MAIL_FROM: 'Daily Papers <digest@papers.example.org>', SESSION_SECRET: 'y'.repeat(40), RATE_LIMIT_SCALE: '0' };

describe('hidden papers leave every list of the reader who hid them, and only theirs', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  let ids: string[];
  let gone: string;
  const cards = (html: string) => ids.filter((id) => html.includes(`action="/papers/${id}/upvote"`));
  const page = async (path: string, user: TestUser) => (await app.request(path, { headers: { Cookie: user.cookie } })).text();
  const api = async (path: string, user: TestUser) => ((await (await app.request(path, { headers: { Authorization: `Bearer ${user.token}` } })).json()) as { paper: { id: string } }[]).map((e) => e.paper.id);

  beforeAll(async () => {
    ({ db, app } = await testApp(SETTINGS));
    ids = await seedDigestPapers(db, DAY, 10);
    ada = await signedInUser(db);
    bob = await signedInUser(db);
    // The day's most upvoted paper, on every list.
    gone = ids[0]!;
    await hidePaper(db.kysely, bob.id, gone, 'not-interested');
  });
  afterAll(() => db.close());

  it('daily, weekly, monthly and trending pages', async () => {
    for (const path of [`/papers/date/${DAY}`, '/papers/week/2026-W48', '/papers/month/2026-11']) {
      expect(cards(await page(path, ada)), path).toContain(gone);
      expect(cards(await page(path, bob)), path).not.toContain(gone);
      expect(cards(await page(path, bob)).length, path).toBeGreaterThan(0);
    }
    // Trending lists what is recent: it may be empty for these dates, but never shows the hidden paper to bob.
    expect(cards(await page('/papers/trending', bob))).not.toContain(gone);
  });

  it('search, unless asked; the JSON API for the reader’s token', async () => {
    const q = encodeURIComponent('diffusion');
    expect(cards(await page(`/papers/search?q=${q}`, ada))).toContain(gone);
    expect(cards(await page(`/papers/search?q=${q}`, bob))).not.toContain(gone);
    expect(cards(await page(`/papers/search?q=${q}&hidden=include`, bob))).toContain(gone);
    expect(await api(`/api/papers/search?q=${q}`, ada)).toContain(gone);
    expect(await api(`/api/papers/search?q=${q}`, bob)).not.toContain(gone);
    expect(await api(`/api/papers/search?q=${q}&hidden=include`, bob)).toContain(gone);
    expect((await app.request(`/api/papers/search?q=${q}&hidden=yes`, { headers: { Authorization: `Bearer ${bob.token}` } })).status).toBe(400);
    expect(await api(`/api/daily_papers?date=${DAY}`, ada)).toContain(gone);
    expect(await api(`/api/daily_papers?date=${DAY}`, bob)).not.toContain(gone);
  });

  it("the reader's digest", async () => {
    const config = { ...testConfig(SETTINGS), keys: deriveKeys(SETTINGS.SESSION_SECRET) };
    const [adaSub, bobSub] = await addSubscribers(db, [{ email: 'ada-digest@example.org', maxPapers: 5 }, { email: 'bob-digest@example.org', maxPapers: 5 }]);
    await db.kysely.updateTable('subscriptions').set({ user_id: ada.id }).where('id', '=', adaSub!).execute();
    await db.kysely.updateTable('subscriptions').set({ user_id: bob.id }).where('id', '=', bobSub!).execute();
    await enqueueDigests(db, config, parseDigestPeriod(`daily:${DAY}`)!);
    const digest = async (sub: number) =>
      JSON.parse((await db.kysely.selectFrom('digest_outbox as o').innerJoin('digest_bodies as b', 'b.id', 'o.body_id').select('b.paper_ids').where('o.subscription_id', '=', sub).executeTakeFirstOrThrow()).paper_ids) as string[];
    expect(await digest(adaSub!)).toContain(gone);
    const bobs = await digest(bobSub!);
    expect(bobs).not.toContain(gone);
    expect(bobs).toHaveLength(5);
  });
});
