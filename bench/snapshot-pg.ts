// `node --import tsx bench/snapshot-pg.ts FILE`: `import snapshot` on PostgreSQL against a raw
// insert of the same records plus one GIN build, in the same run.
//
// FILE is a snapshot file, e.g. one written by `BENCH_SNAPSHOT_RECORDS=20000 node --import tsx
// bench/snapshot.ts --write FILE`. Its first BENCH_SNAPSHOT_RECORDS records (default 20,000)
// are parsed once, then stored in turns of 5,000 into three new databases on the server
// BENCH_PG_URL names (default the local one): the import the CLI runs (`bulkImportArxivRecords`,
// one call whose input pauses at each turn's end), the ordinary ingest path (`importArxivRecords`), and a raw
// INSERT … SELECT from unnest(arrays) per table into the schema without its GIN index, which
// is built once at the end (the generated tsvector column is computed by the inserts), and without
// the suggest-key triggers (the import builds its keys at the end of each call). Times
// are wall-clock, the server's work included. Appends a section to bench/SNAPSHOT.md; the
// databases are dropped at the end.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { sql, type Transaction } from 'kysely';
import { connectDatabase, migrateToLatest, type Db } from '../src/db/database.ts';
import type { Database } from '../src/db/schema.ts';
import { bulkImportArxivRecords } from '../src/ingest/arxiv-bulk.ts';
import { importArxivRecords } from '../src/ingest/arxiv-import.ts';
import type { ArxivRecord } from '../src/ingest/arxiv-record.ts';
import { readArxivSnapshot } from '../src/ingest/arxiv-snapshot.ts';
import { RecordProblem } from '../src/ingest/summary.ts';

const REPORT = path.resolve(import.meta.dirname, 'SNAPSHOT.md');
const RECORDS = Number(process.env.BENCH_SNAPSHOT_RECORDS || 20_000);
const ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CHUNK = 5000;

