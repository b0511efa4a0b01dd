// `npm run bench`: every page against its limit, anonymous and signed in, on SQLite and PostgreSQL, in one run.
//
// Absolute times on a shared machine are noise, so what this reports are ratios taken in the same
// round (issue 16, docs/decisions/013-serving.md): each page against Hono serving its exact bytes
// from memory (a static file), /healthz against Hono's hello-world, each signed-in page against the
// same page anonymous, each PostgreSQL figure against the SQLite one. Runs rotate from round to
// round so drift in the machine's load hits all alike.
//
// 1. Imports the real Hugging Face archive (../shared/fixtures, when present; else the demo data)
//    twice into a fresh temporary SQLite database, and into a fresh PostgreSQL database
//    `dp_bench_<ts>` created through BENCH_POSTGRES_URL (an admin URL, default
//    postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end, also on failure; adds a
//    signed-in reader (session, a few upvotes on the busiest day) to each.
// 2. Starts the real server on each database and the limit server (bench/limit-server.ts) as child
//    processes and drives them with autocannon, 10 connections, 127.0.0.1 only.
// 3. Times rendering the busiest day and its top paper from nothing, in this process.
// 4. Prints a Markdown report and writes it to bench/RESULTS.md.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort, percentile, startLimitServer, startServer, stopServer } from './server.ts';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { maskUrl } from '../src/core/config.ts';
import { createAccount } from '../src/auth/users.ts';
import { hashToken, newToken } from '../src/auth/tokens.ts';
import { SESSION_COOKIE } from '../src/auth/sessions.ts';
import { castVote } from '../src/votes/votes.ts';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import { importHfPath, type ImportSummary } from '../src/ingest/hf-import.ts';
import { importDemoData } from '../src/ingest/seed.ts';
import { renderCpu } from './render.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const ARCHIVE = path.resolve(repoRoot, '../shared/fixtures/hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');
const RESULTS = path.join(repoRoot, 'bench/RESULTS.md');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 0.5;
const ROUNDS = 3;
// The whole bench aims at this many seconds: the HTTP rounds get what the imports leave,
// between these bounds (the PostgreSQL import alone takes 1–2 minutes on a busy 2-core machine).
const BUDGET_SECONDS = 230;
const MIN_ROUND_SECONDS = 1;
const MAX_ROUND_SECONDS = 4;
/** What one autocannon run costs beyond its duration (connections, teardown), measured. */
const RUN_OVERHEAD_SECONDS = 0.05;

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

// ---------------------------------------------------------------- import

interface ImportRun {
  label: string;
  records: number;
  seconds: number;
  summary: ImportSummary;
}

async function timedImport(label: string, run: () => Promise<ImportSummary>): Promise<ImportRun> {
  const started = performance.now();
  const summary = await run();
  const seconds = (performance.now() - started) / 1000;
  const records = summary.new + summary.updated + summary.unchanged + summary.rejected;
  log(`${label}: ${records} records in ${seconds.toFixed(2)} s (${summary.new} new, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.rejected} rejected)`);
  return { label, records, seconds, summary };
}

/** The archive (or the demo data), imported twice into `db`: new, then all unchanged. */
async function importTwice(db: Db, name: string): Promise<ImportRun[]> {
  if (fs.existsSync(ARCHIVE)) {
    return [
      await timedImport(`${name} import`, () => importHfPath(db, ARCHIVE)),
      await timedImport(`${name} re-import (unchanged)`, () => importHfPath(db, ARCHIVE)),
    ];
  }
  return [
    await timedImport(`${name} demo import`, () => importDemoData(db)),
    await timedImport(`${name} demo re-import (unchanged)`, () => importDemoData(db)),
  ];
}

// ---------------------------------------------------------------- PostgreSQL

