import type { Config } from '../core/config.ts';
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
