import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, freshDatabaseUrl, hasFixtures } from '../../test/helpers.ts';
import { connectDatabase } from '../db/database.ts';

// The real executable (`dailypapers import snapshot`) reading from a named pipe, killed while
// it imports; then run again over the whole file, and compared with an uninterrupted import.
// Batches of BATCH records (the default is 5,000) keep the same shape at a tenth of the work.
const BIN = path.resolve(import.meta.dirname, '../../bin/dailypapers.js');
const ABS_RECORDS = path.join(FIXTURES, 'corpus/arxiv_browse_abs_records_with_abstracts.jsonl');
const BATCH = 500;
const LINES = 2.4 * BATCH;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-snapshot-crash-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Snapshot lines from the real records, copied under new ids until there are `LINES`. */
function snapshotLines(): string[] {
  const source = fs
    .readFileSync(ABS_RECORDS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { title: string; authors: string; abstract: string; categories: string[]; versions: { version: string; date: string }[] });
  return Array.from({ length: LINES }, (_, i) => {
    const r = source[i % source.length]!;
    return JSON.stringify({
      id: `2001.${10_000 + i}`,
      authors: r.authors,
      title: r.title,
      abstract: r.abstract,
      categories: r.categories.join(' '),
      versions: r.versions.map((v) => ({ version: v.version, created: v.date })),
    });
  });
}

describe.skipIf(!hasFixtures)('dailypapers import snapshot across a kill', () => {
  it('SIGKILL mid-import leaves whole batches with their index; the next run imports the rest and matches an uninterrupted import', async () => {
    const lines = snapshotLines();
    const whole = path.join(tmp, 'snapshot.json');
    fs.writeFileSync(whole, lines.join('\n') + '\n');
    const [crashed, clean] = [await freshDatabaseUrl(), await freshDatabaseUrl()];

    const fifo = path.join(tmp, 'snapshot-pipe.json');
    execFileSync('mkfifo', [fifo]);
    const child = startCli(crashed, fifo);
    const ended = exited(child);
    const pipe = fs.createWriteStream(fifo);
    pipe.on('error', () => {}); // EPIPE once the reader is dead
    const write = (from: number, to: number) => new Promise((resolve) => pipe.write(lines.slice(from, to).join('\n') + '\n', resolve));

    // The first batch commits; the second is in flight when the process dies.
    await write(0, 1.4 * BATCH);
    await Promise.race([until(async () => (await paperCount(crashed)) >= BATCH), ended.then((r) => Promise.reject(new Error(`the run ended early: ${JSON.stringify(r)}`)))]);
    await write(1.4 * BATCH, 2 * BATCH);
    child.kill('SIGKILL');
    expect((await ended).signal).toBe('SIGKILL');
    pipe.destroy();

    const kept = await paperCount(crashed);
    expect(kept).toBeGreaterThanOrEqual(BATCH);
    // Whole transactions only, of BATCH records each.
    expect(kept % BATCH).toBe(0);
    await expectIndexInStep(crashed);
    // The kept batches skipped the suggest-key triggers and noted their papers, in their own transactions, for the build the run never reached.
    expect(await pendingCount(crashed)).toBe(kept);
    // …and wrote no keys of their own: the per-row triggers were skipped.
    expect(await withDb(crashed, async (db) => Number((await sql<{ n: number }>`select count(*) as n from suggest_keys where kind in ('paper', 'author')`.execute(db.kysely)).rows[0]!.n))).toBe(0);

    const again = await exited(startCli(crashed, whole));
    expect(again).toMatchObject({ code: 0, signal: null });
    expect(again.stdout).toContain(`import: ${LINES - kept} new, 0 updated, ${kept} unchanged, 0 rejected`);
    await expectIndexInStep(crashed);

    const uninterrupted = await exited(startCli(clean, whole));
    expect(uninterrupted.stdout).toContain(`import: ${LINES} new, 0 updated, 0 unchanged, 0 rejected`);
    const [a, b] = [await dump(crashed), await dump(clean)];
    expect(a.papers).toHaveLength(LINES);
    expect(a.found.length).toBeGreaterThan(0);
    expect(a.suggestKeys.length).toBeGreaterThan(LINES * 10);
    expect(await pendingCount(crashed)).toBe(0);
    expect(a).toEqual(b);
  });
});

