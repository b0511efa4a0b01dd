// `npm run bench` (also alone: node --import tsx bench/foryou-scale.ts): for-you at scale
// (issue 17). A SQLite database of BENCH_FORYOU_PAPERS papers (default 1,000,000: the search
// bench's corpus, real titles and abstracts copied over the years), readers who saved papers,
// and the served code path (src/foryou/service.ts forYou) timed per page: a reader's first page
// (their model learned from their saves and stored, their ranking made), the page right after a
// new save (the save learned and stored, the ranking made again), and a next page (the ranking
// kept). Writes its section of bench/RECOMMEND.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { sql } from 'kysely';
import { connectDatabase, migrateToLatest } from '../src/db/database.ts';
import { savePaper } from '../src/library/collections.ts';
import { createAccount } from '../src/auth/users.ts';
import { forYou, MAX_CANDIDATES, RECENT_DAYS } from '../src/foryou/service.ts';
import { benchPapers, random, readBasePapers, type BenchPaper } from './corpus.ts';
import { replaceSection } from './results-file.ts';

const PAPERS = Number(process.env.BENCH_FORYOU_PAPERS || 1_000_000);
/** The newest papers are dated within the window, so that the candidates are as many as for-you takes (MAX_CANDIDATES), as on a site that imports all of arXiv. */
const WINDOW_PAPERS = Number(process.env.BENCH_FORYOU_WINDOW || 25_000);
const READERS = Number(process.env.BENCH_FORYOU_READERS || 60);
const SAVES = 20;
/**
 * Readers whose pages run first and are not counted: a fresh process runs for-you's code unoptimized
 * for its first few pages (the second page after start spent 93 ms in scores against 15 ms for a
 * later one: a profile, decision 031). The goal is per page, steadily; their slowest is reported apart.
 */
const WARMUP = Number(process.env.BENCH_FORYOU_WARMUP ?? 10);
const OUT = path.resolve(import.meta.dirname, 'RECOMMEND.md');
/** A folder where the built papers database is kept and found again by later runs (building a million papers takes most of an hour). */
const KEEP = process.env.BENCH_FORYOU_KEEP;
const log = (msg: string) => process.stderr.write(`bench:foryou-scale: ${msg}\n`);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => x.toFixed(1);

