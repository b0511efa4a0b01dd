import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { connectDatabase, type Db } from '../db/database.ts';
import { createApp } from '../app.ts';
import type { ImportSummary } from './summary.ts';
import { HF_ARCHIVE, HF_JUNE, archiveImport, breathe, hasFixtures, testApp, testConfig } from '../../test/helpers.ts';
import { importHfPath } from './hf-import.ts';

type Json = Record<string, any>;

async function readArchive(): Promise<{ date: string; items: Json[] }[]> {
  const lines = readline.createInterface({ input: fs.createReadStream(HF_ARCHIVE).pipe(createGunzip()) });
  const days = [];
  for await (const line of lines) if (line.trim()) days.push(JSON.parse(line));
  return days;
}

// Needs ../shared/fixtures (the real Hugging Face archive); skips itself where it is absent.
describe.skipIf(!hasFixtures)('importing the Hugging Face archive', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let archive: { date: string; items: Json[] }[];
  let summary: ImportSummary;

  beforeAll(async () => {
    // The run's one import of the archive (test/helpers.ts), which the search tests read too.
    const imported = await archiveImport();
    summary = imported.summary;
    db = await connectDatabase(imported.url, { poolSize: 4 });
    app = createApp({ db, config: testConfig() });
    archive = await readArchive();
  });
  afterAll(() => db.close());

  it('imports every paper and listing of the archive', async () => {
    expect(summary).toMatchObject({ new: 9538, updated: 0, unchanged: 0, rejected: 0 });
    const count = async (table: 'papers' | 'daily_listings') =>
      Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('papers')).toBe(9534);
    expect(await count('daily_listings')).toBe(9538);
    const days = await db.kysely.selectFrom('daily_listings').select('day').distinct().execute();
    expect(days.length).toBe(556);
  });

  it('changes nothing on a second run, nor when the same days come as a folder of API files', async () => {
    const before = await db.kysely.selectFrom('papers').select(['id', 'modified_at']).execute();
    expect(await importHfPath(db, HF_ARCHIVE)).toMatchObject({ new: 0, updated: 0, unchanged: 9538, rejected: 0 });
    expect(await importHfPath(db, HF_JUNE)).toMatchObject({ new: 0, updated: 0, unchanged: 619, rejected: 0 });
    const after = await db.kysely.selectFrom('papers').select(['id', 'modified_at']).execute();
    expect(after).toEqual(before);
  });

  it('gives back what the source said, field for field, through /api/daily_papers', async () => {
    // A paper featured on two days keeps its newest record's paper fields; each listing keeps its own day's.
    const latest = new Map<string, Json>();
    for (const day of archive) for (const item of day.items) latest.set(item.paper.id, item);

    /** What the API served of the fields the source had: extra fields of the API's own are not compared. */
    const served = (got: Json | undefined, expected: Json): Json | undefined =>
      got && { ...Object.fromEntries(Object.keys(expected).map((key) => [key, got[key]])), paper: Object.fromEntries(Object.keys(expected.paper).map((key) => [key, got.paper?.[key]])) };

    let compared = 0;
    // Four days at a time: on PostgreSQL the requests' queries overlap.
    const answers = new Map<string, Promise<Response>>();
    const answer = (date: string) => answers.get(date) ?? answers.set(date, Promise.resolve(app.request(`/api/daily_papers?date=${date}&limit=100`))).get(date)!;
    for (const [i, day] of archive.entries()) {
      await breathe();
      for (const next of archive.slice(i + 1, i + 4)) void answer(next.date);
      const res = await answer(day.date);
      answers.delete(day.date);
      expect(res.status).toBe(200);
      const byId = new Map(((await res.json()) as Json[]).map((e) => [e.paper.id, e]));
      expect(byId.size, day.date).toBe(day.items.length);
      const expected = day.items.map((source) => {
        const newest = latest.get(source.paper.id)!;
        if (newest === source) return source;
        const merged: Json = { ...source, paper: { ...newest.paper, submittedOnDailyAt: source.paper.submittedOnDailyAt, submittedOnDailyBy: source.paper.submittedOnDailyBy } };
        for (const key of ['numComments', 'organization', 'thumbnail'] as const) merged[key] = newest[key];
        for (const key of Object.keys(merged.paper)) if (merged.paper[key] === undefined) delete merged.paper[key];
        for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
        return merged;
      });
      // One comparison per day: a difference shows as a diff naming the paper and the field.
      expect(expected.map((e) => served(byId.get(e.paper.id), e)), day.date).toEqual(expected);
      compared += expected.length;
    }
    expect(compared).toBe(9538);
  });

  it('serves the paper object at /api/papers/{id} as its newest record says', async () => {
    const item = archive.at(-1)!.items[0]!;
    const res = await app.request(`/api/papers/${item.paper.id}`);
    expect(res.status).toBe(200);
    const paper = (await res.json()) as Json;
    for (const key of Object.keys(item.paper)) expect(paper[key], key).toEqual(item.paper[key]);
  });
});

