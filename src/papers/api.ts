import type { Context } from 'hono';
import type { AppEnv } from '../app.ts';
import { jsonError } from '../web/respond.ts';
import { paperView, withSourceRecords } from '../feed/queries.ts';
import { paperIdParam } from '../web/params.ts';
import { hfPaper } from './hf-format.ts';
import { removedPaper } from '../moderation/queries.ts';

/** `GET /api/papers/{id}`: one paper object, as Hugging Face returns it. */
export async function getPaper(c: Context<AppEnv>) {
  const paperId = paperIdParam(c);
  const view = await paperView(c.var.db.kysely, paperId);
  if (!view) return jsonError(c, 404, `paper not found: ${paperId}`);
  if (view.paper.hidden_at) return c.json({ error: removedPaper(paperId) }, 410);
  if (!view.listing) return c.json(hfPaper(view));
  const [full] = await withSourceRecords(c.var.db.kysely, [{ ...view, listing: view.listing }]);
  return c.json(hfPaper(full!));
}
