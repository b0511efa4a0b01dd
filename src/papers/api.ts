import type { Context } from 'hono';
import type { AppEnv } from '../app.ts';
import { RequestError } from '../web/respond.ts';
import { paperView, withSourceRecords } from '../feed/queries.ts';
import { paperIdParam } from '../web/params.ts';
import { hfPaper } from './hf-format.ts';
import { removedPaper } from '../moderation/queries.ts';

/** `GET /api/papers/{id}`: one paper object, as Hugging Face returns it. */
export async function getPaper(c: Context<AppEnv>) {
  const paperId = paperIdParam(c);
  const view = await paperView(c.var.db.kysely, paperId);
  if (!view) throw new RequestError(404, `paper not found: ${paperId}`);
  if (view.paper.hidden_at) throw new RequestError(410, removedPaper(paperId));
  if (!view.listing) return c.json(hfPaper(view));
  const [full] = await withSourceRecords(c.var.db.kysely, [{ ...view, listing: view.listing }]);
  return c.json(hfPaper(full!));
}
