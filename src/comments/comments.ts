// The discussion's rules: who may post, edit, delete and report, and what each
// write changes. Every visible change goes through writeContent (one transaction,
// content version bumped) and keeps papers.comments right.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { writeContent } from '../db/content-version.ts';
import type { Viewer } from '../auth/sessions.ts';
import { createReport } from '../audit/reports.ts';
import { recordAudit, removedPaper } from '../audit/audit.ts';
import { DomainError } from '../core/errors.ts';
import { MAX_COMMENT_CHARS, renderComment, renderStoredComment } from './markdown.ts';
import {
  commentById,
  commentsOfPaper,
  insertComment,
  markCommentDeleted,
  paperForComments,
  refreshCommentCount,
  storeCommentHtml,
  updateCommentBody,
  type CommentRow,
} from './queries.ts';
import { buildThread, flatten, paginate, stateOf, type ThreadNode } from './thread.ts';

/** Report reasons offered by the form; anything else is `other`. */
export const REPORT_REASONS = ['spam', 'abuse', 'off-topic', 'other'] as const;

/** A comment as the JSON API returns it. Placeholders of deleted or removed comments have no author, body or html. */
export interface CommentJson {
  id: number;
  paperId: string;
  parentId: number | null;
  author: { user: string; fullname: string } | null;
  body: string;
  html: string;
  createdAt: string;
  editedAt: string | null;
  /** Only on placeholders: `deleted` by its author or `removed` by a moderator. */
  state?: 'deleted' | 'removed';
}

export function commentJson(c: CommentRow): CommentJson {
  const state = stateOf(c);
  const json: CommentJson = {
    id: c.id,
    paperId: c.paper_id,
    parentId: c.parent_id,
    author: state === 'visible' ? { user: c.username, fullname: c.fullname } : null,
    body: state === 'visible' ? c.body : '',
    html: state === 'visible' ? (c.html ?? '') : '',
    createdAt: c.created_at,
    editedAt: c.edited_at,
  };
  if (state !== 'visible') json.state = state;
  return json;
}

/** One page of a paper's discussion, and where it sits among the others. */
export interface DiscussionPage {
  /** The threads on this page, whole, oldest first. */
  threads: ThreadNode[];
  /** 1-based; a page past the last is the last. */
  page: number;
  pages: number;
  /** Visible comments on all pages. */
  count: number;
}

/** Page `page` of the paper's discussion (pages hold whole threads: thread.ts `paginate`). The paper must exist. */
export async function discussionPage(db: Kysely<Database>, paperId: string, page = 1): Promise<DiscussionPage> {
  const threads = buildThread(await withHtml(db, await commentsOfPaper(db, paperId)));
  const pages = paginate(threads);
  const n = Math.min(Math.max(1, page), pages.length);
  return { threads: pages[n - 1]!, page: n, pages: pages.length, count: flatten(threads).filter((t) => t.state === 'visible').length };
}

/** The page of the paper's discussion that shows comment `id` (1 when it is not there). */
export async function pageOfComment(db: Kysely<Database>, paperId: string, id: number): Promise<number> {
  const pages = paginate(buildThread(await withHtml(db, await commentsOfPaper(db, paperId))));
  return pages.findIndex((threads) => flatten(threads).some((n) => n.comment.id === id)) + 1 || 1;
}

/** A page of the discussion as a flat list in reading order, each comment with its parentId; unknown and hidden papers are a 404. */
export async function discussionJson(db: Kysely<Database>, paperId: string, page = 1): Promise<{ comments: CommentJson[]; page: number; pages: number; count: number }> {
  await visiblePaper(db, paperId);
  const found = await discussionPage(db, paperId, page);
  return { comments: flatten(found.threads).map((n) => commentJson(n.comment)), page: found.page, pages: found.pages, count: found.count };
}

// Rows written before renderings were stored (013_comment_html) have none: each is rendered
// here the first time it is read, stored, and never rendered again. Lazily rather than in
// the migration, so that migrations never run the renderer of the day; a renderer fix can
// set html back to null and let the next reads render afresh.
async function withHtml(db: Kysely<Database>, rows: CommentRow[]): Promise<CommentRow[]> {
  for (const row of rows) {
    if (row.html !== null) continue;
    row.html = row.body ? renderStoredComment(row.body) : '';
    await storeCommentHtml(db, row.id, row.html);
  }
  return rows;
}

/** A comment's HTML, to be stored with it; a 413 or 422 saying why when it would render too big or draw outside its place. */
function renderedBody(text: string): string {
  const rendered = renderComment(text);
  if ('html' in rendered) return rendered.html;
  throw new DomainError(rendered.tooLarge ? 'too-large' : 'unprocessable', `comment: ${rendered.refused}`);
}

