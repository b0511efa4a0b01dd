import type { Context } from 'hono';
import { raw } from 'hono/html';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, renderingTemplate, viewerOf } from '../http/authenticate.ts';
import { ELSE, END, ifReader } from '../http/reader-template.ts';
import { needViewer, staffRole } from '../http/guards.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { isModerator, type Viewer } from '../auth/sessions.ts';
import { paperPath } from '../ui/components.tsx';
import { plural } from '../ui/format.ts';
import { formBody } from '../http/forms.ts';
import { idParam, paperIdParam, rowId } from '../http/params.ts';
import { REPORT_REASONS, deleteComment, discussionPage, editComment, pageOfComment, postComment, previewComment, reportComment } from './comments.ts';
import { MAX_COMMENT_CHARS } from './markdown.ts';
import { flatten, type ThreadNode } from './thread.ts';

/** Replies nest this deep on the page; deeper ones line up at the last level. */
const MAX_DEPTH = 4;

/** What the paper page's discussion section needs. */
export interface DiscussionProps {
  paperId: string;
  /** The threads on this page of the discussion. */
  threads: ThreadNode[];
  /** This page (1-based, from `?comments=`) and how many there are. */
  page: number;
  pages: number;
  /** Visible comments written here, on all pages. */
  count: number;
  /** Comments the import source reported, which live there. */
  sourceCount: number;
  /** Where they are: the paper's discussion at the import source, and that site's name. */
  source?: { url: string; name: string };
  viewer: Viewer | null;
  /** Empty for anonymous readers, whose pages are cached and carry no forms. */
  csrf: string;
  /** A page for every reader of a role: each comment's controls for its author and for others, chosen when filled in. */
  template?: boolean;
}

const NO_DISCUSSION = { threads: [], page: 1, pages: 1, count: 0 };

/** Loads the page of the discussion that `?comments=` asks for (the first when it is not a number, the last when past it), for this viewer. */
export async function loadDiscussion(c: Context<AppEnv>, paperId: string, sourceCount: number, comments?: number): Promise<DiscussionProps> {
  const viewer = viewerOf(c);
  const asked = Number(/^\d{1,6}$/.exec(c.req.query('comments') ?? '')?.[0] ?? 1);
  // `papers.comments` is the source's count plus the visible comments written here: when they are
  // equal no thread shows (a deleted or removed comment shows only above a visible reply), so
  // most papers' pages need no read of their comments.
  const { threads, page, pages, count } = comments === sourceCount ? NO_DISCUSSION : await discussionPage(c.get('db').kysely, paperId, asked);
  const hf = new URL(c.get('config').HF_API_URL);
  const source = { url: `${hf.origin}/papers/${paperId}#community`, name: hf.hostname === 'huggingface.co' ? 'Hugging Face' : hf.hostname };
  return { paperId, threads, page, pages, count, sourceCount, source, viewer, csrf: viewer ? csrfToken(c) : '', template: renderingTemplate(c) };
}

/** Where comment `id` of a paper is shown: its page of the discussion, at its anchor. */
async function commentPath(c: Context<AppEnv>, paperId: string, id: number): Promise<string> {
  const page = await pageOfComment(c.get('db').kysely, paperId, id);
  return `${discussionPath(paperId, page)}#c${id}`;
}

const discussionPath = (paperId: string, page: number) => (page > 1 ? `${paperPath(paperId)}?comments=${page}` : paperPath(paperId));

/** The threaded discussion under a paper: comments, replies, and the forms to join in. */
export function Discussion(props: DiscussionProps) {
  const { paperId, threads, count, sourceCount, viewer } = props;
  const names = new Map(flatten(threads).map((n) => [n.comment.id, n.comment.username]));
  return (
    <section id="discussion" class="discussion" aria-labelledby="discussion-h">
      <h2 id="discussion-h">
        Discussion {count > 0 && <span class="discussion-count">{count}</span>}
      </h2>
      {props.page > 1 && <DiscussionPages {...props} />}
      {threads.length > 0 ? (
        <Comments nodes={threads} depth={1} props={props} names={names} />
      ) : (
        <p class="muted">
          {sourceCount > 0 ? 'No comments here yet.' : 'No comments yet.'}
          {viewer ? ' Start the discussion.' : ''}
        </p>
      )}
      {/* Said once: the comments imported papers had at their source live there, not here. */}
      {sourceCount > 0 && props.source && (
        <p class="source-comments">
          <a href={props.source.url} rel="nofollow noopener">
            {count > 0 ? 'Also ' : ''}
            {plural(sourceCount, 'comment')} on {props.source.name} →
          </a>
        </p>
      )}
      {props.pages > 1 && <DiscussionPages {...props} />}
      {viewer ? (
        <CommentForm paperId={paperId} csrf={props.csrf} label="Add a comment" submit="Post" />
      ) : (
        <p class="comment-signin">
          <a href={`/signin?next=${paperPath(paperId)}%23discussion`}>Sign in to comment</a>
        </p>
      )}
    </section>
  );
}

