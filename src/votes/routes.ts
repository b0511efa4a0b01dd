import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { wantsJson } from '../http/authenticate.ts';
import { needViewer } from '../http/guards.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { paperPath } from '../ui/components.tsx';
import { formBody } from '../http/forms.ts';
import { refererPath } from '../http/redirects.ts';
import { paperIdParam } from '../http/params.ts';
import { castVote, type VoteAction } from './votes.ts';

const voteForm = z.object({ action: z.enum(['up', 'down'], 'must be "up" or "down"').optional() });

/**
 * `POST /papers/{id}/upvote`: the cards' form (`action` = up | down, else a toggle).
 * Back to the page it came from, or `{ upvoted, upvotes }` for the page's script.
 */
export async function upvotePaperForm(c: Context<AppEnv>) {
  const form = await formBody(c, voteForm);
  const result = await vote(c, form.action ?? 'toggle');
  if (wantsJson(c)) return c.json(result);
  return c.redirect(backTo(c), 303);
}

/** `POST /api/papers/{id}/upvote`: upvotes; repeating it changes nothing. */
export async function upvotePaper(c: Context<AppEnv>) {
  return c.json(await vote(c, 'up'));
}

/** `DELETE /api/papers/{id}/upvote`: withdraws the upvote; repeating it changes nothing. */
export async function withdrawUpvote(c: Context<AppEnv>) {
  return c.json(await vote(c, 'down'));
}

async function vote(c: Context<AppEnv>, action: VoteAction): Promise<{ upvoted: boolean; upvotes: number }> {
  const paperId = paperIdParam(c);
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'vote');
  return castVote(c.get('db'), viewer.id, paperId, action);
}

/** The same-site page the form was on, else the paper's page. */
function backTo(c: Context<AppEnv>): string {
  return refererPath(c) ?? paperPath(paperIdParam(c));
}

