import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HF_ARCHIVE, emptyDatabaseUrl, freshDatabaseUrl, hasFixtures, testConfig, testDialect } from '../../test/helpers.ts';
import { cli } from '../../test/run-cli.ts';
import { createApp } from '../app.ts';
import { importHfPath } from '../ingest/hf-import.ts';
import { importDemoData } from '../ingest/seed.ts';
import { COPIED_TABLES, copyDatabase, type TableReport } from './copy.ts';
import { connectDatabase, migrateToLatest, type Db } from './database.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-copy-'));
let files = 0;
/** A new SQLite file: the cross-dialect copies need one on the PostgreSQL pass too. */
const sqliteUrl = async () => `sqlite:${path.join(tmp, `db-${++files}.db`)}`;

/**
 * A new PostgreSQL database sorting text the en-US way, as many installations do, unlike
 * SQLite's byte order (and unlike the C.UTF-8 of the test server). Dropped with the run's others.
 */
async function englishPostgresUrl(): Promise<string> {
  const name = `${inject('pgTemplate')}_en_us_${process.pid}_${++files}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${name}" locale_provider icu icu_locale 'en-US' template template0`);
  await admin.end();
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.href;
}

/** A stored vector with bytes a text round trip would damage: NUL, 0xff, a NaN pattern. */
const VECTOR = Buffer.from([0x00, 0x00, 0x80, 0x3f, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x00, 0xdb, 0x0f, 0x49, 0xc0]);

/** A migrated database holding the demo data, categories (no import writes them yet), a claimed job period and a paper's vector. */
async function seeded(url: string): Promise<Db> {
  const db = await connectDatabase(url);
  await migrateToLatest(db);
  await importDemoData(db);
  const { id } = await db.kysely.selectFrom('papers').select('id').orderBy('id').executeTakeFirstOrThrow();
  await db.kysely.insertInto('paper_categories').values(['cs.LG', 'cs.CL', 'stat.ML'].map((category) => ({ paper_id: id, category }))).execute();
  await db.kysely
    .insertInto('job_runs')
    .values({ job: 'digest', period_start: '2026-11-16T00:00:00.000Z', instance: 'test', started_at: '2026-11-16T00:00:01.000Z', outcome: 'ok', finished_at: null, detail: null })
    .execute();
  await db.kysely.insertInto('paper_embeddings').values({ paper_id: id, model: 'test-embed', dimensions: 4, vector: VECTOR, created_at: '2026-11-16T00:00:02.000Z' }).execute();
  return db;
}

const count = async (db: Db, table: 'papers' | 'users' | 'organizations') =>
  Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

function expectVerified(report: TableReport[]) {
  expect(report.map((r) => r.table)).toEqual(COPIED_TABLES.map((t) => t.table));
  for (const r of report) {
    expect(r, r.table).toMatchObject({ ok: true, targetRows: r.sourceRows, targetChecksum: r.sourceChecksum });
  }
}

