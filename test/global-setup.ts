import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectDatabase, migrateToLatest } from '../src/db/database.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of the migrated PostgreSQL template database of this run, when testing on PostgreSQL. */
    pgTemplate: string | null;
    /** A temporary folder of this run alone, shared by its workers; removed at the end. */
    runDir: string;
  }
}

interface RunSetup {
  runDir: string;
  pgTemplate: string | null;
  teardown: () => Promise<void>;
  users: number;
}

/**
 * With TEST_DATABASE_URL=postgres://… (an account that may create databases), the
 * whole suite runs on PostgreSQL: one template database is migrated here, each test
 * gets a copy of it (test/helpers.ts), and all of them are dropped at the end.
 *
 * vitest calls this once per project (unit, system); the run's folder and template are made on
 * the first call and shared, so that what a run makes once (the imported archive) serves both.
 */
export default async function setup(project: TestProject) {
  const shared = globalThis as { dailypapersRun?: Promise<RunSetup> };
  shared.dailypapersRun ??= prepareRun();
  const run = await shared.dailypapersRun;
  run.users++;
  project.provide('runDir', run.runDir);
  project.provide('pgTemplate', run.pgTemplate);
  return async () => {
    if (--run.users > 0) return;
    delete shared.dailypapersRun;
    await run.teardown();
  };
}

async function prepareRun(): Promise<RunSetup> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-run-'));
  const removeRunDir = () => fs.rmSync(runDir, { recursive: true, force: true });
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return { runDir, pgTemplate: null, teardown: async () => removeRunDir(), users: 0 };
  // The start time names the run (for the cleanup below), a random part keeps two runs started together apart.
  const run = `dp_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const template = `${run}_template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`tests: PostgreSQL at ${adminUrl} is not reachable (${(err as Error).message}); start it or unset TEST_DATABASE_URL`);
  }
  // Leftovers of runs killed before their teardown: a run's name holds its start time, and a run
  // a few hours old is over; younger ones may be another suite running beside this one.
  const stale = await admin.query<{ datname: string }>("select datname from pg_database where datname like 'dp\\_t\\_%'");
  for (const { datname } of stale.rows) {
    const started = parseInt(/^dp_t_([0-9a-z]+)/.exec(datname)?.[1] ?? '', 36);
    if (Number.isFinite(started) && Date.now() - started > 6 * 3_600_000) await admin.query(`drop database if exists "${datname}" with (force)`);
  }
  await admin.query(`create database "${template}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const db = await connectDatabase(url.href, { poolSize: 1 });
  await migrateToLatest(db);
  await db.close();
  console.log(`tests: running on PostgreSQL (${url.host}), template ${template}`);

  const teardown = async () => {
    const created = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${run}%`]);
    await admin.end();
    await dropDatabases(adminUrl, created.rows.map((row) => row.datname));
    removeRunDir();
  };
  return { runDir, pgTemplate: template, teardown, users: 0 };
}

/**
 * Drops `names` over several connections at once: each DROP DATABASE waits for a checkpoint, and
 * drops waiting together share one (one at a time, a run's 200 databases took minutes; 48 drops
 * took 6.2 s over 8 connections and 3.7 s over 24). Two suites tearing down together stay well
 * inside PostgreSQL's default 100 connections.
 */
async function dropDatabases(adminUrl: string, names: string[]): Promise<void> {
  const pool = new pg.Pool({ connectionString: adminUrl, max: 24 });
  try {
    await Promise.all(names.map((name) => pool.query(`drop database if exists "${name}" with (force)`)));
  } finally {
    await pool.end();
  }
}
