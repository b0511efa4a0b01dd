import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasFixtures, sqliteArchiveImport, testConfig, testDialect } from '../../test/helpers.ts';
import { englishPostgresUrl, expectVerified } from '../../test/copy.ts';
import { createApp } from '../app.ts';
import { copyDatabase } from './copy.ts';
import { connectDatabase, type Db } from './database.ts';

// Needs ../shared/fixtures (the real Hugging Face archive): skipped where it is absent,
// and on the SQLite pass, since what it proves is that PostgreSQL serves the same site.
describe.skipIf(!hasFixtures || testDialect !== 'postgres')('copying the whole archive from SQLite to PostgreSQL (en-US collation)', () => {
  let from: Db;
  let to: Db;
  beforeAll(async () => {
    // The SQLite pass imports the same archive for its own tests: it is imported once for both (test/helpers.ts).
    from = await connectDatabase(`sqlite:${(await sqliteArchiveImport()).file}`);
    to = await connectDatabase(await englishPostgresUrl());
  }, 300_000);
  afterAll(() => Promise.all([from?.close(), to?.close()]));

  it('copies and verifies every table', async () => {
    const report = await copyDatabase(from, to);
    expectVerified(report);
    expect(report.find((r) => r.table === 'papers')?.sourceRows).toBe(9534);
    expect(report.find((r) => r.table === 'daily_listings')?.sourceRows).toBe(9538);
  }, 300_000);

  it('serves the same pages and API answers from the copy', async () => {
    const apps = [from, to].map((db) => createApp({ db, config: testConfig() }));
    const featured = await from.kysely
      .selectFrom('paper_authors')
      .innerJoin('daily_listings as l', 'l.paper_id', 'paper_authors.paper_id')
      .select('l.paper_id')
      .where('l.day', '=', '2026-06-18')
      .groupBy('l.paper_id')
      .orderBy((eb) => eb.fn.countAll(), 'desc')
      .orderBy('l.paper_id')
      .executeTakeFirstOrThrow();
    const paths = [
      '/papers',
      '/papers/date/2026-06-18',
      '/papers/week/2026-W25',
      '/papers/month/2026-06',
      '/papers/trending',
      `/papers/${featured.paper_id}`,
      '/api/daily_papers?date=2026-06-18&limit=100',
      '/api/daily_papers?sort=trending&limit=20',
      `/api/papers/${featured.paper_id}`,
    ];
    for (const p of paths) {
      // Related papers are ranked by each database's own text scoring (BM25 or ts_rank): they may differ.
      const withoutRelated = (html: string) => html.replace(/<section class="related"[\s\S]*?<\/section>/, '');
      const [a, b] = await Promise.all(apps.map(async (app) => withoutRelated(await (await app.request(p)).text())));
      expect(a?.length, p).toBeGreaterThan(500);
      expect(b, p).toBe(a);
    }
  }, 120_000);
});