/** Checks a comment's text: not blank, not too long. Line endings become `\n`. */
export function checkBody(body: string | undefined): string {
  const text = (body ?? '').replace(/\r\n?/g, '\n');
  if (!text.trim()) throw new DomainError('invalid', 'the comment is empty');
  if (text.length > MAX_COMMENT_CHARS) throw new DomainError('too-large', `a comment has at most ${MAX_COMMENT_CHARS.toLocaleString('en-US')} characters`);
  return text;
}

/** The HTML a comment would show if posted now: the same checks and renderer as posting, nothing stored. */
export function previewComment(body: string | undefined): string {
  return renderedBody(checkBody(body));
}

/** Posts a comment (a reply when `parentId` is set) and returns it. */
export async function postComment(db: Kysely<Database>, viewer: Viewer, paperId: string, body: string | undefined, parentId: number | null): Promise<CommentRow> {
  const text = checkBody(body);
  const html = renderedBody(text);
  const id = await writeContent(
    db,
    async (trx) => {
      await visiblePaper(trx, paperId);
      if (parentId !== null) {
        const parent = await commentById(trx, parentId);
        if (!parent || parent.paper_id !== paperId) throw new DomainError('invalid', `parentId ${parentId} is not a comment on this paper`);
        if (parent.deleted_at || parent.hidden_at) throw new DomainError('invalid', `comment ${parentId} was deleted; reply to the thread instead`);
      }
      const id = await insertComment(trx, { paperId, userId: viewer.id, parentId, body: text, html, now: new Date().toISOString() });
      await refreshCommentCount(trx, paperId);
      return id;
    },
    () => true,
    // A card shows a paper's comment count, on its own row: kept cards see it (papers/components.tsx).
    { papersOnly: true },
  );
  return (await commentById(db, id))!;
}

/** Replaces the text of one's own comment. */
export async function editComment(db: Kysely<Database>, viewer: Viewer, id: number, body: string | undefined): Promise<CommentRow> {
  const text = checkBody(body);
  const html = renderedBody(text);
  await writeContent(
    db,
    async (trx) => {
      const comment = await liveComment(trx, id);
      if (comment.user_id !== viewer.id) throw new DomainError('forbidden', 'you can only edit your own comments');
      if (comment.hidden_at) throw new DomainError('forbidden', 'this comment was removed by a moderator');
      await updateCommentBody(trx, id, text, html, new Date().toISOString());
    },
    () => true,
    // A card shows a paper's comment count, on its own row: kept cards see it (papers/components.tsx).
    { papersOnly: true },
  );
  return (await commentById(db, id))!;
}

/**
 * Deletes a comment: one's own, or any with staff powers (written to the audit log). `staff` is what
 * the request carries (http/guards.ts `staffRole`), never the viewer's role alone: a token has none.
 */
export async function deleteComment(db: Kysely<Database>, viewer: Viewer, id: number, staff: 'moderator' | 'admin' | null): Promise<CommentRow> {
  return writeContent(
    db,
    async (trx) => {
      const comment = await liveComment(trx, id);
      const own = comment.user_id === viewer.id;
      if (!own && !staff) throw new DomainError('forbidden', 'you can only delete your own comments');
      await markCommentDeleted(trx, id, new Date().toISOString());
      if (!own) await recordAudit(trx, { actorId: viewer.id, role: staff! }, { action: 'delete-comment', targetType: 'comment', targetId: String(id), detail: `paper ${comment.paper_id}, by ${comment.username}` });
      await refreshCommentCount(trx, comment.paper_id);
      return comment;
    },
    () => true,
    // A card shows a paper's comment count, on its own row: kept cards see it (papers/components.tsx).
    { papersOnly: true },
  );
}

/** Reports a comment to the moderators; a second open report by the same person adds nothing. */
export async function reportComment(db: Kysely<Database>, viewer: Viewer, id: number, reason: string | undefined, detail: string | undefined): Promise<CommentRow> {
  const kind = REPORT_REASONS.find((r) => r === reason) ?? 'other';
  const note = (detail ?? '').trim().slice(0, 1000);
  if (kind === 'other' && !note) throw new DomainError('invalid', 'say what is wrong with the comment');
  const comment = await liveComment(db, id);
  if (comment.hidden_at) throw new DomainError('not-found', 'comment not found');
  await createReport(db, viewer.id, 'comment', String(id), note ? `${kind}: ${note}` : kind);
  return comment;
}

async function visiblePaper(db: Parameters<typeof paperForComments>[0], paperId: string): Promise<void> {
  const paper = await paperForComments(db, paperId);
  if (!paper) throw new DomainError('not-found', `paper not found: ${paperId}`);
  if (paper.hidden_at) throw new DomainError('gone', removedPaper(paperId));
}

// A comment that exists, is not deleted, and sits on a visible paper.
async function liveComment(db: Parameters<typeof commentById>[0], id: number): Promise<CommentRow> {
  const comment = await commentById(db, id);
  if (!comment || comment.deleted_at) throw new DomainError('not-found', 'comment not found');
  await visiblePaper(db, comment.paper_id);
  return comment;
}
