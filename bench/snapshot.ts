// `npm run bench:snapshot`: `import snapshot` on SQLite against a raw batched insert of the same
// records plus one FTS5 build of the same table, measured in the same run (issue 19: ≤ 1.5 ×).
//
// 1. Builds a file of RECORDS (default 1,000,000) lines in arXiv's metadata-snapshot format
//    from the real corpus in ../shared/fixtures/corpus (both files: 1,130 records with
//    abstracts, 136k astro-ph listings without): the real records first under their own ids,
//    then varied copies under synthesised new-style ids (`YYMM.NNNNN`), with shuffled authors
//    and categories, 1-5 versions, an abstract borrowed from the real ones where the listing
//    has none, and `authors_parsed` left out on one line in ten (the parser's fallback); and a
//    second file of RECORDS / 4 lines with further new ids. Written gzipped to a temporary
//    folder (removed at the end), never into the repository.
// 2. In a child process each (so that each peak RSS is its own): (a) the import the CLI runs
//    (`readArxivSnapshot` → `bulkImportArxivRecords`) into a fresh temporary database, then
//    the second file into that now non-empty database, then a re-import of the first file's
//    first lines (all unchanged); (b) the same files through the same parser, stored by plain
//    multi-row INSERTs in transactions of 1000 records (better-sqlite3 prepared statements, no
//    reads, no comparisons) into another database of the same schema without its search
//    triggers, each followed by one FTS5 build: `rebuild` after the first file, one
//    INSERT … SELECT of the new rows after the second. (a) and (b) take turns of TURN records,
//    so that drift in the machine's load hits both alike; each counts wall-clock and CPU time
//    only within its own turns.
// 3. Prints a Markdown section and appends it to bench/SNAPSHOT.md.
//
// Set BENCH_SNAPSHOT_RECORDS to change the size (e.g. 200000 for a quick run).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import SQLite from 'better-sqlite3';
import { connectDatabase, migrateToLatest } from '../src/db/database.ts';
import { bulkImportArxivRecords } from '../src/ingest/arxiv-bulk.ts';
import { splitAuthors, type ArxivRecord } from '../src/ingest/arxiv-record.ts';
import { readArxivSnapshot } from '../src/ingest/arxiv-snapshot.ts';
import { buildSearchIndex, dropSearchIndex, keepSearchIndexFile, searchIndexWritten } from '../src/search/search-index.ts';
import { RecordProblem, type ImportSummary } from '../src/ingest/summary.ts';
import { LISTINGS, WITH_ABSTRACTS, pad, random, readArxivCorpus, shuffled } from './corpus.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const REPORT = path.join(repoRoot, 'bench/SNAPSHOT.md');
const RECORDS = Number(process.env.BENCH_SNAPSHOT_RECORDS || 1_000_000);
const RAW_BATCH = 1000;

const log = (msg: string) => process.stderr.write(`bench:snapshot: ${msg}\n`);

// ---------------------------------------------------------------- the snapshot file

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** arXiv's version date format: `Mon, 2 Apr 2007 19:18:42 GMT`. */
function rfc2822(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}