interface Postgres {
  /** URL of the fresh database this run created. */
  url: string;
  name: string;
  version: string;
  settings: string;
  /** Drops the database (forcing out any session left on it). */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database through the admin URL. Returns the reason
 * instead when PostgreSQL cannot be reached or will not create it.
 */
async function createPostgresDatabase(adminUrl: string): Promise<Postgres | { unavailable: string }> {
  let admin: Db;
  try {
    admin = await connectDatabase(adminUrl, { poolSize: 1 });
  } catch (err) {
    return { unavailable: (err as Error).message.replace(/^db: /, '') };
  }
  const name = `dp_bench_${Date.now()}_${process.pid}`;
  try {
    await sql`create database ${sql.id(name)}`.execute(admin.kysely);
  } catch (err) {
    await admin.close();
    return { unavailable: `cannot create database ${name} through ${maskUrl(adminUrl)}: ${(err as Error).message}` };
  }
  const version = (await sql<{ v: string }>`select current_setting('server_version') as v`.execute(admin.kysely)).rows[0]!.v;
  const setting = async (key: string) =>
    (await sql<{ v: string }>`select current_setting(${key}) as v`.execute(admin.kysely)).rows[0]!.v;
  const settings = `shared_buffers ${await setting('shared_buffers')}, work_mem ${await setting('work_mem')}, synchronous_commit ${await setting('synchronous_commit')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    version,
    settings,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin.kysely);
        log(`dropped PostgreSQL database ${name}`);
      } catch (err) {
        log(`could not drop PostgreSQL database ${name}: ${(err as Error).message}; drop it by hand`);
      } finally {
        await admin.close();
      }
    },
  };
}

// ---------------------------------------------------------------- server


// ---------------------------------------------------------------- load

/** One thing autocannon drives: a route of one server (or of the limit server), as one reader. */
interface Run {
  /** Unique: `SQLite daily page, signed in`. */
  key: string;
  /** What it is, without the server: `daily page, signed in`. */
  name: string;
  target: 'SQLite' | 'PostgreSQL' | 'limit';
  base: string;
  path: string;
  headers?: Record<string, string>;
  /** Append a query string no request has used before, so the page cache never answers. */
  unique?: boolean;
  /** The run this one is measured against, and the ratio the issue asks for (docs/decisions/013-serving.md). */
  limit?: { key: string; goal?: number };
}

interface Sample {
  requests: number;
  seconds: number;
  latencies: number[];
  bytes: number;
  non2xx: number;
  errors: number;
}

/** Shared by every unique-URL run, so no query string ever repeats (and so never hits the cache). */
let uniqueCounter = 0;

/** One bounded autocannon run; every response's latency is kept. */
function load(run: Run, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  let bytes = 0;
  const requests = run.unique
    ? [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: `${run.path}?v=${++uniqueCounter}` }) }]
    : undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: run.base + run.path, headers: run.headers, connections: CONNECTIONS, pipelining: 1, duration: seconds, timeout: 10, requests },
      (err, result) => {
        if (err) return reject(err as Error);
        resolve({ requests: latencies.length, seconds: result.duration, latencies, bytes, non2xx: result.non2xx, errors: result.errors });
      },
    );
    instance.on('response', (_client, _status, resBytes, responseTime) => {
      latencies.push(responseTime);
      bytes += resBytes;
    });
  });
}

interface RunResult {
  rounds: Sample[];
  rps: number;
  p50: number;
  p99: number;
  avgBytes: number;
  non2xx: number;
  errors: number;
}

function summarize(rounds: Sample[]): RunResult {
  const requests = rounds.reduce((s, r) => s + r.requests, 0);
  const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    rounds,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    avgBytes: rounds.reduce((s, r) => s + r.bytes, 0) / Math.max(requests, 1),
    non2xx: rounds.reduce((s, r) => s + r.non2xx, 0),
    errors: rounds.reduce((s, r) => s + r.errors, 0),
  };
}

const roundRps = (s: Sample) => (s.seconds > 0 ? s.requests / s.seconds : 0);

/** Each round's ratio of `a` to `b`, taken from the same round. */
const roundRatios = (a: RunResult, b: RunResult) => a.rounds.map((s, i) => roundRps(s) / roundRps(b.rounds[i]!));

/** The median: a round hit by a burst of someone else's load cannot drag it far. */
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// ---------------------------------------------------------------- report

/** A figure, or — where a run answered nothing to measure it by (every request of a round still in flight). */
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');

interface DatabaseRun {
  name: 'SQLite' | 'PostgreSQL';
  base: string;
  imports: ImportRun[];
  /** Where the data went. */
  where: string;
  /** The signed-in reader's session cookie on this database. */
  cookie: string;
  /** Milliseconds of this (bench) process's time per uncached render, measured in-process. */
  renders: { route: string; ms: number; cpuMs: number; cpuMeanMs: number }[];
}

function report(opts: {
  started: Date;
  loadAtStart: number[];
  loadAtEnd: number[];
  sqliteVersion: string;
  postgres: Postgres | { unavailable: string };
  dataset: string;
  importNote?: string;
  databases: DatabaseRun[];
  day: string;
  dayCount: number;
  paper: string;
  runs: Run[];
  roundSeconds: number;
  results: Map<string, RunResult>;
  seconds: number;
}): string {
  const cpus = os.cpus();
  const pg = 'unavailable' in opts.postgres ? null : opts.postgres;
  const result = (key: string) => opts.results.get(key)!;
  const both = opts.databases.length === 2;

  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push('Written by `npm run bench` (bench/run.ts); rerun it to refresh. Absolute figures on a shared machine');
  lines.push('are noise: compare the ratios, which are measured in the same run.', '');
  lines.push(`- Date: ${opts.started.toISOString()}`);
  lines.push(
    `- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ` +
      `load average (1 / 5 / 15 min) at start ${opts.loadAtStart.map((l) => l.toFixed(2)).join(' / ')}, ` +
      `at end ${opts.loadAtEnd.map((l) => l.toFixed(2)).join(' / ')} (other work on the machine counts in it)`,
  );
  lines.push(`- Node ${process.version}, ${os.type()} ${os.release()}`);
  lines.push(`- SQLite ${opts.sqliteVersion} (better-sqlite3, a file in the temporary directory, WAL)`);
  lines.push(
    pg
      ? `- PostgreSQL ${pg.version} on the same machine over TCP (127.0.0.1), default settings (${pg.settings}); a fresh database \`${pg.name}\`, dropped at the end`
      : `- PostgreSQL: **not measured, SQLite only**: ${'unavailable' in opts.postgres ? opts.postgres.unavailable : ''} (BENCH_POSTGRES_URL names an admin URL)`,
  );
  lines.push(`- Whole bench: ${fmt(opts.seconds, 0)} s`, '');

