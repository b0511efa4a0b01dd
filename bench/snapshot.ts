// `npm run bench:snapshot`: `import snapshot` throughput on SQLite against a raw batched insert
// of the same records into the same schema, measured in the same run.
//
// 1. Builds a file of RECORDS (default 1,000,000) lines in arXiv's metadata-snapshot format
//    from the real corpus in ../shared/fixtures/corpus (both files: 1,130 records with
//    abstracts, 136k astro-ph listings without): the real records first under their own ids,
//    then varied copies under synthesised new-style ids (`YYMM.NNNNN`), with shuffled authors
//    and categories, 1-5 versions, an abstract borrowed from the real ones where the listing
//    has none, and `authors_parsed` left out on one line in ten (the parser's fallback).
//    Written gzipped to a temporary folder (removed at the end), never into the repository.
// 2. In a child process each (so that each peak RSS is its own): (a) the import the CLI runs
//    (`readArxivSnapshot` → `importArxivRecords`) into a fresh temporary database, then a
//    second import of the same file (all unchanged); (b) the same file through the same
//    parser, stored by plain multi-row INSERTs in transactions of 1000 records (better-sqlite3
//    prepared statements, no reads, no comparisons) into another fresh database.
// 3. Prints a Markdown section and appends it to bench/SNAPSHOT.md.
//
// Set BENCH_SNAPSHOT_RECORDS to change the size (e.g. 100000 for a quick run).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import SQLite from 'better-sqlite3';
import { connectDatabase, migrateToLatest } from '../src/db/database.ts';
import { importArxivRecords } from '../src/ingest/arxiv-import.ts';
import type { ArxivRecord } from '../src/ingest/arxiv-record.ts';
import { readArxivSnapshot, splitAuthors } from '../src/ingest/arxiv-snapshot.ts';
import { RecordProblem, type ImportSummary } from '../src/ingest/summary.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const CORPUS = path.resolve(repoRoot, '../shared/fixtures/corpus');
const WITH_ABSTRACTS = path.join(CORPUS, 'arxiv_browse_abs_records_with_abstracts.jsonl');
const LISTINGS = path.join(CORPUS, 'arxiv_browse_astro-ph_listings_1992-2020.jsonl.gz');
const REPORT = path.join(repoRoot, 'bench/SNAPSHOT.md');
const RECORDS = Number(process.env.BENCH_SNAPSHOT_RECORDS || 1_000_000);
const RAW_BATCH = 1000;

const log = (msg: string) => process.stderr.write(`bench:snapshot: ${msg}\n`);

// ---------------------------------------------------------------- the snapshot file

interface CorpusRecord {
  id: string;
  submitter?: string;
  title: string;
  authors: string;
  categories: string[];
  comments?: string;
  journal_ref?: string;
  doi?: string;
  report_no?: string;
  license?: string;
  abstract?: string;
  versions: { version: string; date: string }[];
}

async function readCorpus(): Promise<CorpusRecord[]> {
  const out: CorpusRecord[] = [];
  for (const file of [WITH_ABSTRACTS, LISTINGS]) {
    const input = file.endsWith('.gz') ? fs.createReadStream(file).pipe(createGunzip()) : fs.createReadStream(file);
    for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
      if (line.trim()) out.push(JSON.parse(line) as CorpusRecord);
    }
  }
  return out;
}

/** A small seeded generator (mulberry32), so every run builds the same file. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(list: T[], rnd: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');
/** arXiv's version date format: `Mon, 2 Apr 2007 19:18:42 GMT`. */
function rfc2822(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}

/** Builds the snapshot file; returns its size in bytes. */
async function writeSnapshot(file: string): Promise<number> {
  const corpus = await readCorpus();
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
    for (let i = 0; i < RECORDS; i++) {
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
      yield JSON.stringify(line) + '\n';
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
  seconds: number;
  peakRssMb: number;
  summary?: ImportSummary;
  /** Seconds spent writing (raw run only), the rest being reading and parsing. */
  writeSeconds?: number;
}

function rssSampler(): { stop(): number; sample(): void } {
  let peak = process.memoryUsage().rss;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 100);
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return Math.round(peak / 1e6);
    },
  };
}

/** (a) The import the CLI runs, into `dbFile`. */
async function childImport(file: string, dbFile: string, label: string): Promise<Run> {
  const db = await connectDatabase(`sqlite:${dbFile}`);
  await migrateToLatest(db);
  const rss = rssSampler();
  const started = performance.now();
  const summary = await importArxivRecords(db, readArxivSnapshot(file), 'snapshot', () => rss.sample());
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  await db.close();
  summary.problems = summary.problems.slice(0, 5);
  return { label, records: summary.new + summary.updated + summary.unchanged + summary.rejected, seconds, peakRssMb, summary };
}

