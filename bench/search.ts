// `npm run bench:search`: search latency, index build time and memory of our two backends
// (searchPapers on SQLite FTS5 and on PostgreSQL tsvector + GIN) side by side, in the same
// run, with the in-process JavaScript engines a Node developer would otherwise pick:
// MiniSearch, FlexSearch and Orama.
//
// 1. The corpus: BENCH_SEARCH_PAPERS (default 1,000,000) papers from the real fixtures (the
//    Hugging Face archive, arXiv's `.abs` records and astro-ph listings), replicated under
//    synthesised ids, dates and upvotes (bench/corpus.ts, seeded: every engine gets the same).
// 2. Each engine builds its index in its own child process, one after another, so that its
//    time and memory are its own: our backends load the papers through the product's write
//    path (saveArxivRecords in content transactions, upvotes and code links set in the same
//    transaction); the database keeps the index, so loading is indexing. Their databases live
//    in a temporary folder / a throwaway PostgreSQL database, dropped at the end.
// 3. The 200 queries of bench/search-queries.txt, once untimed, then ROUNDS timed rounds. At
//    up to INTERLEAVE_MAX papers all children stay up and the rounds take turns across
//    engines; above it (where keeping every peer's index in memory at once would not fit)
//    each engine runs its rounds right after its build.
// 4. A peer that cannot build within BUILD_TIMEOUT_S or the machine's memory is reported
//    as such, and the whole comparison is rerun, every engine, at the next smaller size.
// 5. Prints Markdown and writes it into bench/RESULTS.md as the "## Search" section.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Transaction } from 'kysely';
import { Document, Resolver } from 'flexsearch';
import MiniSearch from 'minisearch';
import BetterSqlite3 from 'better-sqlite3';
import { create as createOrama, insert as oramaInsert, search as oramaSearch } from '@orama/orama';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import type { Database } from '../src/db/schema.ts';
import { anyChanged, writeContent } from '../src/db/content-version.ts';
import { maskUrl } from '../src/core/config.ts';
import { saveArxivRecords } from '../src/ingest/save.ts';
import { trendingScore } from '../src/papers/trending.ts';
import { searchPapers } from '../src/search/engine.ts';
import { reindex } from '../src/search/reindex.ts';
import { buildSearchIndex, keepSearchIndexFile, searchIndex, searchIndexFile, searchIndexWritten } from '../src/search/search-index.ts';
import { bulkImportArxivRecords } from '../src/ingest/arxiv-bulk.ts';
import { HF_ARCHIVE, LISTINGS, WITH_ABSTRACTS, benchPapers, readBasePapers, toArxivRecord, type BenchPaper } from './corpus.ts';
import { replaceSection } from './results-file.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const QUERIES = path.join(repoRoot, 'bench/search-queries.txt');
const RESULTS = process.env.BENCH_SEARCH_RESULTS || path.join(repoRoot, 'bench/RESULTS.md');
const PAPERS = Number(process.env.BENCH_SEARCH_PAPERS || 1_000_000);
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const ROUNDS = 3;
/** Queries answered untimed before each interleaved round. */
const WARM_UP = 5;
/** BENCH_SEARCH_REINDEX=0 leaves out the timing of `search reindex` (minutes at a million papers). */
const REINDEX = process.env.BENCH_SEARCH_REINDEX !== '0';
/** BENCH_SEARCH_KEEP_SQLITE=FILE keeps our SQLite database there, for `--scale` and bench/search-build.ts. */
const KEEP_SQLITE = process.env.BENCH_SEARCH_KEEP_SQLITE;
const BUILD_TIMEOUT_S = Number(process.env.BENCH_SEARCH_BUILD_TIMEOUT_S || 600);
const INTERLEAVE_MAX = 250_000;
/** Sizes to rerun the whole comparison at when a peer cannot build (BENCH_SEARCH_FALLBACK=none: report the failed size alone). */
const FALLBACK_SIZES = process.env.BENCH_SEARCH_FALLBACK === 'none' ? [] : [250_000, 100_000];
/** Heap the peers may grow to: most of the machine, leaving room for PostgreSQL and the rest. */
const PEER_HEAP_MB = Math.floor((os.totalmem() / 2 ** 20) * 0.75);
const LIMIT = 10;
const PROGRESS_EVERY = 10_000;
/** A build whose pace so far projects past the timeout is stopped once it has run this long. */
const PROJECT_AFTER_S = 60;
/** A query still running after this long is stopped and reported as such (its time counts as this long). */
const QUERY_TIMEOUT_S = Number(process.env.BENCH_SEARCH_QUERY_TIMEOUT_S || 30);

const ALL_ENGINES = ['sqlite', 'postgres', 'fts5', 'minisearch', 'flexsearch', 'orama'] as const;
type EngineName = (typeof ALL_ENGINES)[number];
/** BENCH_SEARCH_ENGINES=sqlite,orama narrows the run (for trying things out; the report is then partial). */
const ENGINES = ALL_ENGINES.filter((e) => !process.env.BENCH_SEARCH_ENGINES || process.env.BENCH_SEARCH_ENGINES.split(',').includes(e));
const LABELS: Record<EngineName, string> = {
  sqlite: 'dailypapers, SQLite (in-process index)',
  postgres: 'dailypapers, PostgreSQL (in-process index)',
  fts5: 'SQLite FTS5, plain `ORDER BY bm25`',
  minisearch: 'MiniSearch 7',
  flexsearch: 'FlexSearch 0.8',
  orama: 'Orama 3',
};
const ours = (e: EngineName) => e === 'sqlite' || e === 'postgres';

const log = (msg: string) => process.stderr.write(`bench:search: ${msg}\n`);

// ---------------------------------------------------------------- queries

function readQueries(file = QUERIES): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/**
 * A query of our language as plain words for the peers, which have no filters: `author:`
 * and `title:` keep their words, the other filters (`cat:`, `after:`, `has:` …) and
 * exclusions go, quotes and OR are dropped; a trailing `*` asks for a prefix match.
 */
