import { hiddenByReaders } from '../library/queries.ts';
import { createHash } from 'node:crypto';
import { sql, type ExpressionBuilder } from 'kysely';
import { publicOrigin, type Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { DigestBuilder, parseDigestPeriod, type DigestPeriod, type Selection } from './build.ts';
import { renderDigest, type DigestLinks, type RenderedDigest, type SiteInfo } from './render.ts';
import { signedLink, unsubscribeAddress, type LinkConfig } from './links.ts';
import { topicsOf } from './subscriptions.ts';

// The digest outbox (docs/decisions/010-digests.md): each (subscriber, period) digest is built
// once into `digest_outbox`, then sent by whichever instance leases the row.

/** What building digests needs; sending them (`OutboxConfig`) also needs the mail-link key. */
export type BuildConfig = Pick<Config, 'BASE_URL' | 'HOST' | 'PORT' | 'MAIL_FROM' | 'MAIL_UNSUBSCRIBE_ADDRESS' | 'SITE_NAME'>;
export type OutboxConfig = BuildConfig & LinkConfig;

/** Subscribers read, built and inserted per chunk: memory stays flat at any number of subscribers. */
const CHUNK = 2000;
/** Rows per INSERT: 8 values each stays far below either database's parameter limit. */
const INSERT_ROWS = 500;

/** Finished digests are kept this long, then pruned (`pruneOutbox`). */
export const RETENTION_DAYS = 60;
/** site_state: the first day whose digests are still all kept (YYYYMMDD), set by the last prune. */
const PRUNED_BEFORE = 'digests_pruned_before';

const dayNumber = (day: string) => Number(day.replaceAll('-', ''));

/** A period whose digests may have been pruned is never built again: it would send them a second time. */
export class PastRetention extends Error {
  constructor(period: DigestPeriod, prunedBefore: number) {
    const day = String(prunedBefore).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');
    super(`digest: ${period.key} ended before ${day}, and finished digests before that day were pruned: it is not built again (its subscribers may have had it)`);
  }
}

async function prunedBefore(db: Db): Promise<number> {
  const row = await db.kysely.selectFrom('site_state').select('value').where('key', '=', PRUNED_BEFORE).executeTakeFirst();
  return Number(row?.value ?? 0);
}

export interface EnqueueSummary {
  period: string;
  /** Featured papers the period offers. */
  papers: number;
  /** Active subscribers of the period's frequency without a digest for it yet. */
  subscribers: number;
  /** Digests written now (fewer than `subscribers` when another instance wrote some first). */
  queued: number;
  /** Distinct selections computed, and distinct saved searches run. */
  selections: number;
  queries: number;
  /** Subject → how many digests carry it (dry runs show this). */
  subjects: Map<string, number>;
}

/** The host that names our Message-IDs: MAIL_FROM's domain. */
export function messageIdHost(config: Pick<Config, 'MAIL_FROM' | 'MAIL_UNSUBSCRIBE_ADDRESS'>): string {
  return unsubscribeAddress(config).split('@')[1]?.replace(/[^\w.-]/g, '') || 'localhost';
}

/** `<digest.daily-2026-11-25.42@example.org>`: one per subscriber and period, fixed when the digest is built. */
export function digestMessageId(period: DigestPeriod, subscriptionId: number, host: string): string {
  return `<digest.${period.key.replace(':', '-')}.${subscriptionId}@${host}>`;
}

export function siteInfo(config: Pick<Config, 'BASE_URL' | 'HOST' | 'PORT' | 'SITE_NAME'>): SiteInfo {
  return { name: config.SITE_NAME, baseUrl: publicOrigin(config) };
}

/**
 * A subscriber's links, signed as of when the digest was built: every send of the digest,
 * a resend after a crash included, carries the same bytes.
 */
export function digestLinks(config: OutboxConfig, subscriptionId: number, builtAt: string): DigestLinks {
  const at = new Date(builtAt);
  const origin = publicOrigin(config);
  return { preferences: signedLink(config, 'preferences', subscriptionId, origin, at), unsubscribe: signedLink(config, 'unsubscribe', subscriptionId, origin, at) };
}

/**
 * Stores a rendered body once per period and returns its id: another instance enqueueing the
 * same period at once writes the same content hash, and both end up with the one row.
 */
async function storeBody(db: Db, period: DigestPeriod, body: RenderedDigest, paperIds: string[], now: string): Promise<number> {
  const hash = createHash('sha256').update(body.subject).update('\0').update(body.html).update('\0').update(body.text).digest('hex');
  await db.kysely
    .insertInto('digest_bodies')
    .values({ period: period.key, content_hash: hash, subject: body.subject, html: body.html, text: body.text, paper_ids: JSON.stringify(paperIds), created_at: now })
    .onConflict((oc) => oc.columns(['period', 'content_hash']).doNothing())
    .execute();
  const row = await db.kysely.selectFrom('digest_bodies').select('id').where('period', '=', period.key).where('content_hash', '=', hash).executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The account whose for-you ranking a subscriber's digest follows, or null for a digest by topics. */
function forYouOf(s: { user_id: number | null; for_you: number }): number | null {
  return s.for_you === 1 && s.user_id !== null ? s.user_id : null;
}

/**
 * Builds the digest of every active subscriber of the period's frequency who has none for
 * it yet, and records it (`INSERT … ON CONFLICT DO NOTHING`: two instances enqueueing the
 * same period write each digest once). A dry run builds and counts but writes nothing.
 */
export async function enqueueDigests(db: Db, config: BuildConfig, period: DigestPeriod, opts: { dryRun?: boolean; now?: Date } = {}): Promise<EnqueueSummary> {
  const pruned = await prunedBefore(db);
  if (dayNumber(period.last) < pruned) throw new PastRetention(period, pruned);
  const now = (opts.now ?? new Date()).toISOString();
  const builder = await DigestBuilder.forPeriod(db, period);
  const summary: EnqueueSummary = { period: period.key, papers: builder.papers.length, subscribers: 0, queued: 0, selections: 0, queries: 0, subjects: new Map() };
  // A period without papers has nothing to say; a later run, once papers are listed, still can.
  if (builder.papers.length === 0) return summary;

  const site = siteInfo(config);
  const host = messageIdHost(config);
  // Per distinct selection: its rendering and, once written, its digest_bodies row.
  const bodies = new WeakMap<Selection, { subject: string; id: Promise<number> | null; rendered: RenderedDigest }>();
  const topicsByJson = new Map<string, ReturnType<typeof topicsOf>>();
  let after = 0;
  for (;;) {
    const subscribers = await db.kysely
      .selectFrom('subscriptions as s')
      .select(['s.id', 's.topics', 's.max_papers', 's.user_id', 's.for_you'])
      .where('s.status', '=', 'active')
      .where('s.frequency', '=', period.frequency)
      .where('s.id', '>', after)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('digest_outbox as o').select('o.id').whereRef('o.subscription_id', '=', 's.id').where('o.period', '=', period.key))),
      )
      .orderBy('s.id')
      .limit(CHUNK)
      .execute();
    if (subscribers.length === 0) break;
    after = subscribers.at(-1)!.id;
    summary.subscribers += subscribers.length;

    const rows = [];
    // What account holders hid leaves their digest: one query for the chunk.
    const hiddenBy = await hiddenByReaders(db.kysely, subscribers.flatMap((s) => (s.user_id === null ? [] : [s.user_id])), builder.papers.map((p) => p.id));
    for (const s of subscribers) {
      let topics = topicsByJson.get(s.topics);
      if (!topics) {
        topics = topicsOf(s);
        topicsByJson.set(s.topics, topics);
      }
      const reader = forYouOf(s);
      // For-you leaves out what its reader hid by itself; a topic digest is told.
      const selection = reader !== null ? await builder.selectForYou(reader, s.max_papers) : await builder.select(topics, s.max_papers, s.user_id === null ? undefined : hiddenBy.get(s.user_id));
      let body = bodies.get(selection);
      if (!body) {
        const rendered = renderDigest(selection, period, site);
        body = { subject: rendered.subject, rendered, id: null };
        bodies.set(selection, body);
      }
      summary.subjects.set(body.subject, (summary.subjects.get(body.subject) ?? 0) + 1);
      if (opts.dryRun) continue;
      body.id ??= storeBody(db, period, body.rendered, [...selection.matched, ...selection.fallback].map((p) => p.id), now);
      rows.push({
        subscription_id: s.id,
        period: period.key,
        status: 'queued',
        message_id: digestMessageId(period, s.id, host),
        body_id: await body.id,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
      });
    }
    for (let i = 0; i < rows.length; i += INSERT_ROWS) {
      const result = await db.kysely
        .insertInto('digest_outbox')
        .values(rows.slice(i, i + INSERT_ROWS))
        .onConflict((oc) => oc.columns(['subscription_id', 'period']).doNothing())
        .executeTakeFirst();
      summary.queued += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    if (subscribers.length < CHUNK) break;
  }
  summary.selections = builder.stats.selections;
  summary.queries = builder.stats.queries;
  return summary;
}

