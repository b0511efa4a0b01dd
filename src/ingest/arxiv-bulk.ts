import type SQLite from 'better-sqlite3';
import type { Db } from '../db/database.ts';
import { anyChanged, markContentChanged, writeContent } from '../db/content-version.ts';
import { saveArxivRecords } from './save.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { importArxivRecords } from './arxiv-import.ts';
import { RecordProblem, count, emptySummary, refreshStatistics, reject, type ImportSummary } from './summary.ts';

/** Records per bulk transaction: large enough that per-transaction costs vanish, small enough to stay well inside the memory budget. */
const BULK = 5000;
/** Records per transaction of the ordinary path (papers already stored). */
const UPDATE_BATCH = 1000;

/**
 * A large import (`import snapshot`): new papers are written in bulk, without the
 * per-row search trigger; papers already stored go through `saveArxivRecords` (newest
 * version wins, identical changes nothing), so a re-run is idempotent. On SQLite each
 * bulk transaction writes its papers, author and category rows and their full-text rows
 * together: a kill leaves whole batches or nothing, never papers the index misses.
 */
export async function bulkImportArxivRecords(
  db: Db,
  items: AsyncIterable<ArxivRecord | RecordProblem> | Iterable<ArxivRecord | RecordProblem>,
  source: string,
  onBatch?: (seen: number) => void,
): Promise<ImportSummary> {
  const native = db.sqlite;
  if (!native) return importArxivRecords(db, items, source, onBatch);
  const summary = emptySummary();
  const loader = new SqliteBulkLoader(native);
  let batch: ArxivRecord[] = [];
  let seen = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    const now = new Date().toISOString();
    const { inserted, skipped, rest } = loader.insertNew(records, now);
    for (let i = 0; i < inserted; i++) count(summary, source, 'new');
    for (let i = 0; i < skipped; i++) count(summary, source, 'unchanged');
    for (let i = 0; i < rest.length; i += UPDATE_BATCH) {
      const part = rest.slice(i, i + UPDATE_BATCH);
      const outcomes = await writeContent(db.kysely, (trx) => saveArxivRecords(trx, part, now), anyChanged);
      for (const o of outcomes) count(summary, source, o);
    }
    onBatch?.(seen);
    // Let timers and I/O run between synchronous bulk transactions.
    await new Promise((resolve) => setImmediate(resolve));
  };
  const cacheSize = native.pragma('cache_size', { simple: true }) as number;
  // A bigger page cache for the load only: the B-trees of a million rows no longer fit the default 2 MB.
  native.pragma('cache_size = -65536');
  try {
    for await (const item of items) {
      seen++;
      if (item instanceof RecordProblem) {
        reject(summary, source, item.position, item.reason);
        continue;
      }
      batch.push(item);
      if (batch.length >= BULK) await flush();
    }
    await flush();
  } finally {
    native.pragma(`cache_size = ${cacheSize}`);
  }
  await refreshStatistics(db, summary);
  return summary;
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
    // Within a batch, the last record of an id with the highest version counts, as in saveArxivRecords.
    const byId = new Map<string, ArxivRecord>();
    for (const rec of records) {
      const seen = byId.get(rec.id);
      if (!seen || (rec.version ?? 0) >= (seen.version ?? 0)) byId.set(rec.id, rec);
    }
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
      const trigger = this.statement('trigger', () => "select sql from sqlite_master where type = 'trigger' and name = ?").pluck().get(INSERT_TRIGGER) as string | undefined;
      // Dropped and re-created inside this transaction: no other connection ever sees the table without it.
      if (trigger) this.native.exec(`drop trigger ${INSERT_TRIGGER}`);
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
      return { inserted: fresh.length, skipped, rest };
    });
    const result = run.immediate();
    if (result.inserted > 0) markContentChanged();
    return result;
  }
}
