import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

type Q = Kysely<Database>;

/** What the header's search box suggests while one types. */
export interface Suggestions {
  papers: { id: string; title: string }[];
  authors: { name: string; papers: number }[];
  organizations: { name: string; fullname: string }[];
}

/** How many characters of a word start the keys keep (migration 025); a longer query is checked against the text. */
const KEY_LENGTH = 48;

/**
 * The range of keys that start with `prefix`: [prefix, prefix with its last character's
 * successor). Both databases order the keys by code point (SQLite's binary collation,
 * PostgreSQL's "C"), so this is exactly "starts with", and a range scan of the key index.
 */
function prefixRange(prefix: string): [string, string] {
  const chars = [...prefix];
  const last = chars.pop()!.codePointAt(0)!;
  return [prefix, chars.join('') + String.fromCodePoint(Math.min(last + 1, 0x10ffff))];
}

/**
 * `q` as the keys hold it: lowered as the database lowers (SQLite's lower() knows only ASCII
 * letters), whitespace as single spaces.
 */
function keyOf(q: string, dialect: Dialect): string {
  const spaced = q.trim().replace(/\s+/g, ' ');
  return dialect === 'postgres' ? spaced.toLowerCase() : spaced.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * Papers whose title or a word of it starts with `q` (or whose id does), most upvoted first;
 * author names and organizations likewise. One range scan of suggest_keys each (kept by
 * triggers, migration 025), never a scan of the tables; the page cache keeps each answer until
 * the content changes (web/page-cache.ts caches /api/ GETs).
 */
export async function suggestionsFor(db: Q, dialect: Dialect, q: string, limit: number): Promise<Suggestions> {
  const queries = suggestionQueries(db, dialect, q, limit);
  const [papers, authors, organizations] = await Promise.all([queries.papers.execute(), queries.authors.execute(), queries.organizations.execute()]);
  return { papers, authors: authors.map((a) => ({ name: a.name, papers: Number(a.papers) })), organizations };
}

/** The three lookups of suggestionsFor, unexecuted (the tests read their plans). */
export function suggestionQueries(db: Q, dialect: Dialect, q: string, limit: number) {
  const key = keyOf(q, dialect);
  const [from, to] = prefixRange(key.slice(0, KEY_LENGTH));
  // Past the keys' length, the range finds candidates and the text decides.
  const long = [...key].length > KEY_LENGTH;
  const escaped = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
  const startsWord = (column: string) =>
    sql<boolean>`(lower(${sql.ref(column)}) like ${`${escaped(key)}%`} escape '\\' or lower(${sql.ref(column)}) like ${`% ${escaped(key)}%`} escape '\\')`;
  const keyed = (kind: 'paper' | 'author' | 'organization') =>
    db.selectFrom('suggest_keys').select('target').where('kind', '=', kind).where('key', '>=', from).where('key', '<', to);
  // An id's start: PostgreSQL's LIKE takes the text_pattern_ops index (migration 025), SQLite's binary-ordered key a range.
  const [idFrom, idTo] = prefixRange(q.trim());
  const byId = db
    .selectFrom('papers')
    .select('id as target')
    .where((eb) => (dialect === 'postgres' ? sql<boolean>`id like ${`${escaped(q.trim())}%`} escape '\\'` : eb.and([eb('id', '>=', idFrom), eb('id', '<', idTo)])));
  return {
    papers: db
      .selectFrom('papers')
      .select(['id', 'title'])
      .where('hidden_at', 'is', null)
      .where('id', 'in', keyed('paper').union(byId))
      .$if(long, (qb) => qb.where(startsWord('title')))
      .orderBy('upvotes', 'desc')
      .orderBy('id')
      .limit(limit),
    authors: db
      .selectFrom('paper_authors')
      .select(['name', (eb) => eb.fn.countAll<number | string>().as('papers')])
      .where('hidden', '=', 0)
      .where('name', 'in', keyed('author'))
      .$if(long, (qb) => qb.where(startsWord('name')))
      .groupBy('name')
      .orderBy('papers', 'desc')
      .orderBy('name')
      .limit(limit),
    organizations: db
      .selectFrom('organizations')
      .select(['name', 'fullname'])
      .where('name', 'in', keyed('organization'))
      .$if(long, (qb) => qb.where((eb) => eb.or([startsWord('name'), startsWord('fullname')])))
      .orderBy('fullname')
      .limit(limit),
  };
}
