// `npm run bench`: import and HTTP throughput on SQLite and PostgreSQL, measured side by side in one run.
//
// Absolute times on a shared machine are noise, so what this reports are ratios taken in
// the same run: each route's requests/s against a trivial route of the same server
// (`/healthz`, one `select 1`), and each PostgreSQL figure against the SQLite one, with rounds
// of all routes on both servers interleaved so that drift in the machine's load hits every
// route and both databases alike; and each re-import's rate against its first import's.
//
// 1. Imports the real Hugging Face archive (../shared/fixtures, when present; else the demo
//    data) twice (new, then all unchanged) into a fresh temporary SQLite database, and into a
//    fresh PostgreSQL database `dp_bench_<ts>` created through BENCH_POSTGRES_URL (an admin
//    URL, default postgres://postgres@127.0.0.1:5432/postgres) and dropped at the end, also
//    on failure. When PostgreSQL is unreachable the report says so and covers SQLite only.
// 2. Starts the real server on each database as a child process (so the load generator does
//    not share its event loop) and drives them with autocannon, 10 connections, 127.0.0.1 only.
// 3. Prints a Markdown report and writes it to bench/RESULTS.md.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort, percentile, startServer, stopServer } from './server.ts';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { maskUrl } from '../src/core/config.ts';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import { importHfPath, type ImportSummary } from '../src/ingest/hf-import.ts';
import { importDemoData } from '../src/ingest/seed.ts';
import { parseWeek, weekKeyOf } from '../src/core/periods.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const ARCHIVE = path.resolve(repoRoot, '../shared/fixtures/hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');
const RESULTS = path.join(repoRoot, 'bench/RESULTS.md');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const CONNECTIONS = 10;
const WARMUP_SECONDS = 0.5;
const ROUNDS = 5;
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

interface Route {
  name: string;
  path: string;
  /** Append a query string no request has used before, so the page cache never answers. */
  unique?: boolean;
}

/** A server under test: one database. */
interface Target {
  name: 'SQLite' | 'PostgreSQL';
  base: string;
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

/** One bounded autocannon run against one route; every response's latency is kept. */
function load(base: string, route: Route, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  let bytes = 0;
  const requests = route.unique
    ? [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: `${route.path}?v=${++uniqueCounter}` }) }]
    : undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: base + route.path, connections: CONNECTIONS, pipelining: 1, duration: seconds, timeout: 10, requests },
      (err, result) => {
        if (err) return reject(err as Error);
        resolve({
          requests: latencies.length,
          seconds: result.duration,
          latencies,
          bytes,
          non2xx: result.non2xx,
          errors: result.errors,
        });
      },
    );
    instance.on('response', (_client, _status, resBytes, responseTime) => {
      latencies.push(responseTime);
      bytes += resBytes;
    });
  });
}


interface RouteResult {
  rounds: Sample[];
  rps: number;
  p50: number;
  p99: number;
  avgBytes: number;
  non2xx: number;
  errors: number;
}

