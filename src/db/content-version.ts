import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { runKept } from './kept-query.ts';

/**
 * The content version: a counter that every write changing what readers see
 * bumps inside its own transaction. Page caches and ETags compare it, so every
 * app instance on the same database sees a change at once.
 */
export async function contentVersion(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('site_state').select('value').where('key', '=', 'content_version').executeTakeFirst();
  return Number(row?.value ?? 0);
}

/**
 * Marks the content as changed; call inside the transaction that changed it. `papersOnly`: the
 * write changed nothing a card shows but columns of the papers' own rows (votes, comment counts),
 * which kept cards compare themselves; any other write also bumps `cards_version`, which drops
 * every kept card (papers/components.tsx).
 */
export async function bumpContentVersion(trx: Transaction<Database> | Kysely<Database>, opts: { papersOnly?: boolean } = {}): Promise<void> {
  markContentChanged();
  await trx
    .updateTable('site_state')
    .set({ value: sql<number>`value + 1` })
    .where('key', 'in', opts.papersOnly ? ['content_version'] : ['content_version', 'cards_version'])
    .execute();
}

/** The content version and the version every kept card was rendered at (see bumpContentVersion), in one read. */
async function versions(db: Kysely<Database>): Promise<{ content: number; cards: number }> {
  const keys = ['content_version', 'cards_version'];
  const rows = await runKept(db, 'versions', () => db.selectFrom('site_state').select(['key', 'value']).where('key', 'in', keys), keys);
  const of = (key: string) => Number(rows.find((r) => r.key === key)?.value ?? 0);
  return { content: of('content_version'), cards: of('cards_version') };
}

/**
 * Marks a reader's own state (saves, hides, follows, votes) as changed: their pages' ETags and
 * the state kept for them name it, and no one else's page changes. Call inside the write's
 * transaction; this process forgets kept reader state when the request ends (app.ts).
 */
export async function bumpReaderVersion(trx: Transaction<Database> | Kysely<Database>, userId: number): Promise<void> {
  await trx
    .updateTable('users')
    .set({ state_version: sql<number>`state_version + 1` })
    .where('id', '=', userId)
    .execute();
}

/** A reader's version (bumpReaderVersion); 0 for an unknown user. */
export async function readerVersion(db: Kysely<Database>, userId: number): Promise<number> {
  const row = await db.selectFrom('users').select('state_version').where('id', '=', userId).executeTakeFirst();
  return Number(row?.state_version ?? 0);
}

/**
 * Starts a write transaction that changes content: takes the content-version row's
 * write lock first, so concurrent writers (an import in one process, a sync in
 * another) queue instead of colliding: on SQLite it turns the transaction into a
 * writer before it reads anything (no stale-snapshot BUSY), on PostgreSQL it holds
 * a row lock until commit.
 */
export async function lockContent(trx: Transaction<Database>): Promise<void> {
  await trx
    .updateTable('site_state')
    .set({ value: sql<number>`value` })
    .where('key', '=', 'content_version')
    .execute();
}

/**
 * Runs a write that may change content in one transaction: takes the content
 * lock first (lockContent), and bumps the content version before commit when
 * `changed` says the work changed something. Every importer writes through this.
 */
export async function writeContent<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
  changed: (result: T) => boolean,
  opts: { papersOnly?: boolean } = {},
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await lockContent(trx);
    const result = await work(trx);
    if (changed(result)) await bumpContentVersion(trx, opts);
    return result;
  });
}

/** For `writeContent`: whether any record of a batch was new or updated. */
export const anyChanged = (outcomes: readonly string[]): boolean => outcomes.some((o) => o !== 'unchanged');

/** How long a version read from the database is trusted before the next request reads it again. */
export const VERSION_TTL_MS = 10;
/**
 * How old a read may be before the next is started ahead, without waiting for it: under steady
 * traffic the next read is back before VERSION_TTL_MS, so no request waits on a round trip (on
 * PostgreSQL, to a server competing for the same cores, every request waited for it every 10 ms).
 */
const VERSION_REFRESH_MS = VERSION_TTL_MS / 2;

