import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../src/core/config.ts';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import { createApp } from '../src/app.ts';
import { deriveKeys } from '../src/db/secrets.ts';
import { importHfPath } from '../src/ingest/hf-import.ts';
import type { ImportSummary } from '../src/ingest/summary.ts';

/** `../shared/fixtures`, beside the project root; absent on clones elsewhere. */
export const FIXTURES = path.resolve(import.meta.dirname, '../../shared/fixtures');
export const hasFixtures = fs.existsSync(FIXTURES);
export const HF_ARCHIVE = path.join(FIXTURES, 'hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');
export const HF_JUNE = path.join(FIXTURES, 'hf-api/daily_papers_2026-06');

/**
 * Lets the event loop run. better-sqlite3 answers synchronously, so a long loop of queries never
 * yields by itself; a worker that does not yield for a minute misses vitest's own messages.
 */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Which database this run of the suite uses (`TEST_DATABASE_URL` selects PostgreSQL). */
export const testDialect: 'sqlite' | 'postgres' = inject('pgTemplate') ? 'postgres' : 'sqlite';

const tmpRoot = fs.mkdtempSync(path.join(inject('runDir') ?? os.tmpdir(), 'dailypapers-test-'));
let sqliteTemplate: string | undefined;
let counter = 0;
let admin: pg.Pool | undefined;

/**
 * The URL of a fresh, migrated database of its own: a copy of a template migrated
 * once (a SQLite file per worker, or a PostgreSQL `CREATE DATABASE … TEMPLATE`).
 */
export async function freshDatabaseUrl(): Promise<string> {
  const pgTemplate = inject('pgTemplate');
  const name = `${pgTemplate}_${process.pid}_${++counter}`;
  if (pgTemplate) return copyDatabase(pgTemplate, name);
  await sqliteTemplateFile();
  const file = path.join(tmpRoot, `test-${process.pid}-${counter}.db`);
  fs.copyFileSync(sqliteTemplate!, file);
  return `sqlite:${file}`;
}

/** This worker's migrated SQLite file, made on first use. */
async function sqliteTemplateFile(): Promise<string> {
  if (!sqliteTemplate) {
    const file = path.join(tmpRoot, 'template.db');
    const db = await connectDatabase(`sqlite:${file}`);
    await migrateToLatest(db);
    await db.close();
    sqliteTemplate = file;
  }
  return sqliteTemplate;
}

/** A new PostgreSQL database `name`, a copy of `template`. */
async function copyDatabase(template: string, name: string): Promise<string> {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  admin ??= new pg.Pool({ connectionString: adminUrl, max: 1 });
  // Two workers copying the template at the same moment can collide; try again.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database "${name}" template "${template}"`);
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
    }
  }
  return testDatabaseUrl(name);
}

/**
 * The URL of test database `name`. Commits do not wait for the WAL to reach the disk: a test
 * database never outlives a crash of the server, and most of a test's time was those waits.
 */
function testDatabaseUrl(name: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  url.searchParams.set('options', '-c synchronous_commit=off');
  return url.href;
}

/** A fresh, migrated database of its own, open. */
export async function freshDb(): Promise<Db> {
  return connectDatabase(await freshDatabaseUrl(), { poolSize: 4 });
}

/** A config for tests: defaults, plus what a test overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', MAIL_OUTBOX_DIR: path.join(tmpRoot, 'outbox'), ...overrides });
}

/** Keys for code that signs without an app (jobs, digests): from a random root, as a development instance's are. */
export const testKeys = deriveKeys(randomBytes(32).toString('hex'));

/** The app on a fresh database, driven through `app.request()` without a port. */
export async function testApp(overrides: Record<string, string> = {}) {
  const db = await freshDb();
  const config = testConfig(overrides);
  return { db, config, app: createApp({ db, config }) };
}

