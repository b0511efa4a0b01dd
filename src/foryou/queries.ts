import { setImmediate as breathe } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { authorsOfPapers, categoriesOfPapers } from '../papers/queries.ts';
import type { SignalKind } from './model.ts';
import { savedPaperIds } from '../library/queries.ts';

type Q = Kysely<Database>;

/** A paper's text and who made it, as for-you reads it. */
export interface PaperText {
  id: string;
  title: string;
  abstract: string;
  publishedAt: string;
  modifiedAt: string;
  upvotes: number;
  organization: string | null;
  authors: string[];
  categories: string[];
}

/**
 * Papers per query when reading many (the candidate pool reads 20,000). Each query is a synchronous
 * stretch on SQLite, and the event loop is let through between them, so that pages asked for while
 * the pool is read are served meanwhile: at 1M papers the pool's reads held the loop 1.2 s in one go
 * (its one query of 20,000 heads alone takes about 0.15 s).
 */
const CHUNK = 1000;

/** A paper as for-you reads it, but its abstract. */
export type PaperHead = Omit<PaperText, 'abstract'>;

/** Visible papers published on or after `since`, newest first, at most `max`: for-you's candidates (their abstracts: abstractsOf). */
export async function recentPapers(db: Q, since: string, max: number): Promise<PaperHead[]> {
  const rows = await db
    .selectFrom('papers as p')
    .leftJoin('organizations as o', 'o.id', 'p.organization_id')
    .select(['p.id', 'p.title', 'p.published_at', 'p.modified_at', 'p.upvotes', 'o.name as organization'])
    .where('p.hidden_at', 'is', null)
    .where('p.published_at', '>=', since)
    .orderBy('p.published_at', 'desc')
    .limit(max)
    .execute();
  await breathe();
  return withPeople(db, rows);
}

/** These papers (hidden or not), in no particular order. */
export async function papersText(db: Q, ids: string[]): Promise<PaperText[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('papers as p')
    .leftJoin('organizations as o', 'o.id', 'p.organization_id')
    .select(['p.id', 'p.title', 'p.abstract', 'p.published_at', 'p.modified_at', 'p.upvotes', 'o.name as organization'])
    .where('p.id', 'in', ids)
    .execute();
  return withPeople(db, rows);
}

/** These papers' abstracts, by id. */
export async function abstractsOf(db: Q, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    if (i > 0) await breathe();
    const rows = await db.selectFrom('papers').select(['id', 'abstract']).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.id, r.abstract);
  }
  return out;
}

type Row = { id: string; title: string; abstract?: string; published_at: string; modified_at: string; upvotes: number; organization: string | null };

async function withPeople(db: Q, rows: Row[]): Promise<PaperText[]> {
  const out: PaperText[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    if (i > 0) await breathe();
    const chunk = rows.slice(i, i + CHUNK);
    const ids = chunk.map((r) => r.id);
    const [authors, categories] = await Promise.all([authorsOfPapers(db, ids), categoriesOfPapers(db, ids)]);
    for (const r of chunk) {
      out.push({
        id: r.id,
        title: r.title,
        abstract: r.abstract ?? '',
        publishedAt: r.published_at,
        modifiedAt: r.modified_at,
        upvotes: Number(r.upvotes),
        organization: r.organization,
        authors: (authors.get(r.id) ?? []).filter((a) => !a.hidden).map((a) => a.name),
        categories: categories.get(r.id) ?? [],
      });
    }
  }
  return out;
}

/** Most signals a model learns from: the reader's latest. */
export const MAX_SIGNALS = 500;

/** What the reader did to papers that for-you learns from: saves, upvotes and hides, each newest first. */
export async function readerSignals(db: Q, userId: number): Promise<{ kind: SignalKind; paperId: string }[]> {
  const [saved, upvotes, hidden] = await Promise.all([
    savedPaperIds(db, userId),
    db.selectFrom('upvotes').select('paper_id').where('user_id', '=', userId).orderBy('created_at', 'desc').limit(MAX_SIGNALS).execute(),
    db.selectFrom('paper_marks').select('paper_id').where('user_id', '=', userId).where('hidden_at', 'is not', null).orderBy('hidden_at', 'desc').limit(MAX_SIGNALS).execute(),
  ]);
  return [
    ...saved.slice(0, MAX_SIGNALS).map((paperId) => ({ kind: 'save' as const, paperId })),
    ...upvotes.map((r) => ({ kind: 'upvote' as const, paperId: r.paper_id })),
    ...hidden.map((r) => ({ kind: 'hide' as const, paperId: r.paper_id })),
  ];
}

/** Which of these papers no moderator hid. */
export async function visibleAmong(db: Q, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('papers').select('id').where('id', 'in', ids).where('hidden_at', 'is', null).execute();
  return new Set(rows.map((r) => r.id));
}

/** The version of the reader's stored model; undefined when none is stored. */
export async function storedModelVersion(db: Q, userId: number): Promise<number | undefined> {
  const row = await db.selectFrom('reader_models').select('version').where('user_id', '=', userId).executeTakeFirst();
  return row === undefined ? undefined : Number(row.version);
}

/** The reader's stored model and its version. */
export async function storedModel(db: Q, userId: number): Promise<{ version: number; model: string } | undefined> {
  const row = await db.selectFrom('reader_models').select(['version', 'model']).where('user_id', '=', userId).executeTakeFirst();
  return row && { version: Number(row.version), model: row.model };
}

/**
 * Stores the reader's model as version `from + 1` if the stored one is still `from` (0: none
 * stored): false when another instance stored one first.
 */
export async function storeModel(db: Q, userId: number, from: number, model: string): Promise<boolean> {
  const now = new Date().toISOString();
  if (from === 0) {
    const inserted = await db
      .insertInto('reader_models')
      .values({ user_id: userId, version: 1, model, updated_at: now })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .returning('user_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }
  const result = await db.updateTable('reader_models').set({ version: from + 1, model, updated_at: now }).where('user_id', '=', userId).where('version', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