const started = performance.now();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dp-foryou-scale-'));
const file = path.join(dir, 'bench.db');
const kept = KEEP && path.join(KEEP, `foryou-${PAPERS}-${WINDOW_PAPERS}.db`);
const reused = Boolean(kept && fs.existsSync(kept));
if (reused) {
  log(`papers from ${kept}`);
  fs.copyFileSync(kept!, file);
} else {
  await buildPapers(file);
  if (kept) {
    fs.mkdirSync(KEEP!, { recursive: true });
    fs.copyFileSync(file, `${kept}.part`);
    fs.renameSync(`${kept}.part`, kept);
  }
}
const buildS = (performance.now() - started) / 1000;
const db = await connectDatabase(`sqlite:${file}`);
try {
  await migrateToLatest(db);

  // Readers who saved papers of the recent window (what for-you ranks), each around one topic: a paper and those sharing its first author or words.
  const latest = (await db.kysely.selectFrom('papers').select((eb) => eb.fn.max('published_at').as('at')).executeTakeFirstOrThrow()).at as string;
  const since = new Date(Date.parse(latest) - RECENT_DAYS * 86_400_000).toISOString().slice(0, 10);
  const recent = await db.kysely.selectFrom('papers').select(['id', 'title']).where('published_at', '>=', since).orderBy('published_at', 'desc').limit(MAX_CANDIDATES).execute();
  const older = await db.kysely.selectFrom('papers').select('id').where('published_at', '<', since).orderBy('published_at', 'desc').limit(5000).execute();
  log(`${recent.length} papers in the ${RECENT_DAYS} days before ${latest.slice(0, 10)}; ${READERS} readers with ${SAVES} saves each`);
  const rnd = random(17);
  const readers: number[] = [];
  for (let r = 0; r < READERS; r++) {
    const userId = await createAccount(db.kysely, { username: `reader${r}`, email: `reader${r}@example.org`, fullname: `Reader ${r}` });
    readers.push(userId);
    // Half of what a reader saved is older than the window (their library), half recent.
    for (let i = 0; i < SAVES; i++) {
      const pool = i % 2 === 0 ? recent : older;
      await savePaper(db.kysely, userId, pool[Math.floor(rnd() * pool.length)]!.id);
    }
  }

  // Made after the measured readers, with a generator of their own: the measured readers and saves are the same as without them.
  const warmRnd = random(29);
  const warmReaders: number[] = [];
  for (let r = 0; r < WARMUP; r++) {
    const userId = await createAccount(db.kysely, { username: `warm${r}`, email: `warm${r}@example.org`, fullname: `Warm ${r}` });
    warmReaders.push(userId);
    for (let i = 0; i < SAVES; i++) await savePaper(db.kysely, userId, (i % 2 === 0 ? recent : older)[Math.floor(warmRnd() * (i % 2 === 0 ? recent : older).length)]!.id);
  }

  const t0 = performance.now();
  await forYou(db, readers[0]!, { limit: 20, offset: 0 });
  const firstMs = performance.now() - t0;
  log(`candidate pool built and first page in ${ms(firstMs)} ms`);

  // Besides wall time, each page's CPU time (the machine is shared: a page can wait for a core) and the garbage collection during it.
  // Observers hear of collections later than they end: each page's share is summed from their start times at the end.
  const collections: { at: number; ms: number; major: boolean }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) collections.push({ at: e.startTime, ms: e.duration, major: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  interface Timings {
    wall: number[];
    cpu: number[];
    spans: [number, number][];
  }
  const timings = (): Timings => ({ wall: [], cpu: [], spans: [] });
  const timed = async <T>(into: Timings, fn: () => Promise<T>): Promise<T> => {
    const cpu0 = process.cpuUsage();
    const t = performance.now();
    const result = await fn();
    const end = performance.now();
    into.wall.push(end - t);
    into.spans.push([t, end]);
    const cpu = process.cpuUsage(cpu0);
    into.cpu.push((cpu.user + cpu.system) / 1000);
    return result;
  };
  const warmPages: number[] = [];
  for (const id of warmReaders) {
    for (const page of [0, 20, 'save', 0] as const) {
      if (page === 'save') {
        await savePaper(db.kysely, id, recent[Math.floor(warmRnd() * recent.length)]!.id);
        continue;
      }
      const t = performance.now();
      await forYou(db, id, { limit: 20, offset: page });
      warmPages.push(performance.now() - t);
    }
  }
  const firstPages = timings();
  for (const id of readers.slice(1)) await timed(firstPages, () => forYou(db, id, { limit: 20, offset: 0 }));
  const nextPages = timings();
  for (const id of readers) await timed(nextPages, () => forYou(db, id, { limit: 20, offset: 20 }));
  const afterSave = timings();
  const learned: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const id of readers) {
      await savePaper(db.kysely, id, recent[Math.floor(rnd() * recent.length)]!.id);
      learned.push((await timed(afterSave, () => forYou(db, id, { limit: 20, offset: 0 }))).learnedMs);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  gcObserver.disconnect();
  const during = (t: Timings) => t.spans.flatMap(([from, to]) => collections.filter((c) => c.at >= from && c.at < to));
  const gcOf = (t: Timings) => t.spans.map(([from, to]) => collections.filter((c) => c.at >= from && c.at < to).reduce((sum, c) => sum + c.ms, 0));
  const counts = (t: Timings) => `${during(t).filter((c) => c.major).length} major and ${during(t).filter((c) => !c.major).length} other collections during them`;
  const stored = await db.kysely.selectFrom('reader_models').select((eb) => [eb.fn.avg<number>(sql`length(model)`).as('avg'), eb.fn.countAll<number>().as('n')]).where('user_id', 'in', readers).executeTakeFirstOrThrow();
  const totalS = (performance.now() - started) / 1000;
  const line = (xs: number[]) => `p50 ${ms(quantile(xs, 0.5))} ms, p99 ${ms(quantile(xs, 0.99))} ms, max ${ms(Math.max(...xs))} ms over ${xs.length}`;
  const page = (t: Timings) => `${line(t.wall)} (CPU p50 ${ms(quantile(t.cpu, 0.5))} ms, p99 ${ms(quantile(t.cpu, 0.99))} ms; garbage collection p50 ${ms(quantile(gcOf(t), 0.5))} ms, p99 ${ms(quantile(gcOf(t), 0.99))} ms; ${counts(t)})`;
  const body = [
    '## For-you at scale',
    '',
    `Written by \`npm run bench\` (bench/foryou-scale.ts) on ${new Date().toISOString().slice(0, 10)}, in ${Math.round(totalS)} s (${Math.round(buildS)} s ${reused ? 'copying the kept' : 'building the'} database).`,
    '',
    `SQLite, ${PAPERS.toLocaleString('en')} papers (the search bench's corpus: real titles and abstracts, copied over the years), ${recent.length.toLocaleString('en')} of them in the ${RECENT_DAYS} days before the newest (the candidates, at most ${MAX_CANDIDATES.toLocaleString('en')}); ${READERS} readers, each with ${SAVES} saves (half recent, half older). Times of the served path (src/foryou/service.ts \`forYou\`, the database queries included, the cards' hydration not), one process:`,
    '',
    `- building the candidate pool (vectors of every candidate, once per content change and at most once a minute, in the background) and the first page: ${ms(firstMs)} ms;`,
    `- warming up (not counted below): ${WARMUP} other readers' first page, next page and page after a save, the first pages this process served after the pool's: ${warmPages.length ? `max ${ms(Math.max(...warmPages))} ms, the first ${ms(warmPages[0]!)} ms` : 'none'};`,
    `- a reader's first page (their ${SAVES} saves learned and stored, their ranking made): ${page(firstPages)};`,
    `- the page right after a new save (the save learned, the model stored as the next version, the ranking made again): ${page(afterSave)};`,
    `- of which learning the new save: ${line(learned)} (goal ≤ 50 ms);`,
    `- a next page (the ranking kept): ${page(nextPages)};`,
    `- stored models: ${Math.round(Number(stored.avg)).toLocaleString('en')} bytes on average (${SAVES + 3} saves), ${stored.n} readers;`,
    `- memory: ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB resident, ${Math.round(process.memoryUsage().heapUsed / 1024 / 1024)} MB of JavaScript heap in use at the end.`,
    '',
    `Load average during the run: ${os.loadavg().map((x) => x.toFixed(1)).join(', ')} on ${os.cpus().length} cores (other work shares the machine; times are upper bounds).`,
  ].join('\n');
  replaceSection(OUT, 'For-you at scale', body);
  log('wrote bench/RECOMMEND.md');
} finally {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The papers' database, built afresh: papers and authors only, closed so that its file is whole.
 * Neither the search index nor the suggestions are measured here: their triggers are dropped,
 * the secondary indexes are made once at the end rather than kept up row by row, and the rows
 * go in through two prepared statements, 50,000 papers a transaction (through the query builder,
 * 300 a transaction, a million papers took about an hour; decision 028).
 */
async function buildPapers(file: string): Promise<void> {
  const db = await connectDatabase(`sqlite:${file}`);
  try {
    await migrateToLatest(db);
    const native = db.sqlite!;
    const objects = native.prepare(`select type, name, sql from sqlite_master where tbl_name in ('papers', 'paper_authors') and sql is not null and type in ('trigger', 'index')`).all() as { type: string; name: string; sql: string }[];
    for (const o of objects) native.exec(`drop ${o.type} ${o.name}`);
    const indexes = objects.filter((o) => o.type === 'index');

    log(`building ${PAPERS.toLocaleString('en')} papers`);
    const base = await readBasePapers();
    const now = new Date().toISOString();
    const insertPaper = native.prepare(
      `insert into papers (id, version, title, abstract, author_names, primary_category, published_at, upvotes_source, upvotes, comments_source, trending_score, created_at, modified_at) values (?, 1, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?)`,
    );
    const insertAuthor = native.prepare(`insert into paper_authors (paper_id, position, name, hidden) values (?, ?, ?, 0)`);
    const insertAll = native.transaction((rows: BenchPaper[]) => {
      for (const p of rows) {
        insertPaper.run(p.id, p.title, p.abstract, p.authors.join(', '), p.categories[0] ?? null, p.publishedAt, p.upvotes, p.upvotes, now, now);
        p.authors.slice(0, 10).forEach((name, position) => insertAuthor.run(p.id, position, name));
      }
    });
    let batch: BenchPaper[] = [];
    let n = 0;
    const windowEnd = Date.UTC(2026, 7, 31);
    for (const p of benchPapers(base, PAPERS)) {
      // The last WINDOW_PAPERS papers: spread over the 30 days before the corpus ends.
      if (n >= PAPERS - WINDOW_PAPERS) p.publishedAt = new Date(windowEnd - Math.floor(((PAPERS - n) / WINDOW_PAPERS) * (RECENT_DAYS - 1) * 86_400_000)).toISOString();
      batch.push(p);
      if (batch.length === 50_000) {
        insertAll(batch);
        batch = [];
      }
      if (++n % 100_000 === 0) log(`${n.toLocaleString('en')} papers`);
    }
    insertAll(batch);
    log('indexing');
    for (const o of indexes) native.exec(o.sql);
  } finally {
    await db.close();
  }
}