/** A claimed digest, with where it goes now. */
export interface ClaimedDigest {
  id: number;
  subscription_id: number;
  period: string;
  message_id: string;
  body_id: number;
  attempts: number;
  created_at: string;
  lease_until: string;
  /** TAKEN_OVER when another sender had leased the row and stopped holding it. */
  last_error: string | null;
}

export const TAKEN_OVER = 'taken over from a sender that stopped holding it; sent again under the same Message-ID if the server had taken it';

/**
 * Leases due digests to `owner` until `leaseUntil`, up to `limit` of each kind: queued ones
 * whose retry time has come, and ones whose sender let the lease expire (died mid-send).
 * `SKIP LOCKED` lets PostgreSQL instances claim disjoint rows; on SQLite the UPDATE's write
 * transaction serializes claimers. Two selections, not an OR: each walks the (status,
 * next_attempt_at) index, where an OR would scan the whole outbox per claim.
 */
export async function claimDue(db: Db, opts: { owner: string; limit: number; now: Date; leaseUntil: Date; period?: string }): Promise<ClaimedDigest[]> {
  const now = opts.now.toISOString();
  const period = opts.period ? sql`and period = ${opts.period}` : sql``;
  const lock = db.dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const { rows } = await sql<ClaimedDigest>`
    with due as (
        select id from digest_outbox
        where status = 'queued' and next_attempt_at <= ${now} ${period}
        order by next_attempt_at, id
        limit ${opts.limit}
        ${lock}),
      expired as (
        select id from digest_outbox
        where status = 'sending' and lease_until < ${now} ${period}
        limit ${opts.limit}
        ${lock})
    update digest_outbox
    set status = 'sending', lease_owner = ${opts.owner}, lease_until = ${opts.leaseUntil.toISOString()}, attempts = attempts + 1,
        last_error = case when status = 'sending' then ${TAKEN_OVER} else last_error end
    where id in (select id from due union all select id from expired)
    returning id, subscription_id, period, message_id, body_id, attempts, created_at, lease_until, last_error`.execute(db.kysely);
  return rows.map((r) => ({ ...r, id: Number(r.id), subscription_id: Number(r.subscription_id), body_id: Number(r.body_id), attempts: Number(r.attempts) }));
}

