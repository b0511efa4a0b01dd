import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app.ts';
import { failure, needViewer } from '../auth/guards.ts';
import { wantsJson } from '../auth/middleware.ts';
import { overLimit } from '../auth/rate-limit.ts';
import { parseArxivId } from '../papers/arxiv-id.ts';
import { ModerationError } from '../moderation/queries.ts';
import { zodDetails } from '../web/respond.ts';
import { createClaim } from './queries.ts';

const claimForm = z.object({ position: z.string().regex(/^\d{1,4}$/, 'position must be an author number').transform(Number) });

/** `POST /papers/:id/claim`: a signed-in reader says they are one of the paper's authors. */
export async function claimAuthorship(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = parseArxivId(c.req.param('id') ?? '')?.id;
  if (!id) throw failure(c, 404, 'not an arXiv id');
  const form = claimForm.safeParse(await c.req.parseBody());
  if (!form.success) throw failure(c, 400, zodDetails(form.error).join('; '));
  // Claims cost moderators' time, so they are limited like reports, in a bucket of their own.
  const limited = await overLimit(c, 'claim');
  if (limited) return limited;
  try {
    const claimId = await createClaim(c.var.db.kysely, viewer.id, id, form.data.position);
    if (wantsJson(c)) return c.json({ id: claimId, status: 'pending' }, 201);
    return c.redirect(`/papers/${id}#claim-sent`, 303);
  } catch (err) {
    if (err instanceof ModerationError) throw failure(c, err.status, err.message);
    throw err;
  }
}
