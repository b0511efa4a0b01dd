import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.ts';
import { migrateToLatest, openDatabase, type Db } from '../src/db/database.ts';
import { createApp } from '../src/app.ts';

/** `../shared/fixtures`, beside the project root; absent on clones elsewhere. */
export const FIXTURES = path.resolve(import.meta.dirname, '../../shared/fixtures');
export const hasFixtures = fs.existsSync(FIXTURES);
export const HF_ARCHIVE = path.join(FIXTURES, 'hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');
export const HF_JUNE = path.join(FIXTURES, 'hf-api/daily_papers_2026-06');

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-test-'));
let template: string | undefined;
let counter = 0;

/** A fresh, migrated SQLite database of its own: a copy of one template migrated once per worker. */
export async function freshDb(): Promise<Db> {
  if (!template) {
    template = path.join(tmpRoot, 'template.db');
    const db = openDatabase(`sqlite:${template}`);
    await migrateToLatest(db);
    await db.close();
  }
  const file = path.join(tmpRoot, `test-${process.pid}-${++counter}.db`);
  fs.copyFileSync(template, file);
  return openDatabase(`sqlite:${file}`);
}

/** A config for tests: defaults, plus what a test overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...overrides });
}

/** The app on a fresh database, driven through `app.request()` without a port. */
export async function testApp(overrides: Record<string, string> = {}) {
  const db = await freshDb();
  const config = testConfig(overrides);
  return { db, config, app: createApp({ db, config }) };
}
