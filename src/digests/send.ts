import type { Db } from '../db/database.ts';
import type { Mailer } from '../mail/mailer.ts';
import { INSTANCE } from '../core/instance.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { unsubscribeAddress } from './links.ts';
import { digestMessage, isPlainAddress, prepareBody, type PreparedBody } from './mime.ts';
import { personalize } from './render.ts';
import {
  bodiesById,
  bodiesWithHiddenPapers,
  claimDue,
  clearBounces,
  digestLinks,
  fenceRefusal,
  markFinal,
  markRetry,
  nextRetryAt,
  recipientsOf,
  recordBounce,
  markSent,
  passFence,
  rebuildBodies,
  releaseLeases,
  TAKEN_OVER,
  type ClaimedDigest,
  type OutboxConfig,
} from './outbox.ts';

/**
 * Sends due digests from the outbox (docs/decisions/010-digests.md).
 *
 * - Only the holder of a row's lease sends it, and it passes a fence once the server has
 *   begun to take the message (DATA), before the final "." line that makes it take it: it
 *   still holds the lease, for long enough to finish (renewed in one UPDATE when short), and
 *   the subscriber is still subscribed (outbox.ts `passFence`). A sender that stalled past its lease, or a digest
 *   whose subscriber left meanwhile, drops the connection instead, and the server discards the
 *   message. So instances never both deliver a row, and leaving takes effect at once.
 * - Accepted mails are recorded as soon as the server says 250, in groups (whatever finished
 *   while the previous commit ran), and a worker takes its next mail only once its last one is
 *   recorded: at most one mail per worker is between the server's 250 and its commit.
 * - A sender killed in that window leaves the row `sending`; whoever takes it over sends it
 *   again, byte for byte, under the same Message-ID. No SMTP client can ask the server whether
 *   it took a message, so the choice in that window is between a second copy and none; a
 *   digest is never lost (decision 010).
 */

export interface SendOptions {
  /** Who holds the leases; one per process by default. */
  owner?: string;
  /** Mails in flight at once (match the SMTP pool size). */
  concurrency?: number;
  /** How long a claim holds; a sender that dies leaves its rows to others after this. */
  leaseMs?: number;
  /** First retry delay; each further transient failure doubles it (up to MAX_BACKOFF_MS). */
  retryBaseMs?: number;
  /** Attempts before a digest is given up on. */
  maxAttempts?: number;
  /** Permanent failures in a row before an address is `bounced`. */
  bounceLimit?: number;
  /** Only this period. */
  period?: string;
  /** Stop claiming new rows after this time (ms since the epoch); rows in flight finish. */
  deadline?: number;
  /** The clock leases, retries and the deadline are read from (ms since the epoch): tests move it instead of sleeping. */
  clock?: () => number;
  log?: Logger;
}

export interface SendSummary {
  sent: number;
  /** Transient failures queued for a retry. */
  retried: number;
  /** Given up on: refused permanently (5xx) or too many attempts. */
  failed: number;
  /** Not sent because the subscription ended before its turn. */
  skipped: number;
  /** Rows taken over from a sender that stopped holding them (in doubt if it had passed the fence). */
  takenOver: number;
  /** Rows built again because a paper in them was hidden after they were built. */
  rebuilt: number;
  /** Rows another sender took over after this one's lease ran out (it stalled): left to it. */
  lost: number;
}

/** The fence stopped a row: the sender lost its lease, or the subscription ended. */
class Fenced extends Error {}

/** The body id of a row rebuilt with nothing left to send. */
const NOTHING_LEFT = -1;

/** A leased row, where it goes (null: the subscription ended), and the address's bounces so far. */
interface Claimed {
  row: ClaimedDigest;
  to: string | null;
  bounces: number;
}

export const DEFAULTS = { leaseMs: 5 * 60_000, retryBaseMs: 60_000, maxAttempts: 8, bounceLimit: 3 } as const;
const MAX_BACKOFF_MS = 6 * 3600_000;
/**
 * How long the fence renews a lease for, at least: the rest of the send (the server's answer
 * to the ".", within the mailer's 30 s socket timeout) and its record must fit in it, or
 * another sender could take the row over and send it again.
 */
const FENCE_HOLD_MS = 2 * 60_000;
/** A row is not started with less than this left on its lease: the send must finish inside it. */
const LEASE_MARGIN_MS = 60_000;

/** Network failures nodemailer reports with a code and no SMTP reply: worth another try. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EDNS', 'EPROTOCOL', 'ECLOSED', 'EHOSTUNREACH', 'ENETUNREACH']);

export type Failure = { kind: 'transient' | 'permanent'; message: string };

/** 5xx is the server refusing for good; 4xx and dropped connections may work next time. */
export function classifyFailure(err: unknown): Failure {
  const e = err as { responseCode?: number; code?: string; message?: string; response?: string };
  const message = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim();
  if (typeof e.responseCode === 'number') {
    const text = message.startsWith(String(e.responseCode)) ? message : `${e.responseCode} ${message}`;
    return { kind: e.responseCode >= 500 ? 'permanent' : 'transient', message: text.slice(0, 500) };
  }
  if (e.code && TRANSIENT_CODES.has(e.code)) return { kind: 'transient', message: `${e.code}: ${message}`.slice(0, 500) };
  // Anything else (an unexpected error) is retried too; maxAttempts bounds it.
  return { kind: 'transient', message: message.slice(0, 500) };
}

