import { Hono } from 'hono';
import type { AppEnv } from '../app.ts';
import { getDailyPapers } from '../feed/api.ts';
import { getPaper } from '../papers/api.ts';

/** The JSON API, compatible with Hugging Face's papers API. One line per endpoint. */
export function apiRoutes(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.get('/api/daily_papers', getDailyPapers);
  api.get('/api/papers/:id{.+}', getPaper);
  return api;
}
