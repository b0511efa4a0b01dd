import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Q = Kysely<Database>;

/** What the header's search box suggests while one types. */
export interface Suggestions {
  papers: { id: string; title: string }[];
  authors: { name: string; papers: number }[];
  organizations: { name: string; fullname: string }[];
}

/** `q` as a LIKE pattern's literal part: its wildcards escaped (with `escape '\'`). */
const literal = (q: string) => q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Papers whose title or a word of it starts with `q` (or whose id does), most upvoted first;
 * author names and organizations likewise. Small limited lookups, one query each; the page
 * cache keeps each answer until the content changes (web/page-cache.ts caches /api/ GETs).
 */
export async function suggestionsFor(db: Q, q: string, limit: number): Promise<Suggestions> {
  const start = `${literal(q)}%`;
  const word = `% ${literal(q)}%`;
  const [papers, authors, organizations] = await Promise.all([
    db
      .selectFrom('papers')
      .select(['id', 'title'])
      .where('hidden_at', 'is', null)
      .where((eb) => eb.or([sql<boolean>`lower(title) like ${start} escape '\\'`, sql<boolean>`lower(title) like ${word} escape '\\'`, sql<boolean>`id like ${start} escape '\\'`]))
      .orderBy('upvotes', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute(),
    db
      .selectFrom('paper_authors')
      .select(['name', (eb) => eb.fn.countAll<number | string>().as('papers')])
      .where('hidden', '=', 0)
      .where((eb) => eb.or([sql<boolean>`lower(name) like ${start} escape '\\'`, sql<boolean>`lower(name) like ${word} escape '\\'`]))
      .groupBy('name')
      .orderBy('papers', 'desc')
      .orderBy('name')
      .limit(limit)
      .execute(),
    db
      .selectFrom('organizations')
      .select(['name', 'fullname'])
      .where((eb) => eb.or([sql<boolean>`lower(name) like ${start} escape '\\'`, sql<boolean>`lower(fullname) like ${start} escape '\\'`, sql<boolean>`lower(fullname) like ${word} escape '\\'`]))
      .orderBy('fullname')
      .limit(limit)
      .execute(),
  ]);
  return { papers, authors: authors.map((a) => ({ name: a.name, papers: Number(a.papers) })), organizations };
}