/** Where the claimed digests go: each subscription's address and whether it still wants mail. */
export async function recipientsOf(db: Db, subscriptionIds: number[]): Promise<Map<number, { email: string; status: string; bounces: number }>> {
  if (subscriptionIds.length === 0) return new Map();
  const rows = await db.kysely.selectFrom('subscriptions').select(['id', 'email', 'status', 'bounces']).where('id', 'in', [...new Set(subscriptionIds)]).execute();
  return new Map(rows.map((r) => [r.id, { email: r.email, status: r.status, bounces: r.bounces }]));
}

/** The stored bodies of these ids: what the sender fills each subscriber's links into. */
export async function bodiesById(db: Db, ids: number[]): Promise<Map<number, RenderedDigest>> {
  if (ids.length === 0) return new Map();
  const rows = await db.kysely.selectFrom('digest_bodies').select(['id', 'subject', 'html', 'text']).where('id', 'in', [...new Set(ids)]).execute();
  return new Map(rows.map((r) => [Number(r.id), { subject: r.subject, html: r.html, text: r.text }]));
}

/**
 * The fence (send.ts), for mails the server has begun to take, before the final "." line: the
 * ids among `ids` of rows this sender still holds and whose subscription is still active, each
 * held until at least `holdUntil`. Only those may be let through. A row whose lease already
 * lasts that long needs only a read (no claim can take it before then); a shorter one is
 * renewed in one UPDATE that also checks it has not run out, so no other sender can take it
 * over between the check and the send (a claim needs an expired lease).
 */