describe('copying a database', () => {
  const directions: [string, () => Promise<string>, () => Promise<string>][] =
    testDialect === 'postgres'
      ? [
          ['sqlite → postgres', sqliteUrl, emptyDatabaseUrl],
          ['postgres → sqlite', freshDatabaseUrl, sqliteUrl],
        ]
      : [['sqlite → sqlite', freshDatabaseUrl, emptyDatabaseUrl]];

  it.each(directions)('%s: copies every row, verifies it, and new rows get fresh ids', async (_name, sourceUrl, targetUrl) => {
    const from = await seeded(await sourceUrl());
    const to = await connectDatabase(await targetUrl());
    const report = await copyDatabase(from, to);
    expectVerified(report);
    expect(report.find((r) => r.table === 'papers')?.sourceRows).toBe(40);
    expect(report.find((r) => r.table === 'job_runs')?.sourceRows).toBe(1);
    expect(report.find((r) => r.table === 'paper_categories')?.sourceRows).toBe(3);
    expect(report.find((r) => r.table === 'paper_embeddings')?.sourceRows).toBe(1);
    const { vector } = await to.kysely.selectFrom('paper_embeddings').select('vector').executeTakeFirstOrThrow();
    expect(Buffer.from(vector).equals(VECTOR)).toBe(true);

    // Identity sequences moved past the copied ids (PostgreSQL's stay at 1 after explicit ids otherwise).
    // The demo's submitters and authors are imported identities, apart from local accounts.
    expect(report.find((r) => r.table === 'imported_users')?.sourceRows).toBeGreaterThan(0);
    const maxId = Number((await to.kysely.selectFrom('imported_users').select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m);
    expect(maxId).toBeGreaterThan(0);
    const added = await to.kysely
      .insertInto('imported_users')
      .values({ source: 'hf', username: 'after-copy', fullname: 'After Copy', avatar_url: null, hf_id: null, user_id: null, created_at: '2026-12-01T00:00:00.000Z' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(added.id).toBeGreaterThan(maxId);
    await Promise.all([from.close(), to.close()]);
  });

  // Text keys must hash in the same order on both sides; PostgreSQL's en-US order is not SQLite's byte order.
  it.runIf(testDialect === 'postgres')('orders text keys by bytes on PostgreSQL whatever its collation', async () => {
    const from = await seeded(await sqliteUrl());
    for (const job of ['a_b', 'aB', 'ab', 'a-c', 'Ab', 'b']) {
      await from.kysely.insertInto('job_runs').values({ job, period_start: 'x', instance: 'i', started_at: 's', outcome: 'ok', finished_at: null, detail: null }).execute();
    }
    const to = await connectDatabase(await englishPostgresUrl());
    expectVerified(await copyDatabase(from, to));
    await Promise.all([from.close(), to.close()]);
  });

  it('refuses a target that is not empty, naming the table, and writes nothing', async () => {
    const from = await seeded(await freshDatabaseUrl());
    const to = await connectDatabase(await freshDatabaseUrl());
    await to.kysely.insertInto('organizations').values({ name: 'here', fullname: 'Here', avatar_url: null, hf_id: null, created_at: '2026-01-01' }).execute();
    await expect(copyDatabase(from, to)).rejects.toThrow(/^copy: the target is not empty: organizations has 1 rows/);
    expect(await count(to, 'organizations')).toBe(1);
    expect(await count(to, 'papers')).toBe(0);
    await Promise.all([from.close(), to.close()]);
  });

  it('leaves the target empty when the copy fails part way', async () => {
    const from = await seeded(await freshDatabaseUrl());
    const to = await connectDatabase(await freshDatabaseUrl());
    const failing = ({ table }: { table: string }) => {
      if (table === 'paper_authors') throw new Error('copy: interrupted');
    };
    await expect(copyDatabase(from, to, failing)).rejects.toThrow('copy: interrupted');
    for (const table of ['organizations', 'users', 'papers'] as const) expect(await count(to, table)).toBe(0);
    // Nothing half-done stops a second attempt.
    expectVerified(await copyDatabase(from, to));
    await Promise.all([from.close(), to.close()]);
  });

  it('refuses a source whose schema is behind, or that has a table the copy does not know', async () => {
    const behind = await connectDatabase(await emptyDatabaseUrl());
    const to = await connectDatabase(await freshDatabaseUrl());
    await expect(copyDatabase(behind, to)).rejects.toThrow(/^copy: the source schema is behind \(001_initial, .*pending\)/);

    const extra = await seeded(await freshDatabaseUrl());
    await sql`create table reactions (id integer primary key)`.execute(extra.kysely);
    await expect(copyDatabase(extra, to)).rejects.toThrow(/^copy: the source has tables this copy does not know \(reactions\)/);
    expect(await count(to, 'papers')).toBe(0);
    await Promise.all([behind.close(), extra.close(), to.close()]);
  });
});

describe('dailypapers copy', () => {
  it('copies, prints the verified counts, and refuses to copy twice into the same target', async () => {
    const from = await freshDatabaseUrl();
    await (await seeded(from)).close();
    const to = await emptyDatabaseUrl();

    const first = await cli(['copy', '--from', from, '--to', to]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^papers\s+40\s+40\s+[0-9a-f]{12}\s+[0-9a-f]{12}\s+ok$/m);
    expect(first.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^copy: \\d+ rows in ${COPIED_TABLES.length} tables copied and verified$`));

    const again = await cli(['copy', '--from', from, '--to', to]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toMatch(/^dailypapers: copy: the target is not empty: organizations has \d+ rows/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    const unreachable = await cli(['copy', '--from', 'postgres://nobody@127.0.0.1:9/none', '--to', to]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim()).toMatch(/^dailypapers: copy: --from: cannot connect to postgres:\/\/nobody@127.0.0.1:9\/none: /);
    const missing = await cli(['copy', '--from', `sqlite:${path.join(tmp, 'nope.db')}`, '--to', to]);
    expect(missing.stderr.trim()).toBe(`dailypapers: copy: --from: no such SQLite file: ${path.join(tmp, 'nope.db')}`);
  });
});

// Needs ../shared/fixtures (the real Hugging Face archive): skipped where it is absent,
// and on the SQLite pass, since what it proves is that PostgreSQL serves the same site.
describe.skipIf(!hasFixtures || testDialect !== 'postgres')('copying the whole archive from SQLite to PostgreSQL (en-US collation)', () => {
  let from: Db;
  let to: Db;
  beforeAll(async () => {
    from = await connectDatabase(await sqliteUrl());
    await migrateToLatest(from);
    await importHfPath(from, HF_ARCHIVE);
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
