import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HF_JUNE, freshDb, hasFixtures, testConfig } from '../../test/helpers.ts';
import { searchPapers } from '../search/engine.ts';
import { importHfItems } from './hf-import.ts';
import { seedIfEmpty } from './seed.ts';

const count = async (db: Awaited<ReturnType<typeof freshDb>>) =>
  Number((await db.kysely.selectFrom('daily_listings').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('first start', () => {
  it('loads the demo data when the Hugging Face API is unreachable, and only once', async () => {
    const db = await freshDb();
    // A closed port on loopback: connection refused at once.
    const config = testConfig({ HF_API_URL: 'http://127.0.0.1:9', SEED_DAYS: '3' });
    expect(await seedIfEmpty(db, config)).toMatch(/demo data because http:\/\/127.0.0.1:9 is not reachable .*: 40 fictional papers/);
    expect(await count(db)).toBe(40);
    // Made-up ids: the metadata job must never ask arXiv about them (another paper has each id there).
    const { n } = await db.kysely.selectFrom('arxiv_metadata_checks').select((eb) => eb.fn.countAll().as('n')).where('outcome', '=', 'fictional').where('retry_at', 'is', null).executeTakeFirstOrThrow();
    expect(Number(n)).toBe(40);
    // Every demo paper has the categories arXiv would give it, primary first, so that the
    // category filter has something to find on a first start.
    const paper = await db.kysely.selectFrom('papers').select('primary_category').where('id', '=', '2611.09128').executeTakeFirstOrThrow();
    expect(paper.primary_category).toBe('cs.CL');
    const categorised = await db.kysely.selectFrom('paper_categories').select('paper_id').distinct().execute();
    expect(categorised).toHaveLength(40);
    const robotics = await searchPapers(db, { q: 'cat:cs.RO' });
    expect(robotics.total).toBeGreaterThanOrEqual(5);
    const withCode = await searchPapers(db, { q: 'cat:cs.CL has:code' });
    expect(withCode.total).toBeGreaterThan(0);
    expect(await seedIfEmpty(db, config)).toBeNull();
    expect(await count(db)).toBe(40);
    await db.close();
  });

  it('finishes the demo data on the next start when a start was killed while loading it', async () => {
    const db = await freshDb();
    const config = testConfig({ HF_API_URL: 'http://127.0.0.1:9', SEED_DAYS: '0' });
    // What a kill after the first demo day leaves: the mark set before loading, one day's papers, no categories, no fictional marks.
    const demo = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'demo-papers.json'), 'utf8')) as { days: { date: string; items: unknown[] }[] };
    await db.kysely.insertInto('site_state').values({ key: 'demo_seed_pending', value: 1 }).execute();
    const first = demo.days[0]!;
    await importHfItems(db, first.items, first.date, 'demo');
    expect(await count(db)).toBe(first.items.length);

    expect(await seedIfEmpty(db, config)).toBe(`finished loading the demo data an earlier start began: ${40 - first.items.length} more fictional papers`);
    expect(await count(db)).toBe(40);
    const fictional = await db.kysely.selectFrom('arxiv_metadata_checks').select((eb) => eb.fn.countAll().as('n')).where('outcome', '=', 'fictional').executeTakeFirstOrThrow();
    expect(Number(fictional.n)).toBe(40);
    expect(await db.kysely.selectFrom('paper_categories').select('paper_id').distinct().execute()).toHaveLength(40);
    expect(await db.kysely.selectFrom('site_state').select('key').where('key', '=', 'demo_seed_pending').execute()).toEqual([]);
    expect(await seedIfEmpty(db, config)).toBeNull();
    await db.close();
  });

  // Needs ../shared/fixtures: a local server answers /api/daily_papers?date= with the recorded June 2026 days.
  describe.skipIf(!hasFixtures)('when the Hugging Face API answers', () => {
    let server: http.Server;
    let baseUrl: string;
    const asked: string[] = [];
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        const url = new URL(req.url!, 'http://localhost');
        asked.push(url.searchParams.get('date') ?? '');
        const file = path.join(HF_JUNE, `${url.searchParams.get('date')}.json`);
        if (url.pathname !== '/api/daily_papers') return res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // Hugging Face answers a day without papers with an empty array.
        res.end(fs.existsSync(file) ? fs.readFileSync(file) : '[]');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('imports the latest days, skipping days without papers', async () => {
      const db = await freshDb();
      const outcome = await seedIfEmpty(db, testConfig({ HF_API_URL: baseUrl, SEED_DAYS: '3' }), new Date('2026-06-28T12:00:00Z'));
      // 2026-06-28 and 06-27 are a weekend; the three latest days with papers are June 24–26.
      expect(asked.slice(0, 5)).toEqual(['2026-06-28', '2026-06-27', '2026-06-26', '2026-06-25', '2026-06-24']);
      const days = await db.kysely.selectFrom('daily_listings').select('day').distinct().orderBy('day').execute();
      expect(days.map((d) => d.day)).toEqual(['2026-06-24', '2026-06-25', '2026-06-26']);
      const expected = ['24', '25', '26']
        .map((d) => (JSON.parse(fs.readFileSync(path.join(HF_JUNE, `2026-06-${d}.json`), 'utf8')) as unknown[]).length)
        .reduce((a, b) => a + b);
      expect(await count(db)).toBe(expected);
      expect(outcome).toContain(`imported ${expected} papers from 3 recent days`);
      await db.close();
    });
  });
});