/** The URL of a new database with nothing in it, not even the schema. */
export async function emptyDatabaseUrl(): Promise<string> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  const name = `${inject('pgTemplate')}_${process.pid}_empty_${++counter}`;
  if (inject('pgTemplate') && adminUrl) {
    admin ??= new pg.Pool({ connectionString: adminUrl, max: 1 });
    await admin.query(`create database "${name}"`);
    return testDatabaseUrl(name);
  }
  return `sqlite:${path.join(tmpRoot, `empty-${process.pid}-${counter}.db`)}`;
}

/**
 * A fresh database holding the whole Hugging Face archive (HF_ARCHIVE), and what its import
 * said: imported once per run, by whichever worker asks first (src/ingest/hf-import.test.ts checks
 * that import), and copied for each caller like the empty template.
 */
export async function archiveImport(): Promise<{ url: string; summary: ImportSummary }> {
  const pgTemplate = inject('pgTemplate');
  if (!pgTemplate) {
    const { file, summary } = await sqliteArchiveImport();
    return { url: `sqlite:${file}`, summary };
  }
  const summaryFile = path.join(inject('runDir'), 'archive-postgres-summary.json');
  const archive = `${pgTemplate}_archive`;
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const lock = new pg.Client({ connectionString: adminUrl });
  await lock.connect();
  try {
    // A session lock: the other workers wait here while the first one imports.
    await lock.query('select pg_advisory_lock(hashtext($1))', [archive]);
    const exists = await lock.query('select 1 from pg_database where datname = $1', [archive]);
    if (exists.rowCount === 0) {
      await lock.query(`create database "${archive}" template "${pgTemplate}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${archive}`;
      fs.writeFileSync(summaryFile, JSON.stringify(await importArchive(url.href)));
    }
  } finally {
    await lock.end();
  }
  const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as ImportSummary;
  return { url: await copyDatabase(archive, `${pgTemplate}_${process.pid}_${++counter}`), summary };
}

/**
 * A SQLite file of its own holding the whole Hugging Face archive, and what its import said,
 * on either database's run (copying the archive to PostgreSQL starts from one). Imported once,
 * by whichever worker asks first: once per run, or once for both passes of `npm test`, which
 * share a folder for it (DP_TEST_SHARED_DIR, test/run.ts).
 */
export async function sqliteArchiveImport(): Promise<{ file: string; summary: ImportSummary }> {
  const dir = process.env.DP_TEST_SHARED_DIR || inject('runDir');
  const archive = path.join(dir, 'archive.db');
  const summaryFile = path.join(dir, 'archive-sqlite-summary.json');
  const building = path.join(dir, 'archive.building');
  for (;;) {
    if (fs.existsSync(archive)) break;
    let builder = false;
    try {
      fs.mkdirSync(building);
      builder = true;
    } catch {
      // Another worker (of this pass or the other) is importing: wait for its file (or for it to give up, and try ourselves).
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!builder) continue;
    try {
      const file = path.join(building, 'archive.db');
      fs.copyFileSync(await sqliteTemplateFile(), file);
      fs.writeFileSync(summaryFile, JSON.stringify(await importArchive(`sqlite:${file}`)));
      fs.renameSync(file, archive);
    } finally {
      fs.rmSync(building, { recursive: true, force: true });
    }
  }
  const file = path.join(tmpRoot, `archive-${process.pid}-${++counter}.db`);
  fs.copyFileSync(archive, file);
  return { file, summary: JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as ImportSummary };
}

/** The URL of a fresh database holding the whole Hugging Face archive. */
export async function archiveDatabaseUrl(): Promise<string> {
  return (await archiveImport()).url;
}

/** A fresh database holding the whole Hugging Face archive, open. */
export async function archiveDb(): Promise<Db> {
  return connectDatabase(await archiveDatabaseUrl(), { poolSize: 4 });
}

async function importArchive(url: string): Promise<ImportSummary> {
  const db = await connectDatabase(url, { poolSize: 1 });
  try {
    return await importHfPath(db, HF_ARCHIVE);
  } finally {
    await db.close();
  }
}