/** Builds a snapshot file of lines [from, to) of the sequence; returns its size in bytes. */
async function writeSnapshot(file: string, from = 0, to = RECORDS): Promise<number> {
  const corpus = await readArxivCorpus();
  const abstracts = corpus.filter((r) => r.abstract).map((r) => r.abstract!);
  const rnd = random(2026);
  const used = new Set<string>();
  let serial = 0;
  const syntheticId = (): string => {
    for (;;) {
      // 90,000 numbers a month from 1501 on: 1501.10000 … 1501.99999, 1502.10000 …
      const month = Math.floor(serial / 90_000);
      const id = `${15 + Math.floor(month / 12)}${pad((month % 12) + 1)}.${10_000 + (serial % 90_000)}`;
      serial++;
      if (!used.has(id)) return id;
    }
  };

  function* lines(): Generator<string> {
    for (let i = 0; i < to; i++) {
      const base = corpus[i % corpus.length]!;
      const copy = Math.floor(i / corpus.length);
      let id = base.id;
      if (copy > 0 || used.has(id)) id = syntheticId();
      used.add(id);
      const names = splitAuthors(base.authors).map((a) => a.name);
      const authors = copy === 0 ? names : shuffled(names, rnd);
      const categories = copy === 0 ? base.categories : shuffled(base.categories, rnd);
      const first = Date.parse(base.versions[0]?.date ?? '') || Date.UTC(2007, 3, 2);
      const count = copy === 0 ? base.versions.length : 1 + Math.floor(rnd() * 5);
      const versions = Array.from({ length: count }, (_, v) => ({
        version: `v${v + 1}`,
        created: rfc2822(new Date(first + v * Math.floor(1 + rnd() * 60) * 86_400_000 + copy * 1000)),
      }));
      const line: Record<string, unknown> = {
        id,
        submitter: base.submitter ?? null,
        authors: authors.join(', '),
        title: base.title,
        comments: base.comments ?? null,
        'journal-ref': base.journal_ref ?? null,
        doi: base.doi ?? null,
        'report-no': base.report_no ?? null,
        categories: categories.join(' '),
        license: base.license ?? null,
        abstract: base.abstract ?? abstracts[Math.floor(rnd() * abstracts.length)],
        versions,
        update_date: versions[versions.length - 1]!.created.slice(5, 16),
      };
      // One line in ten without `authors_parsed`, as in the snapshot's oldest records.
      if (i % 10 !== 9) {
        line.authors_parsed = authors.map((name) => {
          const cut = name.lastIndexOf(' ');
          return cut < 0 ? [name, '', ''] : [name.slice(cut + 1), name.slice(0, cut), ''];
        });
      }
      if (i >= from) yield JSON.stringify(line) + '\n';
    }
  }
  function* chunks(): Generator<string> {
    let buffer: string[] = [];
    for (const line of lines()) {
      buffer.push(line);
      if (buffer.length === 500) {
        yield buffer.join('');
        buffer = [];
      }
    }
    if (buffer.length) yield buffer.join('');
  }
  await pipeline(Readable.from(chunks()), createGzip({ level: 1 }), fs.createWriteStream(file));
  return fs.statSync(file).size;
}

// ---------------------------------------------------------------- the measured runs (child processes)

interface Run {
  label: string;
  records: number;
  /** Wall-clock seconds while the run had its turn. */
  seconds: number;
  /** CPU seconds (user + system) of the process in those turns. */
  cpuSeconds: number;
  peakRssMb: number;
  summary?: ImportSummary;
  /** Seconds spent writing rows (raw runs only). */
  writeSeconds?: number;
  /** Seconds spent building the FTS5 index (raw runs only). */
  ftsSeconds?: number;
}

/** Records per turn: the import and the raw insert take turns, so that drift in the machine's load hits both alike. */
const TURN = 50_000;
/** The unchanged re-import reads this many lines of the file (its rate is what counts). */
const REIMPORT_LINES = 200_000;
/** New records imported into the non-empty database (after the file): a quarter as many. */
const EXTRA = Math.max(1, Math.round(RECORDS / 4));

/**
 * Times a child's work in turns: `pause()` ends a turn (the parent then lets the other
 * child run) and resolves when this child's next turn begins; only time inside turns counts.
 */
class Turns {
  private wallMs = 0;
  private cpuUs = 0;
  private since = 0;
  private cpuSince = process.cpuUsage();
  private peak = process.memoryUsage().rss;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    // The kernel's peak (VmHWM) from here on, so that a synchronous stretch between samples is not missed (Linux; elsewhere samples only).
    try {
      fs.writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      // not Linux
    }
  }

  start(): void {
    this.since = performance.now();
    this.cpuSince = process.cpuUsage();
    this.timer ??= setInterval(() => this.sample(), 100);
  }
  private stopClock(): void {
    this.wallMs += performance.now() - this.since;
    const cpu = process.cpuUsage(this.cpuSince);
    this.cpuUs += cpu.user + cpu.system;
    this.sample();
  }
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
    try {
      const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      if (hwm) this.peak = Math.max(this.peak, Number(hwm[1]) * 1024);
    } catch {
      // not Linux
    }
  }
  /** Ends this turn; resolves when the next one has begun. */
  async pause(): Promise<void> {
    this.stopClock();
    await this.waitForTurn();
    this.start();
  }
  /** Tells the parent this child is ready; resolves when it is its turn. */
  waitForTurn(): Promise<void> {
    return new Promise<void>((resolve) => {
      process.once('message', () => resolve());
      process.send!('turn');
    });
  }
  finish(): { seconds: number; cpuSeconds: number; peakRssMb: number } {
    this.stopClock();
    clearInterval(this.timer);
    this.timer = undefined;
    return { seconds: this.wallMs / 1000, cpuSeconds: this.cpuUs / 1e6, peakRssMb: Math.round(this.peak / 1e6) };
  }
}

