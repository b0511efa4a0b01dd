import { z } from 'zod';
import { zodDetails } from '../http/respond.ts';
import { checkCategory, checkDay, checkOrganization, QueryError } from './query.ts';
import { DEFAULT_LIMIT, MAX_LIMIT } from './engine.ts';
import type { SearchFilters, SearchRequest, SearchSort } from './types.ts';

/**
 * Reading a search from a URL's query string, the one way for the page, the feeds and
 * the API. The page's form names its dates `from` and `to` (both days included, as a
 * reader means them); the API speaks the query language's `after` and `before` (the
 * `before` day excluded). Everything else has the same name everywhere.
 */

/** A refused search: a line per problem, `field: problem`. */
export class SearchParamsError extends Error {
  constructor(readonly details: string[]) {
    super(details.join('; '));
  }
}

// Forms send empty fields as empty strings: those mean "not set".
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day, YYYY-MM-DD').refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().startsWith(s), 'is not a calendar day');

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

// A checkbox sends `on` (or the value it names); scripts send `true`/`1`.
const flag = z.enum(['1', 'true', 'on', '0', 'false']).transform((v) => v === '1' || v === 'true' || v === 'on');

const shared = {
  q: z.string().default(''),
  cat: optional(z.string().max(60)),
  org: optional(z.string().max(100)),
  has_code: optional(flag),
  min_upvotes: optional(wholeNumber(0, 9_999_999)),
  sort: optional(z.enum(['relevance', 'upvotes', 'date'])),
  prefix: optional(flag),
};

/** The page's and the feeds' parameters. `p` is the page, counted from 0 as on every list. */
const pageParams = z.object({ ...shared, from: optional(day), to: optional(day), p: optional(wholeNumber(0, 10_000)) });

/** The API's parameters: Hugging Face's `q` and `limit`, and our extensions. Unknown ones are refused. */
const apiParams = z.strictObject({
  ...shared,
  after: optional(day),
  before: optional(day),
  limit: optional(wholeNumber(1, MAX_LIMIT)),
  offset: optional(wholeNumber(0, 100_000)),
});

export type PageParams = z.output<typeof pageParams>;

export interface PageSearch {
  params: PageParams;
  request: SearchRequest;
  /** Whether any filter field is set (the query's own `cat:` and such aside). */
  filtered: boolean;
}

/** The page's (or a feed's) search, `pageSize` results a page. Throws SearchParamsError or QueryError. */
export function pageSearch(query: Record<string, string>, pageSize: number): PageSearch {
  const parsed = pageParams.safeParse(query);
  if (!parsed.success) throw new SearchParamsError(zodDetails(parsed.error));
  const params = parsed.data;
  if (params.from && params.to && params.to < params.from) throw new SearchParamsError(['to: is before from']);
  const filters = checkedFilters({
    after: params.from,
    before: params.to ? nextDay(params.to) : undefined,
    category: params.cat,
    organization: params.org,
    hasCode: params.has_code,
    minUpvotes: params.min_upvotes,
  });
  return {
    params,
    filtered: Object.keys(filters).length > 0,
    request: {
      q: params.q,
      filters,
      sort: (params.sort ?? 'relevance') as SearchSort,
      prefixLast: params.prefix === true,
      limit: pageSize,
      offset: (params.p ?? 0) * pageSize,
    },
  };
}

/** The API's search. Throws SearchParamsError or QueryError. */
export function apiSearch(query: Record<string, string>): SearchRequest {
  const parsed = apiParams.safeParse(query);
  if (!parsed.success) throw new SearchParamsError(zodDetails(parsed.error));
  const p = parsed.data;
  return {
    q: p.q,
    filters: checkedFilters({ after: p.after, before: p.before, category: p.cat, organization: p.org, hasCode: p.has_code, minUpvotes: p.min_upvotes }),
    sort: p.sort ?? 'relevance',
    prefixLast: p.prefix === true,
    limit: p.limit ?? DEFAULT_LIMIT,
    offset: p.offset ?? 0,
  };
}

/** Filters with their values checked as the query language checks its own (`cat:`, `org:`), unset ones left out. */
function checkedFilters(f: SearchFilters): SearchFilters {
  const out: SearchFilters = {};
  try {
    if (f.after) out.after = checkDay(f.after, 'after');
    if (f.before) out.before = checkDay(f.before, 'before');
    if (f.category) out.category = checkCategory(f.category.trim());
    if (f.organization) out.organization = checkOrganization(f.organization.trim());
  } catch (err) {
    if (err instanceof QueryError) throw new SearchParamsError([err.message]);
    throw err;
  }
  if (f.hasCode) out.hasCode = true;
  if (f.minUpvotes !== undefined && f.minUpvotes > 0) out.minUpvotes = f.minUpvotes;
  return out;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The page form's filter fields, in the order a link writes them. */
export const FILTER_FIELDS = ['from', 'to', 'cat', 'org', 'has_code', 'min_upvotes'] as const;

/**
 * `?q=…&from=…`: the search's own fields from `raw`, with `changes` applied (undefined
 * removes a field). The page number is kept only when `changes` sets it; empty fields
 * are left out, so links stay short.
 */
export function linkQuery(raw: Record<string, string>, changes: Record<string, string | undefined>): string {
  const merged: Record<string, string | undefined> = { ...raw, p: undefined, ...changes };
  const out = new URLSearchParams();
  for (const key of ['q', ...FILTER_FIELDS, 'sort', 'p'] as const) {
    const value = merged[key];
    if (value !== undefined && value !== '' && !(key === 'sort' && value === 'relevance')) out.set(key, value);
  }
  const text = out.toString();
  return text ? `?${text}` : '';
}