function plainWords(q: string): { text: string; prefix: boolean } {
  const prefix = /\*\s*$/.test(q);
  const text = q
    .replace(/\b(?:cat|category|org|organization|after|since|before|until|has|upvotes):("[^"]*"|\S+)/gi, ' ')
    .replace(/\b(?:author|au|title|ti):/gi, ' ')
    .replace(/(^|\s)-("[^"]*"|\S+)/g, ' ')
    .replace(/\bOR\b/g, ' ')
    .replace(/["*]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { text, prefix };
}

// ---------------------------------------------------------------- the engines (in the children)

interface Engine {
  /** Indexes (or loads) the papers. */
  build(papers: Iterable<BenchPaper>): Promise<void>;
  /** Opens what an earlier process built (ours: the database), for a child restarted after a query ran past its time. */
  reopen(): Promise<void>;
  /** Answers one query with at most LIMIT results; returns how many it found. */
  search(q: string): Promise<number>;
  /** What else to report after the build (database size, reindex time). */
  extra(): Promise<Record<string, number | string>>;
  close(): Promise<void>;
}

const BATCH = 1000;
/** Above this many papers our backends load through the bulk path (BENCH_SEARCH_PER_PAPER_MAX). */
const PER_PAPER_MAX = Number(process.env.BENCH_SEARCH_PER_PAPER_MAX || 50_000);

/** A bench paper's votes and code link, which arXiv records do not carry. */
async function setVotes(trx: Transaction<Database>, p: BenchPaper): Promise<void> {
  await trx
    .updateTable('papers')
    .set({ upvotes_source: p.upvotes, upvotes: p.upvotes, github_repo: p.githubRepo, trending_score: trendingScore(p.upvotes, new Date(p.publishedAt)) })
    .where('id', '=', p.id)
    .execute();
}

/**
 * The papers through `import snapshot`'s bulk path (bulkImportArxivRecords), then their
 * votes and code links in transactions of BATCH, then ANALYZE.
 */
async function loadBulk(db: Db, papers: Iterable<BenchPaper>): Promise<void> {
  const voted: BenchPaper[] = [];
  const records = function* () {
    for (const p of papers) {
      if (p.upvotes > 0 || p.githubRepo) voted.push(p);
      yield toArxivRecord(p);
    }
  };
  await bulkImportArxivRecords(db, records(), 'bench');
  for (let i = 0; i < voted.length; i += BATCH) {
    await writeContent(db.kysely, async (trx) => {
      for (const p of voted.slice(i, i + BATCH)) await setVotes(trx, p);
    }, () => true);
  }
  await sql`analyze`.execute(db.kysely);
}

/**
 * Our backends: the product's write path in, searchPapers out. Up to PER_PAPER_MAX papers
 * they load through the per-paper path (saveArxivRecords), whose time is then the build
 * figure; above it through `import snapshot`'s bulk path (loadBulk), which a million
 * papers need (the per-paper path took 36 min for 300,000 under load).
 */
function ourEngine(url: string, papersWanted: number): Engine {
  let db: Db;
  return {
    async build(papers) {
      db = await connectDatabase(url, { poolSize: 2 });
      await migrateToLatest(db);
      if (papersWanted > PER_PAPER_MAX) {
        await loadBulk(db, papers);
        return;
      }
      let batch: BenchPaper[] = [];
      const flush = async () => {
        const now = new Date().toISOString();
        const records = batch;
        batch = [];
        await writeContent(
          db.kysely,
          async (trx) => {
            const outcomes = await saveArxivRecords(trx, records.map(toArxivRecord), now);
            // arXiv records carry no votes or code links: the Hugging Face copies get theirs here.
            for (const p of records) {
              if (p.upvotes === 0 && !p.githubRepo) continue;
              await setVotes(trx, p);
            }
            return outcomes;
          },
          anyChanged,
        );
      };
      for (const p of papers) {
        batch.push(p);
        if (batch.length >= BATCH) await flush();
      }
      if (batch.length) await flush();
      // What autovacuum would have done by the time anyone searches: the planner's statistics.
      await sql`analyze`.execute(db.kysely);
    },
    async reopen() {
      db = await connectDatabase(url, { poolSize: 2 });
    },
    async search(q) {
      const result = await searchPapers(db, { q, limit: LIMIT });
      return result.hits.length;
    },
    async extra() {
      const out: Record<string, number | string> = {};
      // The in-process index (search-index.ts), built from the loaded database: its time and memory.
      collect();
      const before = process.memoryUsage();
      const started = performance.now();
      await buildSearchIndex(db);
      out.indexSeconds = (performance.now() - started) / 1000;
      collect();
      const after = process.memoryUsage();
      out.indexRssMb = Math.round((after.rss - before.rss) / 1e6);
      out.indexMb = Math.round((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 1e6);
      if (db.dialect === 'sqlite') {
        await sql`pragma wal_checkpoint(truncate)`.execute(db.kysely);
        const file = url.replace(/^sqlite:/, '');
        out.diskBytes = fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);
        try {
          const { rows } = await sql<{ bytes: number }>`select sum(pgsize) as bytes from dbstat where name like 'paper_search%'`.execute(db.kysely);
          out.indexBytes = Number(rows[0]!.bytes);
        } catch {
          // dbstat is an optional SQLite module: without it, only the file size is reported.
        }
      } else {
        const { rows } = await sql<{ db: string; idx: string }>`
          select pg_database_size(current_database()) as db, pg_relation_size('papers_search') as idx`.execute(db.kysely);
        out.diskBytes = Number(rows[0]!.db);
        out.indexBytes = Number(rows[0]!.idx);
      }
      if (!REINDEX) return out;
      const t = performance.now();
      await reindex(db);
      out.reindexSeconds = (performance.now() - t) / 1000;
      return out;
    },
    close: () => db.close(),
  };
}

type PeerDoc = {
  id: string;
  title: string;
  authors: string;
  abstract: string;
};
async function notReopenable(): Promise<void> {
  throw new Error('an in-process index lives only as long as its process');
}

const peerDoc = (p: BenchPaper): PeerDoc => ({ id: p.id, title: p.title, authors: p.authors.join(', '), abstract: p.abstract });

/**
 * Plain SQLite FTS5, what a developer gets from one virtual table: the same tokenizer and
 * prefix indexes as ours, rows inserted in transactions of 10,000 (FTS5 indexes as it
 * inserts), every word required, `ORDER BY bm25` with title 3× and authors 2×. No upvotes,
 * no recency, no filters, no snippets.
 */
function fts5Engine(file: string): Engine {
  let db: BetterSqlite3.Database;
  let query: BetterSqlite3.Statement<[string], { rowid: number }>;
  const open = () => {
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = wal');
    db.pragma('synchronous = normal');
  };
  const prepare = () => {
    query = db.prepare('select rowid from docs where docs match ? order by bm25(docs, 3, 2, 1) limit ' + LIMIT);
  };
  return {
    async build(papers) {
      open();
      db.exec(`create virtual table docs using fts5(title, authors, abstract, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')`);
      const insert = db.prepare('insert into docs (title, authors, abstract) values (?, ?, ?)');
      const insertMany = db.transaction((docs: PeerDoc[]) => {
        for (const d of docs) insert.run(d.title, d.authors, d.abstract);
      });
      let batch: PeerDoc[] = [];
      for (const p of papers) {
        batch.push(peerDoc(p));
        if (batch.length === 10_000) {
          insertMany(batch);
          batch = [];
        }
      }
      insertMany(batch);
      prepare();
    },
    async reopen() {
      open();
      prepare();
    },
    async search(q) {
      const { text, prefix } = plainWords(q);
      // Each word quoted (FTS5's syntax characters stay text); the last one a prefix when asked.
      const words = text.split(' ').filter(Boolean).map((w) => `"${w.replaceAll('"', '""')}"`);
      if (!words.length) return 0;
      if (prefix) words[words.length - 1] += '*';
      return query.all(words.join(' ')).length;
    },
    async extra() {
      db.pragma('wal_checkpoint(truncate)');
      return { diskBytes: fs.statSync(file).size };
    },
    async close() {
      db.close();
    },
  };
}

/** MiniSearch: BM25+, title 3× and authors 2× over abstract, all words required, prefix on request. */
function miniSearchEngine(): Engine {
  const index = new MiniSearch<PeerDoc>({ fields: ['title', 'authors', 'abstract'], storeFields: [] });
  return {
    async build(papers) {
      for (const p of papers) index.add(peerDoc(p));
    },
    async search(q) {
      const { text, prefix } = plainWords(q);
      const hits = index.search(text, {
        boost: { title: 3, authors: 2 },
        combineWith: 'AND',
        prefix: prefix ? (_term, i, terms) => i === terms.length - 1 : false,
      });
      return Math.min(LIMIT, hits.length);
    },
    extra: async () => ({}),
    reopen: notReopenable,
    close: async () => {},
  };
}

/**
 * FlexSearch: a Document index, forward tokenizer (prefixes) on title and authors, strict
 * on the abstract (forward there would multiply the index); fields merged with boosts
 * through its Resolver. It has no cross-field ranking: each field matches all words or not.
 */
function flexSearchEngine(): Engine {
  const index = new Document({
    document: {
      id: 'id',
      index: [
        { field: 'title', tokenize: 'forward' },
        { field: 'authors', tokenize: 'forward' },
        { field: 'abstract', tokenize: 'strict' },
      ],
    },
  });
  return {
    async build(papers) {
      for (const p of papers) index.add(peerDoc(p));
    },
    async search(q) {
      const { text } = plainWords(q);
      const ids = new Resolver({ index, query: text, field: 'title', boost: 3 })
        .or({ index, query: text, field: 'authors', boost: 2 })
        .or({ index, query: text, field: 'abstract' })
        .resolve({ limit: LIMIT }) as unknown[];
      return ids.length;
    },
    extra: async () => ({}),
    reopen: notReopenable,
    close: async () => {},
  };
}

/** Orama: BM25, title 3× and authors 2×, all words required (threshold 0); it keeps every document. */
function oramaEngine(): Engine {
  const db = createOrama({ schema: { title: 'string', authors: 'string', abstract: 'string' } as const });
  return {
    async build(papers) {
      for (const p of papers) {
        const done = oramaInsert(db, peerDoc(p));
        if (done instanceof Promise) await done;
      }
    },
    async search(q) {
      const { text } = plainWords(q);
      const result = await oramaSearch(db, { term: text, properties: ['title', 'authors', 'abstract'], boost: { title: 3, authors: 2 }, threshold: 0, limit: LIMIT });
      return result.hits.length;
    },
    extra: async () => ({}),
    reopen: notReopenable,
    close: async () => {},
  };
}

// ---------------------------------------------------------------- child process

interface Built {
  type: 'built';
  buildSeconds: number;
  /** Resident memory after the build minus before it (the base corpus loaded in both), MB. */
  rssMb: number;
  /** V8 heap in use after the build minus before it, after a full GC, MB. */
  heapMb: number;
  extra: Record<string, number | string>;
}

/** One round's answers, in the order of the queries. */
interface Ran {
  /** Milliseconds per query; QUERY_TIMEOUT_S × 1000 where the query did not finish in time. */
  ms: number[];
  hits: number[];
  errors: (string | null)[];
  timedOut: boolean[];
}

/** The child's messages while it answers: one before each query (so the parent can time it out), one after. */
type Answer = { type: 'asking'; index: number } | { type: 'answer'; index: number; ms: number; hits: number; error: string | null } | { type: 'done' };

type ToChild = { type: 'run'; queries: string[] } | { type: 'exit' };

interface Progress {
  type: 'progress';
  papers: number;
  seconds: number;
}

/** Passes the papers on, telling the parent every PROGRESS_EVERY how far the build has come. */
function* progress(papers: Iterable<BenchPaper>, since: number): Generator<BenchPaper> {
  let n = 0;
  process.send!({ type: 'progress', papers: 0, seconds: 0 } satisfies Progress);
  for (const p of papers) {
    yield p;
    if (++n % PROGRESS_EVERY === 0) process.send!({ type: 'progress', papers: n, seconds: (performance.now() - since) / 1000 } satisfies Progress);
  }
}

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function child(engineName: EngineName, papers: number, target: string, reopen: boolean): Promise<void> {
  const engine =
    engineName === 'sqlite' || engineName === 'postgres'
      ? ourEngine(target, papers)
      : engineName === 'fts5'
        ? fts5Engine(target)
        : engineName === 'minisearch'
        ? miniSearchEngine()
        : engineName === 'flexsearch'
          ? flexSearchEngine()
          : oramaEngine();
  if (reopen) {
    await engine.reopen();
    process.send!({ type: 'built', buildSeconds: 0, rssMb: 0, heapMb: 0, extra: {} } satisfies Built);
  } else {
    await build(engine, papers);
  }
  process.on('message', async (msg: ToChild) => {
    if (msg.type === 'exit') {
      await engine.close();
      process.disconnect();
      return;
    }
    for (const [index, q] of msg.queries.entries()) {
      process.send!({ type: 'asking', index } satisfies Answer);
      const start = performance.now();
      let hits = 0;
      let error: string | null = null;
      try {
        hits = await engine.search(q);
      } catch (err) {
        error = (err as Error).message;
      }
      process.send!({ type: 'answer', index, ms: performance.now() - start, hits, error } satisfies Answer);
    }
    process.send!({ type: 'done' } satisfies Answer);
  });
}

async function build(engine: Engine, papers: number): Promise<void> {
  const base = await readBasePapers();
  collect();
  const before = process.memoryUsage();
  const t = performance.now();
  await engine.build(progress(benchPapers(base, papers), t));
  const buildSeconds = (performance.now() - t) / 1000;
  collect();
  const after = process.memoryUsage();
  const extra = await engine.extra();
  const built: Built = {
    type: 'built',
    buildSeconds,
    rssMb: Math.round((after.rss - before.rss) / 1e6),
    heapMb: Math.round((after.heapUsed - before.heapUsed) / 1e6),
    extra,
  };
  process.send!(built);
}

// ---------------------------------------------------------------- parent

class Child {
  private proc: ChildProcess;
  private onBuilt: ((msg: Built) => void) | null = null;
  private onAnswer: ((msg: Answer) => void) | null = null;
  private onExit: ((err: Error) => void) | null = null;
  exited = false;
  /** How far the build had come at its last report. */
  progress: Progress | null = null;
  /** When the child began to build (after reading the base corpus). */
  buildStarted: number | null = null;
  /** Why the parent stopped the build, if it did. */
  stopped: string | null = null;
  /** The query the child is answering, and since when. */
  private asking: { index: number; since: number } | null = null;

  constructor(
    engine: EngineName,
    private papers: number,
    target: string,
    reopen = false,
  ) {
    const heap = ours(engine) ? [] : [`--max-old-space-size=${PEER_HEAP_MB}`];
    const args = [...process.execArgv, '--expose-gc', ...heap, import.meta.filename, '--child', engine, String(papers), target, reopen ? 'reopen' : 'build'];
    this.proc = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.proc.on('message', (msg: Built | Progress | Answer) => {
      if (msg.type === 'progress') {
        this.buildStarted ??= performance.now();
        this.progress = msg;
      } else if (msg.type === 'built') {
        this.onBuilt?.(msg);
      } else if (msg.type === 'asking') {
        this.asking = { index: msg.index, since: performance.now() };
      } else {
        this.asking = null;
        this.onAnswer?.(msg);
      }
    });
    this.proc.on('exit', (code, signal) => {
      this.exited = true;
      this.onExit?.(new Error(this.stopped ?? (signal ? `killed by ${signal}` : `exited with ${code}`)));
    });
  }

  /**
   * Resolves when the index is built. Stops a build that runs past `timeoutS`, or whose
   * pace so far (which only slows as an index grows) projects past it: no need to wait
   * ten minutes to learn that.
   */
  built(timeoutS?: number): Promise<Built> {
    return new Promise<Built>((resolve, reject) => {
      if (this.exited) return reject(new Error('exited'));
      const timer = timeoutS
        ? setInterval(() => {
            if (this.buildStarted === null) return;
            const elapsed = (performance.now() - this.buildStarted) / 1000;
            const p = this.progress;
            const projected = p && p.papers > 0 ? (p.seconds * this.papers) / p.papers : 0;
            if (elapsed > timeoutS) this.stop(`no index within ${timeoutS} s (${(p?.papers ?? 0).toLocaleString('en')} papers indexed)`);
            else if (elapsed > PROJECT_AFTER_S && projected > timeoutS) {
              this.stop(`stopped after ${Math.round(elapsed)} s at ${p!.papers.toLocaleString('en')} papers: its pace projects ${Math.round(projected)} s for ${this.papers.toLocaleString('en')}, over the ${timeoutS} s allowed`);
            }
          }, 1000)
        : undefined;
      this.onBuilt = (msg) => {
        clearInterval(timer);
        this.onBuilt = this.onExit = null;
        resolve(msg);
      };
      this.onExit = (err) => {
        clearInterval(timer);
        reject(err);
      };
    });
  }

  /**
   * Asks the queries in order; resolves with the answers. A query that runs past
   * QUERY_TIMEOUT_S ends the child (a synchronous database call cannot be interrupted
   * otherwise): the answers so far come back with that query's index.
   */
  run(queries: string[]): Promise<{ answers: Extract<Answer, { type: 'answer' }>[]; timedOut: number | null }> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error('exited'));
      const answers: Extract<Answer, { type: 'answer' }>[] = [];
      let timedOut: number | null = null;
      const timer = setInterval(() => {
        if (this.asking && performance.now() - this.asking.since > QUERY_TIMEOUT_S * 1000) {
          timedOut = this.asking.index;
          this.kill();
        }
      }, 250);
      this.onAnswer = (msg) => {
        if (msg.type === 'answer') answers.push(msg);
        if (msg.type !== 'done') return;
        clearInterval(timer);
        this.onAnswer = this.onExit = null;
        resolve({ answers, timedOut: null });
      };
      this.onExit = (err) => {
        clearInterval(timer);
        if (timedOut === null) reject(err);
        else resolve({ answers, timedOut });
      };
      this.proc.send({ type: 'run', queries } satisfies ToChild);
    });
  }

  async exit(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.proc.once('exit', resolve));
    this.onExit = null;
    this.proc.send({ type: 'exit' } satisfies ToChild);
    await gone;
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }

  private stop(why: string): void {
    this.stopped = why;
    this.kill();
  }

  /** Papers per second of the build so far. */
  pace(): number | null {
    return this.progress && this.progress.seconds > 0 ? this.progress.papers / this.progress.seconds : null;
  }
}

