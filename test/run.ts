// `npm test`: sets up what the suites need (test/setup.ts), runs the whole suite on SQLite and
// on PostgreSQL side by side, and fails when anything was missing that the reader did not opt out of.
//
//   npm test                        both passes
//   npm test -- --only sqlite       one pass (likewise --only postgres)
//   npm test -- src/comments        arguments after the options go to vitest (files, -t, …)
//   npm test -- --dry-run           say what the setup would do, and stop
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { carryOut, planSetup, probe, type Missing } from './setup.ts';
import { DATABASE_FREE, FRONT_END, ONCE_ON_POSTGRES } from '../vitest.config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const VITEST = path.join(ROOT, 'node_modules', '.bin', 'vitest');
const BROWSER_SUITES = 'test/e2e/**';

type Pass = 'sqlite' | 'postgres';

interface PassResult {
  pass: Pass;
  ok: boolean;
  counts: { passed: number; failed: number; skipped: number; total: number } | null;
  /** Tests per file, from vitest's report. */
  perFile: Map<string, number>;
}

const say = (line: string) => console.log(`test setup: ${line}`);

async function main(argv: string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  if (only !== undefined && only !== 'sqlite' && only !== 'postgres') {
    console.error(`--only takes sqlite or postgres, not ${only}`);
    return 2;
  }
  const vitestArgs = argv.filter((arg, i) => arg !== '--dry-run' && arg !== '--only' && !(onlyAt >= 0 && i === onlyAt + 1));
  const passes: Pass[] = only ? [only] : ['sqlite', 'postgres'];

  let facts = await probe();
  // A PostgreSQL that only the second pass needs is nobody's business in a SQLite-only run.
  if (!passes.includes('postgres')) facts = { ...facts, postgres: { ...facts.postgres, reachable: true } };
  const plan = planSetup(facts);
  if (dryRun) {
    for (const action of plan.actions) say(`would do: ${action.say}`);
    for (const m of plan.missing) say(`${m.optedOut ? 'left out' : 'MISSING'}: ${m.say}`);
    if (plan.actions.length === 0 && plan.missing.length === 0) say(`nothing to do: ${facts.browser.path} is there and PostgreSQL answers at ${facts.postgres.host}:${facts.postgres.port}`);
    return 0;
  }

  const failures = await carryOut(plan.actions, say);
  for (const failure of failures) say(`FAILED: ${failure}`);
  // What is missing now: what the plan could not fix, and what an action failed to fix.
  const after = failures.length > 0 ? planSetup({ ...(await probe()), canApt: false, canStartCluster: false }) : plan;
  if (!passes.includes('postgres')) after.missing = after.missing.filter((m) => m.what !== 'postgres');
  for (const m of after.missing) say(`${m.optedOut ? 'left out' : 'MISSING'}: ${m.say}`);

  const noBrowser = after.missing.some((m) => m.what === 'browser');
  const noPostgres = after.missing.some((m) => m.what === 'postgres');
  // The two passes run side by side: each leaves a core idle much of its time (servers starting,
  // a browser rendering, PostgreSQL working in its own processes), and the other fills it.
  const running = passes.filter((pass) => !(pass === 'postgres' && noPostgres));
  // A folder the passes share: what both would make alike (the archive imported into SQLite) is made once, by whichever asks first.
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-test-shared-'));
  let results: PassResult[];
  try {
    results = await Promise.all(running.map((pass) => runPass(pass, vitestArgs, noBrowser, running, shared)));
  } finally {
    fs.rmSync(shared, { recursive: true, force: true });
  }

  const leftOutBrowserTests = noBrowser ? countTests(BROWSER_SUITES) : 0;
  console.log('\n== npm test summary');
  for (const r of results) {
    const c = r.counts;
    console.log(`  ${r.pass.padEnd(8)} ${r.ok ? 'passed' : 'FAILED'}${c ? `: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped of ${c.total}` : ''}`);
  }
  if (noBrowser) console.log(`  left out: ${leftOutBrowserTests} browser tests (${BROWSER_SUITES})${results.length > 1 ? ' in each pass' : ''}`);
  if (noPostgres && passes.includes('postgres')) console.log('  left out: the whole PostgreSQL pass');
  if (results.some((r) => r.pass === 'postgres')) {
    const sqlite = results.find((r) => r.pass === 'sqlite');
    const once = sqlite ? DATABASE_FREE.reduce((n, f) => n + (sqlite.perFile.get(f) ?? 0), 0) : NaN;
    console.log(`  not on PostgreSQL: ${DATABASE_FREE.length} files that never open a database${sqlite ? ` (${once} tests, run on SQLite)` : ''}, listed in vitest.config.ts`);
    const frontEnd = sqlite ? FRONT_END.reduce((n, f) => n + (sqlite.perFile.get(f) ?? 0), 0) : NaN;
    console.log(`  not on PostgreSQL: ${FRONT_END.length} browser files whose server side is tested on both in-process${sqlite ? ` (${frontEnd} tests, run on SQLite)` : ''}, listed in vitest.config.ts`);
    const postgres = results.find((r) => r.pass === 'postgres')!;
    const journey = ONCE_ON_POSTGRES.reduce((n, f) => n + (postgres.perFile.get(f) ?? 0), 0);
    if (sqlite) console.log(`  not on SQLite: ${ONCE_ON_POSTGRES.length} whole browser journey run once, on PostgreSQL (${journey} tests), listed in vitest.config.ts`);
  }
  const unmet = after.missing.filter((m: Missing) => !m.optedOut);
  for (const m of unmet) console.log(`  MISSING ${m.what}: the run fails until it is there (or you opt out explicitly)`);
  const nothing = results.every((r) => r.counts?.total === 0);
  if (nothing) console.log('  MISSING tests: no pass found any');
  const ok = results.every((r) => r.ok) && unmet.length === 0 && !nothing;
  console.log(ok ? '  npm test: passed' : '  npm test: FAILED');
  return ok ? 0 : 1;
}

