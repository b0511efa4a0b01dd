import type { Db } from '../db/database.ts';

/**
 * One turn at a time at an upstream, for every process that shares this database: several app
 * instances, their jobs and an operator's CLI together keep arXiv's "one request at a time,
 * three seconds apart", not each on its own. A row per origin holds the time (epoch ms, each
 * machine's clock) from which the next request may start.
 */
export interface UpstreamLane {
  /** Waits for the origin's turn and takes it for at most `holdMs` (a process that dies mid-request frees it then). */
  take(origin: string, holdMs: number): Promise<void>;
  /** Ends the turn: the next request may start `restMs` from now (the interval, or what a `Retry-After` asked). */
  release(origin: string, restMs: number): Promise<void>;
}

/** How often a waiting process looks again: a turn released early is seen within this. */
const POLL_MS = 200;

export function databaseLane(db: Db): UpstreamLane {
  const q = db.kysely;
  return {
    async take(origin, holdMs) {
      for (;;) {
        const now = Date.now();
        const taken = await q.updateTable('upstream_lanes').set({ free_at: now + holdMs }).where('origin', '=', origin).where('free_at', '<=', now).executeTakeFirst();
        if (taken.numUpdatedRows > 0n) return;
        const row = await q.selectFrom('upstream_lanes').select('free_at').where('origin', '=', origin).executeTakeFirst();
        if (!row) {
          // The origin's first request anywhere: its row starts free.
          await q.insertInto('upstream_lanes').values({ origin, free_at: 0 }).onConflict((oc) => oc.column('origin').doNothing()).execute();
          continue;
        }
        await sleep(Math.min(Math.max(row.free_at - now, 1), POLL_MS));
      }
    },
    async release(origin, restMs) {
      await q.updateTable('upstream_lanes').set({ free_at: Date.now() + restMs }).where('origin', '=', origin).execute();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
