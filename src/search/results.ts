import type { Config } from '../core/config.ts';
import { keptByVersion } from '../core/kept.ts';
import type { Db } from '../db/database.ts';
import { paperViews, type PaperView } from '../papers/read-model.ts';
import type { Highlighted } from '../papers/components.tsx';
import { searchPapers } from './engine.ts';
import { semanticRanking } from './vectors.ts';
import type { SearchRequest, SearchResult } from './types.ts';

export interface SearchPage {
  result: SearchResult;
  /** The hits' papers, hydrated like any list's, in the engine's order. */
  views: PaperView[];
  /** Each hit's marked title and passage, by paper id. */
  highlights: Map<string, Highlighted>;
}

/**
 * Runs a search (hybrid when an embedding service is configured) and loads what the page,
 * the feeds and the API show of each hit. Throws QueryError.
 */
export async function searchWithViews(db: Db, config: Config, request: SearchRequest): Promise<SearchPage> {
  const semantic = config.EMBEDDINGS_URL ? (q: string, k: number) => semanticRanking(db, config, q, k) : undefined;
  const result = await searchPapers(db, request, { semantic });
  const views = await paperViews(db.kysely, result.hits.map((h) => h.paperId));
  const highlights = new Map(result.hits.map((h) => [h.paperId, { titleHtml: h.titleHtml, snippetHtml: h.snippetHtml }]));
  return { result, views, highlights };
}

/** Search pages kept, per database, at most (about 100 KB each: twenty hydrated papers). */
const MAX_KEPT_PAGES = 200;
const keptPages = keptByVersion<Db, SearchPage>(MAX_KEPT_PAGES, (page) => !page.result.notice);

/**
 * `searchWithViews`, kept per normalised request (the query's runs of spaces as one, trimmed) until
 * the content version changes: the same search asked again, spelled with other spaces, with other
 * parameters that do not change it, or by a reader of another role, runs no engine and no query.
 * Nothing in it is a reader's: hidden papers, votes and follows are the page's reader conditions
 * (http/reader-template.ts). A result that fell back to text (`notice`) is not kept.
 */
export function keptSearchPage(db: Db, config: Config, request: SearchRequest, version: number): Promise<SearchPage> {
  const key = JSON.stringify({ ...request, q: request.q.trim().replace(/\s+/g, ' ') });
  return keptPages(db, key, version, () => searchWithViews(db, config, request));
}