/** An engine's child and what it has learnt: which queries ran past their time. */
interface Slot {
  engine: EngineName;
  child: Child;
  target: string;
  papers: number;
  timedOut: Set<number>;
}

/**
 * One pass over the queries. A query that ran past its time is recorded as such and not
 * asked again; our engines' children are restarted on the database they built and go on
 * with the next query (a peer's index dies with its process, so it fails instead).
 */
async function runRound(slot: Slot, queries: string[]): Promise<Ran> {
  const ran: Ran = { ms: queries.map(() => 0), hits: queries.map(() => 0), errors: queries.map(() => null), timedOut: queries.map(() => false) };
  const markTimedOut = (i: number) => {
    ran.ms[i] = QUERY_TIMEOUT_S * 1000;
    ran.timedOut[i] = true;
  };
  for (const i of slot.timedOut) markTimedOut(i);
  let pending = queries.map((_q, i) => i).filter((i) => !slot.timedOut.has(i));
  while (pending.length > 0) {
    const { answers, timedOut } = await slot.child.run(pending.map((i) => queries[i]!));
    for (const a of answers) {
      const i = pending[a.index]!;
      ran.ms[i] = a.ms;
      ran.hits[i] = a.hits;
      ran.errors[i] = a.error;
    }
    if (timedOut === null) break;
    const i = pending[timedOut]!;
    slot.timedOut.add(i);
    markTimedOut(i);
    log(`${slot.engine}: \`${queries[i]}\` ran past ${QUERY_TIMEOUT_S} s; restarting the child`);
    if (!ours(slot.engine)) throw new Error(`\`${queries[i]}\` ran past ${QUERY_TIMEOUT_S} s`);
    pending = pending.slice(timedOut + 1);
    slot.child = new Child(slot.engine, slot.papers, slot.target, true);
    await slot.child.built();
  }
  return ran;
}

