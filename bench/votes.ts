// `npm run bench` (second part): upvotes per second over HTTP, with p50 and p99
// latency, on SQLite and PostgreSQL side by side in one run.
//
// For each database: a fresh one (a temporary SQLite file; a `dp_bench_votes_<ts>`
// PostgreSQL database created through BENCH_POSTGRES_URL and dropped at the end),
// 20 featured papers and 200 users with API tokens, and the real server as a child
// process (RATE_LIMIT_SCALE=0). 50 concurrent clients (127.0.0.1 only) then cast and
// withdraw upvotes at random (`POST`/`DELETE /api/papers/{id}/upvote`) for a fixed
// time; rounds alternate between the databases so the machine's load drift hits
// both alike. Afterwards it checks each paper's count = baseline + stored votes.
// Prints a Markdown report and writes it to bench/VOTES.md.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort, percentile, startServer, stopServer } from './server.ts';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { maskUrl } from '../src/core/config.ts';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import { createAccount } from '../src/auth/users.ts';
import { hashToken, newToken } from '../src/auth/tokens.ts';
import { importHfItems } from '../src/ingest/hf-import.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const REPORT = path.join(repoRoot, 'bench/VOTES.md');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CLIENTS = 50;
const USERS = 200;
const PAPERS = Array.from({ length: 20 }, (_, i) => `2611.${String(i + 1).padStart(5, '0')}`);
const ROUNDS = 3;
const ROUND_SECONDS = 5;
const WARMUP_SECONDS = 1;

const log = (msg: string) => process.stderr.write(`bench votes: ${msg}\n`);

interface Target {
  name: 'SQLite' | 'PostgreSQL';
  db: Db;
  server: ChildProcess;
  baseUrl: string;
  tokens: string[];
  cleanup: () => Promise<void>;
  latencies: number[];
  seconds: number;
  errors: number;
}

async function prepare(db: Db): Promise<string[]> {
  await migrateToLatest(db);
  const items = PAPERS.map((id, i) => ({
    paper: { id, title: `Paper ${id}`, summary: 'x', publishedAt: '2026-11-01T00:00:00.000Z', upvotes: i, authors: [] },
    publishedAt: '2026-11-02T08:00:00.000Z',
    title: `Paper ${id}`,
    numComments: 0,
  }));
  await importHfItems(db, items, '2026-11-02', 'bench');
  const tokens: string[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < USERS; i++) {
    const id = await createAccount(db.kysely, { username: `voter${i}`, email: `voter${i}@example.org` });
    const token = newToken('dp_');
    await db.kysely.insertInto('api_tokens').values({ user_id: id, name: 'bench', token_hash: hashToken(token), scopes: 'read write', created_at: now, last_used_at: null, revoked_at: null }).execute();
    tokens.push(token);
  }
  return tokens;
}

/** The real server on a free port, without rate limits (every client would hit them). */
async function serve(databaseUrl: string): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  return { child: await startServer(databaseUrl, port, { RATE_LIMIT_SCALE: '0' }), baseUrl: `http://127.0.0.1:${port}` };
}


