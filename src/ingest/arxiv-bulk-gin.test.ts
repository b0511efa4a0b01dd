import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest, type Db } from '../db/database.ts';
import { FIXTURES, freshDb, hasFixtures, testDialect } from '../../test/helpers.ts';
import { bulkImportArxivRecords } from './arxiv-bulk.ts';
import { parseSnapshotLine } from './arxiv-snapshot.ts';
import type { ArxivRecord } from './arxiv-record.ts';

// PostgreSQL: a bulk import that adds as many papers as the table held drops the GIN index on
// search_vector and builds it once at its end; whoever finds it missing or invalid builds it
// again (search-gin.ts, decision 040).
const ABS_RECORDS = path.join(FIXTURES, 'corpus/arxiv_browse_abs_records_with_abstracts.jsonl');

function records(): ArxivRecord[] {
  return fs
    .readFileSync(ABS_RECORDS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const r = JSON.parse(l) as { id: string; title: string; authors: string; abstract: string; categories: string[]; versions: { version: string; date: string }[] };
      const line = { id: r.id, authors: r.authors, title: r.title, abstract: r.abstract, categories: r.categories.join(' '), versions: r.versions.map((v) => ({ version: v.version, created: v.date })) };
      return parseSnapshotLine(JSON.stringify(line), `line ${i + 1}`) as ArxivRecord;
    });
}

/** The GIN index's state: absent, or whether PostgreSQL may use it. */
async function gin(db: Db): Promise<'absent' | 'valid' | 'invalid'> {
  const { rows } = await sql<{ valid: boolean }>`select i.indisvalid as valid from pg_index i where i.indexrelid = to_regclass('papers_search')`.execute(db.kysely);
  return rows.length === 0 ? 'absent' : rows[0]!.valid ? 'valid' : 'invalid';
}

/** Papers a full-text query finds through the index (sequential scans off, so a missing index would show). */
async function found(db: Db, word: string): Promise<number> {
  return db.kysely.transaction().execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    const { rows } = await sql<{ n: string }>`select count(*) as n from papers where search_vector @@ to_tsquery('english', ${word})`.execute(trx);
    return Number(rows[0]!.n);
  });
}

describe.runIf(testDialect === 'postgres' && hasFixtures)('the GIN index around a bulk import (PostgreSQL)', () => {
  it('is dropped while an import doubles the table and built again at its end, the same index', async () => {
    const db = await freshDb();
    try {
      const all = records();
      await bulkImportArxivRecords(db, all.slice(0, 300), 'snapshot');
      const seen: string[] = [];
      await bulkImportArxivRecords(db, all.slice(300), 'snapshot', async () => void seen.push(await gin(db)), 100);
      // Kept while the import has added fewer papers than the 300 stored, dropped once it has added as many.
      expect(seen).toEqual(['valid', 'valid', ...Array(seen.length - 2).fill('absent')]);
      expect(seen.length).toBeGreaterThan(3);
      expect(await gin(db)).toBe('valid');
      const plan = await db.kysely.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        return (await sql<{ 'QUERY PLAN': string }>`explain select id from papers where search_vector @@ to_tsquery('english', 'galaxy')`.execute(trx)).rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan).toContain('papers_search');
      const direct = Number((await sql<{ n: string }>`select count(*) as n from papers where search_vector @@ to_tsquery('english', 'galaxy')`.execute(db.kysely)).rows[0]!.n);
      expect(direct).toBeGreaterThan(0);
      expect(await found(db, 'galaxy')).toBe(direct);
    } finally {
      await db.close();
    }
  });

  it('is kept, row by row, by a small import into a larger table', async () => {
    const db = await freshDb();
    try {
      const all = records();
      const cut = all.length - 40;
      await bulkImportArxivRecords(db, all.slice(0, cut), 'snapshot');
      const seen: string[] = [];
      await bulkImportArxivRecords(db, all.slice(cut), 'snapshot', async () => void seen.push(await gin(db)), 10);
      expect(seen.length).toBeGreaterThan(2);
      expect(new Set(seen)).toEqual(new Set(['valid']));
    } finally {
      await db.close();
    }
  });

  it('missing or left invalid (an import or a build killed midway), it is built by the next migrate', async () => {
    const db = await freshDb();
    try {
      await bulkImportArxivRecords(db, records().slice(0, 50), 'snapshot');
      const expected = await found(db, 'galaxy');
      // A kill after the import dropped it.
      await sql`drop index papers_search`.execute(db.kysely);
      expect(await migrateToLatest(db)).toEqual([]);
      expect(await gin(db)).toBe('valid');
      expect(await found(db, 'galaxy')).toBe(expected);
      // A kill during `create index concurrently` leaves the index in the catalog, marked invalid.
      await sql`update pg_index set indisvalid = false where indexrelid = 'papers_search'::regclass`.execute(db.kysely);
      expect(await gin(db)).toBe('invalid');
      await migrateToLatest(db);
      expect(await gin(db)).toBe('valid');
      expect(await found(db, 'galaxy')).toBe(expected);
    } finally {
      await db.close();
    }
  });
});
