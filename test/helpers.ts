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

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-test-'));
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
  if (pgTemplate) {
    const adminUrl = process.env.TEST_DATABASE_URL!;
    admin ??= new pg.Pool({ connectionString: adminUrl, max: 1 });
    // Two workers copying the template at the same moment can collide; try again.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${pgTemplate}"`);
        break;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.href;
  }
  if (!sqliteTemplate) {
    sqliteTemplate = path.join(tmpRoot, 'template.db');
    const db = await connectDatabase(`sqlite:${sqliteTemplate}`);
    await migrateToLatest(db);
    await db.close();
  }
  const file = path.join(tmpRoot, `test-${process.pid}-${counter}.db`);
  fs.copyFileSync(sqliteTemplate, file);
  return `sqlite:${file}`;
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
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.href;
  }
  return `sqlite:${path.join(tmpRoot, `empty-${process.pid}-${counter}.db`)}`;
}