export async function passFence(db: Db, ids: number[], owner: string, now: Date, holdUntil: Date): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const active = ({ exists, selectFrom }: ExpressionBuilder<Database, 'digest_outbox'>) =>
    exists(selectFrom('subscriptions as s').select('s.id').whereRef('s.id', '=', 'digest_outbox.subscription_id').where('s.status', '=', 'active'));
  const held = await db.kysely
    .selectFrom('digest_outbox')
    .select('id')
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .where('lease_until', '>=', holdUntil.toISOString())
    .where(active)
    .execute();
  const passed = new Set(held.map((r) => Number(r.id)));
  const short = ids.filter((id) => !passed.has(id));
  if (short.length === 0) return passed;
  const renewed = await withoutFlushWait(db, (k) =>
    k
      .updateTable('digest_outbox')
      .set({ lease_until: holdUntil.toISOString() })
      .where('id', 'in', short)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'sending')
      .where('lease_until', '>', now.toISOString())
      .where(active)
      .returning('id')
      .execute(),
  );
  for (const r of renewed) passed.add(Number(r.id));
  return passed;
}

/**
 * The server accepted them: one commit for the group. Only the lease holder records it. Should
 * the database server itself crash right after, the mails go again under their Message-ID.
 */
export async function markSent(db: Db, ids: number[], owner: string, at: Date): Promise<void> {
  if (ids.length === 0) return;
  await withoutFlushWait(db, (k) =>
    k
      .updateTable('digest_outbox')
      .set({ status: 'sent', sent_at: at.toISOString(), lease_until: null, last_error: null })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'sending')
      .execute(),
  );
}

/**
 * Runs a write of the sender's bookkeeping; on PostgreSQL without waiting for the WAL flush. A
 * crash of the sender loses nothing (the write is committed and visible); only a crash of the
 * database server itself within about a second could undo it: a renewed lease would then run
 * out sooner, and a mail marked sent would go again under its Message-ID.
 */
async function withoutFlushWait<T>(db: Db, write: (k: typeof db.kysely) => Promise<T>): Promise<T> {
  if (db.dialect !== 'postgres') return write(db.kysely);
  return db.kysely.transaction().execute(async (trx) => {
    await sql`set local synchronous_commit = off`.execute(trx);
    return write(trx);
  });
}

/** Why a row this sender leased was stopped at the fence. */
export async function fenceRefusal(db: Db, id: number, owner: string): Promise<'lease lost' | 'lease expired' | 'subscription ended'> {
  const row = await db.kysely
    .selectFrom('digest_outbox as o')
    .leftJoin('subscriptions as s', 's.id', 'o.subscription_id')
    .select(['o.status', 'o.lease_owner', 's.status as subscription'])
    .where('o.id', '=', id)
    .executeTakeFirst();
  if (row?.status !== 'sending' || row.lease_owner !== owner) return 'lease lost';
  return row.subscription === 'active' ? 'lease expired' : 'subscription ended';
}

/** A transient failure: queued again for `retryAt`. */
export async function markRetry(db: Db, id: number, owner: string, retryAt: Date, error: string): Promise<void> {
  await db.kysely
    .updateTable('digest_outbox')
    .set({ status: 'queued', next_attempt_at: retryAt.toISOString(), lease_owner: null, lease_until: null, last_error: error.slice(0, 500) })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .execute();
}

