import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  DummyDriver,
  Kysely,
  Migrator,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
  type DatabaseConnection,
  type Driver,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import { maskUrl, type Config } from '../core/config.ts';
import type { CommandOutput } from '../core/command-output.ts';
import { migrations } from './migrations.ts';
import { buildPendingSuggestKeys } from './suggest-keys.ts';
import { ensureSearchGin } from './search-gin.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** An open database: the typed query builder and which SQL dialect it speaks. */
export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** SQLite's own connection (the one under `kysely`), for bulk loads that need prepared statements. */
  sqlite?: SQLite.Database;
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
  pool.on('connect', runNamedStatements);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
}

/** SQL texts run as named statements on PostgreSQL, by text: see `prepareOnPostgres`. */
const statementNames = new Map<string, string>();

/**
 * Has PostgreSQL parse and plan `text` once per connection and run it by name from then on, where
 * Kysely's driver sends every query unnamed: parsed, analysed and planned again on each run. For
 * queries of a fixed shape only (db/kept-query.ts): a connection keeps each statement until it
 * closes. Measured on the busiest day's list query (decision 030): the server's CPU per run 2.0 →
 * 0.4 ms, the client's 0.9 → 0.5. SQLite's statements are kept prepared by text already.
 */
export function prepareOnPostgres(text: string): void {
  if (!statementNames.has(text)) statementNames.set(text, `kept_${statementNames.size + 1}`);
}

/** A pool's new client: queries whose text is kept named (prepareOnPostgres) run as named statements. */
function runNamedStatements(client: pg.PoolClient): void {
  const unnamed = client.query.bind(client) as (text: unknown, values?: unknown) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown) => {
    const name = typeof text === 'string' ? statementNames.get(text) : undefined;
    return name ? unnamed({ name, text, values }) : unnamed(text, values);
  };
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
  const kysely = new Kysely<Database>({ dialect: new WritingSqliteDialect({ database: withStatementCache(native) }) });
  return { kysely, dialect: 'sqlite', sqlite: native, close: () => kysely.destroy() };
}

/** Statements kept prepared, at most: a page's few queries are the same text every time. */
const MAX_PREPARED = 500;

/**
 * The connection as Kysely's driver sees it, with its statements kept prepared by SQL text:
 * the driver prepares every query anew, which cost more than running the busiest day's small
 * queries (docs/decisions/021-rendering-cpu.md). A statement still being iterated (a streamed
 * query) is busy: a second use of the same text gets its own.
 */
function withStatementCache(native: SQLite.Database): Pick<SQLite.Database, 'prepare' | 'close'> {
  const prepared = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      const kept = prepared.get(text);
      if (kept && !kept.busy) return kept;
      const stmt = native.prepare(text);
      if (kept) return stmt;
      if (prepared.size >= MAX_PREPARED) prepared.delete(prepared.keys().next().value!);
      prepared.set(text, stmt);
      return stmt;
    },
    close: () => native.close(),
  } as Pick<SQLite.Database, 'prepare' | 'close'>;
}

/**
 * Our transactions write, so on SQLite they begin IMMEDIATE: the write lock is taken first and
 * a second writer waits (busy_timeout) at its BEGIN. A deferred transaction that read before it
 * wrote would fail at once with "database is locked" when another instance had written meanwhile.
 */
class WritingSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(settings);
  }

  override createDriver(): Driver {
    return new (class extends SqliteDriver {
      override async beginTransaction(connection: DatabaseConnection): Promise<void> {
        await connection.executeQuery(CompiledQuery.raw('begin immediate'));
      }
    })(this.settings);
  }
}

function migrator(db: Db, steps = migrations(db.dialect)): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => steps };
  // Repairs of steps edited after they shipped sort among the steps they repair (009b).
  return new Migrator({ db: db.kysely, provider, allowUnorderedMigrations: true });
}

