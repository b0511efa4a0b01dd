import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { categoryFeed, dailyFeed, forYouFeed, organizationFeed, searchFeed, trendingFeed, weeklyFeed } from './handlers.ts';

/** RSS 2.0, Atom 1.0 and JSON Feed 1.1, one line each: `/feeds/daily.rss`, `.atom`, `.json`. */
export function feedRoutes(): Hono<AppEnv> {
  const feeds = new Hono<AppEnv>();
  feeds.get('/feeds/:file{daily\\.[^/]+}', dailyFeed);
  feeds.get('/feeds/:file{trending\\.[^/]+}', trendingFeed);
  feeds.get('/feeds/:file{weekly\\.[^/]+}', weeklyFeed);
  feeds.get('/feeds/:file{search\\.[^/]+}', searchFeed);
  feeds.get('/feeds/:file{for-you\\.[^/]+}', forYouFeed);
  feeds.get('/feeds/category/:file', categoryFeed);
  feeds.get('/feeds/organization/:file', organizationFeed);
  return feeds;
}