  lines.push('## Import', '');
  if (opts.importNote) lines.push(opts.importNote, '');
  lines.push(`Data: ${opts.dataset}, imported by the bench process into each fresh database (migrated first), twice: new, then again with every record unchanged.`, '');
  lines.push('| database | pass | records | seconds | records/s | new / updated / unchanged / rejected |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- |');
  for (const d of opts.databases) {
    for (const r of d.imports) {
      const s = r.summary;
      lines.push(`| ${d.name} | ${r.label.replace(/^\S+ /, '')} | ${fmt(r.records)} | ${fmt(r.seconds, 2)} | ${fmt(r.records / r.seconds)} | ${s.new} / ${s.updated} / ${s.unchanged} / ${s.rejected} |`);
    }
  }
  lines.push('');

  lines.push('## HTTP: every page against its limit', '');
  lines.push(
    `Each database has its own server (\`node bin/dailypapers.js serve\`, NODE_ENV=production, LOG_LEVEL=warn, ` +
      `HF_SYNC_INTERVAL_SECONDS=0, PostgreSQL pool of 10) in its own process on 127.0.0.1, and the limits have theirs ` +
      `(bench/limit-server.ts): Hono's hello-world (\`c.text('hello')\`) and Hono serving from memory the exact bytes of ` +
      `the anonymous daily and paper pages, as fetched from the SQLite server ("a static file"). autocannon drives one run ` +
      `at a time from this process with ${CONNECTIONS} keep-alive connections, no Accept-Encoding (so every answer is the ` +
      `uncompressed bytes, as the static file's). Each run is warmed up for ${WARMUP_SECONDS} s, then measured in ${ROUNDS} ` +
      `rounds of ${opts.roundSeconds} s, all runs in every round, the order rotating; each ratio is the median of the ` +
      `per-round ratios (each taken within one round). The day is the archive's busiest (${opts.dayCount} papers, ` +
      `\`/papers/date/${opts.day}\`); the paper is its most upvoted (\`/papers/${opts.paper}\`). "Signed in" is a reader ` +
      `with a session cookie who upvoted some of the day's papers: their page is the role's cached template filled with ` +
      `their name, token and votes (one query). "Uncached" adds \`?v=<n>\`, never used before, so each request renders afresh.`,
    '',
  );
  lines.push('| run | req/s | p50 ms | p99 ms | KiB | measured against | ratio (per round) | goal | non-2xx / errors |');
  lines.push('| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |');
  for (const run of opts.runs) {
    const r = result(run.key);
    let against = '';
    let ratio = '';
    let goal = '';
    if (run.limit) {
      const ratios = roundRatios(r, result(run.limit.key));
      const m = median(ratios);
      against = run.limit.key;
      ratio = `**${fmt(m, 2)}** (${ratios.map((x) => x.toFixed(2)).join(', ')})`;
      if (run.limit.goal) goal = `≥ ${run.limit.goal}: ${m >= run.limit.goal ? 'met' : '**not met**'}`;
    }
    lines.push(`| ${run.key} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.avgBytes / 1024, 1)} | ${against} | ${ratio} | ${goal} | ${r.non2xx} / ${r.errors} |`);
  }
  lines.push('');