function summarize(rounds: Sample[]): RouteResult {
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

const roundRps = (s: Sample) => s.requests / s.seconds;

/** Each round's ratio of `a` to `b`, taken from the same round. */
const roundRatios = (a: RouteResult, b: RouteResult) => a.rounds.map((s, i) => roundRps(s) / roundRps(b.rounds[i]!));

/** The median: a round hit by a burst of someone else's load cannot drag it far. */
function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface DatabaseRun {
  target: Target;
  imports: ImportRun[];
  /** Where the data went, for the report. */
  where: string;
}

function report(opts: {
  started: Date;
  loadAtStart: number[];
  loadAtEnd: number[];
  sqliteVersion: string;
  postgres: Postgres | { unavailable: string };
  dataset: string;
  importNote?: string;
  runs: DatabaseRun[];
  day: string;
  dayCount: number;
  week: string;
  weekCount: number;
  routes: Route[];
  roundSeconds: number;
  results: Map<string, RouteResult>;
  seconds: number;
}): string {
  const cpus = os.cpus();
  const pg = 'unavailable' in opts.postgres ? null : opts.postgres;
  const targets = opts.runs.map((r) => r.target);
  const key = (route: Route, target: Target) => `${target.name} ${route.name}`;
  const result = (route: Route, target: Target) => opts.results.get(key(route, target))!;
  const healthz = opts.routes.find((r) => r.path === '/healthz')!;
  const both = targets.length === 2;

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

  // Import.
  lines.push('## Import', '');
  if (opts.importNote) lines.push(opts.importNote, '');
  lines.push(
    `Data: ${opts.dataset}, imported by the bench process into each fresh database (migrated first), twice: ` +
      'new, then again with every record unchanged.',
    '',
  );
  lines.push('| database | pass | records | seconds | records/s | new / updated / unchanged / rejected |');
  lines.push('| --- | --- | ---: | ---: | ---: | --- |');
  for (const run of opts.runs) {
    for (const r of run.imports) {
      const s = r.summary;
      lines.push(
        `| ${run.target.name} | ${r.label.replace(/^\S+ /, '')} | ${fmt(r.records)} | ${fmt(r.seconds, 2)} | ${fmt(r.records / r.seconds)} | ` +
          `${s.new} / ${s.updated} / ${s.unchanged} / ${s.rejected} |`,
      );
    }
  }
  lines.push('');
  const rate = (r: ImportRun | undefined) => (r ? r.records / r.seconds : NaN);
  for (const run of opts.runs) {
    const [first, second] = run.imports;
    lines.push(`- ${run.target.name}: re-import rate / first import rate **${fmt(rate(second) / rate(first), 2)}×**`);
  }
  if (both) {
    const [s, p] = opts.runs as [DatabaseRun, DatabaseRun];
    lines.push(
      `- PostgreSQL / SQLite: first import **${fmt(rate(p.imports[0]) / rate(s.imports[0]), 2)}×**, ` +
        `re-import **${fmt(rate(p.imports[1]) / rate(s.imports[1]), 2)}×**`,
    );
  }
  lines.push('');

  // HTTP.
  lines.push('## HTTP', '');
  lines.push(
    `Each database has its own server (\`node bin/dailypapers.js serve\`, NODE_ENV=production, LOG_LEVEL=warn, ` +
      `HF_SYNC_INTERVAL_SECONDS=0, PostgreSQL pool of 10) in its own process on 127.0.0.1; both run for the whole ` +
      `measurement and autocannon drives one of them at a time with ${CONNECTIONS} keep-alive connections from this ` +
      `process. Each route on each server is warmed up for ${WARMUP_SECONDS} s, then measured in ${ROUNDS} rounds of ` +
      `${opts.roundSeconds} s (the time the imports left within the bench's budget of ${BUDGET_SECONDS} s); within a round every route runs on every server, the order rotating from round to round ` +
      `and the two servers taking turns to go first, so drift in the machine's load hits all alike. req/s and latencies ` +
      `are over every response of all rounds; each ratio is the median of the per-round ratios (each taken within one ` +
      `round), so a round hit by a burst of other load does not decide it. The day is the archive's busiest (${opts.dayCount} papers), its ISO week has ` +
      `${opts.weekCount}; the paper is that day's most upvoted.`,
    '',
  );
  lines.push(
    '**What is cached.** List pages, paper pages and API answers are served from the page cache (src/web/page-cache.ts): ' +
      'rendered bytes kept per full URL until the content version changes, which costs one read of the content ' +
      'version per request. That is the steady state of a read-heavy site, and what the plain rows measure. The ' +
      '**daily page, uncached** row measures the render cost instead: every request carries a query string never ' +
      'used before (`?v=<n>`, which the daily page ignores: the bench checks the body is the same as the plain ' +
      "page's), so each one misses the cache and queries and renders the day afresh (and stores it, evicting " +
      'older entries, as a real miss does).',
    '',
  );

  const head = ['route'];
  const align = ['---'];
  for (const t of targets) {
    head.push(`${t.name} req/s`, 'p50 ms', 'p99 ms', 'ratio to /healthz');
    align.push('---:', '---:', '---:', '---:');
  }
  if (both) {
    head.push('PostgreSQL ÷ SQLite (req/s)');
    align.push('---:');
  }
  lines.push(`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`);
  for (const route of opts.routes) {
    const cells = [`${route.name} \`${route.path}${route.unique ? '?v=<n>' : ''}\``];
    for (const t of targets) {
      const r = result(route, t);
      cells.push(fmt(r.rps), fmt(r.p50, 1), fmt(r.p99, 1), `**${fmt(median(roundRatios(r, result(healthz, t))), 2)}**`);
    }
    if (both) cells.push(`**${fmt(median(roundRatios(result(route, targets[1]!), result(route, targets[0]!))), 2)}**`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');

  lines.push('Per round, to show how steady the ratios are:', '');
  const head2 = ['route', 'avg KiB'];
  const align2 = ['---', '---:'];
  for (const t of targets) {
    head2.push(`${t.name} ratio to /healthz`);
    align2.push('---');
  }
  if (both) {
    head2.push('PostgreSQL ÷ SQLite');
    align2.push('---');
  }
  head2.push('non-2xx / errors');
  align2.push('---:');
  lines.push(`| ${head2.join(' | ')} |`, `| ${align2.join(' | ')} |`);
  for (const route of opts.routes) {
    const cells = [route.name, fmt(result(route, targets[0]!).avgBytes / 1024, 1)];
    for (const t of targets) {
      cells.push(roundRatios(result(route, t), result(healthz, t)).map((x) => x.toFixed(2)).join(', '));
    }
    if (both) cells.push(roundRatios(result(route, targets[1]!), result(route, targets[0]!)).map((x) => x.toFixed(2)).join(', '));
    cells.push(targets.map((t) => `${result(route, t).non2xx} / ${result(route, t).errors}`).join('; '));
    lines.push(`| ${cells.join(' | ')} |`);
  }

  const daily = opts.routes.find((r) => r.name === 'daily page');
  if (daily) {
    lines.push('');
    for (const t of targets) {
      const ratio = median(roundRatios(result(daily, t), result(healthz, t)));
      lines.push(`- Daily page target on ${t.name}: ratio to /healthz ≥ 0.50 — ${ratio >= 0.5 ? 'met' : '**not met**'} (${fmt(ratio, 2)}).`);
    }
  }
  lines.push('');
  return lines.join('\n');
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
    const runs: DatabaseRun[] = [];
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
    const week = weekKeyOf(day);
    const top = await sqlite.kysely
      .selectFrom('daily_listings as l')
      .innerJoin('papers as p', 'p.id', 'l.paper_id')
      .select('p.id')
      .where('l.day', '=', day)
      .orderBy('p.upvotes', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const weekPeriod = parseWeek(week)!;
    const weekCount = await sqlite.kysely
      .selectFrom('daily_listings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('day', '>=', weekPeriod.first)
      .where('day', '<=', weekPeriod.last)
      .executeTakeFirstOrThrow();
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(sqlite.kysely);
    await sqlite.close();

    const sqlitePort = await freePort();
    runs.push({ target: { name: 'SQLite', base: `http://127.0.0.1:${sqlitePort}` }, imports: sqliteImports, where: `sqlite:${dbFile}` });

    postgres = await createPostgresDatabase(POSTGRES_ADMIN_URL);
    if ('unavailable' in postgres) {
      log(`PostgreSQL is unavailable, measuring SQLite only: ${postgres.unavailable}`);
    } else {
      log(`created PostgreSQL database ${postgres.name} (PostgreSQL ${postgres.version})`);
      const pgDb = await connectDatabase(postgres.url);
      try {
        await migrateToLatest(pgDb);
        const pgImports = await importTwice(pgDb, 'PostgreSQL');
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
        runs.push({ target: { name: 'PostgreSQL', base: `http://127.0.0.1:${await freePort()}` }, imports: pgImports, where: postgres.url });
      } finally {
        await pgDb.close();
      }
    }

    // 2. The real server on each database, each in its own process.
    for (const run of runs) {
      log(`starting the ${run.target.name} server on ${run.target.base}`);
      const port = Number(new URL(run.target.base).port);
      const child = startServer(run.where, port);
      children.push(await child);
    }
    const targets = runs.map((r) => r.target);
    const routes: Route[] = [
      { name: 'daily page', path: `/papers/date/${day}` },
      { name: 'daily page, uncached', path: `/papers/date/${day}`, unique: true },
      { name: 'weekly page', path: `/papers/week/${week}` },
      { name: 'daily API', path: `/api/daily_papers?date=${day}` },
      { name: 'paper page', path: `/papers/${top.id}` },
      { name: 'trivial', path: '/healthz' },
    ];

    // Each route must answer 200 on each server before it is measured, and the daily page must
    // ignore the cache-busting parameter (same body as without it).
    for (const target of targets) {
      for (const route of routes) {
        const res = await fetch(target.base + route.path + (route.unique ? '?v=check' : ''), { signal: AbortSignal.timeout(10_000) });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${target.name} ${route.path} answered ${res.status}: ${body.slice(0, 300)}`);
        if (route.unique) {
          const plain = await (await fetch(target.base + route.path, { signal: AbortSignal.timeout(10_000) })).text();
          if (plain !== body) throw new Error(`${target.name} ${route.path}?v=check differs from ${route.path}: the handler reads ?v=`);
        }
      }
    }
    // Every (route, server) pair, each route's servers side by side.
    const pairs = routes.flatMap((route) => targets.map((target) => ({ route, target })));
    for (const { route, target } of pairs) {
      log(`warm-up ${target.name} ${route.path}${route.unique ? '?v=<n>' : ''}`);
      await load(target.base, route, WARMUP_SECONDS);
    }

    const elapsed = (performance.now() - t0) / 1000;
    // Warm-ups are done; what is left pays for the rounds, each run costing its overhead on top.
    const left = BUDGET_SECONDS - elapsed - pairs.length * ROUNDS * RUN_OVERHEAD_SECONDS;
    const roundSeconds = Math.round(Math.min(MAX_ROUND_SECONDS, Math.max(MIN_ROUND_SECONDS, left / (pairs.length * ROUNDS))) * 10) / 10;
    log(`${fmt(elapsed)} s so far: ${ROUNDS} rounds of ${roundSeconds} s per route and server`);
    const samples = new Map<string, Sample[]>(pairs.map(({ route, target }) => [`${target.name} ${route.name}`, []]));
    const stride = Math.max(1, Math.floor(pairs.length / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the starting pair every round, and let the servers take turns going first within a route.
      const order = routes.flatMap((route) => (round % 2 === 0 ? targets : [...targets].reverse()).map((target) => ({ route, target })));
      for (let i = 0; i < order.length; i++) {
        const { route, target } = order[(i + round * stride) % order.length]!;
        const sample = await load(target.base, route, roundSeconds);
        samples.get(`${target.name} ${route.name}`)!.push(sample);
        log(`round ${round + 1}/${ROUNDS} ${target.name} ${route.name}: ${fmt(roundRps(sample))} req/s`);
      }
    }
    await Promise.all(children.map((child) => stopServer(child)));

    const results = new Map([...samples].map(([k, v]) => [k, summarize(v)]));
    const markdown = report({
      started,
      loadAtStart,
      loadAtEnd: os.loadavg(),
      sqliteVersion,
      postgres,
      dataset,
      importNote,
      runs,
      day,
      dayCount: Number(busiest.n),
      week,
      weekCount: Number(weekCount.n),
      routes,
      roundSeconds,
      results,
      seconds: (performance.now() - t0) / 1000,
    });
    process.stdout.write(markdown);
    fs.writeFileSync(RESULTS, markdown);
    log(`wrote ${path.relative(repoRoot, RESULTS)}`);
  } finally {
    await cleanup();
  }
}

await main();
