/** What a reader asks: the query language string plus the same filters as form fields. */
export interface SearchRequest {
  /** The query: words, "phrases", -excluded, OR, author:, cat:, org:, title:, after:, before:, has:code. */
  q: string;
  /** Filters that the form sets; each narrows like its query-language twin. */
  filters?: SearchFilters;
  sort?: SearchSort;
  /** Blend in semantic similarity when an embedding service is configured (default true). */
  semantic?: boolean;
  /** Match the last word as a prefix too: for results shown as one types. */
  prefixLast?: boolean;
  /** Results per page (1–100, default 20) and how many to skip. */
  limit?: number;
  offset?: number;
  /** The clock for recency; tests pin it. */
  now?: Date;
}

export type SearchSort = 'relevance' | 'upvotes' | 'date';

export interface SearchFilters {
  /** Published on or after `after`, and before (not on) `before`: days, `YYYY-MM-DD`. */
  after?: string;
  before?: string;
  /** An arXiv category (`cs.LG`) or archive (`cs`). */
  category?: string;
  /** An organization's name (slug). */
  organization?: string;
  hasCode?: boolean;
  minUpvotes?: number;
}

export interface SearchHit {
  paperId: string;
  /** The blended score the results are ordered by (relevance sort), higher first. */
  score: number;
  /** HTML, escaped, with the matched terms in `<mark>`. */
  titleHtml: string;
  /** A passage of the abstract around the matches: HTML, escaped, terms in `<mark>`. */
  snippetHtml: string;
}

export interface SearchResult {
  hits: SearchHit[];
  /** Papers that match; when `totalIsEstimate`, an estimate that may be high or low (engine.ts COUNT_BUDGET, topk.ts countMatches). */
  total: number;
  totalIsEstimate: boolean;
  /** How the results were ranked: `text`, or `hybrid` when semantic search took part. */
  mode: 'text' | 'hybrid';
  /** Set when semantic search was asked for but could not run (service down): the results are text only. */
  notice?: string;
}
