import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { RequestError, zodDetails } from '../http/respond.ts';
import { paperView, paperViews, withSourceRecords, type PaperView } from '../papers/read-model.ts';
import { paperIdParam } from '../http/params.ts';
import { hfPaper } from '../papers/hf-format.ts';
import { removedPaper } from '../audit/audit.ts';
import { DEFAULT_RELATED, MAX_RELATED, relatedPapers, STORED_RELATED, storedRelatedPapers } from '../search/related.ts';

/** `GET /api/papers/{id}`: one paper object, as Hugging Face returns it. */
export async function getPaper(c: Context<AppEnv>) {
  const paperId = paperIdParam(c);
  const view = await paperView(c.get('db').kysely, paperId);
  if (!view) throw new RequestError(404, `paper not found: ${paperId}`);
  if (view.paper.hidden_at) throw new RequestError(410, removedPaper(paperId));
  return c.json((await apiPapers(c, [view]))[0]);
}

const relatedQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_RELATED}`)
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(MAX_RELATED, `must be at most ${MAX_RELATED}`))
    .default(DEFAULT_RELATED),
});

/** `GET /api/papers/{id}/related?limit=`: the papers most like this one, as paper objects, best first. */
export async function getRelatedPapers(c: Context<AppEnv>) {
  const paperId = paperIdParam(c);
  const parsed = relatedQuery.safeParse(c.req.query());
  if (!parsed.success) throw new RequestError(400, 'invalid query parameters', zodDetails(parsed.error));
  const db = c.get('db');
  const view = await paperView(db.kysely, paperId);
  if (!view) throw new RequestError(404, `paper not found: ${paperId}`);
  if (view.paper.hidden_at) throw new RequestError(410, removedPaper(paperId));
  const { limit } = parsed.data;
  // The stored list serves the default; a longer one is computed for the asking.
  const ids = limit <= STORED_RELATED ? (await storedRelatedPapers(db, paperId)).slice(0, limit) : await relatedPapers(db, paperId, limit);
  const related = await paperViews(db.kysely, ids);
  return c.json(await apiPapers(c, related.filter((v) => !v.paper.hidden_at)));
}

/** Paper objects, each built from its newest listing's source record when it was featured. */
async function apiPapers(c: Context<AppEnv>, views: PaperView[]) {
  const listed = await withSourceRecords(
    c.get('db').kysely,
    views.flatMap((v) => (v.listing ? [{ ...v, listing: v.listing }] : [])),
  );
  const full = new Map(listed.map((v) => [v.paper.id, v]));
  return views.map((v) => hfPaper(full.get(v.paper.id) ?? v));
}
