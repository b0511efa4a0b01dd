import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { RequestError } from '../http/respond.ts';
import { mathAsText } from '../ui/math.ts';
import { suggestionsFor } from './queries.ts';

const LIMIT = 5;
const MAX_QUERY = 100;

/**
 * `GET /api/suggest?q=`: papers, authors and organizations whose name starts with what was typed
 * (a word of it), for the header's search box (static/suggest.js). Under two characters, nothing.
 */
export async function getSuggestions(c: Context<AppEnv>) {
  const q = (c.req.query('q') ?? '').trim().replace(/\s+/g, ' ');
  if (q.length > MAX_QUERY) throw new RequestError(400, 'invalid query parameters', [`q: at most ${MAX_QUERY} characters`]);
  if (q.length < 2) return c.json({ q, papers: [], authors: [], organizations: [] });
  const found = await suggestionsFor(c.get('db').kysely, c.get('db').dialect, q, LIMIT);
  return c.json({ q, ...found, papers: found.papers.map((p) => ({ id: p.id, title: mathAsText(p.title) })) });
}