/** Applies every pending migration; returns the names applied. Refuses a database whose applied steps the code has changed. */
export async function migrateToLatest(db: Db, steps = migrations(db.dialect)): Promise<string[]> {
  await assertStepsUnchanged(db, steps);
  const { error, results } = await migrator(db, steps).migrateToLatest();
  if (error) throw new DatabaseError(`db: migration failed: ${(error as Error).message ?? error}`);
  await recordChecksums(db, steps);
  // Suggest keys a killed bulk import left to build (decision 033).
  if ('027_suggest_keys_pending' in steps) await buildPendingSuggestKeys(db.kysely, db.dialect);
  // The GIN index a killed bulk import dropped (decision 040).
  if (db.dialect === 'postgres' && '006_search' in steps) await ensureSearchGin(db.kysely);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pendingMigrations(db: Db, steps = migrations(db.dialect)): Promise<string[]> {
  const all = await migrator(db, steps).getMigrations();
  return all.filter((m) => !m.executedAt).map((m) => m.name);
}

/** Refuses to go on with a schema that is behind the code, or that was built by steps the code has since changed. */
export async function assertSchemaCurrent(db: Db, steps = migrations(db.dialect)): Promise<void> {
  await assertStepsUnchanged(db, steps);
  const pending = await pendingMigrations(db, steps);
  if (pending.length > 0) {
    throw new DatabaseError(
      `db: the schema is behind (${pending.length} pending: ${pending.join(', ')}); run \`dailypapers migrate\``,
    );
  }
}

/**
 * Migrations are immutable: the SQL each applied step ran is recorded as a checksum, and a
 * database whose steps the code has changed since is refused, naming them. A database migrated
 * before checksums existed has its applied steps recorded as they are now.
 */
async function assertStepsUnchanged(db: Db, steps: Record<string, Migration>): Promise<void> {
  const recorded = await recordedChecksums(db);
  if (recorded.size === 0) return;
  const current = await stepChecksums(db.dialect, steps);
  const changed = [...recorded].filter(([name, sum]) => current.has(name) && current.get(name) !== sum).map(([name]) => name);
  if (changed.length > 0) {
    throw new DatabaseError(
      `db: migration step(s) ${changed.join(', ')} differ from the ones this database was built with; ` +
        'a step that has been applied must never change: restore it and put the change in a new step',
    );
  }
}

const CHECKSUMS = 'migration_checksums';

/** The recorded checksums; none (and nothing written) on a database that never recorded any, so `serve --no-migrate` stays read-only. */
async function recordedChecksums(db: Db): Promise<Map<string, string>> {
  const tables = await db.kysely.introspection.getTables();
  if (!tables.some((t) => t.name === CHECKSUMS)) return new Map();
  const rows = await sql<{ name: string; checksum: string }>`select name, checksum from ${sql.table(CHECKSUMS)}`.execute(db.kysely);
  return new Map(rows.rows.map((r) => [r.name, r.checksum]));
}

async function recordChecksums(db: Db, steps: Record<string, Migration>): Promise<void> {
  await sql`create table if not exists ${sql.table(CHECKSUMS)} (name text primary key, checksum text not null)`.execute(db.kysely);
  const recorded = await recordedChecksums(db);
  const applied = (await migrator(db, steps).getMigrations()).filter((m) => m.executedAt && !recorded.has(m.name));
  if (applied.length === 0) return;
  const current = await stepChecksums(db.dialect, steps);
  for (const { name } of applied) {
    const checksum = current.get(name);
    if (checksum) await sql`insert into ${sql.table(CHECKSUMS)} (name, checksum) values (${name}, ${checksum}) on conflict (name) do nothing`.execute(db.kysely);
  }
}

/**
 * Each step's checksum: SHA-256 of the statements it sends, compiled for `dialect` against a
 * database that answers nothing. The SQL, not the source text, so reformatting or a new
 * TypeScript compiler changes nothing, while any change to what a step does is seen.
 */
export async function stepChecksums(dialect: Dialect, steps: Record<string, Migration>): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  for (const [name, step] of Object.entries(steps)) {
    const statements: string[] = [];
    const dry = new Kysely<any>({
      dialect: {
        createAdapter: () => (dialect === 'postgres' ? new PostgresAdapter() : new SqliteAdapter()),
        createDriver: () => new DummyDriver(),
        createIntrospector: (k) => (dialect === 'postgres' ? new PostgresIntrospector(k) : new SqliteIntrospector(k)),
        createQueryCompiler: () => (dialect === 'postgres' ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
      },
      log: (event) => {
        statements.push(`${event.query.sql}\n${JSON.stringify(event.query.parameters)}`);
      },
    });
    await step.up(dry);
    await dry.destroy();
    sums.set(name, createHash('sha256').update(statements.join('\n;\n')).digest('hex'));
  }
  return sums;
}

/** How src/cli.ts runs a command with the config, an open database and its output. */
export type WithDb = (action: (config: Config, db: Db, io: CommandOutput) => Promise<void>) => Promise<void>;