/** The snapshot's items, pausing for the other child every TURN items; at most `limit`. */
async function* inTurns<T>(items: AsyncIterable<T>, turns: Turns | null, limit = Infinity): AsyncGenerator<T> {
  let n = 0;
  for await (const item of items) {
    if (n >= limit) return;
    if (turns && n > 0 && n % TURN === 0) await turns.pause();
    n++;
    yield item;
  }
}

/** (a) The import the CLI runs, into `dbFile`, in turns: the file, then the extra file into the now non-empty database; then an unchanged re-import of the first lines. */
async function childImport(file: string, extra: string, dbFile: string): Promise<Run[]> {
  const db = await connectDatabase(`sqlite:${dbFile}`);
  await migrateToLatest(db);
  const runs: Run[] = [];
  for (const [label, input, inTurn, limit] of [
    ['import snapshot (fresh database)', file, true, Infinity],
    [`import ${EXTRA.toLocaleString('en')} more (non-empty database)`, extra, true, Infinity],
    [`re-import, first ${REIMPORT_LINES.toLocaleString('en')} lines (unchanged)`, file, false, REIMPORT_LINES],
  ] as const) {
    const turns = new Turns();
    if (runs.length > 0) await turns.waitForTurn();
    turns.start();
    const summary = await bulkImportArxivRecords(db, inTurns(readArxivSnapshot(input), inTurn ? turns : null, limit), 'snapshot', () => turns.sample());
    summary.problems = summary.problems.slice(0, 5);
    runs.push({ label, records: summary.new + summary.updated + summary.unchanged + summary.rejected, ...turns.finish(), summary });
    if (runs.length === 1) {
      // Searchable: the in-process index `serve` reads at start (search-index.ts), built from the
      // fresh database and written to its file, in a turn of its own; then dropped.
      const build = new Turns();
      await build.waitForTurn();
      build.start();
      keepSearchIndexFile(db);
      const index = await buildSearchIndex(db);
      await searchIndexWritten(db);
      runs.push({ label: 'search index build + file (after the fresh import)', records: index.main.ids.length, ...build.finish() });
      dropSearchIndex(db);
    }
  }
  await db.close();
  return runs;
}

/**
 * (b) The same records, plain multi-row INSERTs in transactions (nothing read back or
 * compared) into the same schema without its search triggers, then one FTS5 build of the
 * same table: the whole index for the fresh database, the extra records' rows for the second.
 */
