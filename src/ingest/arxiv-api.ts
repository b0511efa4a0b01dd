import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../core/log.ts';
import { silentLogger } from '../core/log.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { parseAtomFeed, type AtomFeed } from './arxiv-atom.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { configuredArxivFetcher, type PoliteFetcher, type PoliteFetchOptions } from './polite-fetch.ts';
import { RecordProblem } from './summary.ts';

/** arXiv refuses `start` beyond this in the search API (its documented limit). */
const MAX_START = 30_000;
/** Extra tries of a page that came back empty in the middle of a result. */
const EMPTY_PAGE_RETRIES = 2;
/** Ids per `id_list` request. */
const ID_CHUNK = 100;

/**
 * Recognises a 200 answer from arXiv that is not a usable feed: its plain
 * `Rate exceeded.`, a non-XML body, an HTML page, or a feed cut short. The
 * PoliteFetcher retries these.
 */
export function arxivBodyError(body: string): string | null {
  const trimmed = body.replace(/^\uFEFF/, '').trim();
  if (/^rate exceeded/i.test(trimmed)) return 'rate exceeded';
  if (!trimmed.startsWith('<')) return `not XML: ${JSON.stringify(trimmed.slice(0, 80))}`;
  if (!/<feed[\s>]/.test(trimmed)) return 'not an Atom feed';
  if (!/<\/feed>$/.test(trimmed)) return 'truncated feed (no closing </feed>)';
  return null;
}

/** The fetcher for the arXiv API, on the configured terms (interval, retries, timeout, contact). */
export function arxivFetcher(db: Db, config: Config, log: Logger = silentLogger, overrides: Partial<PoliteFetchOptions> = {}): PoliteFetcher {
  return configuredArxivFetcher(db, config, log, arxivBodyError, overrides);
}

const CATEGORY = /^[a-z-]+(?:\.[A-Za-z-]+)?$/;

/** `(cat:cs.LG OR cat:cs.CL)`; throws on a name that is not an arXiv category. */
export function categoryQuery(categories: string[]): string {
  if (categories.length === 0) throw new Error('ingest: no categories given');
  for (const c of categories) {
    if (!CATEGORY.test(c)) throw new Error(`ingest: not an arXiv category: ${JSON.stringify(c)}`);
  }
  return `(${categories.map((c) => `cat:${c}`).join(' OR ')})`;
}

export interface SearchArxivOptions {
  fetcher: PoliteFetcher;
  apiUrl: string;
  categories: string[];
  /** How far back from `now`, by first-version date (`published`). */
  days: number;
  now?: Date;
  /** `max_results` per request (default 100). */
  pageSize?: number;
}

/**
 * The papers first submitted in the last `days` days to any of `categories`,
 * newest first, paging through the search API until a page reaches past the
 * window, a page comes back empty, or `totalResults` is reached. Throws
 * `arxiv: …` when arXiv fails or answers with something unreadable.
 */
export async function* searchArxiv(opts: SearchArxivOptions): AsyncGenerator<ArxivRecord | RecordProblem> {
  const query = categoryQuery(opts.categories);
  const pageSize = opts.pageSize ?? 100;
  const cutoff = (opts.now ?? new Date()).getTime() - opts.days * 86_400_000;
  let expectedTotal = 0;
  for (let start = 0; start < MAX_START; ) {
    const url = new URL(opts.apiUrl);
    url.searchParams.set('search_query', query);
    url.searchParams.set('sortBy', 'submittedDate');
    url.searchParams.set('sortOrder', 'descending');
    url.searchParams.set('start', String(start));
    url.searchParams.set('max_results', String(pageSize));
    let feed = await fetchFeed(opts.fetcher, url, `page start=${start}`);
    // arXiv now and then answers a page in the middle of a result with no entries;
    // asking again (spaced, like every request) usually brings them.
    for (let again = 0; feed.records.length === 0 && start > 0 && start < expectedTotal && again < EMPTY_PAGE_RETRIES; again++) {
      feed = await fetchFeed(opts.fetcher, url, `page start=${start}`);
    }
    if (feed.records.length === 0) return;
    expectedTotal = feed.totalResults;
    let passedWindow = false;
    for (const rec of feed.records) {
      if (rec instanceof RecordProblem) {
        yield new RecordProblem(`page start=${start} ${rec.position}`, rec.reason);
      } else if (Date.parse(rec.publishedAt) < cutoff) {
        passedWindow = true;
      } else {
        yield rec;
      }
    }
    start += feed.records.length;
    if (passedWindow || start >= feed.totalResults) return;
  }
}

/**
 * The given papers (`2401.01234`, `2401.01234v2`, `astro-ph/0601001`) through
 * `id_list`, 100 per request. arXiv leaves out ids it does not know without
 * saying so; each of those comes back as a RecordProblem "not found on arXiv".
 */
export async function* fetchArxivIds(fetcher: PoliteFetcher, apiUrl: string, ids: string[]): AsyncGenerator<ArxivRecord | RecordProblem> {
  const wanted = [...new Set(ids.map((id) => id.trim()).filter(Boolean))];
  for (let i = 0; i < wanted.length; i += ID_CHUNK) {
    const chunk = wanted.slice(i, i + ID_CHUNK);
    const url = new URL(apiUrl);
    url.searchParams.set('id_list', chunk.join(','));
    url.searchParams.set('start', '0');
    url.searchParams.set('max_results', String(chunk.length));
    const feed = await fetchFeed(fetcher, url, `id_list ${i + 1}-${i + chunk.length}`);
    const returned = new Set<string>();
    for (const rec of feed.records) {
      if (rec instanceof RecordProblem) {
        yield new RecordProblem(`id_list ${rec.position}`, rec.reason);
        continue;
      }
      returned.add(rec.id);
      yield rec;
    }
    for (const id of chunk) {
      const base = parseArxivId(id)?.id ?? id;
      if (!returned.has(base)) yield new RecordProblem(id, 'not found on arXiv');
    }
  }
}

async function fetchFeed(fetcher: PoliteFetcher, url: URL, where: string): Promise<AtomFeed> {
  const body = await fetcher.get(url.href);
  try {
    return parseAtomFeed(body);
  } catch (err) {
    throw new Error(`${(err as Error).message} (${where})`);
  }
}

const interactiveFetchers = new WeakMap<Db, WeakMap<Config, PoliteFetcher>>();

/**
 * One arXiv client per configuration, shared by all requests so they queue at
 * arXiv's pace. A person is waiting: few retries and a short timeout.
 */
export function interactiveArxivFetcher(db: Db, config: Config, log: Logger): PoliteFetcher {
  let ofDb = interactiveFetchers.get(db);
  if (!ofDb) interactiveFetchers.set(db, (ofDb = new WeakMap()));
  let fetcher = ofDb.get(config);
  if (!fetcher) {
    fetcher = arxivFetcher(db, config, log, {
      maxRetries: Math.min(config.ARXIV_MAX_RETRIES, 1),
      timeoutMs: Math.min(config.ARXIV_TIMEOUT_MS, 20_000),
      backoffBaseMs: 500,
    });
    ofDb.set(config, fetcher);
  }
  return fetcher;
}
