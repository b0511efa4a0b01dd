import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { needViewer, staffRole } from '../http/guards.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { MAX_ID, idParam, paperIdParam } from '../http/params.ts';
import { RequestError, jsonBody } from '../http/respond.ts';
import { commentJson, deleteComment, discussionJson, editComment, postComment } from './comments.ts';

const newComment = z.object({
  comment: z.string(),
  parentId: z.number().int().positive().max(MAX_ID).nullable().optional(),
});
const commentEdit = z.object({ comment: z.string() });

const commentsQuery = z.object({ page: z.string().regex(/^\d{1,6}$/, 'page must be a number from 1').transform(Number).pipe(z.number().min(1, 'page must be a number from 1')).optional() });

/**
 * `GET /api/papers/{id}/comments?page=`: a page of the discussion as a flat list in
 * reading order (each comment before its replies, threads oldest first, whole threads
 * per page); `parentId` rebuilds the tree; `X-Total-Pages` and `X-Total-Count` (visible
 * comments) say how much there is. A deleted or removed comment that still has replies
 * appears as a placeholder: `state` set, `author` null, `body` and `html` empty.
 */
export async function getComments(c: Context<AppEnv>) {
  const paperId = paperIdParam(c);
  const query = commentsQuery.safeParse(c.req.query());
  if (!query.success) throw new RequestError(400, query.error.issues[0]!.message);
  const found = await discussionJson(c.get('db').kysely, paperId, query.data.page);
  c.header('X-Total-Pages', String(found.pages));
  c.header('X-Total-Count', String(found.count));
  return c.json(found.comments);
}

/** `POST /api/papers/{id}/comments` `{ comment, parentId? }` → 201 and the comment. */
export async function createComment(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const paperId = paperIdParam(c);
  const input = await jsonBody(c, newComment, 'expected JSON: {"comment": "…", "parentId": <comment id, optional>}');
  await enforceLimit(c, 'comment');
  const comment = await postComment(c.get('db').kysely, viewer, paperId, input.comment, input.parentId ?? null);
  return c.json(commentJson(comment), 201);
}

/** `PATCH /api/comments/{id}` `{ comment }`: edits one's own comment. */
export async function patchComment(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = idParam(c, 'id');
  const input = await jsonBody(c, commentEdit, 'expected JSON: {"comment": "…"}');
  await enforceLimit(c, 'comment');
  return c.json(commentJson(await editComment(c.get('db').kysely, viewer, id, input.comment)));
}

/** `DELETE /api/comments/{id}` → 204: one's own comment, or any as a moderator. */
export async function removeComment(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = idParam(c, 'id');
  await enforceLimit(c, 'comment');
  await deleteComment(c.get('db').kysely, viewer, id, staffRole(c));
  return c.body(null, 204);
}