async function sqliteTarget(): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-votes-'));
  const url = `sqlite:${path.join(dir, 'bench.db')}`;
  const db = await connectDatabase(url);
  const tokens = await prepare(db);
  const { child, baseUrl } = await serve(url);
  return {
    name: 'SQLite', db, server: child, baseUrl, tokens, latencies: [], seconds: 0, errors: 0,
    cleanup: async () => {
      await stopServer(child);
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresTarget(): Promise<Target | string> {
  let admin: Db;
  try {
    admin = await connectDatabase(POSTGRES_ADMIN_URL, { poolSize: 1 });
  } catch (err) {
    return (err as Error).message.replace(/^db: /, '');
  }
  const name = `dp_bench_votes_${Date.now()}_${process.pid}`;
  await sql`create database ${sql.id(name)}`.execute(admin.kysely);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin.kysely).catch((err: Error) => log(`could not drop ${name}: ${err.message}`));
    await admin.close();
  };
  try {
    const db = await connectDatabase(url.href, { poolSize: 2 });
    const tokens = await prepare(db);
    const { child, baseUrl } = await serve(url.href);
    return {
      name: 'PostgreSQL', db, server: child, baseUrl, tokens, latencies: [], seconds: 0, errors: 0,
      cleanup: async () => {
        await stopServer(child);
        await db.close();
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

/** CLIENTS concurrent loops of random votes for `seconds`; latencies in ms. */
async function load(target: Target, seconds: number, record: boolean): Promise<void> {
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  const client = async (c: number) => {
    let n = 0;
    while (performance.now() < end) {
      const token = target.tokens[(c + CLIENTS * n++) % target.tokens.length]!;
      const paper = PAPERS[Math.floor(Math.random() * PAPERS.length)]!;
      const t0 = performance.now();
      const res = await fetch(`${target.baseUrl}/api/papers/${paper}/upvote`, { method: Math.random() < 0.6 ? 'POST' : 'DELETE', headers: { Authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (!record) continue;
      if (res.status === 200) target.latencies.push(performance.now() - t0);
      else target.errors++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  if (record) target.seconds += (performance.now() - started) / 1000;
}

/** Whether every paper's count is its baseline plus its stored votes. */
async function consistent(db: Db): Promise<boolean> {
  const papers = await db.kysely.selectFrom('papers').select(['id', 'upvotes', 'upvotes_source']).execute();
  const rows = await db.kysely.selectFrom('upvotes').select(['paper_id']).execute();
  return papers.every((p) => Number(p.upvotes) === Number(p.upvotes_source) + rows.filter((r) => r.paper_id === p.id).length);
}


async function main() {
  const targets: Target[] = [];
  let pgProblem: string | null = null;
  try {
    log('preparing SQLite');
    targets.push(await sqliteTarget());
    log('preparing PostgreSQL');
    const pg = await postgresTarget();
    if (typeof pg === 'string') pgProblem = pg;
    else targets.push(pg);
    for (const t of targets) await load(t, WARMUP_SECONDS, false);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of round % 2 ? targets : [...targets].reverse()) {
        log(`round ${round}/${ROUNDS}: ${t.name}`);
        await load(t, ROUND_SECONDS, true);
      }
    }
    const lines = [
      '# Upvotes over HTTP',
      '',
      `Measured by \`bench/votes.ts\` on ${new Date().toISOString().slice(0, 10)}: ${CLIENTS} concurrent clients casting and withdrawing`,
      `upvotes at random (\`POST\`/\`DELETE /api/papers/{id}/upvote\`, Bearer tokens of ${USERS} users, ${PAPERS.length} papers)`,
      `against the real server in its own process, ${ROUNDS} rounds of ${ROUND_SECONDS} s per database, interleaved.`,
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, load average ${os.loadavg()[0]!.toFixed(1)} at the end (shared).`,
      '',
      '| database | votes | votes/s | p50 ms | p99 ms | errors | count = baseline + votes |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ];
    for (const t of targets) {
      const sorted = [...t.latencies].sort((a, b) => a - b);
      const ok = await consistent(t.db);
      lines.push(
        `| ${t.name} | ${sorted.length} | ${Math.round(sorted.length / t.seconds)} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${t.errors} | ${ok ? 'yes' : '**NO**'} |`,
      );
      if (!ok) process.exitCode = 1;
    }
    if (pgProblem) lines.push('', `PostgreSQL was not measured: ${pgProblem} (${maskUrl(POSTGRES_ADMIN_URL)}).`);
    lines.push(
      '',
      'Votes are written under the content lock (they bump the content version), so writes are serialized',
      'across processes; each process writes the votes that arrive while its transaction runs together in',
      'the next one (group commit, src/votes/votes.ts): one lock, one recount per paper and one durable commit per batch.',
      '',
    );
    const report = lines.join('\n');
    process.stdout.write(report);
    fs.writeFileSync(REPORT, report);
    log(`wrote ${path.relative(repoRoot, REPORT)}`);
  } finally {
    for (const t of targets) await t.cleanup();
  }
}

await main();
