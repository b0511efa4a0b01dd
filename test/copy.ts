// What the copy tests share (src/db/copy.test.ts, src/db/copy-archive.test.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { COPIED_TABLES, type TableReport } from '../src/db/copy.ts';

/**
 * A new PostgreSQL database sorting text the en-US way, as many installations do, unlike
 * SQLite's byte order (and unlike the C.UTF-8 of the test server). Dropped with the run's others.
 */
export async function englishPostgresUrl(): Promise<string> {
  const name = `${inject('pgTemplate')}_en_us_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database "${name}" locale_provider icu icu_locale 'en-US' template template0`);
  await admin.end();
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.href;
}

/** Every table copied, in order, with the same rows and checksums on both sides. */
export function expectVerified(report: TableReport[]) {
  expect(report.map((r) => r.table)).toEqual(COPIED_TABLES.map((t) => t.table));
  for (const r of report) {
    expect(r, r.table).toMatchObject({ ok: true, targetRows: r.sourceRows, targetChecksum: r.sourceChecksum });
  }
}
