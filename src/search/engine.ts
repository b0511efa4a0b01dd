import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.ts';
import { highlight, matcherFor, newSpans, snippet, wordSpans } from './highlight.ts';
import { hasText, parseQuery, QueryError, type ParsedQuery, type TextTerm } from './query.ts';
import { searchIndex } from './search-index.ts';
import { stem } from './segment.ts';
import { countMatches, planQuery, scorer, topK } from './topk.ts';
import type { SearchFilters, SearchHit, SearchRequest, SearchResult, SearchSort } from './types.ts';
import { fuseRankings } from './fusion.ts';
import type { SemanticRanking } from './vectors.ts';

/** Nearest papers to a text by meaning (vectors.ts `semanticRanking` bound to a database and config). */
export type SemanticSearch = (query: string, k: number) => Promise<SemanticRanking>;

/** Nearest papers by meaning that fusion reads, and reciprocal rank fusion's constant. */
const SEMANTIC_DEPTH = 200;
const RRF_K = 60;

/**
 * Full-text search over the in-process inverted index (search-index.ts, topk.ts;
 * docs/decisions/019-search-index.md): exact top-k of the blended score (score.ts) over every
 * match, stopping early where block bounds allow. The database keeps FTS5 / tsvector for what
 * still reads them (searches with filters only, exclusions in hybrid search, related papers).
 */
/** How deep digests page through a search's results. */
export const POOL = 2000;

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/**
 * Postings of a query's shortest list counted exactly; past them the count is estimated from
 * windows spread over the list (topk.ts countMatches), and the page says "about".
 */
export const COUNT_BUDGET = 10_000;

/** The text ranking's depth that hybrid search fuses with the nearest papers by meaning. */
const TEXT_DEPTH = 200;

interface PaperText {
  id: string;
  title: string;
  author_names: string;
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

  const hybrid = Boolean(opts.semantic && req.semantic !== false && sort === 'relevance' && hasText(parsed));
  const ranking = hasText(parsed)
    ? await indexRanking(db, parsed, filters, sort, now, hybrid ? Math.max(TEXT_DEPTH, offset + limit) : offset + limit)
    : await filterRanking(db, parsed, filters, sort, offset + limit);
  let ranked: { id: string; score: number }[] = ranking.hits;
  let total = ranking.total;
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
  // A phrase query's page was read to check its phrases: only the rest is read now.
  const read = ranking.texts ?? new Map<string, PaperText>();
  const texts = await paperTexts(db, page.map((r) => r.id).filter((id) => !read.has(id)), read);
  const matcher = matcherFor(parsed);
  const hits: SearchHit[] = page.flatMap((r) => {
    const paper = texts.get(r.id);
    if (!paper) return [];
    return [{ paperId: r.id, score: r.score, titleHtml: highlight(paper.title, matcher), snippetHtml: snippet(paper.abstract, matcher) }];
  });
  return { hits, total, totalIsEstimate: ranking.estimate, mode, ...(notice ? { notice } : {}) };
}

interface Ranking {
  hits: { id: string; score: number }[];
  total: number;
  /** `total` is an estimate (the walk stopped early, or phrases were checked only among the best). */
  estimate: boolean;
  /** Texts already read (to check phrases), by id. */
  texts?: Map<string, PaperText>;
}

/**
 * The first `want` matches of a text query, in order, from the index. Phrases are matched as
 * their words in the index and checked on the text: the best candidates are read and checked,
 * and more are read while fewer than `want` pass. The ranking is exact either way: a paper
 * not among the candidates scores no more than every one of them.
 */
async function indexRanking(db: Db, parsed: ParsedQuery, filters: SearchFilters, sort: SearchSort, now: Date, want: number): Promise<Ranking> {
  const index = await searchIndex(db);
  const segments = index.delta ? [index.main, index.delta] : [index.main];
  const plans = segments.map((seg) => planQuery(seg, parsed, filters));
  const score = scorer(sort, now, parsed.must.length);
  const checked = parsed.must.flat().some((t) => t.tokens.length > 1) || parsed.not.some((t) => t.tokens.length > 1);
  const counted = segments.map((seg, i) => countMatches(seg, plans[i]!, COUNT_BUDGET));
  const relaxedTotal = counted.reduce((n, c) => n + c.count, 0);
  const exactCount = counted.every((c) => c.exact);
  // Each candidate's text is read and checked once, however many rounds it stays a candidate.
  const verdicts = new Map<string, boolean>();
  const texts = new Map<string, PaperText>();
  for (let depth = checked ? Math.max(want * 2, 50) : want; ; ) {
    const found = segments.map((seg, i) => topK(seg, plans[i]!, score, depth));
    const candidates = found.flatMap((f) => f.hits).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1)).slice(0, depth);
    if (!checked) return { hits: candidates.slice(0, want), total: relaxedTotal, estimate: !exactCount };
    await checkPhrases(db, candidates.filter((c) => !verdicts.has(c.id)), parsed, verdicts, texts);
    const passed = candidates.filter((c) => verdicts.get(c.id));
    const complete = candidates.length < depth; // every match was a candidate
    if (passed.length >= want || complete) {
      // Phrases are checked only among the candidates: the count scales by the share that passed.
      const share = candidates.length ? passed.length / candidates.length : 0;
      return {
        hits: passed.slice(0, want),
        total: complete ? (exactCount ? passed.length : Math.round(relaxedTotal * share)) : Math.max(passed.length, Math.round(relaxedTotal * share)),
        estimate: !(complete && exactCount),
        texts,
      };
    }
    // Deeper, by at least 4×, and by as much as the share that passed so far says is needed.
    const share = passed.length / candidates.length;
    depth = Math.max(depth * 4, Math.ceil((1.5 * want) / Math.max(share, 1 / 4096)));
  }
}