/** Given up on (`failed`) or not to be sent at all (`skipped`). */
export async function markFinal(db: Db, id: number, owner: string, status: 'failed' | 'skipped', error: string): Promise<void> {
  await db.kysely
    .updateTable('digest_outbox')
    .set({ status, lease_until: null, last_error: error.slice(0, 500) })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .execute();
}

/** Hands leased rows that were never tried back to the queue (a sender stopping early). */
export async function releaseLeases(db: Db, ids: number[], owner: string): Promise<void> {
  if (ids.length === 0) return;
  await db.kysely
    .updateTable('digest_outbox')
    .set((eb) => ({
      status: 'queued',
      lease_owner: null,
      lease_until: null,
      attempts: eb('attempts', '-', 1),
      last_error: sql<string | null>`case when last_error = ${TAKEN_OVER} then null else last_error end`,
    }))
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .execute();
}

/**
 * Bodies among `ids` that show a paper hidden since they were built: their digests are built
 * again (`rebuildBodies`) rather than sent. Hidden papers are few (a partial index).
 */
export async function bodiesWithHiddenPapers(db: Db, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  // paper_ids is a JSON array of strings: the quoted id, found as a plain substring.
  const quoted = sql<string>`'"' || p.id || '"'`;
  const contains = db.dialect === 'postgres' ? sql<boolean>`strpos(b.paper_ids, ${quoted}) > 0` : sql<boolean>`instr(b.paper_ids, ${quoted}) > 0`;
  const rows = await db.kysely
    .selectFrom('digest_bodies as b')
    .select('b.id')
    .where('b.id', 'in', [...new Set(ids)])
    .where(({ exists, selectFrom }) => exists(selectFrom('papers as p').select('p.id').where('p.hidden_at', 'is not', null).where(contains)))
    .execute();
  return new Set(rows.map((r) => Number(r.id)));
}

/**
 * Builds the bodies of these leased digests again, as enqueueDigests would now (without the
 * papers hidden since), and points the rows at them: same rows, same Message-IDs. Returns each
 * row's new body id, or null when the period has nothing left to send.
 */
export async function rebuildBodies(db: Db, config: BuildConfig, rows: ClaimedDigest[], owner: string): Promise<Map<number, number | null>> {
  const rebuilt = new Map<number, number | null>();
  const now = new Date().toISOString();
  for (const key of new Set(rows.map((r) => r.period))) {
    const period = parseDigestPeriod(key)!;
    const builder = await DigestBuilder.forPeriod(db, period);
    const ofPeriod = rows.filter((r) => r.period === key);
    const subscribers = await db.kysely
      .selectFrom('subscriptions')
      .select(['id', 'topics', 'max_papers', 'user_id', 'for_you'])
      .where('id', 'in', ofPeriod.map((r) => r.subscription_id))
      .execute();
    const bySubscriber = new Map(subscribers.map((s) => [s.id, s]));
    const bodies = new Map<Selection, Promise<number>>();
    for (const row of ofPeriod) {
      const subscriber = bySubscriber.get(row.subscription_id);
      if (!subscriber || builder.papers.length === 0) {
        rebuilt.set(row.id, null);
        continue;
      }
      const reader = forYouOf(subscriber);
      const selection = reader !== null ? await builder.selectForYou(reader, subscriber.max_papers) : await builder.select(topicsOf(subscriber), subscriber.max_papers);
      let bodyId = bodies.get(selection);
      if (!bodyId) {
        bodyId = storeBody(db, period, renderDigest(selection, period, siteInfo(config)), [...selection.matched, ...selection.fallback].map((p) => p.id), now);
        bodies.set(selection, bodyId);
      }
      const id = await bodyId;
      await db.kysely.updateTable('digest_outbox').set({ body_id: id }).where('id', '=', row.id).where('lease_owner', '=', owner).where('status', '=', 'sending').execute();
      rebuilt.set(row.id, id);
    }
  }
  return rebuilt;
}

