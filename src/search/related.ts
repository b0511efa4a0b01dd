import { sql } from 'kysely';
import { stemmer } from 'stemmer';
import type { Db } from '../db/database.ts';
import { writeContent } from '../db/content-version.ts';
import { tokensOf } from './query.ts';

/**
 * Related papers, "more like this": the paper's most distinctive words (frequent in
 * it, rare in the corpus: tf × idf over title and abstract, title words counted
 * thrice), looked up with an OR query in the search index and ranked by relevance
 * there (docs/decisions/009-search.md).
 *
 * Document frequencies come from what each database already keeps: on SQLite an
 * `fts5vocab` view of the index (a temporary table of the connection, so no schema
 * to migrate or copy); on PostgreSQL the planner's statistics of the tsvector column
 * (`pg_stats.most_common_elems`, which ANALYZE and autovacuum keep), where a word
 * that is not listed is rarer than every listed one. Words in more than
 * MAX_DF_SHARE of the papers say little about a topic; see choose() for how the
 * work stays bounded.
 */
export const RELATED_TERMS = 12;
export const DEFAULT_RELATED = 6;
export const MAX_RELATED = 50;
const MAX_DF_SHARE = 0.2;
const POSTINGS_BUDGET = 3000;
const TITLE_BOOST = 3;
// The database's best matches, ordered again by rerank().
const RERANK_POOL = 40;
const BM25_K1 = 1.2;
const BM25_B = 0.75;
// BM25 weights of title, authors and abstract: authors are no part of a paper's topic.
const FTS_WEIGHTS = sql.raw('3.0, 0.0, 1.0');

/** One word of the paper as the index spells it, with how often the paper uses it. */
interface PaperTerm {
  /** The index's form: FTS5's Porter stem on SQLite, the lexeme on PostgreSQL. */
  key: string;
  /** What to put in a query: a word of the paper that the index reduces to `key`. */
  word: string;
  /** Occurrences, those in the title counted TITLE_BOOST times. */
  tf: number;
}

interface ChosenTerm extends PaperTerm {
  idf: number;
}

/** How many related papers are stored per paper: what its page shows, and the API's default. */
export const STORED_RELATED = DEFAULT_RELATED;

/**
 * A paper's related papers as stored (migration 014): one indexed read. A paper whose list was
 * never computed, or was marked to do again, has it computed and stored first (once: the next read
 * finds the rows). Papers hidden since may be among them: the caller drops hidden ones.
 */
export async function storedRelatedPapers(db: Db, paperId: string): Promise<string[]> {
  const rows = await db.kysely
    .selectFrom('papers as p')
    .leftJoin('related_papers as r', 'r.paper_id', 'p.id')
    .select(['p.related_at', 'r.related_id'])
    .where('p.id', '=', paperId)
    .orderBy('r.rank')
    .execute();
  if (rows.length === 0) return [];
  if (rows[0]!.related_at !== null) return rows.flatMap((r) => (r.related_id ? [r.related_id] : []));
  return refreshRelatedPaper(db, paperId);
}

/**
 * Computes a paper's related papers and stores them. Its neighbours whose lists were computed
 * before it arrived could not consider it: they are marked to do again (which ends, since a list
 * computed now postdates every paper there is).
 */
export async function refreshRelatedPaper(db: Db, paperId: string): Promise<string[]> {
  return (await storeRelatedPaper(db, paperId)).ids;
}

/** refreshRelatedPaper, telling also whether the stored list is not what it was. */
async function storeRelatedPaper(db: Db, paperId: string): Promise<{ ids: string[]; changed: boolean }> {
  const ids = await relatedPapers(db, paperId, STORED_RELATED);
  const now = new Date().toISOString();
  let changed = false;
  await db.kysely.transaction().execute(async (trx) => {
    // A write first: on SQLite a transaction that reads before it writes fails at once ("database
    // is locked", no busy wait) when another process wrote in between.
    const was = await trx.deleteFrom('related_papers').where('paper_id', '=', paperId).returning(['rank', 'related_id']).execute();
    const paper = await trx.selectFrom('papers').select('created_at').where('id', '=', paperId).executeTakeFirst();
    if (!paper) return;
    const before = was.sort((a, b) => a.rank - b.rank).map((r) => r.related_id);
    changed = before.length !== ids.length || before.some((id, i) => id !== ids[i]);
    if (ids.length > 0) {
      await trx
        .insertInto('related_papers')
        .values(ids.map((related_id, rank) => ({ paper_id: paperId, rank, related_id })))
        // Another process storing the same paper's list at once.
        .onConflict((oc) => oc.columns(['paper_id', 'rank']).doUpdateSet((eb) => ({ related_id: eb.ref('excluded.related_id') })))
        .execute();
      await trx.updateTable('papers').set({ related_at: null }).where('id', 'in', ids).where('related_at', '<', paper.created_at).execute();
    }
    await trx.updateTable('papers').set({ related_at: now }).where('id', '=', paperId).execute();
  });
  return { ids, changed };
}

