import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { bumpContentVersion } from '../db/content-version.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import { freshDatabaseUrl } from '../../test/helpers.ts';
import { searchPapers } from './engine.ts';
import { dropSearchIndex, keepSearchIndexFile, pruneSearchChanges, searchIndex, searchIndexFile, searchIndexWritten } from './search-index.ts';

// The index follows the database through the change log (decision 019): votes and hides are
// set in place in its arrays, edits go to a delta segment, and the log is pruned.
const WORDS = ['reward', 'model', 'diffusion', 'agents', 'scaling', 'vision', 'galaxy', 'energy'];

function record(i: number): ArxivRecord {
  const day = new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString();
  const w = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
  return {
    id: `2501.${String(10000 + i)}`,
    version: 1,
    title: `Wombat ${w(0)} ${w(1)} number ${i}`,
    abstract: `We study ${w(2)} and ${w(3)} for wombats.`,
    authors: [{ name: `Author ${i % 17}`, affiliation: null }],
    categories: ['cs.LG'],
    primaryCategory: 'cs.LG',
    publishedAt: day,
    updatedAt: day,
    comment: null,
    journalRef: null,
    doi: null,
    pdfUrl: null,
    withdrawnAt: null,
  } as ArxivRecord;
}

const PAPERS = 300;

