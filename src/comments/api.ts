import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../app.ts';
import { failure, needViewer } from '../auth/guards.ts';
import { overLimit } from '../auth/rate-limit.ts';
import { zodDetails } from '../web/respond.ts';
import { commentJson, deleteComment, discussionJson, editComment, postComment } from './comments.ts';
import { MAX_ID, attempt, commentParam, paperParam } from './pages.tsx';

const newComment = z.object({
  comment: z.string(),
  parentId: z.number().int().positive().max(MAX_ID).nullable().optional(),
});
const commentEdit = z.object({ comment: z.string() });

/**
 * `GET /api/papers/{id}/comments`: the discussion as a flat list in reading order
 * (each comment before its replies, threads oldest first); `parentId` rebuilds the
 * tree. A deleted or removed comment that still has replies appears as a
 * placeholder: `state` set, `author` null, `body` and `html` empty.
 */
export async function getComments(c: Context<AppEnv>) {
  const paperId = paperParam(c);
  return c.json(await attempt(c, () => discussionJson(c.var.db.kysely, paperId)));
}

/** `POST /api/papers/{id}/comments` `{ comment, parentId? }` → 201 and the comment. */
export async function createComment(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const paperId = paperParam(c);
  const input = await jsonBody(c, newComment);
  const limited = await overLimit(c, 'comment');
  if (limited) throw new HTTPException(429, { res: limited });
  const comment = await attempt(c, () => postComment(c.var.db.kysely, viewer, paperId, input.comment, input.parentId ?? null));
  return c.json(commentJson(comment), 201);
}

/** `PATCH /api/comments/{id}` `{ comment }`: edits one's own comment. */
export async function patchComment(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = commentParam(c);
  const input = await jsonBody(c, commentEdit);
  const limited = await overLimit(c, 'comment');
  if (limited) throw new HTTPException(429, { res: limited });
  return c.json(commentJson(await attempt(c, () => editComment(c.var.db.kysely, viewer, id, input.comment))));
}

/** `DELETE /api/comments/{id}` → 204: one's own comment, or any as a moderator. */
export async function removeComment(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = commentParam(c);
  const limited = await overLimit(c, 'comment');
  if (limited) throw new HTTPException(429, { res: limited });
  await attempt(c, () => deleteComment(c.var.db.kysely, viewer, id));
  return c.body(null, 204);
}

async function jsonBody<T>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw failure(c, 400, 'the body must be JSON: {"comment": "…"}');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw failure(c, 400, `invalid body: ${zodDetails(parsed.error).join('; ')}`);
  return parsed.data;
}
