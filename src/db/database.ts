import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationProvider } from 'kysely';
import { maskUrl } from '../config.ts';
import { migrations } from './migrations.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: the typed query builder and which SQL dialect it speaks. */
export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

export class DatabaseError extends Error {}

/**
 * Opens the database a `DATABASE_URL` names and checks that it answers, so a bad
 * URL fails at start with one clear line rather than on the first request.
 */
export async function connectDatabase(url: string, opts: { poolSize?: number } = {}): Promise<Db> {
  const db = /^postgres(ql)?:/.test(url) ? openPostgres(url, opts.poolSize ?? 10) : openSqlite(sqlitePath(url));
  try {
    await sql`select 1`.execute(db.kysely);
  } catch (err) {
    await db.close().catch(() => {});
    throw new DatabaseError(`db: cannot connect to ${maskUrl(url)}: ${(err as Error).message}`);
  }
  return db;
}

function openPostgres(url: string, max: number): Db {
  // int8 (counts, sums) as JS numbers: every count here fits in 2^53.
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}


/** `sqlite:./data/x.db`, `file:x.db`, `./x.db` and `:memory:` all name a SQLite file. */
export function sqlitePath(url: string): string {
  return url.replace(/^sqlite:(\/\/)?/, '').replace(/^file:/, '');
}

function openSqlite(file: string): Db {
  let native: SQLite.Database;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    native = new SQLite(file);
  } catch (err) {
    throw new DatabaseError(`db: cannot open SQLite database ${file}: ${(err as Error).message}`);
  }
  // WAL lets readers proceed during an import; the busy timeout absorbs short write contention.
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = NORMAL');
  native.pragma('foreign_keys = ON');
  native.pragma('busy_timeout = 5000');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
  return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
}

function migrator(db: Db): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => migrations(db.dialect) };
  return new Migrator({ db: db.kysely, provider });
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw new DatabaseError(`db: migration failed: ${(error as Error).message ?? error}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations not yet applied. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

/** Refuses to go on with a schema that is behind the code. */
export async function assertSchemaCurrent(db: Db): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length > 0) {
    throw new DatabaseError(
      `db: the schema is behind (${pending.length} pending: ${pending.join(', ')}); run \`dailypapers migrate\``,
    );
  }
}