/**
 * Bumped by every content write in this process (bumpContentVersion) and by the web layer when a
 * state-changing request ends, so this process's next read goes to the database at once.
 */
let localChanges = 0;

/** Marks the content as changed by this process: the next `currentContentVersion` reads it afresh. */
export function markContentChanged(): void {
  localChanges++;
}

interface Tracker {
  value: number;
  cards: number;
  readAt: number;
  /** Set when the latest read failed, cleared by the next one that succeeds. */
  failed: boolean;
  seenChanges: number;
  reading: Promise<number> | null;
  readingChanges: number;
}
const trackers = new WeakMap<Kysely<Database>, Tracker>();

/**
 * The content version as this process knows it: held in memory and read again at most every
 * VERSION_TTL_MS (so another process's write shows within that), and at once after a write by
 * this one (markContentChanged). Synchronous when fresh, so the page cache's hot path awaits
 * nothing; concurrent stale readers share one query. A read older than VERSION_REFRESH_MS starts
 * the next one and is answered from meanwhile (never once older than VERSION_TTL_MS).
 */
export function currentContentVersion(db: Kysely<Database>): number | Promise<number> {
  let t = trackers.get(db);
  if (!t) trackers.set(db, (t = { value: 0, cards: 0, readAt: -Infinity, failed: false, seenChanges: -1, reading: null, readingChanges: -1 }));
  const current = t.reading !== null && t.readingChanges === localChanges;
  if (t.seenChanges === localChanges) {
    const age = performance.now() - t.readAt;
    if (age < VERSION_TTL_MS) {
      if (age >= VERSION_REFRESH_MS && !current) readVersions(db, t).catch(() => {});
      return t.value;
    }
  }
  if (current) return t.reading!;
  return readVersions(db, t);
}

/** Reads the versions into `tracker`, shared by every caller until it is back. */
function readVersions(db: Kysely<Database>, tracker: Tracker): Promise<number> {
  const changes = localChanges;
  const reading = versions(db).then(
    ({ content, cards }) => {
      if (tracker.reading === reading) tracker.reading = null;
      // Versions only grow; a slower, older read finishing last must not take one back.
      tracker.value = Math.max(tracker.value, content);
      tracker.cards = Math.max(tracker.cards, cards);
      tracker.readAt = performance.now();
      tracker.failed = false;
      tracker.seenChanges = changes;
      return tracker.value;
    },
    (err: unknown) => {
      if (tracker.reading === reading) tracker.reading = null;
      tracker.failed = true;
      throw err;
    },
  );
  tracker.reading = reading;
  tracker.readingChanges = changes;
  return reading;
}

/**
 * The content version without waiting for the database when this process read it successfully
 * within `maxAgeMs` and wrote nothing since: a read older than VERSION_TTL_MS is started for the
 * callers after this one, not awaited. Otherwise (no read yet, too old, the latest read failed, a
 * write here since) as currentContentVersion. On PostgreSQL under load a version read is a round
 * trip to a server competing for the same cores, and every caller awaiting it stalled with it.
 */
export function heldContentVersion(db: Kysely<Database>, maxAgeMs: number): { version: number; ageMs: number } | Promise<{ version: number; ageMs: number }> {
  const t = trackers.get(db);
  const age = t ? performance.now() - t.readAt : Infinity;
  if (t && !t.failed && t.seenChanges === localChanges && age < maxAgeMs) {
    if (age >= VERSION_TTL_MS) void Promise.resolve(currentContentVersion(db)).catch(() => {});
    return { version: t.value, ageMs: age };
  }
  const fresh = (version: number) => ({ version, ageMs: performance.now() - trackers.get(db)!.readAt });
  const version = currentContentVersion(db);
  return typeof version === 'number' ? fresh(version) : version.then(fresh);
}

/** The cards version (bumpContentVersion), held and refreshed with the content version: no query of its own. */
export function currentCardsVersion(db: Kysely<Database>): number | Promise<number> {
  const content = currentContentVersion(db);
  const cards = () => trackers.get(db)!.cards;
  return typeof content === 'number' ? cards() : content.then(cards);
}
