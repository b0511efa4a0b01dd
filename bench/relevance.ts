// `npm run bench:relevance` (part of `npm run bench`): how well searchPapers ranks, on the real
// fixture corpus, against the judgments of bench/relevance-queries.json (queries written by
// reading the corpus, with the papers a reader would expect: grade 2 exactly what was asked,
// 1 relevant). Imports the Hugging Face archive (importHfPath) and arXiv's `.abs` records
// (importArxivRecords) into a fresh SQLite database and a throwaway PostgreSQL one, runs
// every query on both, and prints nDCG@10 and recall@20 per query and their means; writes
// them into bench/RESULTS.md as the "## Search relevance" section. A ranking change shows
// its effect here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { sql } from 'kysely';
import { maskUrl } from '../src/core/config.ts';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import { importArxivRecords } from '../src/ingest/arxiv-import.ts';
import { collapseWhitespace, splitAuthors, type ArxivRecord } from '../src/ingest/arxiv-record.ts';
import { importHfPath } from '../src/ingest/hf-import.ts';
import { searchPapers } from '../src/search/engine.ts';
import { HF_ARCHIVE, WITH_ABSTRACTS, type CorpusRecord } from './corpus.ts';
import { replaceSection } from './results-file.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const JUDGMENTS = path.join(repoRoot, 'bench/relevance-queries.json');
const RESULTS = path.join(repoRoot, 'bench/RESULTS.md');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** Recency counts in the ranking: a fixed clock (the day after the archive's last) keeps the figures comparable between runs. */
const NOW = new Date('2026-08-21T00:00:00Z');

const log = (msg: string) => process.stderr.write(`bench:relevance: ${msg}\n`);

interface Judged {
  q: string;
  /** Paper id → grade (2 exactly what was asked, 1 relevant). */
  judgments: Record<string, number>;
}

/** nDCG@k with gains 2^grade − 1: 1 when the best-judged papers lead, in order. */
function ndcg(ranked: string[], judgments: Record<string, number>, k = 10): number {
  const dcg = (grades: number[]) => grades.slice(0, k).reduce((sum, g, i) => sum + (2 ** g - 1) / Math.log2(i + 2), 0);
  const ideal = dcg(Object.values(judgments).sort((a, b) => b - a));
  return ideal === 0 ? 0 : dcg(ranked.map((id) => judgments[id] ?? 0)) / ideal;
}

/** The share of the relevant papers (grade ≥ 1) in the first k, out of at most k (so a perfect ranking scores 1). */
function recall(ranked: string[], judgments: Record<string, number>, k = 20): number {
  const relevant = Object.entries(judgments).filter(([, g]) => g > 0).map(([id]) => id);
  if (relevant.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / Math.min(relevant.length, k);
}

async function* absRecords(): AsyncGenerator<ArxivRecord> {
  for await (const line of readline.createInterface({ input: fs.createReadStream(WITH_ABSTRACTS), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as CorpusRecord;
    const dates = r.versions.map((v) => new Date(v.date).toISOString());
    yield {
      id: r.id,
      version: r.versions.length || null,
      title: collapseWhitespace(r.title),
      abstract: collapseWhitespace(r.abstract ?? ''),
      authors: splitAuthors(r.authors),
      categories: r.categories,
      primaryCategory: r.categories[0] ?? null,
      publishedAt: dates[0] ?? NOW.toISOString(),
      updatedAt: dates.at(-1) ?? null,
      comment: r.comments ?? null,
      journalRef: r.journal_ref ?? null,
      doi: r.doi ?? null,
      pdfUrl: null,
      withdrawnAt: null,
    };
  }
}

interface Scored {
  ndcg: number;
  recall: number;
  error?: string;
}

async function evaluate(db: Db, queries: Judged[]): Promise<Scored[]> {
  await migrateToLatest(db);
  const hf = await importHfPath(db, HF_ARCHIVE);
  const arxiv = await importArxivRecords(db, absRecords(), 'corpus');
  log(`${db.dialect}: imported ${hf.new} Hugging Face listings and ${arxiv.new} arXiv records`);
  const out: Scored[] = [];
  for (const { q, judgments } of queries) {
    try {
      const result = await searchPapers(db, { q, limit: 20, now: NOW });
      const ranked = result.hits.map((h) => h.paperId);
      out.push({ ndcg: ndcg(ranked, judgments), recall: recall(ranked, judgments) });
    } catch (err) {
      out.push({ ndcg: 0, recall: 0, error: (err as Error).message });
    }
  }
  return out;
}

async function onPostgres<T>(work: (db: Db) => Promise<T>): Promise<T | { unavailable: string }> {
  let admin: Db;
  try {
    admin = await connectDatabase(POSTGRES_ADMIN_URL, { poolSize: 1 });
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
  const name = `dp_bench_relevance_${Date.now()}_${process.pid}`;
  try {
    await sql`create database ${sql.id(name)}`.execute(admin.kysely);
  } catch (err) {
    await admin.close();
    return { unavailable: `cannot create database ${name} through ${maskUrl(POSTGRES_ADMIN_URL)}: ${(err as Error).message}` };
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await connectDatabase(url.toString(), { poolSize: 2 });
  try {
    return await work(db);
  } finally {
    await db.close();
    await sql`drop database if exists ${sql.id(name)} with (force)`.execute(admin.kysely).catch((err: Error) => log(`could not drop ${name}: ${err.message}`));
    await admin.close();
  }
}

const f2 = (n: number) => n.toFixed(2);
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / (xs.length || 1);

function report(queries: Judged[], sqlite: Scored[], postgres: Scored[] | { unavailable: string }): string {
  const pg = Array.isArray(postgres) ? postgres : null;
  const cell = (s: Scored | undefined) => (s ? (s.error ? `error: ${s.error} | ` : `${f2(s.ndcg)} | ${f2(s.recall)}`) : '– | –');
  const rows = queries.map((j, i) => `| \`${j.q}\` | ${Object.keys(j.judgments).length} | ${cell(sqlite[i])} | ${cell(pg?.[i])} |`);
  const means = (s: Scored[]) => `**${f2(mean(s.map((x) => x.ndcg)))}** | **${f2(mean(s.map((x) => x.recall)))}**`;
  return [
    '## Search relevance',
    '',
    'Written by `npm run bench:relevance` (bench/relevance.ts), part of `npm run bench`.',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Corpus: the Hugging Face archive (\`${path.basename(HF_ARCHIVE)}\`, through \`importHfPath\`) and arXiv's \`.abs\` records (\`${path.basename(WITH_ABSTRACTS)}\`, through \`importArxivRecords\`), into fresh databases.`,
    `- Judgments: the ${queries.length} queries of \`bench/relevance-queries.json\`, each with the papers a reader would expect, chosen by reading the corpus (grade 2: exactly what was asked; 1: relevant).`,
    `- \`searchPapers(db, { q, limit: 20, now })\` with the clock fixed at ${NOW.toISOString().slice(0, 10)} (recency is part of the ranking). nDCG@10 uses gains 2^grade − 1; recall@20 is the share of the judged-relevant papers in the first 20, out of at most 20.`,
    `- PostgreSQL: ${pg ? 'a throwaway database, dropped at the end' : `not measured: ${(postgres as { unavailable: string }).unavailable}`}`,
    '',
    '| query | judged | SQLite nDCG@10 | SQLite recall@20 | PostgreSQL nDCG@10 | PostgreSQL recall@20 |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    `| **mean** | | ${means(sqlite)} | ${pg ? means(pg) : '– | –'} |`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  for (const file of [HF_ARCHIVE, WITH_ABSTRACTS]) {
    if (!fs.existsSync(file)) {
      log(`needs ${file} (../shared/fixtures); skipped`);
      return;
    }
  }
  const { queries } = JSON.parse(fs.readFileSync(JUDGMENTS, 'utf8')) as { queries: Judged[] };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-bench-relevance-'));
  let sqlite: Scored[];
  try {
    const db = await connectDatabase(`sqlite:${path.join(tmp, 'relevance.db')}`);
    try {
      sqlite = await evaluate(db, queries);
    } finally {
      await db.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const postgres = await onPostgres((db) => evaluate(db, queries));
  if (!Array.isArray(postgres)) log(`PostgreSQL unavailable, SQLite only: ${postgres.unavailable}`);
  const section = report(queries, sqlite, postgres);
  process.stdout.write(`\n${section}\n`);
  replaceSection(RESULTS, 'Search relevance', section);
  log(`wrote the "## Search relevance" section of ${path.relative(repoRoot, RESULTS)}`);
}

await main();
