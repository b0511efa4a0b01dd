import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { formatLongDay, formatShortDate } from '../ui/format.ts';
import { parseWeek, weekKeyOf } from '../core/periods.ts';
import { categoryListings, latestDay, listings, trendingListings } from '../feed/queries.ts';
import { ORGANIZATION_NAME, organizationByName, organizationPapers } from '../organizations/queries.ts';
import { feedFile, serveFeed } from './serve.ts';
import { QueryError } from '../search/query.ts';
import { linkQuery, pageSearch, SearchParamsError } from '../search/request.ts';
import { searchWithViews } from '../search/results.ts';
import { createHash } from 'node:crypto';
import { paperViews } from '../papers/read-model.ts';
import { categoriesOfPapers } from '../papers/queries.ts';
import { siteOrigin } from '../http/origin.ts';
import { forYou } from '../foryou/service.ts';
import { feedTokenOwner } from '../foryou/feed-tokens.ts';
import { FEED_TYPES, renderFeed } from './render.ts';

// As many papers as the page a feed mirrors shows: a whole day on /papers, the first page elsewhere.
const DAY_LIMIT = 500;
const PAGE_SIZE = 50;

// arXiv category names, as ingest/arxiv-api.ts accepts them: `cs.LG`, `hep-th`, `astro-ph.GA`.
const CATEGORY = /^[a-z-]{1,20}(?:\.[A-Za-z-]{1,20})?$/;

/** `/feeds/daily.{rss,atom,json}`: the latest day's papers, ranked as on /papers. */
export async function dailyFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '', 'daily');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  return serveFeed(c, file.format, async (db) => {
    const day = await latestDay(db);
    const views = day ? await listings(db, { first: day, last: day, sort: 'upvotes', limit: DAY_LIMIT, offset: 0 }) : [];
    const about = day ? `Papers featured on ${formatLongDay(day)}, ranked by upvotes.` : 'No papers yet.';
    return { spec: { title: `${siteName(c)} — Daily papers`, description: about, page: '/papers', path: '/feeds/daily' }, views };
  });
}

/** `/feeds/trending.*`: the first page of /papers/trending. */
export async function trendingFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '', 'trending');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  return serveFeed(c, file.format, async (db) => ({
    spec: { title: `${siteName(c)} — Trending papers`, description: 'Papers gaining upvotes right now.', page: '/papers/trending', path: '/feeds/trending' },
    views: await trendingListings(db, PAGE_SIZE, 0),
  }));
}

/** `/feeds/weekly.*`: the latest ISO week with papers, ranked as on its /papers/week page. */
export async function weeklyFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '', 'weekly');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  return serveFeed(c, file.format, async (db) => {
    const day = await latestDay(db);
    const week = day ? parseWeek(weekKeyOf(day)) : null;
    const views = week ? await listings(db, { first: week.first, last: week.last, sort: 'upvotes', limit: PAGE_SIZE, offset: 0 }) : [];
    const about = week ? `Papers featured in the week of ${formatShortDate(week.first)}, ranked by upvotes.` : 'No papers yet.';
    const page = week ? `/papers/week/${week.key}` : '/papers/week';
    return { spec: { title: `${siteName(c)} — Weekly papers`, description: about, page, path: '/feeds/weekly' }, views };
  });
}

/** `/feeds/category/{cat}.*`: the newest featured papers of an arXiv category. */
export async function categoryFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  const category = file.name;
  if (!CATEGORY.test(category)) return refuse(c, 400, `“${category.slice(0, 100)}” is not an arXiv category, e.g. cs.LG`);
  return serveFeed(c, file.format, async (db) => {
    const views = await categoryListings(db, category, PAGE_SIZE);
    if (!views) return refuse(c, 404, `no papers in the category ${category}`);
    const spec = { title: `${siteName(c)} — ${category}`, description: `The newest featured papers in ${category}.`, page: '/papers', path: `/feeds/category/${category}` };
    return { spec, views };
  });
}

