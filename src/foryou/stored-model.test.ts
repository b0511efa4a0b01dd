import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { connectDatabase, type Db } from '../db/database.ts';
import { createApp } from '../app.ts';
import { freshDatabaseUrl, testConfig } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { savePaper } from '../library/collections.ts';

// For-you models are stored (reader_models, issue 17): two app instances on one database agree
// on a reader's model, the stored one being the truth, and a restart does not learn it again.
const papers = ['Diffusion models for images', 'Denoising diffusion for images', 'Graph neural networks', 'Message passing on graphs', 'Reward models for agents'].map((title, i) => ({
  paper: { id: `2611.0810${i}`, title, summary: `${title}. We study ${title.toLowerCase()} at length.`, publishedAt: `2026-11-1${i}T00:00:00.000Z`, upvotes: 10, authors: [{ name: `Writer ${i}` }] },
  publishedAt: '2026-11-18T09:00:00.000Z',
}));

interface ForYouBody {
  papers: { id: string; reasons: string[] }[];
}

describe('stored for-you models', () => {
  let url: string;
  let dbA: Db;
  let dbB: Db;
  let appA: Hono<AppEnv>;
  let appB: Hono<AppEnv>;
  let reader: TestUser;
  const forYou = async (app: Hono<AppEnv>) => {
    const res = await app.request('/api/for-you?limit=50', { headers: { Authorization: `Bearer ${reader.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as ForYouBody;
  };
  const stored = () => dbA.kysely.selectFrom('reader_models').selectAll().where('user_id', '=', reader.id).executeTakeFirst();

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    dbA = await connectDatabase(url);
    dbB = await connectDatabase(url);
    appA = createApp({ db: dbA, config: testConfig() });
    appB = createApp({ db: dbB, config: testConfig() });
    await importHfItems(dbA, papers, '2026-11-18', 'stored-model');
    reader = await signedInUser(dbA);
  });
  afterAll(async () => {
    await dbA.close();
    await dbB.close();
  });

  it('stores what a reader taught it, as the next version, and learns only what is new', async () => {
    expect(await stored()).toBeUndefined();
    await savePaper(dbA.kysely, reader.id, '2611.08100');
    const first = await forYou(appA);
    expect(first.papers[0]!.id).toBe('2611.08101');
    const row = await stored();
    expect(row?.version).toBe(1);
    expect(JSON.parse(row!.model).signals.map((s: unknown[]) => s.slice(0, 3))).toEqual([['save', '2611.08100', 'Diffusion models for images']]);
    // Nothing new: nothing stored again.
    await forYou(appA);
    expect((await stored())?.version).toBe(1);
  });

  it('another instance (or this one restarted) reads the stored model instead of learning it again, and both agree', async () => {
    // A title changed after the save was learned: a model learned again would say the new one; the stored one says what it learned.
    await dbA.kysely.updateTable('papers').set({ title: 'Diffusion models for images, revised' }).where('id', '=', '2611.08100').execute();
    const fromB = await forYou(appB);
    expect(fromB.papers[0]!.reasons.join(' | ')).toContain('because you saved “Diffusion models for images”');
    expect((await stored())?.version).toBe(1);
    expect(fromB).toEqual(await forYou(appA));
  });

  it('a signal learned by one instance is stored, and the other takes the new version', async () => {
    await savePaper(dbB.kysely, reader.id, '2611.08102');
    const fromB = await forYou(appB);
    const row = await stored();
    expect(row?.version).toBe(2);
    expect(JSON.parse(row!.model).signals.map((s: unknown[]) => s[1])).toEqual(['2611.08100', '2611.08102']);
    expect(fromB.papers[0]!.id).toBe('2611.08103');
    expect(await forYou(appA)).toEqual(fromB);
    expect((await stored())?.version).toBe(2);
    // A save taken back is forgotten, and stored so.
    await dbA.kysely.deleteFrom('collection_items').where('paper_id', '=', '2611.08102').execute();
    const after = await forYou(appA);
    expect(after.papers.map((p) => p.id)).toContain('2611.08102');
    expect((await stored())?.version).toBe(3);
    expect(await forYou(appB)).toEqual(after);
  });

  it('both instances learning the same new signal at once agree on one stored version', async () => {
    await savePaper(dbA.kysely, reader.id, '2611.08104');
    const [a, b] = await Promise.all([forYou(appA), forYou(appB)]);
    expect(a).toEqual(b);
    const row = await stored();
    expect(row?.version).toBe(4);
    expect(JSON.parse(row!.model).signals.map((s: unknown[]) => s[1]).sort()).toEqual(['2611.08100', '2611.08104']);
  });
});