interface Postgres {
  url: string;
  version: string;
  settings: string;
  drop(): Promise<void>;
}

async function createPostgresDatabase(adminUrl: string): Promise<Postgres | { unavailable: string }> {
  let admin: Db;
  try {
    admin = await connectDatabase(adminUrl, { poolSize: 1 });
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
  const name = `dp_bench_search_${Date.now()}_${process.pid}`;
  try {
    await sql`create database ${sql.id(name)}`.execute(admin.kysely);
  } catch (err) {
    await admin.close();
    return { unavailable: `cannot create database ${name} through ${maskUrl(adminUrl)}: ${(err as Error).message}` };
  }
  const setting = async (key: string) => (await sql<{ v: string }>`select current_setting(${key}) as v`.execute(admin.kysely)).rows[0]!.v;
  const version = await setting('server_version');
  const settings = `shared_buffers ${await setting('shared_buffers')}, work_mem ${await setting('work_mem')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    version,
    settings,
    async drop() {
      try {
        await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin.kysely);
      } catch (err) {
        log(`could not drop PostgreSQL database ${name}: ${(err as Error).message}; drop it by hand`);
      } finally {
        await admin.close();
      }
    },
  };
}

interface EngineResult {
  engine: EngineName;
  papers: number;
  built?: Built;
  failure?: string;
  /** Papers per second a failed build had reached. */
  pace?: number;
  /** Per round, per query. */
  rounds: Ran[];
}

/** Builds every engine at `papers` and runs the queries; a failed build is recorded, not thrown. */
async function runSize(papers: number, queries: string[], tmp: string): Promise<{ results: EngineResult[]; postgres: Postgres | { unavailable: string }; interleaved: boolean }> {
  const interleaved = papers <= INTERLEAVE_MAX;
  const postgres = await createPostgresDatabase(POSTGRES_ADMIN_URL);
  if ('unavailable' in postgres) log(`PostgreSQL unavailable, measuring without it: ${postgres.unavailable}`);
  const results: EngineResult[] = [];
  const alive = new Map<EngineName, Slot>();
  // A round's answers, or the engine's failure (it then drops out of the comparison).
  const measure = async (slot: Slot, result: EngineResult, round: number | null) => {
    try {
      const ran = await runRound(slot, queries);
      if (round !== null) result.rounds[round] = ran;
    } catch (err) {
      result.failure = `while answering: ${(err as Error).message}`;
      result.rounds = [];
      slot.child.kill();
      alive.delete(slot.engine);
      log(`${slot.engine}: ${result.failure}`);
    }
  };
  try {
    for (const engine of ENGINES) {
      if (engine === 'postgres' && 'unavailable' in postgres) continue;
      const target =
        engine === 'sqlite'
          ? `sqlite:${path.join(tmp, `search-${papers}.db`)}`
          : engine === 'postgres'
            ? (postgres as Postgres).url
            : engine === 'fts5'
              ? path.join(tmp, `fts5-${papers}.db`)
              : '';
      const result: EngineResult = { engine, papers, rounds: [] };
      results.push(result);
      log(`${engine}: building ${papers.toLocaleString('en')} papers`);
      const slot: Slot = { engine, child: new Child(engine, papers, target), target, papers, timedOut: new Set() };
      try {
        result.built = await slot.child.built(ours(engine) ? undefined : BUILD_TIMEOUT_S);
        log(`${engine}: built in ${result.built.buildSeconds.toFixed(1)} s, RSS +${result.built.rssMb} MB, heap +${result.built.heapMb} MB ${JSON.stringify(result.built.extra)}`);
      } catch (err) {
        result.failure = (err as Error).message;
        result.pace = slot.child.pace() ?? undefined;
        log(`${engine}: failed at ${papers.toLocaleString('en')} papers: ${result.failure}`);
        slot.child.kill();
        continue;
      }
      alive.set(engine, slot);
      if (interleaved) continue;
      for (const round of [null, ...Array.from({ length: ROUNDS }, (_x, r) => r)]) {
        if (alive.has(engine)) await measure(slot, result, round);
      }
      await slot.child.exit();
      alive.delete(engine);
    }
    if (interleaved) {
      const order = results.filter((r) => alive.has(r.engine));
      for (const r of order) if (alive.has(r.engine)) await measure(alive.get(r.engine)!, r, null);
      for (let round = 0; round < ROUNDS; round++) {
        // Each round starts with a different engine, so drift in the machine's load hits all alike.
        for (let i = 0; i < order.length; i++) {
          const r = order[(i + round) % order.length]!;
          if (!alive.has(r.engine)) continue;
          // A few untimed answers first: the engine sat idle while the others ran (PostgreSQL's
          // pool had closed its idle connections, and the round's first queries timed reconnecting).
          await alive.get(r.engine)!.child.run(queries.slice(0, WARM_UP)).catch(() => undefined);
          if (alive.has(r.engine)) await measure(alive.get(r.engine)!, r, round);
        }
      }
    }
  } finally {
    for (const slot of alive.values()) await slot.child.exit().catch(() => slot.child.kill());
    if (!('unavailable' in postgres)) await postgres.drop();
    const sqliteFile = path.join(tmp, `search-${papers}.db`);
    if (KEEP_SQLITE && fs.existsSync(sqliteFile)) {
      try {
        fs.renameSync(sqliteFile, KEEP_SQLITE);
      } catch {
        fs.copyFileSync(sqliteFile, KEEP_SQLITE); // another filesystem
      }
      log(`kept our SQLite database as ${KEEP_SQLITE}`);
    }
    for (const name of [`search-${papers}.db`, `fts5-${papers}.db`]) {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(tmp, name + suffix), { force: true });
    }
  }
  return { results, postgres, interleaved };
}

// ---------------------------------------------------------------- report

interface Stats {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function stats(ms: number[]): Stats {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), mean: ms.reduce((s, x) => s + x, 0) / ms.length, max: sorted.at(-1)! };
}

const f1 = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const mb = (bytes: number) => `${Math.round(bytes / 1e6).toLocaleString('en')} MB`;
const allMs = (r: EngineResult) => r.rounds.flatMap((x) => x.ms);

function table(results: EngineResult[], queries: string[]): string[] {
  const sqlite = results.find((r) => r.engine === 'sqlite' && r.rounds.length);
  const base = sqlite ? stats(allMs(sqlite)) : null;
  const rows = results.map((r) => {
    if (!r.built || !r.rounds.length) return `| ${LABELS[r.engine]} | failed: ${r.failure ?? 'no measurement'} | | | | | | | | |`;
    const s = stats(allMs(r));
    const ratio = (x: number, y: number | undefined) => (y ? `${(x / y).toFixed(2)}×` : '');
    const memory = ours(r.engine)
      ? `${mb(Number(r.built.extra.diskBytes))} on disk${r.built.extra.indexBytes ? ` (FTS index ${mb(Number(r.built.extra.indexBytes))})` : ''}; in-process index ${r.built.extra.indexMb} MB (RSS +${r.built.extra.indexRssMb} MB), built from the database in ${Number(r.built.extra.indexSeconds).toFixed(1)} s`
      : r.engine === 'fts5'
        ? `${mb(Number(r.built.extra.diskBytes))} on disk (index and texts); RSS +${r.built.rssMb.toLocaleString('en')} MB`
        : `RSS +${r.built.rssMb.toLocaleString('en')} MB (heap +${r.built.heapMb.toLocaleString('en')} MB)`;
    const first = r.rounds[0]!;
    const zero = first.hits.filter((h, i) => h === 0 && !first.timedOut[i] && !first.errors[i]).length;
    const errors = first.errors.filter(Boolean).length;
    const timeouts = queries.filter((_q, i) => r.rounds.some((round) => round.timedOut[i])).length;
    // With timed-out queries counted at the timeout, the tail figures are lower bounds.
    const atLeast = timeouts ? '≥ ' : '';
    return `| ${LABELS[r.engine]} | ${r.built.buildSeconds.toFixed(1)} | ${memory} | ${f1(s.p50)} | ${atLeast}${f1(s.p99)} | ${atLeast}${f1(s.mean)} | ${atLeast}${f1(s.max)} | ${ratio(s.p99, base?.p99)} | ${ratio(s.mean, base?.mean)} | ${zero} / ${errors} / ${timeouts} |`;
  });
  return [
    `| engine | build s | memory | p50 ms | p99 ms | mean ms | max ms | p99 ÷ SQLite | mean ÷ SQLite | of ${queries.length}: no hits / errors / over ${QUERY_TIMEOUT_S} s |`,
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
}

/** The slowest queries of our backends (median of the rounds), and any errors: what to look at next. */
function slowest(results: EngineResult[], queries: string[]): string[] {
  const out: string[] = [];
  for (const r of results.filter((x) => ours(x.engine) && x.rounds.length)) {
    const medians = queries.map((q, i) => {
      const times = r.rounds.map((round) => round.ms[i]!).sort((a, b) => a - b);
      return { q, ms: times[Math.floor(times.length / 2)]! };
    });
    medians.sort((a, b) => b.ms - a.ms);
    out.push(`- ${LABELS[r.engine]}, slowest: ${medians.slice(0, 5).map((m) => `\`${m.q}\` ${f1(m.ms)} ms`).join(', ')}`);
    const timedOut = queries.filter((_q, i) => r.rounds.some((round) => round.timedOut[i]));
    if (timedOut.length) out.push(`- ${LABELS[r.engine]}, **stopped after ${QUERY_TIMEOUT_S} s** (counted as ${QUERY_TIMEOUT_S} s): ${timedOut.map((q) => `\`${q}\``).join(', ')}`);
    const none = queries.filter((_q, i) => r.rounds[0]!.hits[i] === 0 && !r.rounds[0]!.errors[i] && !r.rounds[0]!.timedOut[i]);
    if (none.length) out.push(`- ${LABELS[r.engine]}, no hits: ${none.map((q) => `\`${q}\``).join(', ')}`);
    const errors = r.rounds[0]!.errors.map((e, i) => (e ? `\`${queries[i]}\`: ${e}` : null)).filter(Boolean);
    if (errors.length) out.push(`- ${LABELS[r.engine]}, errors: ${errors.join('; ')}`);
  }
  return out;
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}, ${os.type()} ${os.release()}`;
}

function report(
  runs: { papers: number; results: EngineResult[]; postgres: Postgres | { unavailable: string }; interleaved: boolean }[],
  queries: string[],
  seconds: number,
  loadStart: number[],
): string {
  const pg = runs.map((r) => r.postgres).find((p): p is Postgres => !('unavailable' in p));
  const lines = [
    '## Search',
    '',
    'Written by `npm run bench:search` (bench/search.ts). Absolute figures on a shared machine are noise: compare the ratios, measured in the same run.',
    '',
    `- Date: ${new Date().toISOString()}; whole bench ${Math.round(seconds)} s`,
    `- Machine: ${machine()}; load average (1 / 5 / 15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(' / ')}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
    `- PostgreSQL: ${pg ? `${pg.version} on the same machine over TCP, default settings (${pg.settings}), a throwaway database dropped at the end` : 'not measured'}`,
    `- Corpus: the real papers of \`${path.basename(HF_ARCHIVE)}\` (9,534 ML papers with abstracts and upvotes), \`${path.basename(WITH_ABSTRACTS)}\` and \`${path.basename(LISTINGS)}\` (astro-ph titles and authors, abstracts borrowed from the astro-ph \`.abs\` records), then copies under synthesised \`YYMM.NNNNN\` ids with new dates, shuffled authors and varied upvotes (bench/corpus.ts). Each engine indexes title, authors and abstract.`,
    `- Queries: the ${queries.length} of \`bench/search-queries.txt\` (topics, phrases, \`author:\`/\`cat:\`/\`after:\`/\`has:\` filters, prefixes \`diffus*\`, broad single words), ${LIMIT} results each. Once untimed, then ${ROUNDS} timed rounds; latencies are over all ${ROUNDS * queries.length} timed answers, measured inside each engine's process (no IPC in the figure).`,
    '- Ours: `searchPapers(db, { q, limit: 10 })` (src/search/engine.ts): parsing, exact top-k of the blended score (BM25 impacts, title coverage, upvotes, recency) over every match from the in-process index (docs/decisions/019-search-index.md), phrases checked on the text, highlighted titles and snippets. Up to ' +
      PER_PAPER_MAX.toLocaleString('en') +
      ' papers loaded through `saveArxivRecords` in content transactions of 1,000 (the per-paper import path; the database keeps FTS5 / tsvector as it loads), above it through the bulk path of `import snapshot` (`bulkImportArxivRecords`, then votes and code links in transactions of 1,000); build time includes a final `ANALYZE`. Then the in-process index is built from the database (its time and memory: V8 heap plus typed arrays after a full GC, and RSS, shown in the memory column).',
    '- Peers: the same documents; plain SQLite FTS5 in its own database file (one virtual table with our tokenizer and prefix indexes, rows inserted in transactions of 10,000, `ORDER BY bm25`: no votes, recency, filters or snippets), the others in-process; title boosted 3× and authors 2× over the abstract where the engine supports it; every word required (FTS5 and MiniSearch `combineWith: AND`, Orama `threshold: 0`; FlexSearch per field). **They get plain words**: our filters (`cat:`, `after:`, `has:` …) are dropped, `author:` keeps its words, quotes are dropped (no phrase search), so they answer easier questions than ours on those queries. Prefix queries (`diffus*`) are prefix searches in FTS5 and MiniSearch (last word), FlexSearch (forward tokenizer on title and authors) and Orama (prefix by default). Memory is the child process\'s RSS and V8 heap after the build minus before it (the base corpus is loaded in both).',
    '',
  ];
  for (const run of runs) {
    lines.push(`### ${run.papers.toLocaleString('en')} papers`, '');
    lines.push(`Ours loaded through ${run.papers > PER_PAPER_MAX ? "the bulk path (`bulkImportArxivRecords`)" : 'the per-paper path (`saveArxivRecords`)'}.`, '');
    lines.push(
      run.interleaved
        ? `All engines built one after another, then stayed up; the timed rounds took turns across engines (each round starting with a different one, and each engine answering the first ${WARM_UP} queries untimed before its round: it sat idle while the others ran).`
        : `Each engine built, then ran its warm-up and ${ROUNDS} rounds at once, and exited before the next one built (all peers' indexes at once would not fit in memory at this size).`,
      '',
    );
    lines.push(...table(run.results, queries), '');
    const reindexes = run.results.filter((r) => r.built?.extra.reindexSeconds !== undefined);
    if (reindexes.length) {
      lines.push(`- \`dailypapers search reindex\` (src/search/reindex.ts) on the loaded database: ${reindexes.map((r) => `${LABELS[r.engine]} ${Number(r.built!.extra.reindexSeconds).toFixed(1)} s`).join(', ')}`);
    }
    lines.push(...slowest(run.results, queries), '');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- our engine alone, at scale

/**
 * `--load URL N`: N bench papers into the database at URL through `import snapshot`'s bulk path
 * (much faster than the product's per-paper write path the full bench times), then their upvotes
 * and code links; kept, so that the scale run (below) can be repeated on it.
 */
async function loadForScale(url: string, papers: number): Promise<void> {
  const db = await connectDatabase(url, { poolSize: 2 });
  await migrateToLatest(db);
  const base = await readBasePapers();
  const t = performance.now();
  const counted = function* () {
    let n = 0;
    for (const p of benchPapers(base, papers)) {
      if (++n % 100_000 === 0) log(`${n.toLocaleString('en')} papers, ${((performance.now() - t) / 1000).toFixed(0)} s`);
      yield p;
    }
  };
  await loadBulk(db, counted());
  log(`loaded ${papers.toLocaleString('en')} papers in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  await db.close();
}

/**
 * `--scale URL`: our engine alone on a loaded database (`--load`), the peers left out: the
 * index's build from the database and its RSS, its file, the 200 queries (top 20, once
 * untimed, then ROUNDS timed rounds), and a cold start in a fresh process (`--cold`): from
 * spawn to the first answer, reading the file and catching up from the change log.
 */
async function scaleRun(url: string): Promise<void> {
  const loadStart = os.loadavg();
  const db = await connectDatabase(url, { poolSize: 2 });
  await migrateToLatest(db);
  keepSearchIndexFile(db, process.env.SEARCH_INDEX_DIR ?? '');
  const queries = readQueries();
  collect();
  const before = process.memoryUsage();
  let t = performance.now();
  const cpu = process.cpuUsage();
  const index = await buildSearchIndex(db);
  const buildS = (performance.now() - t) / 1000;
  const buildCpu = process.cpuUsage(cpu);
  const peakMb = peakRssMb();
  collect();
  const built = process.memoryUsage();
  t = performance.now();
  await searchIndexWritten(db);
  const writeS = (performance.now() - t) / 1000;
  const file = (await searchIndexFile(db))!;
  const postings = index.main.impacts.length;
  for (const q of queries) await searchPapers(db, { q, limit: 20 });
  const ms: number[] = [];
  const slow: [number, string][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of queries) {
      const s0 = performance.now();
      await searchPapers(db, { q, limit: 20 });
      const took = performance.now() - s0;
      ms.push(took);
      slow.push([took, q]);
    }
  }
  await db.close();
  const colds: { ms: number; loadMs: number; rssMb: number; source: string }[] = [];
  for (let i = 0; i < 2; i++) {
    const s0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [...process.execArgv, import.meta.filename, '--cold', url], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
      proc.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`cold start exited ${code}`))));
    });
    colds.push({ ms: performance.now() - s0, ...(JSON.parse(out) as { loadMs: number; rssMb: number; source: string }) });
  }
  const st = stats(ms);
  const mbOf = (b: number) => Math.round(b / 1e6).toLocaleString('en');
  const lines = [
    `- ${db.dialect}, ${index.main.ids.length.toLocaleString('en')} papers, ${index.main.terms.length.toLocaleString('en')} terms, ${postings.toLocaleString('en')} postings`,
    `- build from the database ${buildS.toFixed(1)} s (CPU ${((buildCpu.user + buildCpu.system) / 1e6).toFixed(1)} s), peak RSS of the process by then ${peakMb} MB (VmHWM; ${mbOf(before.rss)} MB before it); RSS after it ${mbOf(built.rss)} MB (+${mbOf(built.rss - before.rss)}), heap ${mbOf(built.heapUsed)} MB, array buffers ${mbOf(built.arrayBuffers)} MB; file ${mbOf(fs.statSync(file).size)} MB written in ${writeS.toFixed(1)} s`,
    `- 200 queries × ${ROUNDS}, top 20: p50 ${st.p50.toFixed(2)} ms, p90 ${[...ms].sort((a, b) => a - b)[Math.ceil(0.9 * ms.length) - 1]!.toFixed(2)} ms, p99 ${st.p99.toFixed(2)} ms, mean ${st.mean.toFixed(2)} ms, max ${st.max.toFixed(1)} ms`,
    `- slowest: ${slow.sort((a, b) => b[0] - a[0]).slice(0, 5).map(([m, q]) => `\`${q}\` ${m.toFixed(1)} ms`).join(', ')}`,
    ...colds.map((c, i) => `- cold start ${i + 1}: spawn to the first answer ${(c.ms / 1000).toFixed(2)} s (index ${c.source} in ${(c.loadMs / 1000).toFixed(2)} s); RSS then ${c.rssMb} MB`),
    `- load average at start ${loadStart.map((l) => l.toFixed(1)).join(' / ')}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (2 cores, shared with other work)`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The process's peak resident memory so far (VmHWM), MB. */
function peakRssMb(): number {
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) * 1024 / 1e6);
}

/** `--cold URL`: a fresh process's first search; prints how long the index took and the RSS then. */
async function coldStart(url: string): Promise<void> {
  const db = await connectDatabase(url, { poolSize: 2 });
  keepSearchIndexFile(db, process.env.SEARCH_INDEX_DIR ?? '');
  const t = performance.now();
  const index = await searchIndex(db);
  const loadMs = performance.now() - t;
  await searchPapers(db, { q: 'dark energy', limit: 20 });
  collect();
  process.stdout.write(JSON.stringify({ loadMs, rssMb: Math.round(process.memoryUsage().rss / 1e6), source: index.source }));
  await db.close();
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const [mode, engine, papers, target, how] = process.argv.slice(2);
  if (mode === '--scale') {
    await scaleRun(engine!);
    return;
  }
  if (mode === '--cold') {
    await coldStart(engine!);
    return;
  }
  if (mode === '--load') {
    await loadForScale(engine!, Number(papers));
    return;
  }
  if (mode === '--child') {
    await child(engine as EngineName, Number(papers), target ?? '', how === 'reopen');
    return;
  }
  for (const file of [HF_ARCHIVE, WITH_ABSTRACTS, LISTINGS]) {
    if (!fs.existsSync(file)) {
      log(`needs ${file} (../shared/fixtures); skipped`);
      return;
    }
  }
  const started = performance.now();
  const loadStart = os.loadavg();
  const queries = readQueries();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-search-'));
  const runs = [];
  try {
    let size = PAPERS;
    for (;;) {
      const run = await runSize(size, queries, tmp);
      runs.push({ papers: size, ...run });
      const failed = run.results.filter((r) => r.failure);
      // The largest smaller size every failed build's pace so far fits in the timeout (with
      // room: indexing slows as an index grows), else the smallest.
      const fits = (s: number) => failed.every((r) => r.pace !== undefined && s / r.pace < BUILD_TIMEOUT_S * 0.7);
      const candidates = FALLBACK_SIZES.filter((s) => s < size);
      const smaller = candidates.find(fits) ?? candidates.at(-1);
      if (failed.length === 0 || smaller === undefined) break;
      log(`${failed.map((r) => r.engine).join(', ')} failed at ${size.toLocaleString('en')}: running every engine at ${smaller.toLocaleString('en')}`);
      size = smaller;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const section = report(runs, queries, (performance.now() - started) / 1000, loadStart);
  process.stdout.write(`\n${section}\n`);
  replaceSection(RESULTS, 'Search', section);
  log(`wrote the "## Search" section of ${path.relative(repoRoot, RESULTS)}`);
}

await main();