  lines.push('### Against a static file with our headers', '');
  lines.push('The same anonymous pages measured against the limit server sending their bytes with the headers the site sends (security headers, CSP, ETag, Vary, Content-Type): what is left is the site\'s own per-request work.', '');
  lines.push('| route | ratio (per round) |');
  lines.push('| --- | ---: |');
  for (const d of opts.databases) {
    for (const [route, limit] of [['daily page', 'static daily page, our headers'], ['paper page', 'static paper page, our headers']] as const) {
      const ratios = roundRatios(result(`${d.name} ${route}`), result(limit));
      lines.push(`| ${d.name} ${route} | **${fmt(median(ratios), 2)}** (${ratios.map((x) => x.toFixed(2)).join(', ')}) |`);
    }
  }
  lines.push('');

  if (both) {
    lines.push('### PostgreSQL ÷ SQLite, route by route (goal ≥ 0.8)', '');
    lines.push('| route | ratio (per round) | goal |');
    lines.push('| --- | ---: | --- |');
    for (const run of opts.runs.filter((r) => r.target === 'PostgreSQL')) {
      const ratios = roundRatios(result(run.key), result(`SQLite ${run.name}`));
      const m = median(ratios);
      lines.push(`| ${run.name} | **${fmt(m, 2)}** (${ratios.map((x) => x.toFixed(2)).join(', ')}) | ${m >= 0.8 ? 'met' : '**not met**'} |`);
    }
    lines.push('');
  }

  lines.push('### Rendering from nothing', '');
  lines.push(
    'Measured in the bench process by bench/render.ts: the app on the same database answering through ' +
      'node-server\'s request listener, as `serve` does, into a socket that drops the bytes (no HTTP client, no ' +
      'Accept-Encoding), each request with a new query string so the page cache misses; 200 renders back to back ' +
      'after 100 warm-up ones (a server renders all day: five warm-ups measured interpreted code, decision 024). ' +
      'CPU is process.cpuUsage (this process, all threads): the median of each render\'s, and the whole run\'s ' +
      'divided by the renders (garbage collection included). On SQLite the queries run in this thread; on ' +
      'PostgreSQL the server\'s own CPU is not in it. A stored page is compressed on the first request that asks ' +
      'each encoding (docs/decisions/021-rendering-cpu.md), so none is in these figures.',
    '',
  );
  lines.push('| database | route | ms per render | CPU ms per render, median (goal ≤ 2) | CPU ms per render, whole run |');
  lines.push('| --- | --- | ---: | ---: | ---: |');
  for (const d of opts.databases) for (const r of d.renders) lines.push(`| ${d.name} | ${r.route} | ${fmt(r.ms, 2)} | ${fmt(r.cpuMs, 2)} | ${fmt(r.cpuMeanMs, 2)} |`);
  lines.push('');
  return lines.join('\n');
}

