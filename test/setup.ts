// What `npm test` needs from the machine: Debian's Chromium for the browser suites and a
// PostgreSQL server for the second pass. `probe` reads the machine, `planSetup` decides (a pure
// function, tested on its own), `carryOut` installs or starts what the plan says.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** The browser the suites drive; DP_CHROMIUM_PATH points elsewhere (a Chrome on a laptop, say). */
export const CHROMIUM_PATH = process.env.DP_CHROMIUM_PATH || '/usr/bin/chromium';
/** The PostgreSQL server (an account that may create databases) of the second pass. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** What `apt-get` installs for the browser suites: the browser and the fonts pages are measured with. */
const BROWSER_PACKAGES = ['chromium', 'fonts-dejavu-core'];

/** A PostgreSQL cluster as `pg_lsclusters` lists it. */
export interface Cluster {
  version: string;
  name: string;
  port: number;
  online: boolean;
}

/** What the machine has, as read by `probe`. */
export interface Facts {
  browser: { path: string; present: boolean };
  postgres: { url: string; host: string; port: number; reachable: boolean; clusters: Cluster[] };
  /** Whether this process may install Debian packages (root, with apt-get on the PATH). */
  canApt: boolean;
  /** Whether this process may start a local cluster (root or postgres, with pg_ctlcluster). */
  canStartCluster: boolean;
  skipBrowser: boolean;
  skipPostgres: boolean;
}

export type Action =
  | { kind: 'install-browser'; packages: string[]; say: string }
  | { kind: 'start-cluster'; cluster: Cluster; say: string };

/** Something the tests need that this machine lacks and that the setup may not fix itself. */
export interface Missing {
  what: 'browser' | 'postgres';
  say: string;
  /** The reader chose to run without it (DP_SKIP_BROWSER=1, DP_SKIP_POSTGRES=1): the run may still pass. */
  optedOut: boolean;
}

export interface Plan {
  actions: Action[];
  missing: Missing[];
}

/** Decides what to install or start, and what to report missing, from the facts alone. */
export function planSetup(facts: Facts): Plan {
  const actions: Action[] = [];
  const missing: Missing[] = [];

  const { browser } = facts;
  if (!browser.present) {
    if (facts.skipBrowser) {
      missing.push({ what: 'browser', optedOut: true, say: `no browser at ${browser.path}; the browser suites are left out (DP_SKIP_BROWSER=1)` });
    } else if (facts.canApt && browser.path === '/usr/bin/chromium') {
      actions.push({
        kind: 'install-browser',
        packages: BROWSER_PACKAGES,
        say: `Chromium is missing at ${browser.path}: installing Debian's ${BROWSER_PACKAGES.join(' and ')} with apt-get`,
      });
    } else {
      missing.push({
        what: 'browser',
        optedOut: false,
        say:
          `no browser at ${browser.path}, and this process cannot install one. Install Debian's chromium ` +
          `(sudo apt-get install chromium fonts-dejavu-core), or point DP_CHROMIUM_PATH at a Chrome or Chromium ` +
          `binary, or run without the browser suites with DP_SKIP_BROWSER=1`,
      });
    }
  }

  const pgFacts = facts.postgres;
  if (!pgFacts.reachable) {
    const stopped = isLoopback(pgFacts.host) ? pgFacts.clusters.find((c) => c.port === pgFacts.port && !c.online) : undefined;
    if (facts.skipPostgres) {
      missing.push({ what: 'postgres', optedOut: true, say: `no PostgreSQL at ${pgFacts.host}:${pgFacts.port}; the PostgreSQL pass is left out (DP_SKIP_POSTGRES=1)` });
    } else if (stopped && facts.canStartCluster) {
      actions.push({
        kind: 'start-cluster',
        cluster: stopped,
        say: `PostgreSQL cluster ${stopped.version}/${stopped.name} (port ${stopped.port}) is stopped: starting it with pg_ctlcluster`,
      });
    } else {
      const how = stopped
        ? `its cluster ${stopped.version}/${stopped.name} is stopped: start it (sudo pg_ctlcluster ${stopped.version} ${stopped.name} start)`
        : `install and start PostgreSQL (sudo apt-get install postgresql), or set TEST_DATABASE_URL to a server where this account may create databases`;
      missing.push({
        what: 'postgres',
        optedOut: false,
        say: `no PostgreSQL answers at ${pgFacts.host}:${pgFacts.port}; ${how}; or run SQLite alone with DP_SKIP_POSTGRES=1`,
      });
    }
  }
  return { actions, missing };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host) || host === '';
}

/** Parses `pg_lsclusters --no-header`: `15  main    5432 online postgres /var/lib/… /var/log/…`. */
export function parseClusters(text: string): Cluster[] {
  const clusters: Cluster[] = [];
  for (const line of text.split('\n')) {
    const [version, name, port, status] = line.trim().split(/\s+/);
    if (!version || !name || !port || !status || !/^\d+$/.test(port)) continue;
    clusters.push({ version, name, port: Number(port), online: status.startsWith('online') });
  }
  return clusters;
}

/** Reads the machine: the browser, the PostgreSQL server, and what this process may change. */
export async function probe(env: NodeJS.ProcessEnv = process.env): Promise<Facts> {
  const url = env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const parsed = new URL(url);
  const host = parsed.hostname || '127.0.0.1';
  const port = Number(parsed.port || 5432);
  const root = process.getuid?.() === 0;
  const lsclusters = onPath('pg_lsclusters') ? spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout ?? '' : '';
  const browserPath = env.DP_CHROMIUM_PATH || '/usr/bin/chromium';
  return {
    browser: { path: browserPath, present: isExecutable(browserPath) },
    postgres: { url, host, port, reachable: await listening(host, port), clusters: parseClusters(lsclusters) },
    canApt: root && onPath('apt-get'),
    canStartCluster: (root || env.USER === 'postgres') && onPath('pg_ctlcluster'),
    skipBrowser: env.DP_SKIP_BROWSER === '1',
    skipPostgres: env.DP_SKIP_POSTGRES === '1',
  };
}

/** Installs or starts what the plan says; returns a problem per action that failed. */
export async function carryOut(actions: Action[], say: (line: string) => void): Promise<string[]> {
  const failures: string[] = [];
  for (const action of actions) {
    say(action.say);
    const started = Date.now();
    const problem = action.kind === 'install-browser' ? installBrowser(action.packages) : await startCluster(action.cluster);
    if (problem) failures.push(problem);
    else say(`  done in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return failures;
}

function installBrowser(packages: string[]): string | null {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { env, encoding: 'utf8' });
  let result = install();
  // A machine whose package lists were never fetched knows no package: fetch them once and retry.
  if (result.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8' });
    result = install();
  }
  return result.status === 0 ? null : `apt-get install ${packages.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' / ')}`;
}

async function startCluster(cluster: Cluster): Promise<string | null> {
  const result = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start'], { encoding: 'utf8' });
  if (result.status !== 0) return `pg_ctlcluster ${cluster.version} ${cluster.name} start failed: ${(result.stderr || result.stdout).trim()}`;
  for (let i = 0; i < 60; i++) {
    if (await listening('127.0.0.1', cluster.port)) return null;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `PostgreSQL cluster ${cluster.version}/${cluster.name} started but does not answer on port ${cluster.port}`;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && isExecutable(`${dir}/${command}`));
}

/** Whether something accepts TCP connections at host:port (PostgreSQL answers before any query). */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
