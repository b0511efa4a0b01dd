import type SQLite from 'better-sqlite3';
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import { anyChanged, bumpContentVersion, lockContent, markContentChanged, writeContent } from '../db/content-version.ts';
import type { Database } from '../db/schema.ts';
import { DEFER_SETTING, buildPendingSuggestKeys } from '../db/suggest-keys.ts';
import { dropSearchGin, ensureSearchGin } from '../db/search-gin.ts';
import { saveArxivRecords } from './save.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { importArxivRecords } from './arxiv-import.ts';
import { RecordProblem, count, emptySummary, refreshStatistics, reject, type ImportSummary } from './summary.ts';

/** Records per bulk transaction by default: large enough that per-transaction costs vanish, small enough to stay well inside the memory budget. */
export const BULK_BATCH = 5000;
/** Records per transaction of the ordinary path (papers already stored). */
const UPDATE_BATCH = 1000;

/**
 * A large import (`import snapshot`): new papers are written in bulk, without the
 * per-row search trigger; papers already stored go through `saveArxivRecords` (newest
 * version wins, identical changes nothing), so a re-run is idempotent. On SQLite each
 * bulk transaction writes its papers, author and category rows and their full-text rows
 * together: a kill leaves whole batches or nothing, never papers the index misses.
 * On PostgreSQL the same batches are set-wise INSERT … SELECT from arrays.
 */
export async function bulkImportArxivRecords(
  db: Db,
  items: AsyncIterable<ArxivRecord | RecordProblem> | Iterable<ArxivRecord | RecordProblem>,
  source: string,
  onBatch?: (seen: number) => void | Promise<void>,
  batchSize = BULK_BATCH,
): Promise<ImportSummary> {
  const native = db.sqlite;
  if (!native && db.dialect !== 'postgres') return importArxivRecords(db, items, source, onBatch);
  const summary = emptySummary();
  const loader = native ? new SqliteBulkLoader(native) : null;
  // PostgreSQL: once the import has added as many papers as the table held, its GIN index is
  // dropped and built once at the end (search-gin.ts): from there on a rebuild costs less than
  // keeping it row by row. Small imports into a large table keep it.
  const ginBudget = loader ? Infinity : Math.max(batchSize, await storedPapers(db));
  let added = 0;
  let ginDropped = false;
  let batch: ArxivRecord[] = [];
  let seen = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    const now = new Date().toISOString();
    const { inserted, skipped, rest } = loader ? loader.insertNew(records, now) : await db.kysely.transaction().execute((trx) => insertNewPostgres(trx, records, now));
    for (let i = 0; i < inserted; i++) count(summary, source, 'new');
    added += inserted;
    if (!ginDropped && added >= ginBudget) {
      await dropSearchGin(db.kysely);
      ginDropped = true;
    }
    for (let i = 0; i < skipped; i++) count(summary, source, 'unchanged');
    for (let i = 0; i < rest.length; i += UPDATE_BATCH) {
      const part = rest.slice(i, i + UPDATE_BATCH);
      const outcomes = await writeContent(db.kysely, (trx) => saveArxivRecords(trx, part, now), anyChanged);
      for (const o of outcomes) count(summary, source, o);
    }
    await onBatch?.(seen);
    // Let timers and I/O run between synchronous bulk transactions.
    await new Promise((resolve) => setImmediate(resolve));
  };
  const cacheSize = native?.pragma('cache_size', { simple: true }) as number;
  // A bigger page cache for the load only: the B-trees of a million rows no longer fit the default 2 MB.
  native?.pragma('cache_size = -65536');
  try {
    for await (const item of items) {
      seen++;
      if (item instanceof RecordProblem) {
        reject(summary, source, item.position, item.reason);
        continue;
      }
      batch.push(item);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    native?.pragma(`cache_size = ${cacheSize}`);
    if (ginDropped) await ensureSearchGin(db.kysely);
  }
  // The keys of the papers noted above (and of any a killed run left noted), set-wise in key order.
  await buildPendingSuggestKeys(db.kysely, db.dialect);
  await refreshStatistics(db, summary);
  return summary;
}

