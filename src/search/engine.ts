import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.ts';
import { highlight, matcherFor, snippet, titleCoverage } from './highlight.ts';
import { hasText, parseQuery, QueryError, type ParsedQuery, type TextTerm } from './query.ts';
import { blendedScore, RANKING } from './score.ts';
import type { SearchFilters, SearchHit, SearchRequest, SearchResult } from './types.ts';
import { fuseRankings } from './fusion.ts';
import type { SemanticRanking } from './vectors.ts';

/** Nearest papers to a text by meaning (vectors.ts `semanticRanking` bound to a database and config). */
export type SemanticSearch = (query: string, k: number) => Promise<SemanticRanking>;

/** Nearest papers by meaning that fusion reads, and reciprocal rank fusion's constant. */
const SEMANTIC_DEPTH = 200;
const RRF_K = 60;

/**
 * Full-text search over the database's own index: FTS5 with BM25 on SQLite, a weighted
 * tsvector with ts_rank on PostgreSQL (docs/decisions/009-search.md).
 *
 * Ranking blends text relevance with popularity and recency (score.ts), which needs
 * every candidate's relevance. A broad query ("model") matches most of a large
 * corpus, so each query ranks a bounded pool of POOL matches: on SQLite the most recently
 * indexed, on PostgreSQL whichever the plan reaches first (all of them when fewer match, as for
 * nearly every real query). The pool bounds each query's
 * work whatever the corpus size (figures in bench/RESULTS.md, "Search").
 */
export const POOL = 2000;

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

// BM25 weights of title, authors and abstract (FTS5 column order); ts_rank's {D, C, B, A}, in
// the same ratios but small, because ts_rank saturates near 1 and would tie every title match.
const FTS_WEIGHTS = sql.raw('10.0, 4.0, 1.0');
const TS_WEIGHTS = '{0, 0.01, 0.04, 0.1}';

export interface PoolRow {
  id: string;
  relevance: number;
  upvotes: number;
  published_at: string;
  title: string;
}

interface PaperText {
  id: string;
  title: string;
  abstract: string;
}

/**
 * Searches the visible papers; throws QueryError for a query the reader must fix. With
 * `semantic` (an embedding service is configured) and relevance order, the text ranking and
 * the nearest papers by meaning are fused by reciprocal rank; if the service cannot answer,
 * the results are the text ranking and `notice` says why.
 */
export async function searchPapers(db: Db, req: SearchRequest, opts: { semantic?: SemanticSearch } = {}): Promise<SearchResult> {
  const parsed = parseQuery(req.q, { prefixLast: req.prefixLast });
  const filters = { ...parsed.filters, ...definedOnly(req.filters ?? {}) };
  const sort = req.sort ?? 'relevance';
  const limit = Math.min(MAX_LIMIT, Math.max(1, req.limit ?? DEFAULT_LIMIT));
  const offset = Math.max(0, req.offset ?? 0);
  const now = req.now ?? new Date();
  if (!hasText(parsed) && parsed.not.length === 0 && Object.keys(filters).length === 0) {
    return { hits: [], total: 0, totalIsEstimate: false, mode: 'text' };
  }

  const pool = await candidatePool(db, parsed, filters, sort);
  const hybrid = Boolean(opts.semantic && req.semantic !== false && sort === 'relevance' && hasText(parsed));
  // Fusion reads the whole text ranking; a text search only shows its first offset + limit.
  let ranked: { id: string; score: number }[] = rankPool(pool.slice(0, POOL), parsed, sort, now, hybrid ? Infinity : offset + limit);
  let total = Math.min(pool.length, POOL);
  let mode: SearchResult['mode'] = 'text';
  let notice: string | undefined;
  if (hybrid && opts.semantic) {
    // Meaning is in the words, not in the filters' syntax.
    const words = parsed.must.flat().map((t) => t.tokens.join(' ')).join(' ');
    const semantic = await opts.semantic(words, SEMANTIC_DEPTH);
    if (semantic.ok) {
      const nearest = await passing(db, semantic.ids, parsed, filters);
      const textIds = ranked.map((r) => r.id);
      const ranks = [textIds, nearest].map((list) => new Map(list.map((id, i) => [id, i + 1])));
      const rrf = (id: string) => ranks.reduce((sum, r) => sum + (r.has(id) ? 1 / (RRF_K + r.get(id)!) : 0), 0);
      ranked = fuseRankings([textIds, nearest], RRF_K).map((id) => ({ id, score: rrf(id) }));
      total = Math.max(total, ranked.length);
      mode = 'hybrid';
    } else {
      notice = `Showing text matches only: ${semantic.reason}.`;
    }
  }

  const page = ranked.slice(offset, offset + limit);
  const texts = await paperTexts(db, page.map((r) => r.id));
  const matcher = matcherFor(parsed);
  const hits: SearchHit[] = page.flatMap((r) => {
    const paper = texts.get(r.id);
    if (!paper) return [];
    return [{ paperId: r.id, score: r.score, titleHtml: highlight(paper.title, matcher), snippetHtml: snippet(paper.abstract, matcher) }];
  });
  return { hits, total, totalIsEstimate: pool.length > POOL, mode, ...(notice ? { notice } : {}) };
}

