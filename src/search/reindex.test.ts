import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { HF_JUNE, freshDatabaseUrl, hasFixtures } from '../../test/helpers.ts';
import { cli } from '../../test/run-cli.ts';
import { importHfPath } from '../ingest/hf-import.ts';
import { searchPapers } from './engine.ts';
import { reindex } from './reindex.ts';

// `dailypapers search reindex` repairs an index that SQL typed by hand has left behind the rows.
// Needs ../shared/fixtures (a month of the Hugging Face API); skips itself where it is absent.
describe.skipIf(!hasFixtures)('rebuilding the search index', () => {
  let url: string;
  let db: Db;
  let paper: { id: string; title: string };

  beforeAll(async () => {
    url = await freshDatabaseUrl();
    db = await connectDatabase(url);
    await importHfPath(db, HF_JUNE);
    paper = await db.kysely.selectFrom('papers').select(['id', 'title']).orderBy('upvotes', 'desc').executeTakeFirstOrThrow();
  }, 120_000);
  afterAll(() => db.close());

  const found = async (q: string) => (await searchPapers(db, { q, limit: 100 })).hits.map((h) => h.paperId);

  it('finds a paper by its title, and by an author renamed by hand only after a rebuild', async () => {
    expect(await found(`"${paper.title}"`)).toContain(paper.id);
    // A hand edit of the author rows bypasses the import code that writes papers.author_names.
    await sql`update paper_authors set name = 'Zyxwvu Qwertyuiop' where paper_id = ${paper.id} and position = 0`.execute(db.kysely);
    expect(await found('author:"Zyxwvu Qwertyuiop"')).toEqual([]);

    const report = await reindex(db);
    expect(report.papers).toBeGreaterThan(500);
    expect(report.indexed).toBe(report.papers);
    expect(await found('author:"Zyxwvu Qwertyuiop"')).toEqual([paper.id]);
    expect(await found(`"${paper.title}"`)).toContain(paper.id);
  });

  it('rebuilds from the command line, and a running process follows', async () => {
    // SQL typed by hand changes no content version: this process's index has not looked yet.
    await sql`update papers set title = 'Wombatformer' where id = ${paper.id}`.execute(db.kysely);
    expect(await found('wombatformer')).toEqual([]);
    const { code, stdout } = await cli(['search', 'reindex'], { DATABASE_URL: url });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^search: indexed \d+ of \d+ papers/);
    expect(await found('wombatformer')).toEqual([paper.id]);
    expect(await found(`"${paper.title}"`)).not.toContain(paper.id);
  });
});
