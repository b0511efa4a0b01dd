import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { createApp } from '../app.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { formHeaders, signedInUser } from '../../test/community.ts';
import { addSubscribers, seedDigestPapers } from '../../test/digests.ts';
import { deriveKeys } from '../db/secrets.ts';
import { parseDigestPeriod } from './build.ts';
import { enqueueDigests } from './outbox.ts';
import { subscribeAccount, subscriptionFor } from './subscriptions.ts';

const DAY = '2026-11-24';
const SETTINGS = { BASE_URL: 'https://papers.example.org', MAIL_FROM: 'Daily Papers <digest@papers.example.org>', SESSION_SECRET: 'x'.repeat(40) };
const config = { ...testConfig(SETTINGS), keys: deriveKeys(SETTINGS.SESSION_SECRET) };
const period = parseDigestPeriod(`daily:${DAY}`)!;
const paper = (i: number) => `2611.${10000 + i}`;

describe('a "for you" digest', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb();
    await seedDigestPapers(db, DAY);
  });
  afterAll(() => db.close());

  it('is switched on from the settings page by a subscribed account, and ranks the period’s papers by what the reader liked; hidden and liked papers stay out', async () => {
    const app = createApp({ db, config });
    const reader = await signedInUser(db);
    const toggle = () => app.request('/settings/digest/for-you', { method: 'POST', headers: { ...formHeaders(reader), Origin: SETTINGS.BASE_URL }, body: new URLSearchParams({ _csrf: reader.csrf, for_you: 'on' }) });
    // Not subscribed yet: nothing to switch.
    expect((await toggle()).status).toBe(409);
    await subscribeAccount(db.kysely, reader.id, `${reader.username}@example.org`, { frequency: 'daily', topics: { categories: [], queries: [], organizations: [], authors: [] }, maxPapers: 5 });
    const res = await toggle();
    expect(res.status).toBe(303);
    expect((await subscriptionFor(db.kysely, reader.id))?.for_you).toBe(1);
    expect(await (await app.request('/settings', { headers: { Cookie: reader.cookie } })).text()).toContain('Your digest is “for you”');

    // Robot grasping is papers 2, 7, 12, …: two liked, one hidden.
    const now = new Date().toISOString();
    await db.kysely.insertInto('upvotes').values([paper(2), paper(7)].map((paper_id) => ({ user_id: reader.id, paper_id, created_at: now }))).execute();
    await db.kysely.insertInto('paper_marks').values({ user_id: reader.id, paper_id: paper(12), read_at: null, hidden_at: now, hidden_reason: 'not-interested' }).execute();
    const [generic] = await addSubscribers(db, [{ email: 'generic@example.org', maxPapers: 5 }]);

    await enqueueDigests(db, config, period);
    const body = async (subscriptionId: number) =>
      db.kysely
        .selectFrom('digest_outbox as o')
        .innerJoin('digest_bodies as b', 'b.id', 'o.body_id')
        .select(['b.paper_ids', 'b.html', 'b.text'])
        .where('o.subscription_id', '=', subscriptionId)
        .executeTakeFirstOrThrow();
    const mine = await body((await subscriptionFor(db.kysely, reader.id))!.id);
    const ids = JSON.parse(mine.paper_ids) as string[];
    expect(ids).toHaveLength(5);
    expect(new Set(ids.slice(0, 3))).toEqual(new Set([17, 22, 27].map(paper)));
    expect(ids).not.toContain(paper(2));
    expect(ids).not.toContain(paper(12));
    expect(mine.text).toContain('FOR YOU');
    // Someone else's digest by topics is untouched: the top papers.
    expect(JSON.parse((await body(generic!)).paper_ids)).toEqual([0, 1, 2, 3, 4].map(paper));

    // And back to topics.
    await app.request('/settings/digest/for-you', { method: 'POST', headers: { ...formHeaders(reader), Origin: SETTINGS.BASE_URL }, body: new URLSearchParams({ _csrf: reader.csrf, for_you: 'off' }) });
    expect((await subscriptionFor(db.kysely, reader.id))?.for_you).toBe(0);
  });
});
