import { sql, type Kysely, type Transaction } from 'kysely';
import type { Comment, Database } from '../db/schema.ts';

type Q = Kysely<Database> | Transaction<Database>;

/** A comment with what a thread shows of its author. */
export interface CommentRow extends Comment {
  username: string;
  fullname: string;
}

/** The paper's state as comments see it: whether it exists and is visible. */
export function paperForComments(db: Q, paperId: string): Promise<{ id: string; hidden_at: string | null } | undefined> {
  return db.selectFrom('papers').select(['id', 'hidden_at']).where('id', '=', paperId).executeTakeFirst();
}

/** Comments joined to what a thread shows of their authors: the start of the two queries below. */
function commentRows(db: Q) {
  return db.selectFrom('comments as c').innerJoin('users as u', 'u.id', 'c.user_id').selectAll('c').select(['u.username', 'u.fullname']);
}

/** Every comment of a paper (deleted and hidden ones too: threads keep their shape), oldest first. */
export function commentsOfPaper(db: Q, paperId: string): Promise<CommentRow[]> {
  return commentRows(db)
    .where('c.paper_id', '=', paperId)
    .orderBy('c.created_at')
    .orderBy('c.id')
    .execute();
}

/** One comment with its author, or undefined. */
export function commentById(db: Q, id: number): Promise<CommentRow | undefined> {
  return commentRows(db).where('c.id', '=', id).executeTakeFirst();
}

export async function insertComment(trx: Q, values: { paperId: string; userId: number; parentId: number | null; body: string; html: string; now: string }): Promise<number> {
  const row = await trx
    .insertInto('comments')
    .values({ paper_id: values.paperId, user_id: values.userId, parent_id: values.parentId, body: values.body, html: values.html, created_at: values.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateCommentBody(trx: Q, id: number, body: string, html: string, now: string): Promise<void> {
  await trx.updateTable('comments').set({ body, html, edited_at: now }).where('id', '=', id).execute();
}

/** Stores the rendering of a comment written before renderings were stored, unless one got there first. */
export async function storeCommentHtml(db: Q, id: number, html: string): Promise<void> {
  await db.updateTable('comments').set({ html }).where('id', '=', id).where('html', 'is', null).execute();
}

/** Marks a comment deleted; its body goes too, so nothing deleted lingers in the database. */
export async function markCommentDeleted(trx: Q, id: number, now: string): Promise<void> {
  await trx.updateTable('comments').set({ deleted_at: now, body: '', html: '' }).where('id', '=', id).execute();
}

/**
 * Sets `papers.comments` to the imported baseline plus the visible comments written
 * here (neither deleted nor hidden). Call it in every transaction that changes
 * which comments are visible: posting, deleting, hiding, unhiding.
 */
export async function refreshCommentCount(trx: Q, paperId: string): Promise<void> {
  const visible = trx
    .selectFrom('comments')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('paper_id', '=', paperId)
    .where('deleted_at', 'is', null)
    .where('hidden_at', 'is', null);
  await trx
    .updateTable('papers')
    .set({ comments: sql<number>`comments_source + (${visible})` })
    .where('id', '=', paperId)
    .execute();
}