async function rawInsert(trx: Transaction<Database>, part: ArxivRecord[], now: string): Promise<void> {
  const c = <T>(f: (r: ArxivRecord) => T) => part.map(f);
  await sql`insert into papers (id, version, title, abstract, author_names, primary_category, published_at, updated_at, comment, journal_ref, doi, pdf_url,
      withdrawn_at, license, upvotes_source, upvotes, comments_source, trending_score, created_at, modified_at)
    select t.*, 0, 0, 0, 0, ${now}, ${now} from unnest(${c((r) => r.id)}::text[], ${c((r) => r.version)}::integer[], ${c((r) => r.title)}::text[],
      ${c((r) => r.abstract)}::text[], ${c((r) => r.authors.map((a) => a.name).join(', '))}::text[], ${c((r) => r.primaryCategory)}::text[],
      ${c((r) => r.publishedAt)}::text[], ${c((r) => r.updatedAt)}::text[], ${c((r) => r.comment)}::text[], ${c((r) => r.journalRef)}::text[],
      ${c((r) => r.doi)}::text[], ${c((r) => r.pdfUrl)}::text[], ${c((r) => r.withdrawnAt)}::text[], ${c((r) => r.license ?? null)}::text[]) as t`.execute(trx);
  const authors = part.flatMap((r) => r.authors.map((a, position) => ({ id: r.id, position, ...a })));
  await sql`insert into paper_authors (paper_id, position, name, affiliation, hidden)
    select t.*, 0 from unnest(${authors.map((a) => a.id)}::text[], ${authors.map((a) => a.position)}::integer[], ${authors.map((a) => a.name)}::text[],
      ${authors.map((a) => a.affiliation)}::text[]) as t`.execute(trx);
  const categories = part.flatMap((r) => [...new Set(r.categories)].map((cat) => [r.id, cat] as const));
  await sql`insert into paper_categories (paper_id, category)
    select * from unnest(${categories.map((x) => x[0])}::text[], ${categories.map((x) => x[1])}::text[])`.execute(trx);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node --import tsx bench/snapshot-pg.ts SNAPSHOT_FILE');
  const records: ArxivRecord[] = [];
  for await (const r of readArxivSnapshot(file)) {
    if (r instanceof RecordProblem) continue;
    records.push(r);
    if (records.length >= RECORDS) break;
  }
  const admin = await connectDatabase(ADMIN_URL);
  const names = ['bulk', 'ordinary', 'raw'] as const;
  const dbs = {} as Record<(typeof names)[number], Db>;
  const prefix = `dp_bench_snapshot_${process.pid}`;
  try {
    for (const name of names) {
      await sql.raw(`create database ${prefix}_${name}`).execute(admin.kysely);
      const url = new URL(ADMIN_URL);
      url.pathname = `/${prefix}_${name}`;
      dbs[name] = await connectDatabase(url.href);
      await migrateToLatest(dbs[name]);
    }
    await sql`drop index papers_search`.execute(dbs.raw.kysely);
    // Rows and the GIN index only: the import builds its suggest keys set-wise and pays for them (decision 033); the raw insert keeps none.
    await sql`alter table papers disable trigger papers_suggest_insert`.execute(dbs.raw.kysely);
    await sql`alter table paper_authors disable trigger paper_authors_suggest_insert`.execute(dbs.raw.kysely);
    const ms = { bulk: 0, ordinary: 0, raw: 0, gin: 0 };
    const timed = async (key: keyof typeof ms, work: () => Promise<unknown>) => {
      const t = performance.now();
      await work();
      ms[key] += performance.now() - t;
    };
    // The import is one call over all the records, as the CLI makes it; at each turn's end its
    // input pauses while the two others store the same turn, and that pause is not its time.
    let paused = 0;
    const turns = async function* () {
      for (let i = 0; i < records.length; i += CHUNK) {
        const part = records.slice(i, i + CHUNK);
        yield* part;
        const t = performance.now();
        await timed('ordinary', () => importArxivRecords(dbs.ordinary, part, 'bench'));
        await timed('raw', () => dbs.raw.kysely.transaction().execute((trx) => rawInsert(trx, part, new Date().toISOString())));
        paused += performance.now() - t;
      }
    };
    await timed('bulk', () => bulkImportArxivRecords(dbs.bulk, turns(), 'bench', undefined, CHUNK));
    ms.bulk -= paused;
    await timed('gin', () => sql`create index papers_search on papers using gin (search_vector)`.execute(dbs.raw.kysely));
    const raw = ms.raw + ms.gin;
    const s = (v: number) => (v / 1000).toFixed(1);
    const section = [
      `## Snapshot import on PostgreSQL, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      `${records.length.toLocaleString('en')} records from ${path.basename(file)}, parsed once, stored in turns of ${CHUNK.toLocaleString('en')} into three databases (bench/snapshot-pg.ts); wall-clock seconds, the server's work included; load average ${os.loadavg()[0]!.toFixed(1)} at the end.`,
      '',
      '| run | seconds | × raw + one GIN build |',
      '|---|---:|---:|',
      `| import snapshot (\`bulkImportArxivRecords\`) | ${s(ms.bulk)} | ${(ms.bulk / raw).toFixed(2)} |`,
      `| ordinary ingest path (\`importArxivRecords\`) | ${s(ms.ordinary)} | ${(ms.ordinary / raw).toFixed(2)} |`,
      `| raw insert without the GIN index + one GIN build | ${s(raw)} (build ${s(ms.gin)}) | 1.00 |`,
      '',
    ].join('\n');
    process.stdout.write(`\n${section}`);
    fs.appendFileSync(REPORT, `${section}\n`);
  } finally {
    for (const name of names) await dbs[name]?.close();
    for (const name of names) await sql.raw(`drop database if exists ${prefix}_${name}`).execute(admin.kysely);
    await admin.close();
  }
}

await main();