/** (b) The same records, plain multi-row INSERTs in transactions, nothing read back or compared. */
async function childRaw(file: string, dbFile: string): Promise<Run> {
  const setup = await connectDatabase(`sqlite:${dbFile}`);
  await migrateToLatest(setup);
  await setup.close();
  const db = new SQLite(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');

  const paperCols = ['id', 'version', 'title', 'abstract', 'primary_category', 'published_at', 'updated_at', 'comment', 'journal_ref', 'doi', 'pdf_url', 'withdrawn_at', 'upvotes_source', 'upvotes', 'comments_source', 'trending_score', 'created_at', 'modified_at'];
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
      records.map((r) => [r.id, r.version, r.title, r.abstract, r.primaryCategory, r.publishedAt, r.updatedAt, r.comment, r.journalRef, r.doi, r.pdfUrl, r.withdrawnAt, 0, 0, 0, 0, now, now]),
    );
    insert('paper_authors', authorCols, records.flatMap((r) => r.authors.map((a, i) => [r.id, i, a.name, a.affiliation, null, 0, null])));
    insert('paper_categories', categoryCols, records.flatMap((r) => r.categories.map((c) => [r.id, c])));
  });

  const rss = rssSampler();
  const started = performance.now();
  let writeMs = 0;
  let records = 0;
  let batch: ArxivRecord[] = [];
  const flush = () => {
    const t = performance.now();
    write(batch, new Date().toISOString());
    writeMs += performance.now() - t;
    batch = [];
    rss.sample();
  };
  for await (const item of readArxivSnapshot(file)) {
    records++;
    if (item instanceof RecordProblem) continue;
    batch.push(item);
    if (batch.length >= RAW_BATCH) flush();
  }
  if (batch.length) flush();
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = rss.stop();
  db.close();
  return { label: 'raw batched insert', records, seconds, peakRssMb, writeSeconds: writeMs / 1000 };
}

function runChild(args: string[]): Promise<Run[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Run[]) : reject(new Error(`bench child ${args[0]} exited with ${code}`))));
  });
}

// ---------------------------------------------------------------- report

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, better-sqlite3 (SQLite ${new SQLite(':memory:').prepare('select sqlite_version() as v').pluck().get() as string})`;
}

const rate = (r: Run) => Math.round(r.records / r.seconds);

function report(fileBytes: number, genSeconds: number, runs: Run[]): string {
  const [first, again, raw] = runs as [Run, Run, Run];
  const rows = runs.map((r) => {
    const s = r.summary;
    const outcome = s ? `${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected` : `write ${r.writeSeconds!.toFixed(1)} s of ${r.seconds.toFixed(1)} s`;
    return `| ${r.label} | ${r.records.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${rate(r).toLocaleString('en')} | ${r.peakRssMb} | ${outcome} |`;
  });
  return [
    `## Snapshot import, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${machine()}.`,
    '',
    `Input: ${RECORDS.toLocaleString('en')} snapshot lines built from the real corpus (${(fileBytes / 1e6).toFixed(0)} MB gzipped, built in ${genSeconds.toFixed(0)} s), SQLite in a temporary folder. Each run reads and parses the gzipped file itself.`,
    '',
    '| run | records | seconds | records/s | peak RSS (MB) | outcome |',
    '|---|---:|---:|---:|---:|---|',
    ...rows,
    '',
    `**Import ${rate(first).toLocaleString('en')} records/s = ${(rate(first) / rate(raw)).toFixed(2)} × the raw insert** (targets: ≥ 5,000 records/s, ≥ 0.5 × raw); the unchanged re-import runs at ${(rate(again) / rate(first)).toFixed(2)} × the first import.`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const [mode, file, dbFile] = process.argv.slice(2);
  if (mode === '--import') {
    const runs = [await childImport(file!, dbFile!, 'import snapshot (new)'), await childImport(file!, dbFile!, 're-import (unchanged)')];
    process.stdout.write(JSON.stringify(runs));
    return;
  }
  if (mode === '--write') {
    await writeSnapshot(file!);
    return;
  }
  if (mode === '--raw') {
    process.stdout.write(JSON.stringify([await childRaw(file!, dbFile!)]));
    return;
  }
  if (!fs.existsSync(WITH_ABSTRACTS) || !fs.existsSync(LISTINGS)) {
    log(`needs the corpus in ${CORPUS} (../shared/fixtures); skipped`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-snapshot-'));
  try {
    const snapshot = path.join(tmp, 'arxiv-metadata-snapshot.jsonl.gz');
    let t = performance.now();
    log(`writing ${RECORDS.toLocaleString('en')} records to ${snapshot}`);
    const bytes = await writeSnapshot(snapshot);
    const genSeconds = (performance.now() - t) / 1000;
    log(`${(bytes / 1e6).toFixed(0)} MB in ${genSeconds.toFixed(1)} s`);
    t = performance.now();
    const runs = [...(await runChild(['--import', snapshot, path.join(tmp, 'import.db')])), ...(await runChild(['--raw', snapshot, path.join(tmp, 'raw.db')]))];
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
