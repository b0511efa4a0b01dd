import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { writeContent } from '../db/content-version.ts';
import { recordAudit, removedPaper, type Actor } from '../audit/audit.ts';
import { DomainError } from '../core/errors.ts';

type Q = Kysely<Database>;

/**
 * Files a user's claim to be the author at `position` on a paper: one claim per
 * user per paper, ever (a rejected claim is not filed again), and none on an
 * author already verified.
 */
export async function createClaim(db: Q, userId: number, paperId: string, position: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const author = await trx
      .selectFrom('paper_authors as a')
      .innerJoin('papers as p', 'p.id', 'a.paper_id')
      .select(['a.user_id', 'p.hidden_at'])
      .where('a.paper_id', '=', paperId)
      .where('a.position', '=', position)
      .executeTakeFirst();
    if (author?.hidden_at) throw new DomainError('gone', removedPaper(paperId));
    if (!author) throw new DomainError('not-found', `paper ${paperId} has no author at position ${position}`);
    if (author.user_id !== null) throw new DomainError('conflict', 'that author is already verified');
    const mine = await trx.selectFrom('authorship_claims').select('status').where('paper_id', '=', paperId).where('user_id', '=', userId).executeTakeFirst();
    if (mine) throw new DomainError('conflict', `you already claimed this paper (${mine.status})`);
    const row = await trx
      .insertInto('authorship_claims')
      .values({ paper_id: paperId, user_id: userId, author_position: position, status: 'pending', created_at: new Date().toISOString(), decided_at: null, decided_by: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

export interface PendingClaim {
  id: number;
  paperId: string;
  paperTitle: string;
  position: number;
  authorName: string;
  username: string;
  fullname: string;
  createdAt: string;
}

/** Claims waiting for a moderator, oldest first. */
export async function pendingClaims(db: Q, limit = 100): Promise<PendingClaim[]> {
  const rows = await db
    .selectFrom('authorship_claims as c')
    .innerJoin('papers as p', 'p.id', 'c.paper_id')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .leftJoin('paper_authors as a', (j) => j.onRef('a.paper_id', '=', 'c.paper_id').onRef('a.position', '=', 'c.author_position'))
    .select(['c.id', 'c.paper_id', 'p.title', 'c.author_position', 'a.name', 'u.username', 'u.fullname', 'c.created_at'])
    .where('c.status', '=', 'pending')
    .orderBy('c.created_at')
    .orderBy('c.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    paperId: r.paper_id,
    paperTitle: r.title,
    position: r.author_position,
    authorName: r.name ?? '(author no longer listed)',
    username: r.username,
    fullname: r.fullname,
    createdAt: r.created_at,
  }));
}

/**
 * Approves or rejects a pending claim, audited. Approval links the author to the
 * user (`paper_authors.user_id`), which the paper page and the profile show as verified.
 */
export async function decideClaim(db: Q, actor: Actor, claimId: number, approve: boolean): Promise<void> {
  await writeContent(
    db,
    async (trx) => {
      const claim = await trx.selectFrom('authorship_claims').selectAll().where('id', '=', claimId).executeTakeFirst();
      if (!claim) throw new DomainError('not-found', `no claim ${claimId}`);
      if (claim.status !== 'pending') throw new DomainError('conflict', `claim ${claimId} was already ${claim.status}`);
      // A moderator's own claim goes to another moderator.
      if ('actorId' in actor && actor.actorId === claim.user_id) throw new DomainError('forbidden', 'you cannot decide your own claim; another moderator will');
      if (approve) {
        const linked = await trx
          .updateTable('paper_authors')
          .set({ user_id: claim.user_id })
          .where('paper_id', '=', claim.paper_id)
          .where('position', '=', claim.author_position)
          .where('user_id', 'is', null)
          .executeTakeFirst();
        if (linked.numUpdatedRows === 0n) throw new DomainError('conflict', 'that author is no longer listed, or is already verified');
      }
      await trx
        .updateTable('authorship_claims')
        .set({ status: approve ? 'approved' : 'rejected', decided_at: new Date().toISOString(), decided_by: 'actorId' in actor ? actor.actorId : null })
        .where('id', '=', claimId)
        .execute();
      const who = await trx.selectFrom('users').select('username').where('id', '=', claim.user_id).executeTakeFirstOrThrow();
      await recordAudit(trx, actor, {
        action: approve ? 'approve-claim' : 'reject-claim',
        targetType: 'claim',
        targetId: String(claimId),
        detail: `${who.username} as author ${claim.author_position + 1} of ${claim.paper_id}`,
      });
      return approve;
    },
    (approved) => approved,
  );
}