async function childRaw(file: string, extra: string, dbFile: string): Promise<Run[]> {
  const setup = await connectDatabase(`sqlite:${dbFile}`);
  await migrateToLatest(setup);
  await setup.close();
  const db = new SQLite(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Nothing but the rows and FTS5: the search triggers go, and so do the suggest-key triggers (decision 033: the import builds those keys set-wise, and pays for them).
  for (const trigger of ['papers_search_insert', 'papers_search_update', 'papers_search_delete', 'papers_suggest_insert', 'paper_authors_suggest_insert']) db.exec(`drop trigger ${trigger}`);

  const paperCols = ['id', 'version', 'title', 'abstract', 'author_names', 'primary_category', 'published_at', 'updated_at', 'comment', 'journal_ref', 'doi', 'pdf_url', 'withdrawn_at', 'upvotes_source', 'upvotes', 'comments_source', 'trending_score', 'created_at', 'modified_at'];
  const authorCols = ['paper_id', 'position', 'name', 'affiliation', 'hf_id', 'hidden', 'user_id'];
  const categoryCols = ['paper_id', 'category'];
  const ROWS = 400;
  const statements = new Map<string, SQLite.Statement>();
  const insert = (table: string, cols: string[], rows: unknown[][]) => {
    for (let i = 0; i < rows.length; i += ROWS) {
      const part = rows.slice(i, i + ROWS);
      const key = `${table}:${part.length}`;
      let stmt = statements.get(key);
      if (!stmt) {
        const tuple = `(${cols.map(() => '?').join(',')})`;
        stmt = db.prepare(`insert into ${table} (${cols.join(',')}) values ${Array(part.length).fill(tuple).join(',')}`);
        statements.set(key, stmt);
      }
      stmt.run(part.flat());
    }
  };
  const write = db.transaction((records: ArxivRecord[], now: string) => {
    insert(
      'papers',
      paperCols,
      records.map((r) => [r.id, r.version, r.title, r.abstract, r.authors.map((a) => a.name).join(', '), r.primaryCategory, r.publishedAt, r.updatedAt, r.comment, r.journalRef, r.doi, r.pdfUrl, r.withdrawnAt, 0, 0, 0, 0, now, now]),
    );
    insert('paper_authors', authorCols, records.flatMap((r) => r.authors.map((a, i) => [r.id, i, a.name, a.affiliation, null, 0, null])));
    insert('paper_categories', categoryCols, records.flatMap((r) => [...new Set(r.categories)].map((c) => [r.id, c])));
  });

  const runs: Run[] = [];
  for (const [label, input, build] of [
    ['raw batched insert + one FTS5 build', file, 'rebuild'],
    [`raw insert of ${EXTRA.toLocaleString('en')} more + their FTS5 rows`, extra, 'insert'],
  ] as const) {
    const turns = new Turns();
    await turns.waitForTurn(); // the import goes first
    turns.start();
    let writeMs = 0;
    let records = 0;
    let batch: ArxivRecord[] = [];
    const flush = () => {
      const t = performance.now();
      write(batch, new Date().toISOString());
      writeMs += performance.now() - t;
      batch = [];
      turns.sample();
    };
    for await (const item of inTurns(readArxivSnapshot(input), turns)) {
      records++;
      if (item instanceof RecordProblem) continue;
      batch.push(item);
      if (batch.length >= RAW_BATCH) flush();
    }
    if (batch.length) flush();
    const t = performance.now();
    // The same keys and FTS5 table the triggers keep: one statement each.
    db.transaction(() => {
      const last = db.prepare('select coalesce(max(doc), 0) from paper_search_rows').pluck().get() as number;
      db.exec('insert into paper_search_rows (paper_id) select id from papers where id not in (select paper_id from paper_search_rows) order by published_at, id');
      if (build === 'rebuild') db.exec("insert into paper_search (paper_search) values ('rebuild')");
      else db.prepare('insert into paper_search (rowid, title, author_names, abstract) select doc, title, author_names, abstract from paper_search_source where doc > ?').run(last);
    })();
    const ftsSeconds = (performance.now() - t) / 1000;
    runs.push({ label, records, ...turns.finish(), writeSeconds: writeMs / 1000, ftsSeconds });
  }
  db.close();
  return runs;
}

/** Runs both children, handing the turn from one to the other; resolves with their runs. */
function runChildren(children: string[][]): Promise<Run[][]> {
  const procs = children.map((args) => spawn(process.execPath, [...process.execArgv, import.meta.filename, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const waiting = new Set<number>();
  const done = new Set<number>();
  const results: Run[][] = [];
  // The first child starts at once; the others say they are ready and wait. Whenever the
  // running child pauses or ends, the next waiting one (round robin) gets the turn.
  let running = 0;
  const handOn = () => {
    if (!waiting.has(running) && !done.has(running)) return;
    for (let step = 1; step <= procs.length; step++) {
      const next = (running + step) % procs.length;
      if (waiting.has(next)) {
        waiting.delete(next);
        running = next;
        procs[next]!.send('go');
        return;
      }
    }
  };
  return new Promise((resolve, reject) => {
    procs.forEach((child, i) => {
      child.on('message', (msg: unknown) => {
        if (msg === 'turn') {
          waiting.add(i);
          handOn();
        } else {
          results[i] = msg as Run[];
        }
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        done.add(i);
        if (code !== 0) {
          for (const p of procs) p.kill();
          reject(new Error(`bench child ${children[i]![0]} exited with ${code}`));
          return;
        }
        handOn();
        if (done.size === procs.length) resolve(results);
      });
    });
  });
}

// ---------------------------------------------------------------- report

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, better-sqlite3 (SQLite ${new SQLite(':memory:').prepare('select sqlite_version() as v').pluck().get() as string})`;
}

const rate = (r: Run) => Math.round(r.records / r.seconds);

function report(fileBytes: number, genSeconds: number, runs: Run[]): string {
  const [fresh, index, more, again, raw, rawMore] = runs as [Run, Run, Run, Run, Run, Run];
  const rows = runs.map((r) => {
    const s = r.summary;
    const outcome = s
      ? `${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`
      : r === index
        ? `${r.records.toLocaleString('en')} papers indexed`
        : `rows ${r.writeSeconds!.toFixed(1)} s, FTS5 ${r.ftsSeconds!.toFixed(1)} s, of ${r.seconds.toFixed(1)} s`;
    return `| ${r.label} | ${r.records.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} | ${rate(r).toLocaleString('en')} | ${r.peakRssMb} | ${outcome} |`;
  });
  const ratio = (a: Run, b: Run) => `${(a.seconds / b.seconds).toFixed(2)} × (${(a.cpuSeconds / b.cpuSeconds).toFixed(2)} × by CPU time)`;
  const peak = Math.max(fresh.peakRssMb, more.peakRssMb, again.peakRssMb);
  const searchable = { ...fresh, seconds: fresh.seconds + index.seconds, cpuSeconds: fresh.cpuSeconds + index.cpuSeconds };
  return [
    `## Snapshot import, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}.`,
    '',
    `Input: ${RECORDS.toLocaleString('en')} snapshot lines built from the real corpus (${(fileBytes / 1e6).toFixed(0)} MB gzipped, built in ${genSeconds.toFixed(0)} s), then ${EXTRA.toLocaleString('en')} more lines (new ids) in a second file; SQLite in a temporary folder. Each run reads and parses the gzipped file itself.`,
    '',
    '| run | records | seconds | CPU s | records/s | peak RSS (MB) | outcome |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    `**Import into a fresh database: ${ratio(fresh, raw)} the time of a raw batched insert plus one FTS5 build of the same records** (limit 1.5 ×); **searchable (the import plus the search index build and file): ${ratio(searchable, raw)}**; **into the non-empty database: ${ratio(more, rawMore)}** the raw insert plus their FTS5 rows. Peak RSS of the import ${peak} MB, of the index build ${index.peakRssMb} MB (limit 500 MB). The raw insert keeps no suggest keys; the import builds them (decision 033). The unchanged re-import runs at ${(rate(again) / rate(fresh)).toFixed(2)} × the first import's rate. The import and the raw insert ran in turns of ${TURN.toLocaleString('en')} records, each in its own process, so that the machine's load (load average ${os.loadavg()[0]!.toFixed(1)} at the end) hits both alike; seconds count only a run's own turns (the raw FTS5 build runs inside its last turn).`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const [mode, file, extra, dbFile] = process.argv.slice(2);
  if (mode === '--import' || mode === '--raw') {
    const runs = mode === '--import' ? await childImport(file!, extra!, dbFile!) : await childRaw(file!, extra!, dbFile!);
    await new Promise<void>((resolve) => process.send!(runs, () => resolve()));
    process.disconnect();
    return;
  }
  if (mode === '--write') {
    await writeSnapshot(file!);
    return;
  }
  if (!fs.existsSync(WITH_ABSTRACTS) || !fs.existsSync(LISTINGS)) {
    log(`needs the corpus in ${path.dirname(WITH_ABSTRACTS)} (../shared/fixtures); skipped`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-snapshot-'));
  try {
    const snapshot = path.join(tmp, 'arxiv-metadata-snapshot.jsonl.gz');
    let t = performance.now();
    log(`writing ${RECORDS.toLocaleString('en')} records to ${snapshot}`);
    const bytes = await writeSnapshot(snapshot);
    const extra = path.join(tmp, 'arxiv-metadata-snapshot-more.jsonl.gz');
    await writeSnapshot(extra, RECORDS, RECORDS + EXTRA);
    const genSeconds = (performance.now() - t) / 1000;
    log(`${(bytes / 1e6).toFixed(0)} MB in ${genSeconds.toFixed(1)} s`);
    t = performance.now();
    const [imported, raw] = await runChildren([
      ['--import', snapshot, extra, path.join(tmp, 'import.db')],
      ['--raw', snapshot, extra, path.join(tmp, 'raw.db')],
    ]);
    const runs = [...imported!, ...raw!];
    for (const r of runs) log(`${r.label}: ${r.records} records in ${r.seconds.toFixed(1)} s, ${rate(r)}/s, peak RSS ${r.peakRssMb} MB`);
    const section = report(bytes, genSeconds, runs);
    process.stdout.write(`\n${section}`);
    if (!fs.existsSync(REPORT)) {
      fs.writeFileSync(REPORT, '# `import snapshot` benchmark\n\nAppended by `npm run bench:snapshot` (bench/snapshot.ts); newest last.\n\n');
    }
    fs.appendFileSync(REPORT, `${section}\n`);
    log(`appended to ${path.relative(repoRoot, REPORT)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
