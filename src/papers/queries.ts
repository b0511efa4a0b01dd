import type { Kysely, Transaction } from 'kysely';
import type { Database, ImportedIdentity, Organization, Paper, PaperAuthor, User } from '../db/schema.ts';

type Q = Kysely<Database> | Transaction<Database>;

/** The paper with this arXiv id, or undefined. */
export function paperById(db: Q, id: string): Promise<Paper | undefined> {
  return db.selectFrom('papers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Authors of many papers in one query, grouped by paper and in order. */
export async function authorsOfPapers(db: Q, paperIds: string[]): Promise<Map<string, PaperAuthor[]>> {
  const byPaper = new Map<string, PaperAuthor[]>(paperIds.map((id) => [id, []]));
  if (paperIds.length === 0) return byPaper;
  const rows = await db
    .selectFrom('paper_authors')
    .selectAll()
    .where('paper_id', 'in', paperIds)
    .orderBy('paper_id')
    .orderBy('position')
    .execute();
  for (const row of rows) byPaper.get(row.paper_id)!.push(row);
  return byPaper;
}

/** Categories of many papers in one query. */
export async function categoriesOfPapers(db: Q, paperIds: string[]): Promise<Map<string, string[]>> {
  const byPaper = new Map<string, string[]>(paperIds.map((id) => [id, []]));
  if (paperIds.length === 0) return byPaper;
  const rows = await db.selectFrom('paper_categories').selectAll().where('paper_id', 'in', paperIds).execute();
  for (const row of rows) byPaper.get(row.paper_id)!.push(row.category);
  return byPaper;
}

/** Organizations by id, one query. */
export async function organizationsById(db: Q, ids: (number | null)[]): Promise<Map<number, Organization>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('organizations').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Users by id, one query. */
export async function usersById(db: Q, ids: (number | null)[]): Promise<Map<number, User>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('users').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Imported identities (imported_users) by id, one query. */
export async function importedIdentitiesById(db: Q, ids: (number | null)[]): Promise<Map<number, ImportedIdentity>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('imported_users').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r]));
}
