import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { needViewer } from '../http/guards.ts';
import { wantsJson } from '../http/authenticate.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { formBody } from '../http/forms.ts';
import { paperIdParam } from '../http/params.ts';
import { createClaim } from './queries.ts';

const claimForm = z.object({ position: z.string().regex(/^\d{1,4}$/, 'position must be an author number').transform(Number) });

/** `POST /papers/:id/claim`: a signed-in reader says they are one of the paper's authors. */
export async function claimAuthorship(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = paperIdParam(c);
  const form = await formBody(c, claimForm);
  // Claims cost moderators' time, so they are limited like reports, in a bucket of their own.
  await enforceLimit(c, 'claim');
  const claimId = await createClaim(c.get('db').kysely, viewer.id, id, form.position);
  if (wantsJson(c)) return c.json({ id: claimId, status: 'pending' }, 201);
  return c.redirect(`/papers/${id}#claim-sent`, 303);
}