export function backoffMs(attempts: number, base: number): number {
  return Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Claims and sends every digest due now, `concurrency` at a time, until none is due or the
 * deadline passes. Retries already due when a round ends are taken in another round.
 */
export async function sendDue(db: Db, mailer: Mailer, config: OutboxConfig, options: SendOptions = {}): Promise<SendSummary> {
  const opts = { ...DEFAULTS, owner: `${INSTANCE}:${Math.random().toString(36).slice(2, 8)}`, concurrency: 5, log: silentLogger, clock: Date.now, ...options };
  const now = () => new Date(opts.clock());
  const summary: SendSummary = { sent: 0, retried: 0, failed: 0, skipped: 0, takenOver: 0, rebuilt: 0, lost: 0 };
  const queue: Claimed[] = [];
  let exhausted = false;
  let claiming: Promise<void> | null = null;
  const batch = opts.concurrency * 10;

  const bodies = new Map<number, Promise<PreparedBody>>();
  const loadBodies = async (ids: number[]) => {
    const missing = [...new Set(ids)].filter((id) => !bodies.has(id));
    if (missing.length === 0) return;
    const loaded = bodiesById(db, missing);
    for (const id of missing) {
      bodies.set(
        id,
        loaded.then((m) => {
          const body = m.get(id);
          if (!body) throw new Error(`digest body ${id} is missing`);
          return prepareBody(config.MAIL_FROM, body);
        }),
      );
    }
    await Promise.all(missing.map((id) => bodies.get(id)));
  };
  const mayStillSend = groupCommit<Claimed, boolean>(async (ready) => {
    const at = now();
    const passed = await passFence(db, ready.map((d) => d.row.id), opts.owner, at, new Date(at.getTime() + FENCE_HOLD_MS));
    return ready.map((d) => passed.has(d.row.id));
  });
  const recordSent = groupCommit<Claimed, void>(async (done) => {
    await markSent(db, done.map((d) => d.row.id), opts.owner, now());
    await clearBounces(db, done.filter((d) => d.bounces > 0).map((d) => d.row.subscription_id));
    return done.map(() => undefined);
  });

  const refill = async () => {
    if (opts.deadline !== undefined && opts.clock() >= opts.deadline) {
      exhausted = true;
      return;
    }
    const at = now();
    const rows = await claimDue(db, { owner: opts.owner, limit: batch, now: at, leaseUntil: new Date(at.getTime() + opts.leaseMs), period: opts.period });
    if (rows.length === 0) {
      exhausted = true;
      return;
    }
    const [recipients, stale] = await Promise.all([recipientsOf(db, rows.map((r) => r.subscription_id)), bodiesWithHiddenPapers(db, rows.map((r) => r.body_id))]);
    // A paper hidden since the build: those digests are built again without it, in place.
    const outdated = rows.filter((r) => stale.has(r.body_id));
    if (outdated.length > 0) {
      const rebuilt = await rebuildBodies(db, config, outdated, opts.owner);
      summary.rebuilt += outdated.length;
      for (const row of outdated) row.body_id = rebuilt.get(row.id) ?? NOTHING_LEFT;
    }
    await loadBodies(rows.filter((r) => r.body_id !== NOTHING_LEFT).map((r) => r.body_id));
    for (const row of rows) {
      const r = recipients.get(row.subscription_id);
      queue.push({ row, to: r && r.status === 'active' ? r.email : null, bounces: r?.bounces ?? 0 });
    }
  };

  const deliver = async (claimed: Claimed) => {
    const { row, to } = claimed;
    if (row.last_error === TAKEN_OVER) summary.takenOver++;
    if (to === null) {
      await markFinal(db, row.id, opts.owner, 'skipped', 'the subscription ended before the digest was sent');
      summary.skipped++;
      return;
    }
    if (row.body_id === NOTHING_LEFT) {
      await markFinal(db, row.id, opts.owner, 'skipped', 'every paper of the period was hidden after the digest was built');
      summary.skipped++;
      return;
    }
    if (Date.parse(row.lease_until) - opts.clock() < Math.min(LEASE_MARGIN_MS, opts.leaseMs / 2)) {
      // Too little lease left to be sure no one else takes it over mid-send: give it back untried.
      await releaseLeases(db, [row.id], opts.owner);
      return;
    }
    if (row.attempts > opts.maxAttempts) {
      await markFinal(db, row.id, opts.owner, 'failed', `gave up after ${opts.maxAttempts} attempts`);
      summary.failed++;
      return;
    }
    // The fence: runs once the server has begun DATA, before the final "." line.
    let stopped = false;
    const fence = async () => {
      if (await mayStillSend(claimed)) return;
      stopped = true;
      throw new Fenced('stopped at the fence');
    };
    try {
      const body = await bodies.get(row.body_id)!;
      // Signed as of the build: a resend of this digest is the same bytes.
      const links = digestLinks(config, row.subscription_id, row.created_at);
      const date = new Date(row.created_at);
      if (isPlainAddress(to)) {
        const raw = digestMessage(config, body, { to, messageId: row.message_id, date, links });
        await mailer.send({ kind: 'digest', to, subject: body.rendered.subject, text: '', raw, beforeDataEnd: fence });
      } else {
        // An address with characters of its own (internationalized): nodemailer encodes it.
        const mail = personalize(body.rendered, links);
        await mailer.send({
          kind: 'digest',
          to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: row.message_id,
          date,
          headers: { 'List-Unsubscribe': `<${links.unsubscribe}>, <mailto:${unsubscribeAddress(config)}?subject=unsubscribe>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
          textEncoding: 'base64',
          beforeDataEnd: fence,
        });
      }
    } catch (err) {
      if (stopped) {
        const reason = await fenceRefusal(db, row.id, opts.owner);
        if (reason === 'lease lost') {
          summary.lost++;
        } else if (reason === 'lease expired') {
          // Still ours but run out (the server was slow): back to the queue, due now.
          await releaseLeases(db, [row.id], opts.owner);
          summary.retried++;
        } else {
          await markFinal(db, row.id, opts.owner, 'skipped', 'the subscription ended before the digest was sent');
          summary.skipped++;
        }
        return;
      }
      const failure = classifyFailure(err);
      if (failure.kind === 'permanent') {
        await markFinal(db, row.id, opts.owner, 'failed', failure.message);
        await recordBounce(db, row.subscription_id, failure.message, opts.bounceLimit);
        summary.failed++;
      } else if (row.attempts >= opts.maxAttempts) {
        await markFinal(db, row.id, opts.owner, 'failed', `gave up after ${row.attempts} attempts; last: ${failure.message}`);
        summary.failed++;
      } else {
        await markRetry(db, row.id, opts.owner, new Date(opts.clock() + backoffMs(row.attempts, opts.retryBaseMs)), failure.message);
        summary.retried++;
      }
      opts.log.warn({ digest: row.id, period: row.period, attempts: row.attempts, failure }, 'digest not delivered');
      return;
    }
    // Recorded before this worker takes another mail: in doubt at a crash is at most one mail per worker.
    await recordSent(claimed);
    summary.sent++;
  };

  // A worker that fails (the database gone) stops the others: the error is the run's.
  const stop: { error?: unknown; failed: boolean } = { failed: false };
  const worker = async () => {
    try {
      await work();
    } catch (error) {
      if (!stop.failed) Object.assign(stop, { failed: true, error });
    }
  };
  const work = async () => {
    for (;;) {
      if (stop.failed) return;
      if (queue.length <= opts.concurrency && !exhausted && !claiming) {
        // A failed claim ends the run like a failed worker (no worker may be waiting on it).
        claiming = refill()
          .catch((error: unknown) => {
            if (!stop.failed) Object.assign(stop, { failed: true, error });
          })
          .finally(() => (claiming = null));
      }
      const next = queue.shift();
      if (next) {
        await deliver(next);
        continue;
      }
      if (claiming) {
        await claiming;
        continue;
      }
      if (exhausted) return;
    }
  };
  // Rounds: a round ends when nothing is due; retries that fell due meanwhile start another.
  for (;;) {
    const retriedBefore = summary.retried;
    exhausted = false;
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    await claiming;
    // Rows claimed but not started (a worker failed): back to the queue for others.
    await releaseLeases(db, queue.splice(0).map((q) => q.row.id), opts.owner);
    if (stop.failed) throw stop.error;
    if (summary.retried === retriedBefore) break;
    const due = await nextRetryAt(db, opts.period);
    if (!due || due > now().toISOString() || (opts.deadline !== undefined && opts.clock() >= opts.deadline)) break;
  }
  return summary;
}

/**
 * Group commit: `add` resolves with the item's outcome once it is written. Items that arrive
 * while a write runs are written together by the next one, so a busy sender commits once per
 * group, not per mail. `write` returns one outcome per item, in order.
 */
function groupCommit<T, R>(write: (items: T[]) => Promise<R[]>): (item: T) => Promise<R> {
  let pending: { item: T; resolve: (outcome: R) => void; reject: (err: unknown) => void }[] = [];
  let writing = false;
  const drain = async () => {
    writing = true;
    while (pending.length > 0) {
      const group = pending;
      pending = [];
      try {
        const outcomes = await write(group.map((p) => p.item));
        group.forEach((p, i) => p.resolve(outcomes[i]!));
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
    writing = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}
