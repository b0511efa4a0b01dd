// What the bench scripts share: the real server in a child process, a free port, a percentile.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '..');
// A loaded 2-core machine took over a minute to start the server on the archive (the search index is built at start).
const SERVER_START_TIMEOUT_MS = 300_000;

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node bin/dailypapers.js serve` in production mode on `port` (plus `env`),
 * and resolves once it answers /healthz (LOG_LEVEL=warn hides the "listening" line).
 */
export function startServer(databaseUrl: string, port: number, env: Record<string, string> = {}): Promise<ChildProcess> {
  return startChild([path.join(repoRoot, 'bin/dailypapers.js'), 'serve'], databaseUrl, port, env);
}

/** Starts bench/limit-server.ts on `port`, serving each `name=file` from memory at /static/<name>. */
export function startLimitServer(port: number, files: Record<string, string>): Promise<ChildProcess> {
  const args = ['--import', 'tsx', path.join(repoRoot, 'bench/limit-server.ts'), String(port), ...Object.entries(files).map(([n, f]) => `${n}=${f}`)];
  return startChild(args, '', port, {});
}

function startChild(args: string[], databaseUrl: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    // Production refuses to start without a strong SESSION_SECRET and an https BASE_URL (src/core/config.ts).
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      BASE_URL: 'https://bench.invalid',
      LOG_LEVEL: 'warn',
      HF_SYNC_INTERVAL_SECONDS: '0',
      ARXIV_METADATA_INTERVAL_SECONDS: '0',
      IMAGES_INTERVAL_SECONDS: '0',
      // No background work under measurement (the related-papers job would work the imported backlog).
      SCHEDULER_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, SERVER_START_TIMEOUT_MS);
    const poll = setInterval(() => {
      fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) })
        .then((res) => {
          if (res.status !== 200) return;
          clearInterval(poll);
          clearTimeout(timer);
          resolve(child);
        })
        .catch(() => {});
    }, 100);
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited early (${signal ?? code}):\n${output}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