/** A phrase's words as checked on a text: each a stem, or (a prefix's last word) the start of one. */
type Wanted = ({ stem: string } | { prefix: string })[];

/**
 * Records for each candidate whether its text has the query's phrases in order and none of its
 * excluded phrases; the texts read are added to `texts`.
 */
async function checkPhrases(db: Db, candidates: { id: string }[], parsed: ParsedQuery, verdicts: Map<string, boolean>, texts: Map<string, PaperText>): Promise<void> {
  await paperTexts(db, candidates.map((c) => c.id), texts);
  const wanted = new Map<TextTerm, Wanted>();
  for (const term of [...parsed.must.flat(), ...parsed.not]) {
    wanted.set(term, term.tokens.map((token, i) => (term.prefix && i === term.tokens.length - 1 ? { prefix: token } : { stem: stem(token) })));
  }
  for (const c of candidates) {
    const t = texts.get(c.id);
    if (!t) {
      verdicts.set(c.id, false);
      continue;
    }
    // Each field is read only when a phrase asks for it: a title that has the phrase spares the abstract.
    const read: Partial<Record<'title' | 'author' | 'abstract', string>> = {};
    const field = (f: 'title' | 'author' | 'abstract') => (read[f] ??= indexedForm(f === 'title' ? t.title : f === 'author' ? t.author_names : t.abstract));
    const has = (term: TextTerm) => (term.field ? [term.field] : (['title', 'author', 'abstract'] as const)).some((f) => containsPhrase(field(f), wanted.get(term)!));
    const verdict = parsed.must.every((group) => group.some(has)) && !parsed.not.some(has);
    verdicts.set(c.id, verdict);
    if (!verdict) texts.delete(c.id); // only a passing paper can be on the page
  }
}

/** A field as the index tokenizes it (query.ts rawTokensOf): NFKC, lowercase; its words are WORD's runs. */
const indexedForm = (text: string) => text.normalize('NFKC').toLowerCase();

const spans = newSpans();

/**
 * Whether `text` (indexedForm) has the phrase's words in a row, by their stems (segment.ts stem).
 * A word is stemmed only where it can match: Porter's steps keep a word's first unit (highlight.ts
 * TermMatcher), and NFC cannot change a first unit followed by an ASCII one, so a word whose first
 * two units are ASCII and whose first is not the wanted stem's (or prefix's) first is passed over.
 */
function containsPhrase(text: string, want: Wanted): boolean {
  const { start, end, count } = wordSpans(text, spans);
  const firsts = want.map((w) => ('stem' in w ? w.stem : w.prefix).charCodeAt(0));
  const matches = (k: number, j: number) => {
    const a = start[k]!;
    const length = end[k]! - a;
    const c = text.charCodeAt(a);
    if (c < 0x80 && (length === 1 || text.charCodeAt(a + 1) < 0x80) && c !== firsts[j]) return false;
    const w = want[j]!;
    const s = stem(text.slice(a, a + length));
    return 'stem' in w ? s === w.stem : s.startsWith(w.prefix);
  };
  outer: for (let i = 0; i + want.length <= count; i++) {
    for (let j = 0; j < want.length; j++) if (!matches(i + j, j)) continue outer;
    return true;
  }
  return false;
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

/** Only filters and exclusions: the newest (or most upvoted) papers that pass them, from the database. */
async function filterRanking(db: Db, parsed: ParsedQuery, filters: SearchFilters, sort: SearchSort, want: number): Promise<Ranking> {
  const excluded = parsed.not.length === 0 ? sql`` : sql`and not ${textMatch(db, { must: [parsed.not], not: [], filters: {} })}`;
  const order = sort === 'upvotes' ? sql`p.upvotes desc` : sql`p.published_at desc`;
  const { rows } = await sql<{ id: string }>`
    select p.id from papers p
    where p.hidden_at is null ${filterSql(filters)} ${excluded}
    order by ${order}, p.id limit ${POOL + 1}`.execute(db.kysely);
  return { hits: rows.slice(0, Math.max(want, 0)).map((r) => ({ id: r.id, score: 0 })), total: Math.min(rows.length, POOL), estimate: rows.length > POOL };
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

/** The texts of papers `ids`, added to `out`. */
async function paperTexts(db: Db, ids: string[], out = new Map<string, PaperText>()): Promise<Map<string, PaperText>> {
  for (let i = 0; i < ids.length; i += 500) {
    // The sql tag, not the query builder: building and compiling this small query cost a third
    // as much again as running it on SQLite (0.34 against 0.26 ms for 20 rows whose pages are cached).
    const { rows } = await sql<PaperText>`select id, title, author_names, abstract from papers where id in (${sql.join(ids.slice(i, i + 500))})`.execute(db.kysely);
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}

export { QueryError };
