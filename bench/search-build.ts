// The search index's build and cold lists, measured alone on a database `bench/search.ts --load` made:
//
//   node --import tsx bench/search-build.ts build URL [--file]   build from the database: CPU, wall, peak RSS (VmHWM), sizes; --file writes the index file
//   node --import tsx bench/search-build.ts synth N               the builder alone on N bench papers (bench/corpus.ts), no database: CPU, peak RSS after adding, after finishing
//   node --import tsx bench/search-build.ts queries URL            with the index file: bench/search-queries.txt's 200 queries, top 20, CPU each: the first round (lists cold), then 3 rounds
//   node --import tsx bench/search-build.ts cold URL WORD...      with the index file: each word's first walk (its list cold), then again, and a whole-list decode, CPU each
//
// CPU from process.cpuUsage (user + system), so that a loaded machine's waiting is not counted.
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { connectDatabase } from '../src/db/database.ts';
import { parseQuery } from '../src/search/query.ts';
import { searchPapers } from '../src/search/engine.ts';
import { SegmentBuilder, decodeWholeList, decodedList, stem } from '../src/search/segment.ts';
import { benchPapers, readBasePapers } from './corpus.ts';
import { planQuery, scorer, topK } from '../src/search/topk.ts';
import { buildSearchIndex, keepSearchIndexFile, searchIndex, searchIndexWritten } from '../src/search/search-index.ts';

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const hwmMb = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

const [mode, url, ...rest] = process.argv.slice(2);
if (mode === 'synth') {
  const base = await readBasePapers();
  const before = hwmMb();
  const c = process.cpuUsage();
  const builder = new SegmentBuilder();
  for (const p of benchPapers(base, Number(url))) {
    builder.add({ id: p.id, title: p.title, authorNames: p.authors.join(', '), abstract: p.abstract, upvotes: p.upvotes, publishedAt: p.publishedAt, hasCode: p.githubRepo !== null, organization: null, categories: p.categories });
  }
  const added = hwmMb();
  const addCpu = cpuMs(c);
  const seg = builder.finish();
  console.log(
    JSON.stringify({
      papers: seg.ids.length,
      postings: seg.impacts.length,
      cpuS: +(cpuMs(c) / 1000).toFixed(1),
      addCpuS: +(addCpu / 1000).toFixed(1),
      hwmBeforeMb: Math.round(before),
      hwmAfterAddingMb: Math.round(added),
      hwmMb: Math.round(hwmMb()),
      rssAfterMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      arrayBuffersMb: Math.round(process.memoryUsage().arrayBuffers / 2 ** 20),
      load: load(),
    }),
  );
  process.exit(0);
}
const db = await connectDatabase(url!, { poolSize: 2 });
if (mode === 'build') {
  if (rest.includes('--file')) keepSearchIndexFile(db);
  const before = hwmMb();
  const c = process.cpuUsage();
  const t = performance.now();
  const index = await buildSearchIndex(db);
  const cpu = cpuMs(c);
  const wall = performance.now() - t;
  await searchIndexWritten(db);
  const seg = index.main;
  const bytes = seg.postings.byteLength + seg.impacts.byteLength + seg.blockOffset.byteLength + seg.blockMax.byteLength + seg.blockLast.byteLength;
  console.log(
    JSON.stringify({
      papers: seg.ids.length,
      postings: seg.impacts.length,
      buildCpuS: +(cpu / 1000).toFixed(1),
      buildWallS: +(wall / 1000).toFixed(1),
      hwmBeforeMb: Math.round(before),
      hwmMb: Math.round(hwmMb()),
      rssAfterMb: Math.round(process.memoryUsage().rss / 2 ** 20),
      postingBytesMb: Math.round(bytes / 2 ** 20),
      load: load(),
    }),
  );
} else if (mode === 'queries') {
  keepSearchIndexFile(db);
  if ((await searchIndex(db)).source !== 'file') throw new Error('bench: no index file; run `build URL --file` first');
  const queries = fs
    .readFileSync(new URL('./search-queries.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const round = async () => {
    const ms: number[] = [];
    for (const q of queries) {
      const c = process.cpuUsage();
      await searchPapers(db, { q, limit: 20 });
      ms.push(cpuMs(c));
    }
    return ms;
  };
  const pct = (ms: number[], p: number) => [...ms].sort((a, b) => a - b)[Math.ceil(p * ms.length) - 1]!.toFixed(2);
  const first = await round();
  const warm = [...(await round()), ...(await round()), ...(await round())];
  console.log(`first round (cold lists): p50 ${pct(first, 0.5)} ms, p90 ${pct(first, 0.9)} ms, p99 ${pct(first, 0.99)} ms; 3 rounds after: p50 ${pct(warm, 0.5)} ms, p90 ${pct(warm, 0.9)} ms, p99 ${pct(warm, 0.99)} ms; load ${load()}`);
} else if (mode === 'cold') {
  // Per word, its list cold: the walk of its first query (top 20 by relevance), the blocks that
  // walk decoded, and what decoding the whole list costs (what a first use paid before: decision 027).
  keepSearchIndexFile(db);
  const index = await searchIndex(db);
  if (index.source !== 'file') throw new Error('bench: no index file; run `build URL --file` first');
  const seg = index.main;
  const now = new Date();
  for (const q of rest) {
    const t = seg.termIndex.get(stem(q))!;
    const parsed = parseQuery(q);
    const c0 = process.cpuUsage();
    const whole = decodeWholeList(seg, t);
    const wholeMs = cpuMs(c0);
    const c1 = process.cpuUsage();
    const first = topK(seg, planQuery(seg, parsed, {}), scorer('relevance', now, 1), 20);
    const firstMs = cpuMs(c1);
    const list = decodedList(seg, t);
    const c2 = process.cpuUsage();
    topK(seg, planQuery(seg, parsed, {}), scorer('relevance', now, 1), 20);
    const againMs = cpuMs(c2);
    console.log(`${q}\tdf ${whole.length}\tblocks decoded ${list.decoded} of ${list.ready.length}\tevaluated ${first.evaluated}\tfirst walk ${firstMs.toFixed(3)} ms\tagain ${againMs.toFixed(3)} ms\twhole-list decode ${wholeMs.toFixed(3)} ms`);
  }
  console.log(`load ${load()}`);
}
await db.close();
