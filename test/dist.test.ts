import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentEntry, fingerprint } from '../bin/dist.js';

// bin/dailypapers.js runs dist/ only while currentEntry says it is what the sources build to now
// (decision 038): any doubt must send it to the sources, never to an old build.
describe('currentEntry', () => {
  let root: string;
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  const build = (inputs: string[]) => {
    write('dist/cli-ABC.js', 'export const main = () => {};\n');
    write('dist/manifest.json', JSON.stringify({ entry: 'cli-ABC.js', inputs: Object.fromEntries(inputs.map((f) => [f, fingerprint(f, root)])) }));
  };
  /** Moves a file's modification time, as an editor or a checkout would, keeping or changing its text. */
  const touch = (file: string, text?: string) => {
    if (text !== undefined) fs.writeFileSync(path.join(root, file), text);
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(path.join(root, file), later, later);
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-dist-'));
    write('src/cli.ts', 'export const main = 1;\n');
    write('src/server.ts', 'export const serve = 2;\n');
    write('tsconfig.json', '{}\n');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('is the built entry while every input is unchanged', () => {
    build(['src/cli.ts', 'src/server.ts', 'tsconfig.json']);
    expect(currentEntry(root)).toBe(path.join(root, 'dist/cli-ABC.js'));
  });

  it('stays current when a file is rewritten with the same text (a checkout), by its content', () => {
    build(['src/cli.ts', 'src/server.ts']);
    touch('src/server.ts', 'export const serve = 2;\n');
    expect(currentEntry(root)).toBe(path.join(root, 'dist/cli-ABC.js'));
  });

  it('is stale when a source changes, even to text of the same length', () => {
    build(['src/cli.ts', 'src/server.ts']);
    touch('src/server.ts', 'export const serve = 3;\n');
    expect(currentEntry(root)).toBeUndefined();
  });

  it('is stale when a source grows, or a file that shapes the build changes', () => {
    build(['src/cli.ts', 'tsconfig.json']);
    fs.appendFileSync(path.join(root, 'src/cli.ts'), '// more\n');
    expect(currentEntry(root)).toBeUndefined();
    build(['src/cli.ts', 'tsconfig.json']);
    touch('tsconfig.json', '{ }\n');
    expect(currentEntry(root)).toBeUndefined();
  });

  it('is stale when an input is gone, and absent without a manifest or its entry', () => {
    build(['src/cli.ts', 'src/server.ts']);
    fs.rmSync(path.join(root, 'src/server.ts'));
    expect(currentEntry(root)).toBeUndefined();
    build(['src/cli.ts']);
    fs.rmSync(path.join(root, 'dist/cli-ABC.js'));
    expect(currentEntry(root)).toBeUndefined();
    fs.rmSync(path.join(root, 'dist/manifest.json'));
    expect(currentEntry(root)).toBeUndefined();
  });
});

// The executable itself, in a copy of bin/ beside a one-line src/cli.ts and a dist/ built from it.
describe('bin/dailypapers.js', () => {
  it('runs dist/ while it is current, and the edited source once a source changes', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bin-'));
    try {
      const repo = path.resolve(import.meta.dirname, '..');
      fs.cpSync(path.join(repo, 'bin'), path.join(root, 'bin'), { recursive: true });
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
      fs.writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
      fs.mkdirSync(path.join(root, 'src'));
      fs.writeFileSync(path.join(root, 'src/cli.ts'), "export function main(): void { console.log('source 1'); }\n");
      fs.mkdirSync(path.join(root, 'dist'));
      fs.writeFileSync(path.join(root, 'dist/cli-ABC.js'), "export function main() { console.log('built 1'); }\n");
      fs.writeFileSync(path.join(root, 'dist/manifest.json'), JSON.stringify({ entry: 'cli-ABC.js', inputs: { 'src/cli.ts': fingerprint('src/cli.ts', root) } }));
      const run = (env: Record<string, string> = {}) => execFileSync(process.execPath, [path.join(root, 'bin/dailypapers.js')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' }).trim();
      expect(run()).toBe('built 1');
      expect(run({ DP_FROM_SOURCE: '1' })).toBe('source 1');
      fs.writeFileSync(path.join(root, 'src/cli.ts'), "export function main(): void { console.log('source 2'); }\n");
      expect(run()).toBe('source 2');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});
