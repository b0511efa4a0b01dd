#!/usr/bin/env node
// `npm run build` (also `prepare` and `prestart`): src/ as plain JavaScript in dist/, so that the
// executable starts without compiling TypeScript through tsx's loader (docs/decisions/038-a-prebuilt-entry-point.md).
// bin/dailypapers.js runs dist/ only while every source it was built from is unchanged (bin/dist.js).
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';
import { DIST, ROOT, MANIFEST, fingerprint } from '../bin/dist.js';

/** Files that shape the output without being bundled: a change to them makes dist/ stale too. */
const SHAPING = ['tsconfig.json', 'scripts/build.js', 'bin/dist.js'];

/**
 * A module's `import.meta.url` is its own file's. Bundled, it would be a chunk's in dist/: the code
 * that finds files beside itself (src/web/static, src/ingest/demo-papers.json, katex) gets the
 * source file's URL instead, relative to the chunk so that the folder can move.
 */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = path.relative(DIST, args.path).split(path.sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: args.path.endsWith('x') ? 'tsx' : 'ts' };
    });
  },
};

const started = performance.now();
// Taken before esbuild reads anything: a file edited during the build then differs from its print, and dist/ counts as stale.
const before = new Map();
for (const f of [...fs.readdirSync(path.join(ROOT, 'src'), { recursive: true }).map((f) => path.join('src', f)), ...SHAPING]) {
  if (/\.(tsx?|json)$/.test(f) || SHAPING.includes(f)) before.set(f.split(path.sep).join('/'), fingerprint(f));
}
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: DIST,
  bundle: true,
  // The commands load their modules when they run (src/cli.ts): each dynamic import stays a chunk of its own.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies stay in node_modules (native addons, files found beside their modules).
  packages: 'external',
  // Chunks named by their content: a process already running keeps loading the files it started with.
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  plugins: [sourceUrls],
});

const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === 'src/cli.ts')[0];
const inputs = [...Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')), ...SHAPING].sort();
const manifest = { entry: path.relative(DIST, path.join(ROOT, entry)), inputs: Object.fromEntries(inputs.map((f) => [f, before.get(f) ?? fingerprint(f)])) };
// Written last and renamed into place: a manifest always names an entry whose chunks are all on disk.
const tmp = `${MANIFEST}.${process.pid}.tmp`;
fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
fs.renameSync(tmp, MANIFEST);

// Earlier builds' files that nothing names any more and that no process started in the last hour could still load.
const kept = new Set([...Object.keys(result.metafile.outputs).map((f) => path.join(ROOT, f)), MANIFEST]);
for (const name of fs.readdirSync(DIST)) {
  const file = path.join(DIST, name);
  if (!kept.has(file) && fs.statSync(file).mtimeMs < Date.now() - 3_600_000) fs.rmSync(file, { force: true });
}
process.stdout.write(`build: dist/ from ${inputs.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
