import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.ts';

/**
 * One turn at a time at an upstream, for every process that shares this database: several app
 * instances, their jobs and an operator's CLI together keep arXiv's "one request at a time,
 * three seconds apart", not each on its own. A row per origin holds the time (epoch ms, each
 * machine's clock) from which the next turn may start, and who holds the current one.
 */
export interface UpstreamLane {
  /** Waits for the origin's turn and takes it; the turn is held until it ends. */
  take(origin: string): Promise<Turn>;
}

export interface Turn {
  /** Ends the turn: the next may start `restMs` from now (the interval, or what a `Retry-After` asked). */
  end(restMs: number): Promise<void>;
}

/**
 * A turn is a lease renewed while its process lives: one killed mid-request (a deploy, a crash)
 * holds the lane at most this long. A process whose event loop stalls longer may lose its turn.
 */
export const LEASE_MS = 10_000;
/** How often a waiting process looks again: a turn that ends is seen within this. */
const POLL_MS = 200;

export function databaseLane(db: Db, opts: { leaseMs?: number } = {}): UpstreamLane {
  const q = db.kysely;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const hold = (origin: string, holder: string, until: number) =>
    q.updateTable('upstream_lanes').set({ free_at: until }).where('origin', '=', origin).where('holder', '=', holder).execute();
  return {
    async take(origin) {
      const holder = randomUUID();
      for (;;) {
        const now = Date.now();
        const taken = await q
          .updateTable('upstream_lanes')
          .set({ free_at: now + leaseMs, holder })
          .where('origin', '=', origin)
          .where('free_at', '<=', now)
          .executeTakeFirst();
        if (taken.numUpdatedRows > 0n) break;
        const row = await q.selectFrom('upstream_lanes').select('free_at').where('origin', '=', origin).executeTakeFirst();
        if (!row) {
          // The origin's first request anywhere: its row starts free.
          await q.insertInto('upstream_lanes').values({ origin, free_at: 0, holder: null }).onConflict((oc) => oc.column('origin').doNothing()).execute();
          continue;
        }
        await sleep(Math.min(Math.max(row.free_at - now, 1), POLL_MS));
      }
      // Renewed by holder only: a turn that was lost to a stall is not taken back from its new holder.
      const renewal = setInterval(() => void hold(origin, holder, Date.now() + leaseMs).catch(() => {}), leaseMs / 3);
      renewal.unref();
      return {
        async end(restMs) {
          clearInterval(renewal);
          await hold(origin, holder, Date.now() + restMs);
        },
      };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
