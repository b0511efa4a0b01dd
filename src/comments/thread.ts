import type { CommentRow } from './queries.ts';

/** What a reader may see of a comment: all of it, or a placeholder that keeps its replies in place. */
export type CommentState = 'visible' | 'deleted' | 'removed';

export interface ThreadNode {
  comment: CommentRow;
  state: CommentState;
  replies: ThreadNode[];
}

export function stateOf(comment: Pick<CommentRow, 'deleted_at' | 'hidden_at'>): CommentState {
  if (comment.hidden_at) return 'removed';
  if (comment.deleted_at) return 'deleted';
  return 'visible';
}

/**
 * Arranges a paper's comments (oldest first) into threads: replies under their
 * parent, oldest first. A deleted or hidden comment stays as a placeholder while
 * a visible reply hangs under it, and disappears otherwise.
 */
export function buildThread(rows: readonly CommentRow[]): ThreadNode[] {
  const nodes = new Map<number, ThreadNode>(rows.map((c) => [c.id, { comment: c, state: stateOf(c), replies: [] }]));
  const roots: ThreadNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.comment.parent_id !== null ? nodes.get(node.comment.parent_id) : undefined;
    (parent ? parent.replies : roots).push(node);
  }
  return prune(roots);
}

function prune(nodes: ThreadNode[]): ThreadNode[] {
  return nodes.flatMap((node) => {
    const replies = prune(node.replies);
    return node.state === 'visible' || replies.length > 0 ? [{ ...node, replies }] : [];
  });
}

/** The nodes of a thread in reading order (each comment before its replies). */
export function flatten(nodes: readonly ThreadNode[]): ThreadNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.replies)]);
}

/** A page of discussion holds whole threads, at most this many comments… */
export const COMMENTS_PER_PAGE = 50;
/** …and this much of their stored HTML (characters), so that a page stays small enough to cache. */
export const PAGE_HTML_CHARS = 1024 * 1024;

/**
 * Splits threads (oldest first) into pages of whole threads within the limits above;
 * a thread bigger than a page has a page of its own. Always at least one page.
 */
export function paginate(threads: readonly ThreadNode[], limits = { comments: COMMENTS_PER_PAGE, chars: PAGE_HTML_CHARS }): ThreadNode[][] {
  const pages: ThreadNode[][] = [[]];
  let comments = 0;
  let chars = 0;
  for (const thread of threads) {
    const nodes = flatten([thread]);
    const size = nodes.reduce((sum, n) => sum + (n.state === 'visible' ? (n.comment.html ?? n.comment.body).length : 0), 0);
    if (pages.at(-1)!.length > 0 && (comments + nodes.length > limits.comments || chars + size > limits.chars)) {
      pages.push([]);
      comments = 0;
      chars = 0;
    }
    pages.at(-1)!.push(thread);
    comments += nodes.length;
    chars += size;
  }
  return pages;
}
