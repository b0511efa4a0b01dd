// `node --import tsx bench/render.ts [database-url]`: the CPU of rendering the busiest day from nothing
// (page cache missed each time), in this process, as bench/run.ts measures it, fast enough to run
// while profiling (`node --cpu-prof --import tsx bench/render.ts`).
//
// Without a URL it imports April–May 2026 of the HF archive (its busiest day, 2026-05-13, included)
// into a SQLite file kept in the temporary directory, reused by the next run.
// RENDER_PATHS (comma-separated) overrides the pages; RENDER_COUNT the renders per page (default 200),
// RENDER_WARMUP the renders before them (default 100);
// RENDER_PROFILE=<file.cpuprofile> profiles the measured renders only (not the start, not the warm-up).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import readline from 'node:readline';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../src/core/config.ts';
import { createApp } from '../src/app.ts';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import { importHfPath } from '../src/ingest/hf-import.ts';
import { getRequestListener } from '@hono/node-server';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

const ARCHIVE = path.resolve(import.meta.dirname, '../../shared/fixtures/hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');
const FIRST = '2026-04-01';
const LAST = '2026-05-31';
const COUNT = Number(process.env.RENDER_COUNT ?? 200);
const WARMUP = Number(process.env.RENDER_WARMUP ?? 100);

/** April–May 2026 of the archive, in a SQLite file kept between runs. */
async function sliceDatabase(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'dailypapers-render-bench');
  const file = path.join(dir, 'slice.db');
  if (fs.existsSync(file)) return `sqlite:${file}`;
  fs.mkdirSync(dir, { recursive: true });
  const slice = path.join(dir, 'slice.jsonl');
  const lines = readline.createInterface({ input: fs.createReadStream(ARCHIVE).pipe(zlib.createGunzip()) });
  const kept: string[] = [];
  for await (const line of lines) {
    const day = /"date": ?"([\d-]+)"/.exec(line)?.[1];
    if (day && day >= FIRST && day <= LAST) kept.push(line);
  }
  await pipeline(Readable.from(kept.map((l) => `${l}\n`)), fs.createWriteStream(slice));
  const db = await connectDatabase(`sqlite:${file}.part`);
  await migrateToLatest(db);
  const summary = await importHfPath(db, slice);
  await db.close();
  fs.renameSync(`${file}.part`, file);
  process.stderr.write(`render: imported ${summary.new} records of ${FIRST}..${LAST} into ${file}\n`);
  return `sqlite:${file}`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One request through node-server's listener, as `serve` answers it, into a socket that drops what it is sent. */
function serveOnce(listener: ReturnType<typeof getRequestListener>, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() }) as unknown as Socket;
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = target;
    req.headers = { host: 'bench.invalid' };
    req.push(null);
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => resolve(res.statusCode));
    res.on('error', reject);
    void Promise.resolve(listener(req, res)).catch(reject);
  });
}

/**
 * Wall and CPU milliseconds of rendering `p` from nothing (a new query string each time, so the page
 * cache misses), as the server answers it: node-server's request listener writing the response to a
 * socket that drops it (no kernel, no client). `cpuMs`: the median of each render's process CPU;
 * `cpuMeanMs`: the process's CPU over all the measured renders, run back to back, divided by their
 * number (garbage collection and V8's helper threads included, which a render's own window can miss).
 * After `warmup` renders (default 100): a server renders pages all day, so its code is compiled and
 * its memory in use; five warm-ups measured interpreted code and fresh pages of memory (decision 024).
 */
export async function renderCpu(db: Db, p: string, count = COUNT, warmup = WARMUP): Promise<{ ms: number; cpuMs: number; cpuMeanMs: number }> {
  const app = createApp({ db, config: loadConfig({ NODE_ENV: 'production', SESSION_SECRET: randomBytes(32).toString('hex'), BASE_URL: 'https://bench.invalid', LOG_LEVEL: 'silent' }) });
  // As `serve` has it: node-server's lighter Request and Response (it puts them in the globals).
  const listener = getRequestListener((req) => app.fetch(req));
  const times: number[] = [];
  const cpu: number[] = [];
  const sep = p.includes('?') ? '&' : '?';
  const profile = process.env.RENDER_PROFILE;
  const session = profile ? new Session() : undefined;
  let whole = process.cpuUsage();
  for (let i = 0; i < count + warmup; i++) {
    if (i === warmup) {
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 100 });
        await session.post('Profiler.start');
      }
      whole = process.cpuUsage();
    }
    const started = performance.now();
    const usage = process.cpuUsage();
    const status = await serveOnce(listener, `${p}${sep}render=${i}`);
    const used = process.cpuUsage(usage);
    const wall = performance.now() - started;
    if (status !== 200) throw new Error(`render: ${p} answered ${status}`);
    if (i >= warmup) {
      times.push(wall);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  const total = process.cpuUsage(whole);
  if (session) {
    const { profile: taken } = await session.post('Profiler.stop');
    fs.writeFileSync(profile!, JSON.stringify(taken));
    session.disconnect();
  }
  return { ms: median(times), cpuMs: median(cpu), cpuMeanMs: (total.user + total.system) / 1000 / count };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.argv[2] ?? (await sliceDatabase());
  const db = await connectDatabase(url);
  const paths = (process.env.RENDER_PATHS ?? '/papers/date/2026-05-13').split(',');
  for (const p of paths) {
    const r = await renderCpu(db, p);
    process.stdout.write(`${p}: ${r.cpuMs.toFixed(2)} ms CPU (median; ${r.cpuMeanMs.toFixed(2)} over the run), ${r.ms.toFixed(2)} ms wall (median of ${COUNT} after ${WARMUP}; load ${os.loadavg()[0]!.toFixed(1)})\n`);
  }
  await db.close();
}