/** Plain links between the pages of a long discussion: they work without JavaScript and stay cacheable. */
function DiscussionPages({ paperId, page, pages }: DiscussionProps) {
  return (
    <nav class="comment-pages" aria-label="Pages of the discussion">
      {page > 1 && (
        <a href={`${discussionPath(paperId, page - 1)}#discussion`} rel="prev">
          ← Earlier comments
        </a>
      )}
      <span class="muted small">
        Page {page} of {pages}
      </span>
      {page < pages && (
        <a href={`${discussionPath(paperId, page + 1)}#discussion`} rel="next">
          More comments →
        </a>
      )}
    </nav>
  );
}

function Comments({ nodes, depth, props, names }: { nodes: ThreadNode[]; depth: number; props: DiscussionProps; names: Map<number, string> }) {
  return (
    <ol class={depth === 1 ? 'comments' : 'comments replies'}>
      {nodes.map((node) =>
        depth < MAX_DEPTH ? (
          <li>
            <CommentItem node={node} props={props} />
            {node.replies.length > 0 && <Comments nodes={node.replies} depth={depth + 1} props={props} names={names} />}
          </li>
        ) : (
          // At the last level a reply says whom it answers, since indentation no longer does.
          [node, ...flatten(node.replies)].map((n, i) => (
            <li>
              <CommentItem node={n} props={props} replyTo={i > 0 ? names.get(n.comment.parent_id!) : undefined} />
            </li>
          ))
        ),
      )}
    </ol>
  );
}

function CommentItem({ node, props, replyTo }: { node: ThreadNode; props: DiscussionProps; replyTo?: string }) {
  const { comment, state } = node;
  const anchor = `c${comment.id}`;
  if (state !== 'visible') {
    return (
      <article class="comment placeholder" id={anchor}>
        <p class="muted">{state === 'deleted' ? '[deleted]' : '[removed by a moderator]'}</p>
      </article>
    );
  }
  const { viewer, csrf, paperId } = props;
  const actions = (own: boolean) =>
    viewer && (
        <div class="comment-actions">
          <details>
            <summary>Reply</summary>
            <CommentForm paperId={paperId} csrf={csrf} parentId={comment.id} label={`Reply to ${comment.fullname}`} submit="Reply" />
          </details>
          {own && (
            <details>
              <summary>Edit</summary>
              <form method="post" action={`/comments/${comment.id}/edit`} class="comment-form">
                <input type="hidden" name="_csrf" value={csrf} />
                <label class="visually-hidden" for={`edit-${comment.id}`}>
                  Edit your comment
                </label>
                <textarea id={`edit-${comment.id}`} name="comment" rows={5} required maxlength={MAX_COMMENT_CHARS}>
                  {comment.body}
                </textarea>
                <div class="comment-form-row">
                  <button type="submit" class="button primary">
                    Save
                  </button>
                </div>
              </form>
            </details>
          )}
          {(own || isModerator(viewer)) && (
            <details>
              <summary>Delete</summary>
              <form method="post" action={`/comments/${comment.id}/delete`} class="comment-form">
                <input type="hidden" name="_csrf" value={csrf} />
                <p class="small">
                  {own ? 'Delete your comment? Replies stay, under a placeholder.' : `Delete ${comment.username}'s comment as a moderator? This is logged.`}
                </p>
                <button type="submit" class="button danger">
                  Delete comment
                </button>
              </form>
            </details>
          )}
          {!own && (
            <details>
              <summary>Report</summary>
              <form method="post" action={`/comments/${comment.id}/report`} class="comment-form">
                <input type="hidden" name="_csrf" value={csrf} />
                <label class="small">
                  Reason{' '}
                  <select name="reason">
                    {REPORT_REASONS.map((r) => (
                      <option value={r}>{r}</option>
                    ))}
                  </select>
                </label>
                <label class="visually-hidden" for={`report-${comment.id}`}>
                  Details
                </label>
                <input id={`report-${comment.id}`} type="text" name="detail" maxlength={1000} placeholder="What is wrong (optional unless “other”)" />
                <div class="comment-form-row">
                  <button type="submit" class="button">
                    Send report
                  </button>
                </div>
              </form>
            </details>
          )}
        </div>
    );  return (
    <article class="comment" id={anchor}>
      <header class="comment-head">
        <a class="comment-author" href={`/users/${encodeURIComponent(comment.username)}`}>
          {comment.fullname}
        </a>
        {comment.fullname !== comment.username && <span class="muted">@{comment.username}</span>}
        {replyTo && <span class="muted">↪ @{replyTo}</span>}
        <a class="comment-date muted" href={`#${anchor}`}>
          <time datetime={comment.created_at} title={fullDate.format(new Date(comment.created_at))}>
            {shortDate(comment.created_at)}
          </time>
        </a>
        {comment.edited_at && (
          <span class="muted" title={`edited ${fullDate.format(new Date(comment.edited_at))}`}>
            · edited
          </span>
        )}
      </header>
      <div class="comment-body">{raw(comment.html ?? '')}</div>
      {props.template ? (
        <>
          {raw(ifReader('own', comment.user_id))}
          {actions(true)}
          {raw(ELSE)}
          {actions(false)}
          {raw(END)}
        </>
      ) : (
        actions(viewer?.id === comment.user_id)
      )}
    </article>
  );
}

