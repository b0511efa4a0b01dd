import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { emptyDatabaseUrl, freshDatabaseUrl, testDialect } from '../../test/helpers.ts';
import { englishPostgresUrl, expectVerified } from '../../test/copy.ts';
import { cli } from '../../test/run-cli.ts';
import { importDemoData } from '../ingest/seed.ts';
import { COPIED_TABLES, copyDatabase } from './copy.ts';
import { connectDatabase, migrateToLatest, type Db } from './database.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-copy-'));
let files = 0;
/** A new SQLite file: the cross-dialect copies need one on the PostgreSQL pass too. */
const sqliteUrl = async () => `sqlite:${path.join(tmp, `db-${++files}.db`)}`;

/** A stored vector with bytes a text round trip would damage: NUL, 0xff, a NaN pattern. */
const VECTOR = Buffer.from([0x00, 0x00, 0x80, 0x3f, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x00, 0xdb, 0x0f, 0x49, 0xc0]);

/** A migrated database holding the demo data (with its categories), a claimed job period and a paper's vector. */
async function seeded(url: string): Promise<Db> {
  const db = await connectDatabase(url);
  await migrateToLatest(db);
  await importDemoData(db);
  const { id } = await db.kysely.selectFrom('papers').select('id').orderBy('id').executeTakeFirstOrThrow();
  await db.kysely
    .insertInto('job_runs')
    .values({ job: 'digest', period_start: '2026-11-16T00:00:00.000Z', instance: 'test', started_at: '2026-11-16T00:00:01.000Z', outcome: 'ok', finished_at: null, detail: null })
    .execute();
  await db.kysely.insertInto('paper_embeddings').values({ paper_id: id, model: 'test-embed', dimensions: 4, vector: VECTOR, created_at: '2026-11-16T00:00:02.000Z' }).execute();
  return db;
}

const count = async (db: Db, table: 'papers' | 'users' | 'organizations') =>
  Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

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
    // The demo's 40 papers have one to three categories each (src/ingest/demo-papers.json).
    expect(report.find((r) => r.table === 'paper_categories')?.sourceRows).toBe(78);
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