describe('bad records', () => {
  it('reports each bad record with its position and imports the rest', async () => {
    const { db } = await testApp();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-bad-'));
    const good = (id: string) => ({
      paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-01-01T00:00:00.000Z', upvotes: 3, authors: [{ _id: 'a1', name: 'Ada', hidden: false }] },
      publishedAt: '2026-01-02T10:00:00.000Z',
      title: `Paper ${id}`,
      numComments: 0,
    });
    const lines = [
      JSON.stringify({ date: '2026-01-02', items: [good('2601.00001'), { paper: { id: 'not-an-id' } }, good('2601.00002')] }),
      '{"date": "2026-01-03", "items": [',
      JSON.stringify({ date: '2026-13-45', items: [] }),
      JSON.stringify({ date: '2026-01-04', items: [{ ...good('2601.00003'), paper: { ...good('2601.00003').paper, title: '' } }, good('2601.00004')] }),
    ];
    const file = path.join(dir, 'archive.jsonl');
    fs.writeFileSync(file, lines.join('\n'));
    const summary = await importHfPath(db, file);
    expect(summary).toMatchObject({ new: 3, rejected: 4 });
    expect(summary.problems.map((p) => p.position)).toEqual(['archive.jsonl:1 #1', 'archive.jsonl:2', 'archive.jsonl:3', 'archive.jsonl:4 #0']);
    expect(summary.problems[0]!.reason).toMatch(/arXiv id/);
    expect(summary.problems[3]!.reason).toMatch(/empty title/);

    fs.writeFileSync(path.join(dir, 'broken.json'), '[{"paper": ');
    const folder = await importHfPath(db, dir);
    expect(folder.problems.some((p) => p.position === 'broken.json' && /invalid JSON/.test(p.reason))).toBe(true);
    await db.close();
  });

  it('takes the featured day from the file name, else from submittedOnDailyAt, else from publishedAt', async () => {
    const { db } = await testApp();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-day-'));
    const item = (id: string, extra: Json = {}) => ({
      paper: { id, title: 't', summary: 's', publishedAt: '2026-01-01T00:00:00.000Z', upvotes: 0, authors: [], ...extra },
      publishedAt: '2026-01-05T23:30:00.000Z',
    });
    fs.writeFileSync(path.join(dir, '2026-01-06.json'), JSON.stringify([item('2601.00011')]));
    fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify([item('2601.00012', { submittedOnDailyAt: '2026-01-07T08:00:00.000Z' }), item('2601.00013')]));
    await importHfPath(db, dir);
    const rows = await db.kysely.selectFrom('daily_listings').select(['paper_id', 'day']).orderBy('paper_id').execute();
    expect(rows).toEqual([
      { paper_id: '2601.00011', day: '2026-01-06' },
      { paper_id: '2601.00012', day: '2026-01-07' },
      { paper_id: '2601.00013', day: '2026-01-05' },
    ]);
    await db.close();
  });
});
