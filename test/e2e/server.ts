// Runs the real executable (`bin/dailypapers.js`) as child processes for end-to-end tests:
// the server on a fresh database of its own, and CLI commands against the same database.
import { freshDatabaseUrl } from '../helpers.ts';
import { cli as cliHere } from '../run-cli.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/dailypapers.js');
// Limits that catch a hang, not a slow machine: a start through tsx takes seconds when another suite runs beside this one.
const STARTUP_TIMEOUT_MS = 180_000;
const CLI_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 10_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  baseUrl: string;
  /** The temporary folder holding the database; removed by `stop()`. */
  dir: string;
  /** Runs `dailypapers <args>` (the executable) against the server's database, with `input` on its stdin if given. */
  cli(args: string[], input?: string): Promise<CliResult>;
  /** The same, as a function in this process (test/run-cli.ts): no second start of the application. */
  cliHere(args: string[], input?: string): Promise<CliResult>;
  /** What the server wrote so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The environment of every child: ours minus settings that would change what the pages show. */
function childEnv(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['BASE_URL', 'SITE_NAME', 'HF_API_URL', 'SESSION_SECRET', 'PORT', 'HOST']) delete env[key];
  return { ...env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, SEED_DAYS: '0', HF_SYNC_INTERVAL_SECONDS: '0', ARXIV_METADATA_INTERVAL_SECONDS: '0', IMAGES_INTERVAL_SECONDS: '0', LOG_LEVEL: 'warn', ...extra };
}

/** Runs one CLI command to completion (bounded), collecting its output. */
function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dailypapers ${args.join(' ')} did not finish in ${CLI_TIMEOUT_MS} ms\n${stdout}${stderr}`));
    }, CLI_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
  if ((await Promise.race([exited(child), timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** The port the server says it listens on (it logs it at info), then `/healthz` answering 200; rejects early if the child exits, and after a bounded wait. */
async function waitUntilHealthy(child: ChildProcess, stdout: () => string, output: () => string): Promise<string> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let lastProblem = 'no port yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it was healthy:\n${output()}`);
    }
    const port = /"msg":"listening on http:\/\/127\.0\.0\.1:(\d+)"/.exec(stdout())?.[1];
    if (port) {
      const baseUrl = `http://127.0.0.1:${port}`;
      try {
        const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return baseUrl;
        lastProblem = `GET /healthz answered ${res.status}`;
      } catch (err) {
        lastProblem = (err as Error).message;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server was not healthy after ${STARTUP_TIMEOUT_MS} ms (${lastProblem}):\n${output()}`);
}

/**
 * Starts `dailypapers serve --seed` on a fresh database (or the one given), with
 * SEED_DAYS=0 so the seed is the demo data and nothing touches the network.
 */
export async function startServer(opts: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<RunningServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-e2e-'));
  const databaseUrl = opts.databaseUrl ?? (await freshDatabaseUrl());
  // PORT=0: the OS gives a free port at bind time, so suites running side by side cannot race for one.
  const child = spawn(process.execPath, [BIN, 'serve', '--seed'], {
    cwd: ROOT,
    env: childEnv(databaseUrl, { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const output = () => `--- stdout ---\n${stdout}--- stderr ---\n${stderr}`;
  let baseUrl: string;
  try {
    baseUrl = await waitUntilHealthy(child, () => stdout, output);
  } catch (err) {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    baseUrl,
    dir,
    output,
    cli: (args, input) => runCli(args, childEnv(databaseUrl), input),
    cliHere: (args, input) => cliHere(args, { DATABASE_URL: databaseUrl }, input),
    stop: async () => {
      await stopChild(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