export interface RelatedBacklogSummary {
  /** Papers whose related papers this run computed. */
  computed: number;
  /** Visible papers still to do. */
  remaining: number;
}

/** Papers read from the backlog at a time. */
const BACKLOG_PAGE = 100;
/** A backlog this large is a bulk import: PostgreSQL's word statistics are refreshed first (see lexemeFrequencies). */
const ANALYZE_BACKLOG = 1000;

/**
 * Computes the related papers of every visible paper marked to do (new, reworded, or a neighbour
 * of a newer paper), newest first; stops at `deadline` (ms since the epoch) or after `limit`.
 * The backlog is read from the table, so any process can work it and a stopped run loses nothing.
 */
export async function relatedBacklog(db: Db, opts: { limit?: number; deadline?: number; onProgress?: (computed: number) => void } = {}): Promise<RelatedBacklogSummary> {
  let computed = 0;
  if (db.dialect === 'postgres' && (await relatedRemaining(db)) >= ANALYZE_BACKLOG) await sql`analyze papers`.execute(db.kysely);
  for (;;) {
    const page = await db.kysely
      .selectFrom('papers')
      .select('id')
      .where('related_at', 'is', null)
      .where('hidden_at', 'is', null)
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(BACKLOG_PAGE)
      .execute();
    if (page.length === 0) break;
    let changed = false;
    try {
      for (const { id } of page) {
        if ((opts.limit !== undefined && computed >= opts.limit) || (opts.deadline !== undefined && Date.now() >= opts.deadline)) {
          return { computed, remaining: await relatedRemaining(db) };
        }
        if ((await storeRelatedPaper(db, id)).changed) changed = true;
        computed++;
        // better-sqlite3 answers synchronously: without a turn of the event loop between papers, a
        // server working its backlog would answer no request until the whole backlog was done.
        await new Promise((resolve) => setImmediate(resolve));
        opts.onProgress?.(computed);
      }
    } finally {
      // Pages kept by content version show related papers: one bump per batch that changed a list
      // (not per paper, so a long backlog does not empty every cache a hundred times over).
      if (changed) await writeContent(db.kysely, async () => true, () => true, { papersOnly: true });
    }
  }
  return { computed, remaining: await relatedRemaining(db) };
}

