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
