import { sql, type Kysely, type Selectable } from 'kysely';
import { z } from 'zod';
import type { Database, SubscriptionTable } from '../db/schema.ts';
import { QueryError, checkCategory, checkOrganization, parseQuery } from '../search/query.ts';

type Db = Kysely<Database>;

export type Subscription = Selectable<SubscriptionTable>;
export type Frequency = 'daily' | 'weekly';

/** What a subscriber narrows the digest to; every list empty means the overall top papers. */
export interface Topics {
  categories: string[];
  queries: string[];
  organizations: string[];
  authors: string[];
}

export const MAX_PAPERS = { min: 1, max: 50, default: 10 } as const;
/** Most entries in one topic list: enough for anyone's interests, small enough to build 100,000 digests. */
export const MAX_TOPICS_PER_LIST = 20;

/** A trimmed, lowercased, plausible address. */
export const emailSchema = z
  .string('enter an e-mail address')
  .trim()
  .max(254, 'that address is too long')
  .pipe(z.email('enter an e-mail address like ada@example.org'))
  .transform((e) => e.toLowerCase());

export const frequencySchema = z.enum(['daily', 'weekly'], 'choose daily or weekly');

/** A zod check from one of the search language's checks, which throw a reader-facing QueryError. */
const checkedBy = (check: (value: string) => unknown) => (value: string, ctx: z.RefinementCtx) => {
  try {
    check(value);
  } catch (err) {
    if (!(err instanceof QueryError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
};

const list = (item: z.ZodType<string>, what: string) => z.array(item).max(MAX_TOPICS_PER_LIST, `at most ${MAX_TOPICS_PER_LIST} ${what}`).default([]);

export const topicsSchema = z.object({
  categories: list(z.string().trim().min(1).superRefine(checkedBy(checkCategory)), 'categories'),
  // A saved search must parse exactly as the search page would parse it, or the digest could not run it.
  queries: list(
    z
      .string()
      .trim()
      .min(1)
      .max(200, 'a saved search has at most 200 characters')
      .superRefine(checkedBy((q) => parseQuery(q))),
    'saved searches',
  ),
  organizations: list(z.string().trim().min(1).superRefine(checkedBy(checkOrganization)), 'organizations'),
  authors: list(
    z
      .string()
      .trim()
      .min(2, 'an author name has at least 2 characters')
      .max(100, 'an author name has at most 100 characters')
      .regex(/^[^\p{Cc}]+$/u, 'an author name cannot hold control characters'),
    'authors',
  ),
});

export const preferencesSchema = z.object({
  frequency: frequencySchema,
  topics: topicsSchema,
  maxPapers: z.coerce
    .number('the number of papers must be a number')
    .int('the number of papers must be a whole number')
    .min(MAX_PAPERS.min, `at least ${MAX_PAPERS.min} paper`)
    .max(MAX_PAPERS.max, `at most ${MAX_PAPERS.max} papers`),
});
export type Preferences = z.infer<typeof preferencesSchema>;

export const NO_TOPICS: Topics = { categories: [], queries: [], organizations: [], authors: [] };

/** A stored `topics` column, read leniently: an unreadable value means no topics, never a failed digest. */
export function topicsOf(row: Pick<Subscription, 'topics'>): Topics {
  try {
    const parsed = topicsSchema.safeParse(JSON.parse(row.topics));
    return parsed.success ? parsed.data : NO_TOPICS;
  } catch {
    return NO_TOPICS;
  }
}

export function subscriptionById(db: Db, id: number): Promise<Subscription | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export function subscriptionByEmail(db: Db, email: string): Promise<Subscription | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('email', '=', email).executeTakeFirst();
}

/**
 * What a subscribe request leads to; the page answers the same for all of them, only the mail
 * differs: `confirm` (a new, pending or returning address: a confirmation link) or `active`
 * (already subscribed: a mail with the preferences link, and nothing changed).
 */
export type SubscribeOutcome = { id: number; mail: 'confirm' | 'active' };

/**
 * Asks for the digest at `email`: a new address is `pending` until the link in the confirmation
 * mail is used; an unsubscribed or bounced one goes back to `pending`; an active one is left as
 * it is, so nobody can change another person's digest by entering their address.
 */
export async function subscribe(db: Db, input: { email: string; frequency: Frequency; topics?: Topics; maxPapers?: number; userId?: number | null }, now = new Date()): Promise<SubscribeOutcome> {
  const email = emailSchema.parse(input.email);
  const at = now.toISOString();
  // Insert-or-nothing first, so two requests racing for one address meet at the unique index, not in a 500.
  const inserted = await db
    .insertInto('subscriptions')
    .values({
      email,
      user_id: input.userId ?? null,
      status: 'pending',
      frequency: input.frequency,
      topics: JSON.stringify(input.topics ?? NO_TOPICS),
      max_papers: input.maxPapers ?? MAX_PAPERS.default,
      created_at: at,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, mail: 'confirm' };

  const existing = await subscriptionByEmail(db, email);
  if (!existing) throw new Error(`digests: subscription for ${email} vanished during subscribe`);
  if (existing.status === 'active') return { id: existing.id, mail: 'active' };
  // Pending, unsubscribed or bounced: the address has not proved itself lately, so it confirms again.
  await db
    .updateTable('subscriptions')
    .set({ status: 'pending', frequency: input.frequency, unsubscribed_at: null, bounces: 0, last_error: null, ...(input.userId ? { user_id: input.userId } : {}) })
    .where('id', '=', existing.id)
    .where('status', '!=', 'active')
    .execute();
  return { id: existing.id, mail: 'confirm' };
}

/** Uses a confirmation link: `pending` → `active`. Says what the subscription is now (null: it is gone). */
export async function confirm(db: Db, id: number, now = new Date()): Promise<'active' | 'ended' | null> {
  await db.updateTable('subscriptions').set({ status: 'active', confirmed_at: now.toISOString() }).where('id', '=', id).where('status', '=', 'pending').execute();
  const row = await subscriptionById(db, id);
  if (!row) return null;
  // An old confirmation link never undoes a later unsubscribe.
  return row.status === 'active' ? 'active' : 'ended';
}

/** Saves what the digest holds and how often. True when the subscription exists. */
export async function updatePreferences(db: Db, id: number, prefs: Preferences): Promise<boolean> {
  const result = await db
    .updateTable('subscriptions')
    .set({ frequency: prefs.frequency, topics: JSON.stringify(prefs.topics), max_papers: prefs.maxPapers })
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Ends a subscription at once, idempotently (a second call changes nothing and keeps the first
 * time). Digests already queued for it are skipped in the same transaction, so nothing more arrives.
 */
export async function unsubscribe(db: Db, id: number, now = new Date()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('subscriptions').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) return false;
    await trx
      .updateTable('subscriptions')
      .set({ status: 'unsubscribed', unsubscribed_at: now.toISOString() })
      .where('id', '=', id)
      .where('status', '!=', 'unsubscribed')
      .execute();
    await trx.updateTable('digest_outbox').set({ status: 'skipped', last_error: 'unsubscribed' }).where('subscription_id', '=', id).where('status', '=', 'queued').execute();
    return true;
  });
}

/** A subscriber who left (or bounced) and came back through a signed link: the link proves the address. */
export async function resubscribe(db: Db, id: number, now = new Date()): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({ status: 'active', unsubscribed_at: null, bounces: 0, last_error: null, confirmed_at: now.toISOString() })
    .where('id', '=', id)
    .where('status', 'in', ['unsubscribed', 'bounced', 'pending'])
    .execute();
}