/** The median time and CPU of rendering each path from nothing in this process (the page cache missed each time): bench/render.ts. */
async function renderTimes(db: Db, paths: Record<string, string>): Promise<{ route: string; ms: number; cpuMs: number; cpuMeanMs: number }[]> {
  const out: { route: string; ms: number; cpuMs: number; cpuMeanMs: number }[] = [];
  for (const [route, p] of Object.entries(paths)) out.push({ route, ...(await renderCpu(db, p)) });
  return out;
}

/** The sections of the results file that other benches own (all but Import and HTTP), kept as they are. */
function otherSections(file: string): string {
  if (!fs.existsSync(file)) return '';
  const text = fs.readFileSync(file, 'utf8');
  const sections = text.split(/^(?=## )/m).slice(1);
  return sections.filter((sec) => !/^## (Import|HTTP)/.test(sec)).map((sec) => `\n${sec.trimEnd()}\n`).join('');
}

/** A reader with a session on `db` who upvoted `paperIds`: their Cookie header. */
async function benchReader(db: Db, paperIds: string[]): Promise<string> {
  const id = await createAccount(db.kysely, { username: 'benchreader', email: 'bench@example.org' });
  const session = newToken();
  const now = new Date();
  await db.kysely
    .insertInto('sessions')
    .values({ token_hash: hashToken(session), user_id: id, created_at: now.toISOString(), last_seen_at: now.toISOString(), expires_at: new Date(now.getTime() + 86_400_000).toISOString(), user_agent: 'bench' })
    .execute();
  for (const paperId of paperIds) await castVote(db, id, paperId, 'up');
  return `${SESSION_COOKIE}=${session}`;
}
// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const t0 = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-'));
  const dbFile = path.join(tmp, 'bench.db');
  const children: ChildProcess[] = [];
  let postgres: Postgres | { unavailable: string } = { unavailable: 'not tried' };
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(children.map((child) => stopServer(child)));
      if (!('unavailable' in postgres)) await postgres.drop();
      fs.rmSync(tmp, { recursive: true, force: true });
    })());
  process.once('SIGINT', () => {
    log('interrupted: stopping the servers and dropping the database');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    // 1. Import, twice, into a fresh database of each kind.
    const sqlite = await connectDatabase(`sqlite:${dbFile}`);
    await migrateToLatest(sqlite);
    const sqliteVersion = (await sql<{ v: string }>`select sqlite_version() as v`.execute(sqlite.kysely)).rows[0]!.v;
    let dataset: string;
    let importNote: string | undefined;
    if (fs.existsSync(ARCHIVE)) {
      dataset = `\`${path.relative(repoRoot, ARCHIVE)}\` (${fmt(fs.statSync(ARCHIVE).size / 2 ** 20, 1)} MiB gzipped)`;
    } else {
      importNote = `**${path.relative(repoRoot, ARCHIVE)} is absent: the archive import was skipped; the figures below are for the demo data and the HTTP runs use it.**`;
      log(importNote.replace(/\*/g, ''));
      dataset = 'the demo data (src/ingest/demo-papers.json)';
    }
    const databases: DatabaseRun[] = [];
    const sqliteImports = await importTwice(sqlite, 'SQLite');

    // The busiest day (latest on ties), its week, and that day's most upvoted paper.
    const busiest = await sqlite.kysely
      .selectFrom('daily_listings')
      .select(['day', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('day')
      .orderBy('n', 'desc')
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const day = busiest.day;
    const top = await sqlite.kysely
      .selectFrom('daily_listings as l')
      .innerJoin('papers as p', 'p.id', 'l.paper_id')
      .select('p.id')
      .where('l.day', '=', day)
      .orderBy('p.upvotes', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    // The signed-in reader upvoted the top paper and a few more of the day's.
    const dayPapers = (await sqlite.kysely.selectFrom('daily_listings').select('paper_id').where('day', '=', day).orderBy('paper_id').execute()).map((r) => r.paper_id);
    const readerVotes = [top.id, ...dayPapers.filter((_, i) => i % 7 === 0)];
    const sqliteCookie = await benchReader(sqlite, readerVotes);
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(sqlite.kysely);
    await sqlite.close();

    const sqlitePort = await freePort();
    databases.push({ name: 'SQLite', base: `http://127.0.0.1:${sqlitePort}`, imports: sqliteImports, where: `sqlite:${dbFile}`, cookie: sqliteCookie, renders: [] });

    postgres = await createPostgresDatabase(POSTGRES_ADMIN_URL);
    if ('unavailable' in postgres) {
      log(`PostgreSQL is unavailable, measuring SQLite only: ${postgres.unavailable}`);
    } else {
      log(`created PostgreSQL database ${postgres.name} (PostgreSQL ${postgres.version})`);
      const pgDb = await connectDatabase(postgres.url);
      try {
        await migrateToLatest(pgDb);
        const pgImports = await importTwice(pgDb, 'PostgreSQL');
        const pgCookie = await benchReader(pgDb, readerVotes);
        // What autovacuum would have done by the time a real site is read: fresh statistics, visibility map set.
        await sql`vacuum analyze`.execute(pgDb.kysely);
        const pgDayCount = await pgDb.kysely
          .selectFrom('daily_listings')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('day', '=', day)
          .executeTakeFirstOrThrow();
        if (Number(pgDayCount.n) !== Number(busiest.n)) {
          throw new Error(`PostgreSQL has ${pgDayCount.n} listings on ${day}, SQLite ${busiest.n}: the imports differ`);
        }
        databases.push({ name: 'PostgreSQL', base: `http://127.0.0.1:${await freePort()}`, imports: pgImports, where: postgres.url, cookie: pgCookie, renders: [] });
      } finally {
        await pgDb.close();
      }
    }

    // 2. The real server on each database, each in its own process; then the limits, serving the anonymous pages' bytes.
    // Side by side: each takes a while on a loaded machine.
    log(`starting the servers: ${databases.map((d) => `${d.name} on ${d.base}`).join(', ')}`);
    const servers = await Promise.allSettled(databases.map((d) => startServer(d.where, Number(new URL(d.base).port))));
    for (const s of servers) if (s.status === 'fulfilled') children.push(s.value);
    const failed = servers.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const dayPath = `/papers/date/${day}`;
    const paperPath = `/papers/${top.id}`;
    const files: Record<string, string> = {};
    for (const [name, p] of [['daily', dayPath], ['paper', paperPath]] as const) {
      files[name] = path.join(tmp, `${name}.html`);
      const res = await fetch(databases[0]!.base + p);
      fs.writeFileSync(files[name], Buffer.from(await res.arrayBuffer()));
      // Our headers but those Node adds itself (it adds the same to the limit's answers).
      const ours = Object.fromEntries([...res.headers].filter(([h]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(h)));
      fs.writeFileSync(`${files[name]}.headers.json`, JSON.stringify(ours));
    }
    const limitBase = `http://127.0.0.1:${await freePort()}`;
    children.push(await startLimitServer(Number(new URL(limitBase).port), files));

    const runs: Run[] = [
      { key: 'hello-world', name: 'hello-world', target: 'limit', base: limitBase, path: '/hello' },
      { key: 'static daily page', name: 'static daily page', target: 'limit', base: limitBase, path: '/static/daily' },
      { key: 'static paper page', name: 'static paper page', target: 'limit', base: limitBase, path: '/static/paper' },
      // What our headers (security headers, CSP, ETag, Vary: about a dozen) cost on their own.
      { key: 'static daily page, our headers', name: 'static daily page, our headers', target: 'limit', base: limitBase, path: '/static-headers/daily', limit: { key: 'static daily page' } },
      { key: 'static paper page, our headers', name: 'static paper page, our headers', target: 'limit', base: limitBase, path: '/static-headers/paper', limit: { key: 'static paper page' } },
    ];
    for (const d of databases) {
      const signedIn = { Cookie: d.cookie };
      const add = (name: string, p: string, extra: Partial<Run>) => runs.push({ key: `${d.name} ${name}`, name, target: d.name, base: d.base, path: p, ...extra });
      add('/healthz', '/healthz', { limit: { key: 'hello-world', goal: 0.5 } });
      add('daily page', dayPath, { limit: { key: 'static daily page', goal: 0.8 } });
      add('paper page', paperPath, { limit: { key: 'static paper page', goal: 0.8 } });
      add('daily page, signed in', dayPath, { headers: signedIn, limit: { key: `${d.name} daily page`, goal: 0.5 } });
      add('paper page, signed in', paperPath, { headers: signedIn, limit: { key: `${d.name} paper page`, goal: 0.5 } });
      add('daily page, uncached', dayPath, { unique: true, limit: { key: `${d.name} daily page` } });
      add('paper page, uncached', paperPath, { unique: true, limit: { key: `${d.name} paper page` } });
    }

    // Every run must answer 200; a signed-in page must be its reader's; uncached ones must ignore ?v=.
    for (const run of runs) {
      const res = await fetch(run.base + run.path + (run.unique ? '?v=check' : ''), { headers: run.headers, signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${run.key} ${run.path} answered ${res.status}: ${body.slice(0, 300)}`);
      if (run.headers && (!body.includes('href="/users/benchreader"') || !body.includes('aria-pressed="true"'))) throw new Error(`${run.key}: the signed-in page does not show its reader`);
      if (run.unique) {
        const plain = await (await fetch(run.base + run.path)).text();
        // The view and theme switches send the reader back to the page's own address, query string and all.
        if (plain !== body.replaceAll('?v=check', '')) throw new Error(`${run.key} ${run.path}?v=check differs from ${run.path}: the handler reads ?v=`);
      }
    }
    for (const run of runs) {
      log(`warm-up ${run.key}`);
      await load(run, WARMUP_SECONDS);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const left = BUDGET_SECONDS - elapsed - runs.length * ROUNDS * RUN_OVERHEAD_SECONDS;
    const roundSeconds = Math.round(Math.min(MAX_ROUND_SECONDS, Math.max(MIN_ROUND_SECONDS, left / (runs.length * ROUNDS))) * 10) / 10;
    log(`${fmt(elapsed)} s so far: ${ROUNDS} rounds of ${roundSeconds} s per run`);
    const samples = new Map<string, Sample[]>(runs.map((r) => [r.key, []]));
    const stride = Math.max(1, Math.floor(runs.length / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < runs.length; i++) {
        const run = runs[(i + round * stride) % runs.length]!;
        const sample = await load(run, roundSeconds);
        samples.get(run.key)!.push(sample);
        log(`round ${round + 1}/${ROUNDS} ${run.key}: ${fmt(roundRps(sample))} req/s`);
      }
    }
    await Promise.all(children.map((child) => stopServer(child)));

    // Rendering from nothing, in this process, on each database.
    for (const d of databases) {
      const db = await connectDatabase(d.where);
      try {
        d.renders = await renderTimes(db, { 'daily page': dayPath, 'paper page': paperPath, 'trending page': '/papers/trending' });
      } finally {
        await db.close();
      }
      log(`${d.name} renders: ${d.renders.map((r) => `${r.route} ${fmt(r.ms, 2)} ms`).join(', ')}`);
    }

    const results = new Map([...samples].map(([k, v]) => [k, summarize(v)]));
    const markdown = report({
      started,
      loadAtStart,
      loadAtEnd: os.loadavg(),
      sqliteVersion,
      postgres,
      dataset,
      importNote,
      databases,
      day,
      dayCount: Number(busiest.n),
      paper: top.id,
      runs,
      roundSeconds,
      results,
      seconds: (performance.now() - t0) / 1000,
    });
    process.stdout.write(markdown);
    fs.writeFileSync(RESULTS, `${markdown.trimEnd()}\n${otherSections(RESULTS)}`);
    log(`wrote ${path.relative(repoRoot, RESULTS)}`);
  } finally {
    await cleanup();
  }
}
await main();