/** The papers among `ids`, in order, that are visible and pass the query's filters and exclusions. */
async function passing(db: Db, ids: string[], parsed: ParsedQuery, filters: SearchFilters): Promise<string[]> {
  if (ids.length === 0) return [];
  const excluded = parsed.not.length === 0 ? sql`` : sql`and not ${textMatch(db, { must: [parsed.not], not: [], filters: {} })}`;
  const { rows } = await sql<{ id: string }>`
    select p.id from papers p where p.id in (${sql.join(ids)}) and p.hidden_at is null ${filterSql(filters)} ${excluded}`.execute(db.kysely);
  const kept = new Set(rows.map((r) => r.id));
  return ids.filter((id) => kept.has(id));
}

function definedOnly(filters: SearchFilters): SearchFilters {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== '' && v !== false)) as SearchFilters;
}

/**
 * Orders the pool. By relevance, exactly for its first `shown` places: the title term is the
 * costly part (stemming each title's words) and adds at most its weight, so it is computed only
 * for candidates within that weight of the `shown`-th best score without it. No other candidate
 * can reach those places; past them, the order is by the score without the title term.
 */
export function rankPool(pool: PoolRow[], parsed: ParsedQuery, sort: SearchRequest['sort'], now: Date, shown: number): (PoolRow & { score: number })[] {
  const best = pool.reduce((max, r) => Math.max(max, r.relevance), 0);
  const scoreOf = (r: PoolRow, coverage: number) => blendedScore({ relevance: r.relevance, upvotes: r.upvotes, publishedAt: r.published_at, titleCoverage: coverage }, best, now);
  const byScore = (a: { score: number; id: string }, b: { score: number; id: string }) => b.score - a.score || (a.id < b.id ? -1 : 1);
  if (sort === 'relevance' && shown < pool.length) {
    const partial = pool.map((r) => ({ ...r, score: scoreOf(r, 0) })).sort(byScore);
    const bar = partial[shown - 1]!.score - RANKING.titleCoverageWeight;
    const contenders = partial.filter((r) => r.score >= bar).map((r) => ({ ...r, score: scoreOf(r, titleCoverage(r.title, parsed)) }));
    return [...contenders.sort(byScore), ...partial.filter((r) => r.score < bar)];
  }
  const scored = pool.map((r) => ({ ...r, score: scoreOf(r, titleCoverage(r.title, parsed)) }));
  if (sort === 'upvotes') return scored.sort((a, b) => b.upvotes - a.upvotes || byScore(a, b));
  if (sort === 'date') return scored.sort((a, b) => (a.published_at < b.published_at ? 1 : a.published_at > b.published_at ? -1 : byScore(a, b)));
  return scored.sort(byScore);
}

/** Up to POOL + 1 matching papers (one more than ranked, to know that more match), with their relevance. */
async function candidatePool(db: Db, parsed: ParsedQuery, filters: SearchFilters, sort: SearchRequest['sort']): Promise<PoolRow[]> {
  const where = filterSql(filters);
  const limit = POOL + 1;
  if (!hasText(parsed)) {
    // Only filters and exclusions: the newest (or most upvoted) papers that pass them.
    const excluded = parsed.not.length === 0 ? sql`` : sql`and not ${textMatch(db, { must: [parsed.not], not: [], filters: {} })}`;
    const order = sort === 'upvotes' ? sql`p.upvotes desc` : sql`p.published_at desc`;
    const { rows } = await sql<PoolRow>`
      select p.id, 0 as relevance, p.upvotes, p.published_at, p.title from papers p
      where p.hidden_at is null ${where} ${excluded}
      order by ${order}, p.id limit ${limit}`.execute(db.kysely);
    return rows;
  }
  if (db.dialect === 'postgres') {
    const { rows } = await sql<PoolRow>`
      select p.id, ts_rank(${TS_WEIGHTS}::float4[], p.search_vector, query) as relevance, p.upvotes, p.published_at, p.title
      from papers p, to_tsquery('english', ${tsQuery(parsed)}) query
      where p.search_vector @@ query and p.hidden_at is null ${where}
      limit ${limit}`.execute(db.kysely);
    return rows.map((r) => ({ ...r, relevance: Number(r.relevance) }));
  }
  // CROSS JOIN fixes the join order (SQLite's documented way): the index walk stays the outer
  // loop, because a filter driving the join would make FTS5 re-run the match for every row.
  const { rows } = await sql<PoolRow>`
    select r.paper_id as id, -bm25(paper_search, ${FTS_WEIGHTS}) as relevance, p.upvotes, p.published_at, p.title
    from paper_search
    cross join paper_search_rows r on r.doc = paper_search.rowid
    cross join papers p on p.id = r.paper_id
    where paper_search match ${ftsQuery(parsed)} and p.hidden_at is null ${where}
    order by paper_search.rowid desc
    limit ${limit}`.execute(db.kysely);
  return rows;
}

