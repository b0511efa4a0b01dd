import { writeContent } from '../db/content-version.ts';
import type { Db } from '../db/database.ts';
import { addUpvote, commitWithoutFlush, paperForVote, recountUpvotes, removeUpvote } from './queries.ts';

/** `up` and `down` say what the voter wants; `toggle` flips whatever is stored. */
export type VoteAction = 'up' | 'down' | 'toggle';

export type VoteOutcome =
  | { kind: 'ok'; upvoted: boolean; upvotes: number; changed: boolean }
  | { kind: 'unknown' }
  | { kind: 'hidden' };

/**
 * Casts or withdraws one person's upvote in one transaction under the content
 * lock, then recomputes the paper's count from the stored rows: concurrent votes
 * on any database end with count = baseline + rows.
 */
export function castVote(db: Db, userId: number, paperId: string, action: VoteAction, now = new Date()): Promise<VoteOutcome> {
  return writeContent(
    db.kysely,
    async (trx): Promise<VoteOutcome> => {
      await commitWithoutFlush(trx, db.dialect);
      const paper = await paperForVote(trx, userId, paperId);
      if (!paper) return { kind: 'unknown' };
      if (paper.hiddenAt) return { kind: 'hidden' };
      const want = action === 'toggle' ? !paper.upvoted : action === 'up';
      if (want === paper.upvoted) return { kind: 'ok', upvoted: want, upvotes: paper.upvotes, changed: false };
      if (want) await addUpvote(trx, userId, paperId, now.toISOString());
      else await removeUpvote(trx, userId, paperId);
      const upvotes = await recountUpvotes(trx, paperId, paper.featuredAt);
      return { kind: 'ok', upvoted: want, upvotes, changed: true };
    },
    (outcome) => outcome.kind === 'ok' && outcome.changed,
  );
}
