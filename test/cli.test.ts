import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { emptyDatabaseUrl } from './helpers.ts';
import { cli as cliHere } from './run-cli.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../bin/dailypapers.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-cli-'));

/** Runs the real executable; resolves with its exit code and output. A few smoke tests do; the rest run the CLI in this process. */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    // A clean environment: the test runner's own variables (vite sets BASE_URL=/) are not settings.
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'test' };
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...base, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dailypapers CLI', () => {
  it('the executable prints its help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: dailypapers/);
    expect(stdout).toMatch(/^ {2}serve \[options\]/m);
  });

  it('prints the resolved configuration with secrets masked', async () => {
    const { code, stdout } = await cliHere(['config'], { SESSION_SECRET: 's'.repeat(40), PORT: '4123' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PORT\s+4123\s+#/m);
    expect(stdout).toMatch(/^SESSION_SECRET\s+\*{8}/m);
    expect(stdout).not.toContain('s'.repeat(40));
  });

  it('config --check lists every unsafe production setting and exits 1; serve refuses to start in production on them', async () => {
    const unsafe = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) };
    const check = await cli(['config', '--check'], unsafe);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/^error: SESSION_SECRET: is too simple/m);
    expect(check.stdout).toMatch(/^error: BASE_URL: is not set/m);
    expect(check.stdout).toMatch(/^warning: SMTP_URL: is not set/m);
    expect(check.stdout).not.toContain('x'.repeat(40));

    const safe = await cliHere(['config', '--check'], { NODE_ENV: 'production', SESSION_SECRET: 'c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2', BASE_URL: 'https://papers.example.org', SMTP_URL: 'smtp://mail.example.org:587', TRUST_PROXY: 'true' });
    expect(safe.stdout).toContain('config: safe for production');
    expect(safe.code).toBe(0);

    // The check comes before the database: this one is unreachable, and never tried.
    const serve = await cli(['serve'], { NODE_ENV: 'production', DATABASE_URL: 'postgres://app@127.0.0.1:1/papers', PORT: '0' });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(/^dailypapers: config: 2 unsafe setting\(s\) for production/);
    expect(serve.stderr).toMatch(/^ {2}SESSION_SECRET: is not set/m);
    expect(serve.stderr).toMatch(/^ {2}BASE_URL: is not set/m);
    expect(serve.stderr).not.toContain('ECONNREFUSED');
  });

  it('reports every bad setting in one message, without a stack trace', async () => {
    const { code, stderr } = await cliHere(['config'], { PORT: 'x', DATABASE_URL: 'mysql://nope' });
    expect(code).toBe(1);
    expect(stderr).toContain('PORT:');
    expect(stderr).toContain('DATABASE_URL:');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('migrates, imports a day file with a summary, and refuses to serve a schema that is behind', async () => {
    const db = await emptyDatabaseUrl();
    const behind = await cliHere(['serve', '--no-migrate'], { DATABASE_URL: db, PORT: '0' });
    expect(behind.code).toBe(1);
    expect(behind.stderr).toMatch(/schema is behind .* run `dailypapers migrate`/);

    expect((await cliHere(['migrate'], { DATABASE_URL: db })).stdout).toMatch(/applied 001_initial/);
    expect((await cliHere(['migrate'], { DATABASE_URL: db })).stdout).toMatch(/up to date/);

    const day = path.join(tmp, '2026-01-05.json');
    const item = (id: string) => ({
      paper: { id, title: `T ${id}`, summary: 'S', publishedAt: '2026-01-01T00:00:00.000Z', upvotes: 1, authors: [] },
      publishedAt: '2026-01-05T00:00:00.000Z',
    });
    fs.writeFileSync(day, JSON.stringify([item('2601.00001'), { paper: { id: 'nope' } }, item('2601.00002')]));
    // The executable once; the same command in this process after.
    const first = await cli(['import', 'hf', day], { DATABASE_URL: db });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('import: 2 new, 0 updated, 0 unchanged, 1 rejected');
    expect(first.stderr).toContain('rejected 2026-01-05.json #1: paper.id: not an arXiv id');
    const second = await cliHere(['import', 'hf', day], { DATABASE_URL: db });
    expect(second.stdout).toContain('import: 0 new, 0 updated, 2 unchanged, 1 rejected');

    const missing = await cliHere(['import', 'hf', path.join(tmp, 'nope.json')], { DATABASE_URL: db });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`dailypapers: import: no such file or folder: ${path.join(tmp, 'nope.json')}`);
  });

  it('fails at start with one clear line when PostgreSQL is unreachable, password masked', async () => {
    const { code, stderr } = await cliHere(['serve'], { DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:1/papers', PORT: '0' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^dailypapers: db: cannot connect to postgres:\/\/app:\*{8}@127\.0\.0\.1:1\/papers: .*ECONNREFUSED/);
    expect(stderr).not.toContain('hunter2');
  });

  it('fails with one clear line when the database cannot be opened', async () => {
    const { code, stderr } = await cliHere(['migrate'], { DATABASE_URL: 'sqlite:/dev/null/x.db' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^dailypapers: db: /);
  });
});