/** `/feeds/organization/{name}.*`: an organization's newest papers. */
export async function organizationFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  if (!ORGANIZATION_NAME.test(file.name)) return refuse(c, 400, `“${file.name.slice(0, 100)}” is not an organization handle`);
  return serveFeed(c, file.format, async (db) => {
    const org = await organizationByName(db, file.name);
    if (!org) return refuse(c, 404, `no organization ${file.name}`);
    const name = encodeURIComponent(org.name);
    return {
      spec: { title: `${siteName(c)} — ${org.fullname}`, description: `The newest papers by ${org.fullname}.`, page: `/organizations/${name}`, path: `/feeds/organization/${name}` },
      views: await organizationPapers(db, org.id, 'newest', PAGE_SIZE, 0),
    };
  });
}

/**
 * `/feeds/search.*?q=…`: the newest papers matching a search, as the search page lists
 * them sorted by date; the page's filter fields work here too.
 */
export async function searchFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '', 'search');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  const raw = c.req.query();
  let search;
  try {
    search = pageSearch({ ...raw, sort: 'date', p: '' }, PAGE_SIZE);
  } catch (err) {
    if (err instanceof SearchParamsError) return refuse(c, 400, err.details.join('; '));
    throw err;
  }
  if (!search.request.q.trim() && !search.filtered) return refuse(c, 400, 'a search feed needs a query, e.g. /feeds/search.rss?q=diffusion');
  const query = linkQuery(raw, { sort: undefined });
  return serveFeed(c, file.format, async () => {
    try {
      const { views } = await searchWithViews(c.get('db'), c.get('config'), search.request);
      const q = search.request.q.trim();
      const about = q ? `The newest papers matching “${q}”.` : 'The newest papers matching these filters.';
      return {
        spec: { title: `${siteName(c)} — Search: ${q || 'filters'}`, description: about, page: `/papers/search${linkQuery(raw, { sort: 'date' })}`, path: '/feeds/search', query },
        views,
      };
    } catch (err) {
      if (err instanceof QueryError) return refuse(c, 400, err.message);
      throw err;
    }
  });
}

/**
 * `/feeds/for-you.*?token=…`: one reader's for-you ranking, opened by their private read-only
 * token (made and revoked on /for-you). Built per request and never kept: a revoked token
 * stops working at once, and no shared cache may store it.
 */
export async function forYouFeed(c: Context<AppEnv>) {
  const file = feedFile(c.req.param('file') ?? '', 'for-you');
  if (!file) return refuse(c, 404, 'feeds end in .rss, .atom or .json');
  const token = c.req.query('token') ?? '';
  const owner = await feedTokenOwner(c.get('db').kysely, token);
  if (!owner) return c.text('401: this feed link is unknown or was revoked; make a new one on /for-you', 401);
  const result = await forYou(c.get('db'), owner.userId, { limit: PAGE_SIZE, offset: 0, config: c.get('config') });
  const ids = result.items.map((i) => i.paperId);
  const [views, categories] = await Promise.all([paperViews(c.get('db').kysely, ids), categoriesOfPapers(c.get('db').kysely, ids)]);
  const spec = { title: `${siteName(c)} — For ${owner.username}`, description: 'Recent papers ranked for you.', page: '/for-you', path: '/feeds/for-you', query: `?token=${token}` };
  const { body } = renderFeed(spec, views.map((view) => ({ view, categories: categories.get(view.paper.id) ?? [] })), file.format, siteName(c), siteOrigin(c));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers = { ETag: etag, 'Cache-Control': 'private, no-store', 'X-Robots-Tag': 'noindex' };
  if (c.req.header('If-None-Match')?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return c.body(null, 304, headers);
  return c.body(body, 200, { ...headers, 'Content-Type': FEED_TYPES[file.format] });
}

const siteName = (c: Context<AppEnv>) => c.get('config').SITE_NAME;

// Feed readers are programs: a plain-text status line says what is wrong.
function refuse(c: Context<AppEnv>, status: 400 | 404, message: string) {
  return c.text(`${status}: ${message}`, status);
}