function startCli(databaseUrl: string, file: string): ChildProcess {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl };
  return spawn(process.execPath, [BIN, 'import', 'snapshot', file, '--batch-size', String(BATCH)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Resolves once `condition` holds; the test's limit bounds the wait. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function withDb<T>(url: string, work: (db: Awaited<ReturnType<typeof connectDatabase>>) => Promise<T>): Promise<T> {
  const db = await connectDatabase(url);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

const pendingCount = (url: string) => withDb(url, async (db) => Number((await sql<{ n: number }>`select count(*) as n from suggest_keys_pending`.execute(db.kysely)).rows[0]!.n));
const paperCount = (url: string) => withDb(url, async (db) => Number((await sql<{ n: number }>`select count(*) as n from papers`.execute(db.kysely)).rows[0]!.n));

/** The full-text index holds exactly the stored papers, and the insert trigger is in place for the next write. */
async function expectIndexInStep(url: string): Promise<void> {
  await withDb(url, async (db) => {
    const one = async (query: ReturnType<typeof sql<{ n: number }>>) => Number((await query.execute(db.kysely)).rows[0]!.n);
    const papers = await one(sql<{ n: number }>`select count(*) as n from papers`);
    if (db.dialect === 'postgres') {
      expect(await one(sql<{ n: number }>`select count(*) as n from papers where search_vector is null`)).toBe(0);
      return;
    }
    await sql`insert into paper_search (paper_search) values ('integrity-check')`.execute(db.kysely);
    expect(await one(sql<{ n: number }>`select count(*) as n from paper_search_rows`)).toBe(papers);
    expect(await one(sql<{ n: number }>`select count(*) as n from paper_search_docsize`)).toBe(papers);
    const triggers = await sql<{ name: string }>`select name from sqlite_master where type = 'trigger' and name like 'papers_search_%' order by name`.execute(db.kysely);
    // FTS5's three, and the search index's change log (decision 019).
    expect(triggers.rows.map((r) => r.name)).toEqual(['papers_search_delete', 'papers_search_insert', 'papers_search_log_delete', 'papers_search_log_insert', 'papers_search_log_state', 'papers_search_log_update', 'papers_search_update']);
    const suggest = await sql<{ name: string }>`select name from sqlite_master where type = 'trigger' and name like '%suggest_insert' order by name`.execute(db.kysely);
    expect(suggest.rows.map((r) => r.name)).toEqual(['organizations_suggest_insert', 'paper_authors_suggest_insert', 'papers_suggest_insert']);
  });
}

/** What an import leaves: papers (write times left out), authors, categories, what a few searches find, and the suggest keys. */
async function dump(url: string) {
  return withDb(url, async (db) => {
    const papers = (await db.kysely.selectFrom('papers').selectAll().orderBy('id').execute()).map(({ created_at: _c, modified_at: _m, ...rest }) => rest);
    const authors = await db.kysely.selectFrom('paper_authors').selectAll().orderBy('paper_id').orderBy('position').execute();
    const categories = await db.kysely.selectFrom('paper_categories').selectAll().orderBy('paper_id').orderBy('category').execute();
    const found: string[] = [];
    for (const word of ['galaxy', 'quantum', 'neutrino']) {
      const rows =
        db.dialect === 'postgres'
          ? await sql<{ id: string }>`select id from papers where search_vector @@ to_tsquery('english', ${word}) order by id`.execute(db.kysely)
          : await sql<{ id: string }>`select r.paper_id as id from paper_search s join paper_search_rows r on r.doc = s.rowid where paper_search match ${word} order by r.paper_id`.execute(db.kysely);
      found.push(...rows.rows.map((r) => `${word}:${r.id}`));
    }
    // The whole suggest_keys table: built set-wise after the kill and in one go without it, it must come out the same.
    const suggestKeys = (await sql<{ k: string }>`select kind || '|' || key || '|' || target as k from suggest_keys order by kind, key, target`.execute(db.kysely)).rows.map((r) => r.k);
    return { papers, authors, categories, found, suggestKeys };
  });
}
