import { bumpReaderVersion, writeContent } from '../db/content-version.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../core/errors.ts';
import { removedPaper } from '../audit/audit.ts';
import { addUpvotes, papersForVotes, recountUpvotes, removeUpvotes, storedVotes, voteKey, type PaperForVote } from './queries.ts';

/** `up` and `down` say what the voter wants; `toggle` flips whatever is stored. */
export type VoteAction = 'up' | 'down' | 'toggle';

export interface Vote {
  userId: number;
  paperId: string;
  action: VoteAction;
}

export type VoteOutcome = { kind: 'ok'; upvoted: boolean; upvotes: number } | { kind: 'unknown' } | { kind: 'hidden' };

/**
 * Applies votes in order in one transaction under the content lock, then
 * recomputes each changed paper's count from the stored rows: concurrent votes,
 * in any number of processes on either database, end with count = baseline + rows.
 */
export function castVotes(db: Db, votes: Vote[], now = new Date()): Promise<VoteOutcome[]> {
  return writeContent(
    db.kysely,
    async (trx) => {
      const paperIds = [...new Set(votes.map((v) => v.paperId))];
      const papers = await papersForVotes(trx, paperIds);
      const stored = await storedVotes(trx, [...new Set(votes.map((v) => v.userId))], paperIds);
      const wanted = new Map<string, { userId: number; paperId: string; up: boolean }>();
      const changed = new Map<string, PaperForVote>();
      const states = votes.map((v) => {
        const paper = papers.get(v.paperId);
        if (!paper) return { kind: 'unknown' } as const;
        if (paper.hiddenAt) return { kind: 'hidden' } as const;
        const key = voteKey(v.userId, v.paperId);
        const has = wanted.get(key)?.up ?? stored.has(key);
        const up = v.action === 'toggle' ? !has : v.action === 'up';
        if (up !== has) {
          wanted.set(key, { userId: v.userId, paperId: v.paperId, up });
          changed.set(v.paperId, paper);
        }
        return { kind: 'ok', upvoted: up, paperId: v.paperId } as const;
      });
      // Only the net change of each person's vote is written.
      const net = [...wanted.entries()].filter(([key, w]) => w.up !== stored.has(key)).map(([, w]) => w);
      await addUpvotes(trx, net.filter((w) => w.up), now.toISOString());
      await removeUpvotes(trx, net.filter((w) => !w.up));
      const counts = await recountUpvotes(trx, changed);
      for (const userId of new Set(net.map((w) => w.userId))) await bumpReaderVersion(trx, userId);
      const outcomes = states.map((s): VoteOutcome =>
        s.kind === 'ok' ? { kind: 'ok', upvoted: s.upvoted, upvotes: counts.get(s.paperId) ?? papers.get(s.paperId)!.upvotes } : s,
      );
      return { outcomes, changed: changed.size > 0 };
    },
    (result) => result.changed,
    // Everyone sees the new count, on the paper's own row (kept cards compare it); the voter's own state is their reader version.
    { papersOnly: true },
  ).then((result) => result.outcomes);
}

/** Votes arriving while a batch is being written wait for the next one; at most this many per transaction. */
const MAX_BATCH = 500;

/**
 * Group commit for votes: each process writes the votes that arrived while the
 * previous transaction ran in a single transaction, so a burst costs one lock,
 * one recount per paper and one commit instead of one of each per vote. Each
 * caller still gets its own outcome.
 */
class VoteQueue {
  private pending: { vote: Vote; resolve: (o: VoteOutcome) => void; reject: (e: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly db: Db) {}

  cast(vote: Vote): Promise<VoteOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ vote, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const outcomes = await castVotes(this.db, batch.map((p) => p.vote));
          batch.forEach((p, i) => p.resolve(outcomes[i]!));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One bad vote must not fail its neighbours: write each alone, so only it fails.
          for (const p of batch) await castVotes(this.db, [p.vote]).then((o) => p.resolve(o[0]!), p.reject);
        }
      }
    } finally {
      this.running = false;
    }
  }
}

const queues = new WeakMap<Db, VoteQueue>();

/** Casts or withdraws one person's upvote (see VoteQueue and castVotes); an unknown or removed paper is refused. */
export async function castVote(db: Db, userId: number, paperId: string, action: VoteAction): Promise<{ upvoted: boolean; upvotes: number }> {
  let queue = queues.get(db);
  if (!queue) queues.set(db, (queue = new VoteQueue(db)));
  const outcome = await queue.cast({ userId, paperId, action });
  if (outcome.kind === 'unknown') throw new DomainError('not-found', `paper not found: ${paperId}`);
  if (outcome.kind === 'hidden') throw new DomainError('gone', removedPaper(paperId));
  return { upvoted: outcome.upvoted, upvotes: outcome.upvotes };
}
