// `npm run bench`: import and HTTP throughput, measured side by side in one run.
//
// Absolute times on a shared machine are noise, so what this reports are ratios taken in
// the same run: each route's requests/s against a trivial route of the same server
// (`/healthz`, one `select 1`), with rounds of all routes interleaved so that drift in the
// machine's load hits every route alike; and the re-import's rate against the first import's.
//
// 1. Imports the real Hugging Face archive (../shared/fixtures, when present; else the demo
//    data) into a fresh temporary SQLite database, twice: new, then all unchanged.
// 2. Starts the real server on that database as a child process (so the load generator does
//    not share its event loop) and drives it with autocannon, 10 connections, 127.0.0.1 only.
// 3. Prints a Markdown report and writes it to bench/RESULTS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { sql } from 'kysely';
import { connectDatabase, migrateToLatest } from '../src/db/database.ts';
import { importHfPath, type ImportSummary } from '../src/ingest/hf-import.ts';
import { importDemoData } from '../src/ingest/seed.ts';
import { parseWeek, weekKeyOf } from '../src/feed/periods.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const ARCHIVE = path.resolve(repoRoot, '../shared/fixtures/hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');
const RESULTS = path.join(repoRoot, 'bench/RESULTS.md');

const CONNECTIONS = 10;
const WARMUP_SECONDS = 2;
const ROUNDS = 3;
const ROUND_SECONDS = 5;
const SERVER_START_TIMEOUT_MS = 60_000;

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

// ---------------------------------------------------------------- server

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `node bin/dailypapers.js serve` and resolves once it says it is listening. */
function startServer(dbFile: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/dailypapers.js'), 'serve'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite:${dbFile}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HF_SYNC_INTERVAL_SECONDS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, SERVER_START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on http:/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${signal ?? code}):\n${output}`));
    });
  });
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------- load

interface Route {
  name: string;
  path: string;
}

interface Sample {
  requests: number;
  seconds: number;
  latencies: number[];
  bytes: number;
  non2xx: number;
  errors: number;
}

/** One bounded autocannon run against one route; every response's latency is kept. */
function load(url: string, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, pipelining: 1, duration: seconds, timeout: 10 }, (err, result) => {
      if (err) return reject(err as Error);
      resolve({
        requests: latencies.length,
        seconds: result.duration,
        latencies,
        bytes,
        non2xx: result.non2xx,
        errors: result.errors,
      });
    });
    instance.on('response', (_client, _status, resBytes, responseTime) => {
      latencies.push(responseTime);
      bytes += resBytes;
    });
  });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface RouteResult {
  route: Route;
  rounds: Sample[];
  rps: number;
  p50: number;
  p99: number;
  avgBytes: number;
  non2xx: number;
  errors: number;
}

function summarize(route: Route, rounds: Sample[]): RouteResult {
  const requests = rounds.reduce((s, r) => s + r.requests, 0);
  const seconds = rounds.reduce((s, r) => s + r.seconds, 0);
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  return {
    route,
    rounds,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    avgBytes: rounds.reduce((s, r) => s + r.bytes, 0) / Math.max(requests, 1),
    non2xx: rounds.reduce((s, r) => s + r.non2xx, 0),
    errors: rounds.reduce((s, r) => s + r.errors, 0),
  };
}