/** A permanent refusal of the address: counted, and at `limit` in a row the subscription is `bounced`. */
export async function recordBounce(db: Db, subscriptionId: number, error: string, limit: number): Promise<void> {
  await db.kysely
    .updateTable('subscriptions')
    .set((eb) => ({
      bounces: eb('bounces', '+', 1),
      last_error: error.slice(0, 500),
      status: sql<string>`case when status = 'active' and bounces + 1 >= ${limit} then 'bounced' else status end`,
    }))
    .where('id', '=', subscriptionId)
    .execute();
}

/** A delivered digest ends a run of bounces ("in a row"). */
export async function clearBounces(db: Db, subscriptionIds: number[]): Promise<void> {
  if (subscriptionIds.length === 0) return;
  await db.kysely.updateTable('subscriptions').set({ bounces: 0 }).where('id', 'in', subscriptionIds).where('bounces', '>', 0).execute();
}

/**
 * Deletes finished digests (sent, failed, skipped) of periods that ended more than
 * RETENTION_DAYS ago, then the bodies no digest uses any more. Queued and leased ones stay,
 * whatever their age. Records the cutoff first, so that those periods are never built again.
 */
export async function pruneOutbox(db: Db, now = new Date()): Promise<{ digests: number; bodies: number }> {
  const cutoff = new Date(now.getTime() - RETENTION_DAYS * 86_400_000).toISOString().slice(0, 10);
  return db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('site_state')
      .values({ key: PRUNED_BEFORE, value: dayNumber(cutoff) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql<number>`case when site_state.value > excluded.value then site_state.value else excluded.value end` }))
      .execute();
    // A row's period ends on or before the day it was built, so rows built before the cutoff are of periods that ended before it.
    const digests = await trx
      .deleteFrom('digest_outbox')
      .where('status', 'in', ['sent', 'failed', 'skipped'])
      .where('created_at', '<', cutoff)
      .executeTakeFirst();
    const bodies = await trx
      .deleteFrom('digest_bodies')
      .where('created_at', '<', cutoff)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('digest_outbox as o').select('o.id').whereRef('o.body_id', '=', 'digest_bodies.id'))))
      .executeTakeFirst();
    return { digests: Number(digests.numDeletedRows), bodies: Number(bodies.numDeletedRows) };
  });
}

export async function outboxCounts(db: Db, period?: string): Promise<{ period: string; status: string; n: number }[]> {
  let q = db.kysely.selectFrom('digest_outbox').select(['period', 'status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy(['period', 'status']);
  if (period) q = q.where('period', '=', period);
  const rows = await q.orderBy('period', 'desc').orderBy('status').execute();
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/** Digests given up on or waiting to be retried, with the last error. */
export async function outboxProblems(db: Db, period: string | undefined, limit: number) {
  let q = db.kysely
    .selectFrom('digest_outbox as o')
    .innerJoin('subscriptions as s', 's.id', 'o.subscription_id')
    .select(['o.period', 'o.status', 'o.attempts', 'o.next_attempt_at', 'o.last_error', 's.email'])
    .where('o.last_error', 'is not', null)
    .where('o.status', 'in', ['failed', 'queued', 'sending']);
  if (period) q = q.where('o.period', '=', period);
  return q.orderBy('o.id', 'desc').limit(limit).execute();
}

/** The earliest retry time among queued digests (of a period), if any. */
export async function nextRetryAt(db: Db, period?: string): Promise<string | undefined> {
  let q = db.kysely.selectFrom('digest_outbox').select('next_attempt_at').where('status', '=', 'queued');
  if (period) q = q.where('period', '=', period);
  const row = await q.orderBy('next_attempt_at').limit(1).executeTakeFirst();
  return row?.next_attempt_at;
}

/** Digests another sender holds (of a period): how many, and when the first lease runs out. */
export async function leasedRows(db: Db, period?: string): Promise<{ n: number; firstExpiry: string | null }> {
  let q = db.kysely
    .selectFrom('digest_outbox')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('lease_until').as('first')])
    .where('status', '=', 'sending');
  if (period) q = q.where('period', '=', period);
  const row = await q.executeTakeFirst();
  return { n: Number(row?.n ?? 0), firstExpiry: (row?.first as string | null | undefined) ?? null };
}