/**
 * One whole vitest run on one database. Its report goes to the terminal as it runs; beside
 * another pass, each of its lines is prefixed with the pass's name.
 */
async function runPass(pass: Pass, vitestArgs: string[], noBrowser: boolean, running: Pass[], shared: string): Promise<PassResult> {
  const beside = running.length > 1;
  const name = pass === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  console.log(`\n== tests on ${name}`);
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dp-test-')), 'report.json');
  const env = { ...process.env };
  if (pass === 'postgres') env.TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  else delete env.TEST_DATABASE_URL;
  // The files that never open a database, and the front-end browser files, run once: in the SQLite
  // pass; the whole browser journey runs once too: in the PostgreSQL pass, when there is one.
  const onceElsewhere = pass === 'postgres' ? [...DATABASE_FREE, ...FRONT_END] : running.includes('postgres') ? ONCE_ON_POSTGRES : [];
  const excluded = [...(noBrowser ? [BROWSER_SUITES] : []), ...onceElsewhere];
  env.DP_TEST_EXCLUDE = excluded.join(',');
  env.DP_TEST_SHARED_DIR = shared;
  if (beside) env.FORCE_COLOR ??= process.stdout.isTTY ? '1' : '0';
  // A pass may find none of the files asked for (they run in the other pass): the summary fails a run that found none in any pass.
  const args = ['run', '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...vitestArgs];
  const child = spawn(VITEST, args, { cwd: ROOT, env, stdio: beside ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  if (beside) {
    const tag = `[${pass}] `.padEnd(11);
    for (const [from, to] of [[child.stdout!, process.stdout], [child.stderr!, process.stderr]] as const) {
      readline.createInterface({ input: from, crlfDelay: Infinity }).on('line', (line) => to.write(`${tag}${line}\n`));
    }
  }
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  let counts: PassResult['counts'] = null;
  const perFile = new Map<string, number>();
  try {
    const json = JSON.parse(fs.readFileSync(report, 'utf8')) as Record<string, number> & { testResults?: { name: string; assertionResults: unknown[] }[] };
    counts = { passed: json.numPassedTests ?? 0, failed: json.numFailedTests ?? 0, skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0), total: json.numTotalTests ?? 0 };
    for (const file of json.testResults ?? []) perFile.set(path.relative(ROOT, file.name), file.assertionResults.length);
  } catch {
    // No report: vitest did not get as far as writing one; its exit status says the rest.
  }
  // TEST_REPORT_DIR keeps vitest's json report (each file's duration) as <dir>/<pass>.json.
  if (process.env.TEST_REPORT_DIR && fs.existsSync(report)) {
    fs.mkdirSync(process.env.TEST_REPORT_DIR, { recursive: true });
    fs.copyFileSync(report, path.join(process.env.TEST_REPORT_DIR, `${pass}.json`));
  }
  fs.rmSync(path.dirname(report), { recursive: true, force: true });
  return { pass, ok: status === 0, counts, perFile };
}

/** How many tests the files matching `pattern` hold, as vitest collects them (nothing runs). */
function countTests(pattern: string): number {
  const dir = pattern.replace(/\/\*\*$/, '');
  const result = spawnSync(VITEST, ['list', dir, '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TEST_DATABASE_URL: '' } });
  try {
    return (JSON.parse(result.stdout) as unknown[]).length;
  } catch {
    return NaN;
  }
}

process.exitCode = await main(process.argv.slice(2));