/** A condition on `p` that holds when the paper matches the query's text. */
function textMatch(db: Db, parsed: ParsedQuery): RawBuilder<unknown> {
  if (db.dialect === 'postgres') return sql`(p.search_vector @@ to_tsquery('english', ${tsQuery(parsed)}))`;
  return sql`(p.id in (select r.paper_id from paper_search join paper_search_rows r on r.doc = paper_search.rowid
    where paper_search match ${ftsQuery(parsed)}))`;
}

function filterSql(f: SearchFilters): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  if (f.after) parts.push(sql`and p.published_at >= ${f.after}`);
  if (f.before) parts.push(sql`and p.published_at < ${f.before}`);
  if (f.hasCode) parts.push(sql`and p.github_repo is not null and p.github_repo <> ''`);
  if (f.minUpvotes !== undefined) parts.push(sql`and p.upvotes >= ${f.minUpvotes}`);
  if (f.organization) {
    parts.push(sql`and p.organization_id in (select id from organizations where lower(name) = ${f.organization.toLowerCase()})`);
  }
  if (f.category) {
    const [archive, subject] = f.category.split('.');
    const canonical = subject ? `${archive!.toLowerCase()}.${/^[a-z]{2}$/i.test(subject) ? subject.toUpperCase() : subject}` : f.category.toLowerCase();
    const names = [...new Set([f.category, canonical])];
    parts.push(
      subject
        ? sql`and p.id in (select paper_id from paper_categories where category in (${sql.join(names)}))`
        : sql`and p.id in (select paper_id from paper_categories where category = ${canonical} or category like ${`${canonical}.%`})`,
    );
  }
  return sql.join(parts, sql` `);
}

// ---------------------------------------------------------------- compiling the query
// Tokens hold only letters, digits and marks (query.ts), so quoting them is enough to
// keep every character of the reader's input out of either full-text syntax.

/** FTS5's query syntax: `"a b" *`, `{title} : "x"`, `( … OR … )`, `… NOT …`. */
export function ftsQuery(q: ParsedQuery): string {
  const term = (t: TextTerm) => {
    const phrase = `"${t.tokens.join(' ')}"${t.prefix ? ' *' : ''}`;
    return t.field ? `{${t.field === 'title' ? 'title' : 'author_names'}} : ${phrase}` : phrase;
  };
  let expr = q.must.map((group) => (group.length === 1 ? term(group[0]!) : `(${group.map(term).join(' OR ')})`)).join(' AND ');
  for (const excluded of q.not) expr = `(${expr}) NOT ${term(excluded)}`;
  return expr;
}

/** PostgreSQL's to_tsquery syntax: `'a' <-> 'b'`, `'x':*`, `'x':A`, `|`, `&`, `!`. */
export function tsQuery(q: ParsedQuery): string {
  const term = (t: TextTerm) => {
    const weight = t.field === 'title' ? 'A' : t.field === 'author' ? 'B' : '';
    const lexemes = t.tokens.map((token, i) => {
      const marks = (t.prefix && i === t.tokens.length - 1 ? '*' : '') + weight;
      return `'${token}'${marks ? `:${marks}` : ''}`;
    });
    return lexemes.length === 1 ? lexemes[0]! : `(${lexemes.join(' <-> ')})`;
  };
  const groups = q.must.map((group) => (group.length === 1 ? term(group[0]!) : `(${group.map(term).join(' | ')})`));
  return [...groups, ...q.not.map((t) => `!${term(t)}`)].join(' & ');
}

async function paperTexts(db: Db, ids: string[]): Promise<Map<string, PaperText>> {
  if (ids.length === 0) return new Map();
  const rows = await db.kysely.selectFrom('papers').select(['id', 'title', 'abstract']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export { QueryError };
