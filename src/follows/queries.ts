import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { DomainError } from '../core/errors.ts';
import { bumpReaderVersion } from '../db/content-version.ts';
import { followKey } from '../http/reader-template.ts';
import { MAX_FOLLOWS, type FollowKind, type FollowTarget } from './targets.ts';

type Q = Kysely<Database>;

export interface Follow extends FollowTarget {
  createdAt: string;
}

/** Everything a reader follows, newest first. */
export async function followsOf(db: Q, userId: number): Promise<Follow[]> {
  const rows = await db.selectFrom('follows').select(['kind', 'target', 'created_at']).where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('target').execute();
  return rows.map((r) => ({ kind: r.kind as FollowKind, target: r.target, createdAt: r.created_at }));
}

/** The template keys (targets.ts followKey) of everything a reader follows: what fills a page's follow buttons. */
export async function followKeysOf(db: Q, userId: number): Promise<Set<string>> {
  const rows = await db.selectFrom('follows').select(['kind', 'target']).where('user_id', '=', userId).execute();
  return new Set(rows.map((r) => followKey(r.kind, r.target)));
}

/** Whether the reader follows this target. */
export async function isFollowing(db: Q | Transaction<Database>, userId: number, t: FollowTarget): Promise<boolean> {
  const row = await db.selectFrom('follows').select('kind').where('user_id', '=', userId).where('kind', '=', t.kind).where('target', '=', t.target).executeTakeFirst();
  return row !== undefined;
}

/**
 * Follows or unfollows; repeating either changes nothing. Bumps the reader's version: their
 * pages on any instance show the new state, and no one else's page changes.
 */
export async function setFollowing(db: Q, userId: number, t: FollowTarget, following: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (following) {
      const count = await trx.selectFrom('follows').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_FOLLOWS && !(await isFollowing(trx, userId, t))) throw new DomainError('conflict', `you follow ${MAX_FOLLOWS} things already; unfollow some first`, { link: '/following' });
      await trx
        .insertInto('follows')
        .values({ user_id: userId, kind: t.kind, target: t.target, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['user_id', 'kind', 'target']).doNothing())
        .execute();
    } else {
      await trx.deleteFrom('follows').where('user_id', '=', userId).where('kind', '=', t.kind).where('target', '=', t.target).execute();
    }
    await bumpReaderVersion(trx, userId);
  });
}