describe('the search index in step with the database', () => {
  let url: string;
  let db: Db;
  const ids = Array.from({ length: PAPERS }, (_, i) => record(i).id);

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    db = await connectDatabase(url, { poolSize: 4 });
    await importArxivRecords(db, Array.from({ length: PAPERS }, (_, i) => record(i)), 'test');
  }, 60_000);
  afterAll(() => db.close());

  /** A write as the product makes it: the row, and the content version in the same transaction. */
  const update = (id: string, set: { title?: string; upvotes?: number; hidden_at?: string | null }) =>
    db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('papers').set(set).where('id', '=', id).execute();
      await bumpContentVersion(trx);
    });
  const byUpvotes = async () => (await searchPapers(db, { q: 'wombat', sort: 'upvotes', limit: 20 })).hits.map((h) => h.paperId);
  // Ties in upvotes are ordered by the rest of the score: compare the counts.
  const expectedByUpvotes = async () =>
    (await db.kysely.selectFrom('papers').select('upvotes').where('hidden_at', 'is', null).orderBy('upvotes', 'desc').limit(20).execute()).map((r) => Number(r.upvotes));
  const upvotesOf = async (found: string[]) => {
    const rows = await db.kysely.selectFrom('papers').select(['id', 'upvotes']).where('id', 'in', found).execute();
    const counts = new Map(rows.map((r) => [r.id, Number(r.upvotes)]));
    return found.map((id) => counts.get(id));
  };

  it('applies 10,000 votes in place: no delta, no rebuild, and the ranking follows them', async () => {
    await byUpvotes();
    const before = await searchIndex(db);
    const main = before.main;
    let next = 12345;
    const rnd = () => (next = (next * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let t = 0; t < 100; t++) {
      // A hundred votes up and down, as the votes module writes them: the counts and the content
      // version, in one statement per batch (one per vote took a minute on PostgreSQL).
      const votes = new Map<string, number>();
      for (let v = 0; v < 100; v++) {
        const id = ids[Math.floor(rnd() * PAPERS)]!;
        votes.set(id, (votes.get(id) ?? 0) + (rnd() < 0.7 ? 1 : -1));
      }
      const rows = sql.join([...votes].map(([id, by]) => sql`(${id}, cast(${by} as integer))`));
      await db.kysely.transaction().execute(async (trx) => {
        await sql`update papers set upvotes = case when papers.upvotes + v.column2 < 0 then 0 else papers.upvotes + v.column2 end
          from (values ${rows}) as v where papers.id = v.column1`.execute(trx);
        await bumpContentVersion(trx, { papersOnly: true });
      });
      if (t % 25 === 24) expect(await upvotesOf(await byUpvotes())).toEqual(await expectedByUpvotes());
    }
    const after = await searchIndex(db);
    expect(after.main).toBe(main);
    expect(after.delta).toBeNull();
    expect(after.changed.size).toBe(0);
    expect(await upvotesOf(await byUpvotes())).toEqual(await expectedByUpvotes());
  }, 120_000);

  it('hides and shows a paper again in place, and indexes an edit in the delta, where a vote then lands', async () => {
    const top = (await byUpvotes())[0]!;
    const main = (await searchIndex(db)).main;
    await update(top, { hidden_at: new Date().toISOString() });
    expect(await byUpvotes()).not.toContain(top);
    await update(top, { hidden_at: null });
    expect((await byUpvotes())[0]).toBe(top);
    expect((await searchIndex(db)).delta).toBeNull();

    const edited = ids[5]!;
    await update(edited, { title: 'Quokka wombat study' });
    expect((await searchPapers(db, { q: 'quokka' })).hits.map((h) => h.paperId)).toEqual([edited]);
    await update(edited, { upvotes: 1_000_000 });
    expect((await byUpvotes())[0]).toBe(edited);
    const index = await searchIndex(db);
    expect(index.main).toBe(main);
    expect([...index.changed]).toEqual([edited]);
    expect(index.delta?.upvotes[index.delta.ids.ordinalOf(edited)!]).toBe(1_000_000);
  }, 60_000);

  it('prunes the change log; a process behind what was pruned rebuilds its index', async () => {
    const other = await connectDatabase(url, { poolSize: 2 });
    try {
      await searchPapers(other, { q: 'wombat' });
      const stale = await searchIndex(other);
      const renamed = ids[7]!;
      await update(renamed, { title: 'Numbat wombat survey' });
      await searchPapers(db, { q: 'numbat' }); // this process follows before the prune
      const count = async () => Number((await sql<{ n: number }>`select count(*) as n from paper_search_changes`.execute(db.kysely)).rows[0]!.n);
      expect(await count()).toBeGreaterThan(5_000);
      // Nothing is a day old yet; with nothing kept, everything goes.
      expect(await pruneSearchChanges(db)).toBe(0);
      expect(await pruneSearchChanges(db, 0, new Date(Date.now() + 1000))).toBeGreaterThan(5_000);
      expect(await count()).toBe(0);

      const mine = (await searchIndex(db)).main;
      expect((await searchPapers(other, { q: 'numbat' })).hits.map((h) => h.paperId)).toEqual([renamed]);
      expect((await searchIndex(other)).main).not.toBe(stale.main);
      // This process had applied everything pruned: it carries on with what it holds.
      await update(renamed, { upvotes: 2_000_000 });
      expect((await byUpvotes())[0]).toBe(renamed);
      expect((await searchIndex(db)).main).toBe(mine);
    } finally {
      dropSearchIndex(other);
      await other.close();
    }
  }, 60_000);

  it('keeps the index in a file that the next process reads and brings up to date; a damaged file is rebuilt', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-search-index-'));
    const open = async () => {
      const other = await connectDatabase(url, { poolSize: 2 });
      keepSearchIndexFile(other, dir);
      return other;
    };
    /** A damaged file is not read: the next process builds the index again, with every change in it. */
    const expectRebuilt = async () => {
      const next = await open();
      try {
        expect((await searchIndex(next)).source).toBe('built');
        expect((await searchPapers(next, { q: 'bilby' })).hits.map((h) => h.paperId)).toEqual([ids[9]]);
        await searchIndexWritten(next);
      } finally {
        await next.close();
      }
    };
    const first = await open();
    let file: string;
    try {
      expect((await searchIndex(first)).source).toBe('built');
      await searchIndexWritten(first);
      file = (await searchIndexFile(first))!;
    } finally {
      await first.close();
    }
    expect(path.dirname(file)).toBe(dir);
    expect(fs.statSync(file).size).toBeGreaterThan(1000);
    // Written while no process runs: the next one finds it in the change log.
    await update(ids[9]!, { title: 'Bilby wombat atlas' });
    await update(ids[10]!, { upvotes: 3_000_000 });

    const second = await open();
    try {
      expect((await searchIndex(second)).source).toBe('file');
      expect((await searchPapers(second, { q: 'bilby' })).hits.map((h) => h.paperId)).toEqual([ids[9]]);
      expect((await searchPapers(second, { q: 'wombat', sort: 'upvotes' })).hits[0]!.paperId).toBe(ids[10]);
      expect((await searchPapers(second, { q: 'wombat' })).total).toBe((await searchPapers(db, { q: 'wombat' })).total);
    } finally {
      await second.close();
    }

    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 10]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    await expectRebuilt();
    // Cut short (the arrays and the checksum's worker both reach its end early): rebuilt too.
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
    await expectRebuilt();
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