function CommentForm({ paperId, csrf, parentId, label, submit }: { paperId: string; csrf: string; parentId?: number; label: string; submit: string }) {
  const fieldId = parentId ? `reply-${parentId}` : 'new-comment';
  return (
    <form method="post" action={`${paperPath(paperId)}/comments`} class="comment-form">
      <input type="hidden" name="_csrf" value={csrf} />
      {parentId && <input type="hidden" name="parentId" value={String(parentId)} />}
      <label for={fieldId} class={parentId ? 'visually-hidden' : 'comment-form-label'}>
        {label}
      </label>
      <textarea id={fieldId} name="comment" rows={parentId ? 3 : 4} required maxlength={MAX_COMMENT_CHARS} placeholder="Markdown and $math$ welcome" />
      <div class="comment-form-row">
        <span class="muted small">Markdown, `code`, $\LaTeX$ math. Be kind.</span>
        <button type="submit" class="button primary">
          {submit}
        </button>
      </div>
    </form>
  );
}

const fullDate = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC', timeZoneName: 'short' });
const dayMonth = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayMonthYear = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

// Absolute, not "3 hours ago": anonymous pages are cached until the content changes.
function shortDate(iso: string): string {
  const d = new Date(iso);
  return d.getUTCFullYear() === new Date().getUTCFullYear() ? dayMonth.format(d) : dayMonthYear.format(d);
}

const commentForm = z.object({
  comment: z.string().optional(),
  parentId: z.union([z.literal(''), rowId], 'must be a comment id').optional(),
});
// An edit changes the text only: a stray parentId is ignored, not mistaken for an empty comment.
const editForm = z.object({ comment: z.string({ error: 'the comment must be text' }).optional() });
const reportForm = z.object({ reason: z.string().optional(), detail: z.string().optional() });

/** `POST /papers/{id}/comments`: a comment or, with `parentId`, a reply. */
export async function postCommentForm(c: Context<AppEnv>) {
  const viewer = needViewer(c);
  const paperId = paperIdParam(c);
  const form = await formBody(c, commentForm);
  await enforceLimit(c, 'comment');
  const comment = await postComment(c.get('db').kysely, viewer, paperId, form.comment, form.parentId || null);
  return c.redirect(await commentPath(c, paperId, comment.id), 303);
}

/** `POST /comments/preview` (comment=…, with the CSRF token): `{html}` as posting would render it, or the error posting would give. */
export async function previewCommentForm(c: Context<AppEnv>) {
  needViewer(c);
  const form = await formBody(c, commentForm);
  return c.json({ html: previewComment(form.comment) }, 200, { 'Cache-Control': 'no-store' });
}

/** `POST /comments/{id}/edit`. */
export async function editCommentForm(c: Context<AppEnv>) {
  const viewer = needViewer(c);
  const id = idParam(c, 'id');
  const form = await formBody(c, editForm);
  await enforceLimit(c, 'comment');
  const comment = await editComment(c.get('db').kysely, viewer, id, form.comment);
  return c.redirect(await commentPath(c, comment.paper_id, comment.id), 303);
}

/** `POST /comments/{id}/delete`: back to the thread (the comment may be gone from it). */
export async function deleteCommentForm(c: Context<AppEnv>) {
  const viewer = needViewer(c);
  const id = idParam(c, 'id');
  await enforceLimit(c, 'comment');
  const comment = await deleteComment(c.get('db').kysely, viewer, id, staffRole(c));
  return c.redirect(comment.parent_id ? await commentPath(c, comment.paper_id, comment.parent_id) : `${paperPath(comment.paper_id)}#discussion`, 303);
}

/** `POST /comments/{id}/report`: a report for the moderators' queue. */
export async function reportCommentForm(c: Context<AppEnv>) {
  const viewer = needViewer(c);
  const id = idParam(c, 'id');
  const form = await formBody(c, reportForm);
  await enforceLimit(c, 'report');
  const comment = await reportComment(c.get('db').kysely, viewer, id, form.reason, form.detail);
  return c.redirect(await commentPath(c, comment.paper_id, comment.id), 303);
}
