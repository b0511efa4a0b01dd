// What an operator sees at a cold start (issue 19: "a cold start that can serve search in <= 5 s
// at 1M"): `dailypapers serve` (bin/dailypapers.js) spawned on a loaded database, timed until
// `GET /papers/search?q=dark+energy` answers 200, then `GET /api/papers/search`. Each run starts
// the built entry point (dist/, `npm run build`) and the sources through tsx (DP_FROM_SOURCE=1)
// one after the other, so both see the same machine; the index file must exist (a first start
// writes it). The server's CPU time (/proc) and RSS are read when the first answer arrives.
//
//   npm run bench:coldstart -- sqlite:/path/to/1m.db [runs] [checkout...]   (default 3 runs, this checkout)
// Other checkouts (another branch's, an older commit's) run in the same rounds, for a before/after.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopServer } from './server.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const TIMEOUT_MS = 300_000;
const TICK_MS = 1000 / 100; // /proc/PID/stat counts CPU in clock ticks of 1/100 s on Linux.

interface Start {
  how: string;
  listenS: number;
  pageS: number;
  apiS: number;
  cpuS: number;
  rssMb: number;
  peakMb: number;
  indexLine: string;
  mode: string;
}

/** The server's CPU so far (user + system), seconds. */
function cpuOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * TICK_MS) / 1000;
}

/** VmRSS and VmHWM of the server, MB. */
function memOf(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)![1]);
  return { rssMb: Math.round((kb('VmRSS') * 1024) / 1e6), peakMb: Math.round((kb('VmHWM') * 1024) / 1e6) };
}

async function once(url: string, root: string, fromSource: boolean): Promise<Start> {
  const how = `${path.relative(repoRoot, root) || '.'} ${fromSource ? 'tsx' : 'dist'}`;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(root, 'bin/dailypapers.js'), 'serve'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      BASE_URL: 'https://bench.invalid',
      LOG_LEVEL: 'info',
      SCHEDULER_ENABLED: 'false',
      ...(process.env.SEARCH_INDEX_DIR ? { SEARCH_INDEX_DIR: process.env.SEARCH_INDEX_DIR } : {}),
      ...(fromSource ? { DP_FROM_SOURCE: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${output}`))));
  exited.catch(() => undefined);
  try {
    // Refused until it listens (a connection is accepted before the index is read, even while the main thread is busy).
    for (;;) {
      if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`not listening within ${TIMEOUT_MS / 1000} s:\n${output}`);
      const connected = await Promise.race([
        new Promise<boolean>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
          socket.once('error', () => resolve(false));
        }),
        exited,
      ]);
      if (connected) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const listenS = (performance.now() - t0) / 1000;
    // 503 until the app exists; then the search waits for the index.
    const answer = async (route: string) => {
      for (;;) {
        if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`no answer within ${TIMEOUT_MS / 1000} s:\n${output}`);
        const res = await Promise.race([fetch(`${base}${route}`).catch(() => null), exited]);
        if (res?.status === 200) return res;
        await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await (await answer('/papers/search?q=dark+energy')).arrayBuffer();
    const pageS = (performance.now() - t0) / 1000;
    const cpuS = cpuOf(child.pid!);
    const mem = memOf(child.pid!);
    const api = await answer('/api/papers/search?q=dark+energy&limit=20');
    await api.arrayBuffer();
    const apiS = (performance.now() - t0) / 1000;
    const indexLine = /"msg":"(search: [^"]*)"/.exec(output)?.[1] ?? '(no index line yet)';
    return { how, listenS, pageS, apiS, cpuS, ...mem, indexLine, mode: api.headers.get('x-search-mode') ?? '?' };
  } finally {
    await stopServer(child);
  }
}

async function main(): Promise<void> {
  const [url, runsArg, ...others] = process.argv.slice(2);
  if (!url) throw new Error('usage: bench/coldstart.ts DATABASE_URL [runs] [checkout...]');
  const runs = Number(runsArg ?? 3);
  // A checkout without dist/ (never built, or from before it) runs its sources only.
  const variants = [repoRoot, ...others.map((o) => path.resolve(o))].flatMap((root) =>
    fs.existsSync(path.join(root, 'dist/manifest.json')) ? [{ root, fromSource: false }, { root, fromSource: true }] : [{ root, fromSource: true }],
  );
  const loadStart = os.loadavg();
  // A first start writes the index file when there is none (and finishes writing it before it stops); not timed.
  await once(url, repoRoot, false);
  const starts: Start[] = [];
  for (let i = 0; i < runs; i++) for (const v of variants) starts.push(await once(url, v.root, v.fromSource));
  const lines = starts.map(
    (s) =>
      `- ${s.how}: listening ${s.listenS.toFixed(2)} s, **first search page ${s.pageS.toFixed(2)} s**, API search ${s.apiS.toFixed(2)} s (${s.mode}); server CPU by the first answer ${s.cpuS.toFixed(2)} s; RSS then ${s.rssMb} MB (peak ${s.peakMb}); ${s.indexLine}`,
  );
  lines.push(`- ${url}; load average at start ${loadStart.map((l) => l.toFixed(1)).join(' / ')}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (${os.cpus().length} cores)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