async function storedPapers(db: Db): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from papers`.execute(db.kysely);
  return Number(rows[0]!.n);
}

/** Within a batch, the last record of an id with the highest version counts, as in saveArxivRecords. */
function latestById(records: ArxivRecord[]): Map<string, ArxivRecord> {
  const byId = new Map<string, ArxivRecord>();
  for (const rec of records) {
    const seen = byId.get(rec.id);
    if (!seen || (rec.version ?? 0) >= (seen.version ?? 0)) byId.set(rec.id, rec);
  }
  return byId;
}

/**
 * PostgreSQL: the new papers of a batch, their authors and categories, one INSERT … SELECT
 * from unnest(arrays) per table; the generated tsvector and its GIN index are filled by those
 * statements, set-wise. Same contract as SqliteBulkLoader.insertNew.
 */
async function insertNewPostgres(trx: Transaction<Database>, records: ArxivRecord[], now: string): Promise<{ inserted: number; skipped: number; rest: ArxivRecord[] }> {
  const byId = latestById(records);
  const skipped = records.length - byId.size;
  await lockContent(trx);
  const ids = [...byId.keys()];
  const stored = new Set((await sql<{ id: string }>`select id from papers where id = any(${ids}::text[])`.execute(trx)).rows.map((r) => r.id));
  const fresh = [...byId.values()].filter((r) => !stored.has(r.id));
  const rest = [...byId.values()].filter((r) => stored.has(r.id));
  if (fresh.length === 0) return { inserted: 0, skipped, rest };
  // The suggest-key triggers skip this transaction's inserts; the papers are noted for the set-wise build at the end.
  await sql`select set_config(${DEFER_SETTING}, 'deferred', true)`.execute(trx);
  await sql`insert into suggest_keys_pending (paper_id) select * from unnest(${fresh.map((r) => r.id)}::text[])`.execute(trx);
  const col = <T>(f: (r: ArxivRecord) => T) => fresh.map(f);
  await sql`insert into papers (id, version, title, abstract, author_names, primary_category, published_at, updated_at, comment, journal_ref, doi, pdf_url,
      withdrawn_at, license, upvotes_source, upvotes, comments_source, trending_score, created_at, modified_at)
    select t.*, 0, 0, 0, 0, ${now}, ${now} from unnest(${col((r) => r.id)}::text[], ${col((r) => r.version)}::integer[], ${col((r) => r.title)}::text[],
      ${col((r) => r.abstract)}::text[], ${col((r) => r.authors.map((a) => a.name).join(', '))}::text[], ${col((r) => r.primaryCategory)}::text[],
      ${col((r) => r.publishedAt)}::text[], ${col((r) => r.updatedAt)}::text[], ${col((r) => r.comment)}::text[], ${col((r) => r.journalRef)}::text[],
      ${col((r) => r.doi)}::text[], ${col((r) => r.pdfUrl)}::text[], ${col((r) => r.withdrawnAt)}::text[], ${col((r) => r.license ?? null)}::text[]) as t`.execute(trx);
  const authors = fresh.flatMap((r) => r.authors.map((a, position) => ({ id: r.id, position, ...a })));
  await sql`insert into paper_authors (paper_id, position, name, affiliation, hidden)
    select t.*, 0 from unnest(${authors.map((a) => a.id)}::text[], ${authors.map((a) => a.position)}::integer[], ${authors.map((a) => a.name)}::text[],
      ${authors.map((a) => a.affiliation)}::text[]) as t`.execute(trx);
  const categories = fresh.flatMap((r) => [...new Set(r.categories)].map((c) => [r.id, c] as const));
  await sql`insert into paper_categories (paper_id, category)
    select * from unnest(${categories.map((c) => c[0])}::text[], ${categories.map((c) => c[1])}::text[])`.execute(trx);
  await bumpContentVersion(trx);
  return { inserted: fresh.length, skipped, rest };
}

/** The columns a new arXiv paper is inserted with, in order. */
const PAPER_COLUMNS = [
  'id', 'version', 'title', 'abstract', 'author_names', 'primary_category', 'published_at', 'updated_at', 'comment', 'journal_ref', 'doi', 'pdf_url',
  'withdrawn_at', 'license', 'upvotes_source', 'upvotes', 'comments_source', 'trending_score', 'created_at', 'modified_at',
] as const;
const AUTHOR_COLUMNS = ['paper_id', 'position', 'name', 'affiliation', 'hidden'] as const;
const CATEGORY_COLUMNS = ['paper_id', 'category'] as const;
/** Rows per multi-row INSERT (SQLite allows 32,766 bound values). */
const ROWS = 200;
/** The trigger that indexes each inserted paper (migration 006_search); the bulk load does its work set-wise. */
const INSERT_TRIGGER = 'papers_search_insert';
/** The triggers that add suggest keys per inserted row (migration 025); the bulk load notes its papers for buildPendingSuggestKeys instead. */
const SUGGEST_TRIGGERS = ['papers_suggest_insert', 'paper_authors_suggest_insert'];

/** Writes new papers on SQLite with prepared multi-row statements, their index rows in one statement per batch. */
class SqliteBulkLoader {
  private readonly statements = new Map<string, SQLite.Statement>();

  constructor(private readonly native: SQLite.Database) {}

  private statement(key: string, text: () => string): SQLite.Statement {
    let stmt = this.statements.get(key);
    if (!stmt) this.statements.set(key, (stmt = this.native.prepare(text())));
    return stmt;
  }

  private insertRows(table: string, columns: readonly string[], rows: unknown[][]): void {
    const tuple = `(${columns.map(() => '?').join(',')})`;
    for (let i = 0; i < rows.length; i += ROWS) {
      const part = rows.slice(i, i + ROWS);
      this.statement(`${table}:${part.length}`, () => `insert into ${table} (${columns.join(',')}) values ${Array(part.length).fill(tuple).join(',')}`).run(part.flat());
    }
  }

  /**
   * In one transaction: inserts the records whose papers are not stored yet, with their
   * authors, categories and full-text rows. Returns how many it inserted, how many it
   * skipped (an older or equal duplicate in the batch) and the records of stored papers.
   */
  insertNew(records: ArxivRecord[], now: string): { inserted: number; skipped: number; rest: ArxivRecord[] } {
    const byId = latestById(records);
    const skipped = records.length - byId.size;
    const run = this.native.transaction(() => {
      const stored = new Set(
        this.statement('stored', () => 'select id from papers where id in (select value from json_each(?))')
          .pluck()
          .all(JSON.stringify([...byId.keys()])) as string[],
      );
      const fresh = [...byId.values()].filter((r) => !stored.has(r.id));
      const rest = [...byId.values()].filter((r) => stored.has(r.id));
      if (fresh.length === 0) return { inserted: 0, skipped, rest };

      // Take the write lock and bump the content version first, as writeContent does.
      this.statement('bump', () => "update site_state set value = value + 1 where key = 'content_version'").run();
      const triggerSql = (name: string) => this.statement('trigger', () => "select sql from sqlite_master where type = 'trigger' and name = ?").pluck().get(name) as string | undefined;
      const trigger = triggerSql(INSERT_TRIGGER);
      // Dropped and re-created inside this transaction: no other connection ever sees the table without it.
      if (trigger) this.native.exec(`drop trigger ${INSERT_TRIGGER}`);
      // Likewise the suggest-key triggers: this batch's papers are noted instead, in this transaction, for the set-wise build.
      const suggestTriggers = SUGGEST_TRIGGERS.map(triggerSql).filter((t) => t !== undefined);
      for (const name of SUGGEST_TRIGGERS) this.native.exec(`drop trigger if exists ${name}`);
      this.statement('pending', () => 'insert into suggest_keys_pending (paper_id) select value from json_each(?)').run(JSON.stringify(fresh.map((r) => r.id)));
      const lastDoc = trigger ? (this.statement('last-doc', () => 'select coalesce(max(doc), 0) from paper_search_rows').pluck().get() as number) : 0;
      this.insertRows(
        'papers',
        PAPER_COLUMNS,
        fresh.map((r) => [
          r.id, r.version, r.title, r.abstract, r.authors.map((a) => a.name).join(', '), r.primaryCategory, r.publishedAt, r.updatedAt, r.comment, r.journalRef,
          r.doi, r.pdfUrl, r.withdrawnAt, r.license ?? null, 0, 0, 0, 0, now, now,
        ]),
      );
      if (trigger) {
        // What the trigger does per row: a key per paper in insertion order (newer papers larger keys), then the text of the visible ones.
        this.statement('keys', () => 'insert into paper_search_rows (paper_id) select value from json_each(?) order by key').run(JSON.stringify(fresh.map((r) => r.id)));
        this.statement('index', () =>
          `insert into paper_search (rowid, title, author_names, abstract)
            select r.doc, p.title, p.author_names, p.abstract from paper_search_rows r join papers p on p.id = r.paper_id
            where r.doc > ? and p.hidden_at is null order by r.doc`,
        ).run(lastDoc);
        this.native.exec(trigger);
      }
      this.insertRows('paper_authors', AUTHOR_COLUMNS, fresh.flatMap((r) => r.authors.map((a, i) => [r.id, i, a.name, a.affiliation, 0])));
      this.insertRows('paper_categories', CATEGORY_COLUMNS, fresh.flatMap((r) => [...new Set(r.categories)].map((c) => [r.id, c])));
      for (const t of suggestTriggers) this.native.exec(t);
      return { inserted: fresh.length, skipped, rest };
    });
    const result = run.immediate();
    if (result.inserted > 0) markContentChanged();
    return result;
  }
}