// ---------------------------------------------------------------- report

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function report(opts: {
  started: Date;
  sqliteVersion: string;
  dataset: string;
  imports: ImportRun[];
  importNote?: string;
  day: string;
  dayCount: number;
  week: string;
  weekCount: number;
  results: RouteResult[];
  seconds: number;
}): string {
  const cpus = os.cpus();
  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push('Written by `npm run bench` (bench/run.ts); rerun it to refresh. Absolute figures on a shared machine');
  lines.push('are noise: compare the ratios, which are measured in the same run.', '');
  lines.push(`- Date: ${opts.started.toISOString()}`);
  lines.push(
    `- Machine: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ` +
      `load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`,
  );
  lines.push(`- Node ${process.version}, SQLite ${opts.sqliteVersion}, ${os.type()} ${os.release()}`);
  lines.push(`- Whole bench: ${fmt(opts.seconds, 0)} s`, '');

  lines.push('## Import', '');
  if (opts.importNote) lines.push(opts.importNote, '');
  lines.push(`Data: ${opts.dataset}, into a fresh temporary SQLite database (WAL).`, '');
  lines.push('| pass | records | seconds | records/s | new / updated / unchanged / rejected |');
  lines.push('| --- | ---: | ---: | ---: | --- |');
  for (const r of opts.imports) {
    const s = r.summary;
    lines.push(`| ${r.label} | ${fmt(r.records)} | ${fmt(r.seconds, 2)} | ${fmt(r.records / r.seconds)} | ${s.new} / ${s.updated} / ${s.unchanged} / ${s.rejected} |`);
  }
  const [first, second] = opts.imports;
  if (first && second) {
    lines.push('', `Re-import rate / first import rate: **${fmt(second.records / second.seconds / (first.records / first.seconds), 2)}×**`);
  }
  lines.push('');

  lines.push('## HTTP', '');
  lines.push(
    `The server (\`node bin/dailypapers.js serve\`, NODE_ENV=production) runs in its own process on 127.0.0.1; ` +
      `autocannon drives it with ${CONNECTIONS} keep-alive connections from this process. Each route is warmed up ` +
      `for ${WARMUP_SECONDS} s, then measured in ${ROUNDS} rounds of ${ROUND_SECONDS} s, the routes rotating within ` +
      `and across rounds. Latencies are over every response of all rounds. The day is the archive's busiest ` +
      `(${opts.dayCount} papers), its ISO week has ${opts.weekCount}; the paper is that day's most upvoted.`,
    '',
  );
  const base = opts.results.find((r) => r.route.path === '/healthz');
  lines.push('| route | req/s | p50 ms | p99 ms | avg KiB | ratio to /healthz | per-round ratios | non-2xx / errors |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const r of opts.results) {
    const ratio = base ? r.rps / base.rps : NaN;
    const perRound = base
      ? r.rounds.map((s, i) => {
          const b = base.rounds[i]!;
          return ((s.requests / s.seconds) / (b.requests / b.seconds)).toFixed(2);
        })
      : [];
    lines.push(
      `| ${r.route.name} \`${r.route.path}\` | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.avgBytes / 1024, 1)} | ` +
        `**${fmt(ratio, 2)}** | ${perRound.join(', ')} | ${r.non2xx} / ${r.errors} |`,
    );
  }
  const daily = opts.results.find((r) => r.route.name === 'daily page');
  if (daily && base) {
    const ratio = daily.rps / base.rps;
    lines.push('', `Daily page target: ratio ≥ 0.50 — ${ratio >= 0.5 ? 'met' : '**not met**'} (${fmt(ratio, 2)}).`);
  }
  lines.push('');
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-'));
  const dbFile = path.join(tmp, 'bench.db');
  let child: ChildProcess | undefined;
  const cleanup = () => {
    child?.kill('SIGKILL');
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  try {
    // 1. Import, twice, into a fresh database.
    const db = await connectDatabase(`sqlite:${dbFile}`);
    await migrateToLatest(db);
    const sqliteVersion = (await sql<{ v: string }>`select sqlite_version() as v`.execute(db.kysely)).rows[0]!.v;
    const imports: ImportRun[] = [];
    let dataset: string;
    let importNote: string | undefined;
    if (fs.existsSync(ARCHIVE)) {
      dataset = `\`${path.relative(repoRoot, ARCHIVE)}\` (${fmt(fs.statSync(ARCHIVE).size / 2 ** 20, 1)} MiB gzipped)`;
      imports.push(await timedImport('import', () => importHfPath(db, ARCHIVE)));
      imports.push(await timedImport('re-import (unchanged)', () => importHfPath(db, ARCHIVE)));
    } else {
      importNote = `**${path.relative(repoRoot, ARCHIVE)} is absent: the archive import was skipped; the figures below are for the demo data and the HTTP runs use it.**`;
      log(importNote.replace(/\*/g, ''));
      dataset = 'the demo data (src/ingest/demo-papers.json)';
      imports.push(await timedImport('demo import', () => importDemoData(db)));
      imports.push(await timedImport('demo re-import (unchanged)', () => importDemoData(db)));
    }

    // The busiest day (latest on ties), its week, and that day's most upvoted paper.
    const busiest = await db.kysely
      .selectFrom('daily_listings')
      .select(['day', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('day')
      .orderBy('n', 'desc')
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const day = busiest.day;
    const week = weekKeyOf(day);
    const top = await db.kysely
      .selectFrom('daily_listings as l')
      .innerJoin('papers as p', 'p.id', 'l.paper_id')
      .select('p.id')
      .where('l.day', '=', day)
      .orderBy('p.upvotes', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    const weekPeriod = parseWeek(week)!;
    const weekCount = await db.kysely
      .selectFrom('daily_listings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('day', '>=', weekPeriod.first)
      .where('day', '<=', weekPeriod.last)
      .executeTakeFirstOrThrow();
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db.kysely);
    await db.close();

    // 2. The real server in its own process.
    const port = await freePort();
    log(`starting the server on 127.0.0.1:${port}`);
    child = await startServer(dbFile, port);
    const base = `http://127.0.0.1:${port}`;
    const routes: Route[] = [
      { name: 'daily page', path: `/papers/date/${day}` },
      { name: 'weekly page', path: `/papers/week/${week}` },
      { name: 'daily API', path: `/api/daily_papers?date=${day}` },
      { name: 'paper page', path: `/papers/${top.id}` },
      { name: 'trivial', path: '/healthz' },
    ];

    // Each route must answer 200 before it is measured; then it is warmed up.
    for (const route of routes) {
      const res = await fetch(base + route.path, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${route.path} answered ${res.status}: ${body.slice(0, 300)}`);
    }
    for (const route of routes) {
      log(`warm-up ${route.path}`);
      await load(base + route.path, WARMUP_SECONDS);
    }

    const samples = new Map<Route, Sample[]>(routes.map((r) => [r, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the starting route every round so no route always runs first or last.
      for (let i = 0; i < routes.length; i++) {
        const route = routes[(i + round) % routes.length]!;
        const sample = await load(base + route.path, ROUND_SECONDS);
        samples.get(route)!.push(sample);
        log(`round ${round + 1}/${ROUNDS} ${route.path}: ${fmt(sample.requests / sample.seconds)} req/s`);
      }
    }
    await stopServer(child);
    child = undefined;

    const results = routes.map((r) => summarize(r, samples.get(r)!));
    const markdown = report({
      started,
      sqliteVersion,
      dataset,
      imports,
      importNote,
      day,
      dayCount: Number(busiest.n),
      week,
      weekCount: Number(weekCount.n),
      results,
      seconds: (performance.now() - t0) / 1000,
    });
    process.stdout.write(markdown);
    fs.writeFileSync(RESULTS, markdown);
    log(`wrote ${path.relative(repoRoot, RESULTS)}`);
  } finally {
    if (child) await stopServer(child);
    cleanup();
  }
}

await main();