/** The subscription of an account: linked to it, or at its address (subscribed before signing up). */
export async function subscriptionFor(db: Db, userId: number): Promise<Subscription | undefined> {
  return db
    .selectFrom('subscriptions')
    .selectAll()
    .where((eb) => eb.or([eb('user_id', '=', userId), eb('email', '=', eb.selectFrom('users').select('email').where('id', '=', userId))]))
    // The address the account has now wins over a subscription linked under an older address.
    .orderBy(sql`case when email = (select email from users where id = ${userId}) then 0 else 1 end`)
    .executeTakeFirst();
}

/**
 * Subscribes an account's own address with no confirmation mail: signing in with it proved it.
 * Creates or reactivates the subscription, links it to the account, and saves the preferences.
 */
export async function subscribeAccount(db: Db, userId: number, email: string, prefs: Preferences, now = new Date()): Promise<number> {
  const address = emailSchema.parse(email);
  const at = now.toISOString();
  const row = await db
    .insertInto('subscriptions')
    .values({
      email: address,
      user_id: userId,
      status: 'active',
      frequency: prefs.frequency,
      topics: JSON.stringify(prefs.topics),
      max_papers: prefs.maxPapers,
      created_at: at,
      confirmed_at: at,
    })
    .onConflict((oc) =>
      oc.column('email').doUpdateSet({
        user_id: userId,
        status: 'active',
        frequency: prefs.frequency,
        topics: JSON.stringify(prefs.topics),
        max_papers: prefs.maxPapers,
        unsubscribed_at: null,
        bounces: 0,
        last_error: null,
        confirmed_at: sql<string>`coalesce(subscriptions.confirmed_at, ${at})`,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Whether the digest of the account's subscription is "for you" (ranked by what they save,
 * upvote, hide and follow) rather than by topics; false when the account has no subscription.
 */
export async function setForYouDigest(db: Db, userId: number, forYou: boolean): Promise<boolean> {
  const result = await db.updateTable('subscriptions').set({ for_you: forYou ? 1 : 0 }).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
