import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusters, planSetup, type Facts } from './setup.ts';

// `pg_lsclusters --no-header` as Debian prints it, one cluster up and one down.
const LSCLUSTERS = [
  '15  main    5432 down   postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log',
  '16  other   5433 online postgres /var/lib/postgresql/16/other /var/log/postgresql/postgresql-16-other.log',
].join('\n');

/** A machine with everything there, as root with apt; each test takes something away. */
function facts(change: (f: Facts) => void = () => {}): Facts {
  const f: Facts = {
    browser: { path: '/usr/bin/chromium', present: true },
    postgres: { url: 'postgres://postgres@127.0.0.1:5432/postgres', host: '127.0.0.1', port: 5432, reachable: true, clusters: parseClusters(LSCLUSTERS) },
    canApt: true,
    canStartCluster: true,
    skipBrowser: false,
    skipPostgres: false,
  };
  change(f);
  return f;
}

describe('test setup', () => {
  it('reads pg_lsclusters', () => {
    expect(parseClusters(`${LSCLUSTERS}\n\n`)).toEqual([
      { version: '15', name: 'main', port: 5432, online: false },
      { version: '16', name: 'other', port: 5433, online: true },
    ]);
  });

  it('does nothing on a machine that has everything', () => {
    expect(planSetup(facts())).toEqual({ actions: [], missing: [] });
  });

  it('installs a missing browser with apt-get when it may, and says so', () => {
    const plan = planSetup(facts((f) => (f.browser.present = false)));
    expect(plan.missing).toEqual([]);
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'install-browser', packages: ['chromium', 'fonts-dejavu-core'] })]);
    expect(plan.actions[0]!.say).toMatch(/Chromium is missing at \/usr\/bin\/chromium: installing/);
  });

  it('reports a missing browser it may not install, with how to get one, as a failure', () => {
    const plan = planSetup(facts((f) => ((f.browser.present = false), (f.canApt = false))));
    expect(plan.actions).toEqual([]);
    expect(plan.missing).toEqual([expect.objectContaining({ what: 'browser', optedOut: false })]);
    expect(plan.missing[0]!.say).toMatch(/apt-get install chromium.*DP_CHROMIUM_PATH.*DP_SKIP_BROWSER=1/);
  });

  it('leaves the browser suites out only when the reader opts out', () => {
    const plan = planSetup(facts((f) => ((f.browser.present = false), (f.canApt = false), (f.skipBrowser = true))));
    expect(plan.missing).toEqual([expect.objectContaining({ what: 'browser', optedOut: true })]);
  });

  it('starts a stopped local cluster on the port the tests use', () => {
    const plan = planSetup(facts((f) => (f.postgres.reachable = false)));
    expect(plan.missing).toEqual([]);
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'start-cluster', cluster: { version: '15', name: 'main', port: 5432, online: false } })]);
    expect(plan.actions[0]!.say).toMatch(/cluster 15\/main \(port 5432\) is stopped: starting it/);
  });

  it('says how to start a stopped cluster it may not start itself', () => {
    const plan = planSetup(facts((f) => ((f.postgres.reachable = false), (f.canStartCluster = false))));
    expect(plan.actions).toEqual([]);
    expect(plan.missing[0]!.say).toMatch(/cluster 15\/main is stopped: start it \(sudo pg_ctlcluster 15 main start\)/);
  });

  it('reports a server that is neither running nor installed here, and never starts a cluster for a remote one', () => {
    const none = planSetup(facts((f) => ((f.postgres.reachable = false), (f.postgres.clusters = []))));
    expect(none.missing).toEqual([expect.objectContaining({ what: 'postgres', optedOut: false })]);
    expect(none.missing[0]!.say).toMatch(/apt-get install postgresql.*TEST_DATABASE_URL.*DP_SKIP_POSTGRES=1/);
    const remote = planSetup(facts((f) => ((f.postgres.reachable = false), (f.postgres.host = 'db.example.org'))));
    expect(remote.actions).toEqual([]);
    expect(remote.missing).toHaveLength(1);
  });

  it('probes the real machine and says what it would do (npm test -- --dry-run)', () => {
    const root = path.resolve(import.meta.dirname, '..');
    // Nothing listens on port 9 (discard) and no browser lives at this path.
    const env = { ...process.env, DP_SKIP_BROWSER: '', DP_SKIP_POSTGRES: '', DP_CHROMIUM_PATH: path.join(root, 'no-such-browser'), TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:9/postgres' };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', '--dry-run'], { cwd: root, env, encoding: 'utf8', timeout: 180_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/MISSING: no browser at .*no-such-browser/);
    expect(run.stdout).toMatch(/MISSING: no PostgreSQL answers at 127\.0\.0\.1:9/);
  });
});