/** Visible papers whose related papers are to compute. */
export async function relatedRemaining(db: Db): Promise<number> {
  const row = await db.kysely
    .selectFrom('papers')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('related_at', 'is', null)
    .where('hidden_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One line for logs and the CLI: what a run did. */
export function describeRelatedRun(s: RelatedBacklogSummary): string {
  return `related papers of ${s.computed} paper(s) computed, ${s.remaining} remaining`;
}

/** Ids of up to `limit` visible papers most like this one, best first; [] for an unknown paper. */
export async function relatedPapers(db: Db, paperId: string, limit = DEFAULT_RELATED): Promise<string[]> {
  const n = Math.min(MAX_RELATED, Math.max(1, Math.floor(limit)));
  if (db.dialect === 'postgres') {
    const terms = choose(await lexemesOfPaper(db, paperId), await lexemeFrequencies(db));
    if (terms.length === 0) return [];
    // One GIN lookup per word, each answered by the index alone: the papers sharing the most (by weight) of
    // the words make the pool. One query ORing the words would be planned as a scan reading every paper's
    // tsvector once it matches a fifth of them; ranking every match with ts_rank reads theirs too.
    const matches = sql.join(
      terms.map(
        (t) => sql`select id, ${weightOf(t)}::float8 as weight from papers
          where search_vector @@ ${`'${t.key}'`}::tsquery and hidden_at is null and id <> ${paperId}`,
      ),
      sql` union all `,
    );
    // The pool's words, read from their tsvectors, for rerank() to weigh as the SQLite side does.
    const { rows } = await sql<{ id: string; lexeme: string | null; tf: number; length: number }>`
      with pool as (
        select id, sum(weight) as score from (${matches}) m group by id order by score desc, id limit ${RERANK_POOL})
      select p.id, t.lexeme,
        ${TITLE_BOOST} * cardinality(array_positions(t.weights, 'A')) + cardinality(array_positions(t.weights, 'C')) as tf,
        sum(${TITLE_BOOST} * cardinality(array_positions(t.weights, 'A')) + cardinality(array_positions(t.weights, 'C'))) over (partition by p.id) as length
      from pool join papers p on p.id = pool.id, unnest(p.search_vector) t`.execute(db.kysely);
    const wanted = new Set(terms.map((t) => t.key));
    const byId = new Map<string, Candidate>();
    for (const r of rows) {
      const candidate = byId.get(r.id) ?? { id: r.id, counts: new Map(), length: Number(r.length) };
      if (r.lexeme && wanted.has(r.lexeme) && Number(r.tf) > 0) candidate.counts.set(r.lexeme, Number(r.tf));
      byId.set(r.id, candidate);
    }
    return rerank(terms, [...byId.values()]).slice(0, n);
  }
  const paper = await db.kysely.selectFrom('papers').select(['title', 'abstract']).where('id', '=', paperId).executeTakeFirst();
  if (!paper) return [];
  const own = stemsOf(paper.title, paper.abstract);
  const frequencies = await stemFrequencies(db, own.map((t) => t.key));
  // The counts are exact here: a stem the index lacks (our stemmer and FTS5's disagree on a rare word) would match nothing.
  const terms = choose(own.filter((t) => frequencies.df.has(t.key)), frequencies);
  if (terms.length === 0) return [];
  // Words hold only letters, digits and marks (tokensOf), so quoting them keeps them plain words. No column
  // filter ({title abstract}): it costs FTS5 a second pass; the authors' weight of 0 keeps them out of the score.
  const match = terms.map((t) => `"${t.word}"`).join(' OR ');
  // Ranked inside FTS5 first (joined before ranking, SQLite would score each match through the join: 5× slower).
  // Hidden papers are not in the index; the join checks again.
  const { rows } = await sql<{ id: string; title: string; abstract: string }>`
    select p.id, p.title, p.abstract from (
      select rowid as doc, bm25(paper_search, ${FTS_WEIGHTS}) as score from paper_search
      where paper_search match ${match} order by score limit ${RERANK_POOL + 1}) m
    join paper_search_rows r on r.doc = m.doc
    join papers p on p.id = r.paper_id
    where p.id <> ${paperId} and p.hidden_at is null and m.score < 0
    order by m.score, p.id`.execute(db.kysely);
  const wanted = new Set(terms.map((t) => t.key));
  const candidates = rows.map((r) => {
    const words = stemsOf(r.title, r.abstract);
    return { id: r.id, counts: new Map(words.filter((w) => wanted.has(w.key)).map((w) => [w.key, w.tf])), length: words.reduce((sum, w) => sum + w.tf, 0) };
  });
  return rerank(terms, candidates).slice(0, n);
}

/**
 * Orders the database's best matches by how much of the paper's vocabulary each shares, each
 * word weighing its idf times how much the paper uses it (BM25 treats every query word
 * alike, so one rare word repeated would otherwise outrank a paper on the same topic).
 */
function rerank(terms: ChosenTerm[], candidates: Candidate[]): string[] {
  const weights = new Map(terms.map((t) => [t.key, weightOf(t)]));
  const averageLength = candidates.reduce((sum, c) => sum + c.length, 0) / Math.max(1, candidates.length) || 1;
  const score = (c: Candidate) => {
    let total = 0;
    for (const [key, tf] of c.counts) {
      const weight = weights.get(key) ?? 0;
      total += (weight * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * c.length) / averageLength));
    }
    return total;
  };
  return candidates
    .map((c) => ({ id: c.id, score: score(c) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .map((c) => c.id);
}

/** How much sharing a word says: its idf, and more for a word the paper uses more. */
function weightOf(t: ChosenTerm): number {
  return t.idf * (1 + Math.log(t.tf));
}

/** A paper the database found, as rerank() sees it. */
interface Candidate {
  id: string;
  /** How often it uses each chosen word (title words counted TITLE_BOOST times). */
  counts: Map<string, number>;
  /** Its words in all, counted the same way. */
  length: number;
}

/** How many papers hold each word, as far as the database knows. */
interface Frequencies {
  /** Papers in the index; 0 when unknown. */
  docs: number;
  df: Map<string, number>;
  /** The count to assume for a word `df` lacks. */
  unlisted: number;
}

/**
 * The RELATED_TERMS words with the highest tf × idf. Words in more than MAX_DF_SHARE of
 * the papers are skipped, and so is any word that would take the papers the query
 * touches past POSTINGS_BUDGET: that bounds the ranking work at any corpus size.
 */
function choose(terms: PaperTerm[], f: Frequencies): ChosenTerm[] {
  const scored = terms
    .map((t) => {
      const df = f.df.get(t.key) ?? f.unlisted;
      // BM25's idf; every word alike when nothing is known.
      const idf = f.docs > 0 ? Math.log(1 + (f.docs - df + 0.5) / (df + 0.5)) : 1;
      return { ...t, df, idf };
    })
    .filter((t) => f.docs === 0 || t.df <= MAX_DF_SHARE * f.docs)
    .sort((a, b) => b.tf * b.idf - a.tf * a.idf || (a.key < b.key ? -1 : 1));
  const chosen: ChosenTerm[] = [];
  let postings = 0;
  for (const { df, ...term } of scored) {
    if (chosen.length === RELATED_TERMS) break;
    if (postings + df > POSTINGS_BUDGET) continue;
    postings += df;
    chosen.push(term);
  }
  return chosen;
}

// ---------------------------------------------------------------- SQLite

/** The paper's words as FTS5's `porter` tokenizer indexes them, stopwords and short words left out. */
function stemsOf(title: string, abstract: string): PaperTerm[] {
  const byStem = new Map<string, PaperTerm & { words: Map<string, number> }>();
  const add = (text: string, weight: number) => {
    for (const token of tokensOf(text)) {
      if (token.length < 2 || /^\d+$/.test(token) || STOPWORDS.has(token)) continue;
      const key = stemOf(token);
      const entry = byStem.get(key) ?? { key, word: token, tf: 0, words: new Map() };
      entry.tf += weight;
      entry.words.set(token, (entry.words.get(token) ?? 0) + 1);
      byStem.set(key, entry);
    }
  };
  add(title, TITLE_BOOST);
  add(stripLatex(abstract), 1);
  return [...byStem.values()].map(({ key, tf, words }) => ({ key, tf, word: [...words].sort((a, b) => b[1] - a[1])[0]![0] }));
}

/** Porter's stem, remembered: reranking stems a few thousand words per paper page, mostly the same ones. */
function stemOf(token: string): string {
  let stem = stems.get(token);
  if (stem === undefined) {
    if (stems.size > STEM_CACHE_SIZE) stems.clear();
    stems.set(token, (stem = stemmer(token)));
  }
  return stem;
}

const STEM_CACHE_SIZE = 100_000;
const stems = new Map<string, string>();

/**
 * Document frequencies of stems, from an fts5vocab table over the index (stems it lacks
 * are left out). fts5vocab counts a stem by reading its whole doclist, which for the
 * common words every abstract shares costs milliseconds each; the counts are kept per
 * database, as a count a little out of date ranks just as well.
 */
async function stemFrequencies(db: Db, stems: string[]): Promise<Frequencies> {
  let cache = dfCache.get(db.kysely);
  if (!cache || cache.size > DF_CACHE_SIZE) dfCache.set(db.kysely, (cache = new Map()));
  const missing = stems.filter((s) => !cache.has(s));
  // Per connection and in the temp schema: a view of the index, nothing stored.
  await sql`create virtual table if not exists temp.paper_search_vocab using fts5vocab(main, paper_search, 'row')`.execute(db.kysely);
  const [{ rows: counts }, { rows: size }] = await Promise.all([
    missing.length === 0
      ? { rows: [] }
      : sql<{ term: string; doc: number }>`select term, doc from temp.paper_search_vocab where term in (${sql.join(missing)})`.execute(db.kysely),
    // The largest key counts every paper ever indexed: close enough to the corpus size for an idf.
    sql<{ n: number | null }>`select max(doc) as n from paper_search_rows`.execute(db.kysely),
  ]);
  for (const stem of missing) cache.set(stem, 0);
  for (const r of counts) cache.set(r.term, r.doc);
  const df = new Map(stems.flatMap((s) => (cache.get(s) ? [[s, cache.get(s)!] as const] : [])));
  return { docs: Math.max(1, Number(size[0]?.n ?? 1)), df, unlisted: 1 };
}

const DF_CACHE_SIZE = 200_000;
const dfCache = new WeakMap<object, Map<string, number>>();

// ---------------------------------------------------------------- PostgreSQL

/** The paper's lexemes from its stored tsvector: title (A) and abstract (C) positions; authors (B) left out. */
async function lexemesOfPaper(db: Db, paperId: string): Promise<PaperTerm[]> {
  const { rows } = await sql<{ lexeme: string; title: number; abstract: number }>`
    select t.lexeme,
      cardinality(array_positions(t.weights, 'A')) as title,
      cardinality(array_positions(t.weights, 'C')) as abstract
    from papers p, unnest(p.search_vector) t
    where p.id = ${paperId}`.execute(db.kysely);
  return rows.flatMap((r) => {
    // Plain words only: the parser also keeps numbers, versions and hyphenated compounds whole.
    if (!/^(?=.*\p{L})[\p{L}\p{N}]{2,}$/u.test(r.lexeme) || STOPWORDS.has(r.lexeme) || STOP_STEMS.has(r.lexeme)) return [];
    const tf = TITLE_BOOST * Number(r.title) + Number(r.abstract);
    return tf > 0 ? [{ key: r.lexeme, word: r.lexeme, tf }] : [];
  });
}

/**
 * Document frequencies of the most common lexemes, from the statistics ANALYZE gathers
 * for the planner: a share of the rows, times the rows the planner counts. A lexeme not
 * listed is rarer than every listed one: half the rarest is assumed. Before the first
 * ANALYZE (autovacuum runs one soon after an import) nothing is known, every word
 * counts alike and the stopword list does the filtering.
 */
async function lexemeFrequencies(db: Db): Promise<Frequencies> {
  const { rows } = await sql<{ elems: string[] | null; freqs: number[] | null; docs: number | null }>`
    select s.most_common_elems::text::text[] as elems, s.most_common_elem_freqs::float8[] as freqs, c.reltuples::float8 as docs
    from pg_stats s join pg_class c on c.oid = 'papers'::regclass
    where s.schemaname = current_schema() and s.tablename = 'papers' and s.attname = 'search_vector'`.execute(db.kysely);
  const { elems, freqs, docs } = rows[0] ?? {};
  if (!elems || !freqs || !docs || docs <= 0) return { docs: 0, df: new Map(), unlisted: 0 };
  // The frequencies are followed by their minimum, maximum and the share of empty vectors: the minimum is freqs[elems.length].
  const df = new Map(elems.map((e, i) => [e, Number(freqs[i]) * docs]));
  return { docs, df, unlisted: (Number(freqs[elems.length]) * docs) / 2 };
}

// ---------------------------------------------------------------- words

/** `$\mathcal{O}(n)$` → its letters would be noise: drop LaTeX commands. */
function stripLatex(text: string): string {
  return text.replace(/\\[a-zA-Z]+/g, ' ');
}

/** English function words, and a few words every abstract uses, which carry no topic (for-you reads them too). */
export const STOPWORDS = new Set(
  `a about above am an as at be by do go he if in is it me my no of on or so to up us we across after again against all almost also although among an and another any are around as at
  be because been before being below between both but by can cannot could did do does doing done down during each
  either enough etc even every for from further had has have having here how however if in into is it its itself
  just least less many may might more most much must neither nor not now of off often on once one only onto or
  other others our ours out over own per perhaps rather same several shall she should since so some such than that
  the their theirs them themselves then there thereby therefore these they this those though through thus to too
  toward towards under until upon very via was we were what when where whether which while who whom whose why will
  with within without would yet you your paper propose proposed proposes present presents show shows shown approach
  approaches method methods result results work works use used uses using based new novel existing furthermore
  moreover additionally significantly significant achieve achieves achieved demonstrate demonstrates experiments
  experimental extensive state art outperforms performance`.split(/\s+/),
);
const STOP_STEMS = new Set([...STOPWORDS].map((w) => stemmer(w)));
