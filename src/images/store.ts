import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

type Q = Kysely<Database>;

/** An image this site keeps, as pages name it. */
export interface StoredImage {
  key: string;
  width: number;
  height: number;
}

/** What a source address is kept under: a hash, so the page's URL says nothing of where it came from. */
export function imageKey(sourceUrl: string): string {
  return createHash('sha256').update(sourceUrl).digest('hex').slice(0, 32);
}

/** Where a kept image is served: its bytes never change, so readers may keep it for a year. */
export function imagePath(image: StoredImage): string {
  return `/images/${image.key}.webp`;
}

/** The kept images of these source addresses, by address; one query. */
export async function storedImages(db: Q, urls: readonly (string | null | undefined)[]): Promise<Map<string, StoredImage>> {
  const wanted = [...new Set(urls.filter((u): u is string => !!u))];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .selectFrom('images')
    .select(['source_url', 'key', 'width', 'height'])
    .where('source_url', 'in', wanted)
    .where('status', '=', 'ok')
    .execute();
  return new Map(rows.map((r) => [r.source_url, { key: r.key, width: r.width ?? 0, height: r.height ?? 0 }]));
}

/** The bytes of a kept image, by key. */
export async function imageBytes(db: Q, key: string): Promise<{ data: Buffer; contentType: string } | undefined> {
  const row = await db.selectFrom('images').select(['data', 'content_type']).where('key', '=', key).where('status', '=', 'ok').executeTakeFirst();
  if (!row?.data) return undefined;
  return { data: Buffer.from(row.data), contentType: row.content_type ?? 'image/webp' };
}

export type ImageKind = 'thumbnail' | 'avatar';

/**
 * Source addresses that no row names yet, the ones pages show first: avatars (few, and on many
 * pages), then papers' thumbnails, newest first.
 */
export async function unseenImages(db: Q, limit: number): Promise<{ url: string; kind: ImageKind }[]> {
  const { rows } = await sql<{ url: string; kind: ImageKind }>`
    select url, kind from (
      select avatar_url as url, 'avatar' as kind, 0 as prio, created_at as at from organizations where avatar_url is not null
      union all
      select avatar_url as url, 'avatar' as kind, 0 as prio, created_at as at from users where avatar_url is not null
      union all
      select avatar_url as url, 'avatar' as kind, 0 as prio, created_at as at from imported_users where avatar_url is not null
      union all
      select thumbnail_url as url, 'thumbnail' as kind, 1 as prio, published_at as at from papers where thumbnail_url is not null and hidden_at is null
    ) s
    where not exists (select 1 from images i where i.source_url = s.url)
    order by prio, at desc
    limit ${limit}`.execute(db);
  // An address used twice (two papers, one image) comes once.
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.url) && !!seen.add(r.url));
}

/** Claims a new source address for fetching: false when another run has it already. */
export async function claimNew(db: Q, url: string, kind: ImageKind, leaseUntil: Date): Promise<boolean> {
  const result = await db
    .insertInto('images')
    .values({ source_url: url, key: imageKey(url), kind, status: 'pending', attempts: 1, next_attempt_at: leaseUntil.toISOString(), created_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('source_url').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Rows due for another try (a retry's backoff over, or a claim whose process died). */
export async function dueRetries(db: Q, now: Date, limit: number) {
  return db
    .selectFrom('images')
    .select(['id', 'source_url', 'kind', 'attempts', 'next_attempt_at'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now.toISOString())
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

/** Claims a due row: only one run wins it (the lease it saw must still be there). */
export async function claimRetry(db: Q, row: { id: number; next_attempt_at: string; attempts: number }, leaseUntil: Date): Promise<boolean> {
  const result = await db
    .updateTable('images')
    .set({ next_attempt_at: leaseUntil.toISOString(), attempts: row.attempts + 1 })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', row.next_attempt_at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function saveImage(db: Q, url: string, image: { data: Buffer; contentType: string; width: number; height: number }): Promise<void> {
  await db
    .updateTable('images')
    .set({ status: 'ok', data: image.data, content_type: image.contentType, width: image.width, height: image.height, error: null, fetched_at: new Date().toISOString() })
    .where('source_url', '=', url)
    .execute();
}

/** Records a failure: given up (`retryAt` null), or due again at `retryAt`. */
export async function saveFailure(db: Q, url: string, error: string, retryAt: Date | null): Promise<void> {
  await db
    .updateTable('images')
    .set({ status: retryAt ? 'pending' : 'failed', error: error.slice(0, 500), next_attempt_at: (retryAt ?? new Date()).toISOString(), fetched_at: new Date().toISOString() })
    .where('source_url', '=', url)
    .execute();
}

/** How many rows are in each state: for the job's account and the CLI. */
export async function imageCounts(db: Q): Promise<Record<string, number>> {
  const rows = await db.selectFrom('images').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** What a paper's stand-in card says: its title, and its organization or first author. */
export async function paperCardText(db: Q, id: string): Promise<{ title: string; byline: string } | undefined> {
  const paper = await db
    .selectFrom('papers as p')
    .leftJoin('organizations as o', 'o.id', 'p.organization_id')
    .select(['p.title', 'p.author_names', 'o.fullname as org'])
    .where('p.id', '=', id)
    .where('p.hidden_at', 'is', null)
    .executeTakeFirst();
  if (!paper) return undefined;
  const names = paper.author_names.split(', ').filter(Boolean);
  const byline = paper.org ?? (names.length > 1 ? `${names[0]} et al.` : (names[0] ?? ''));
  return { title: paper.title, byline };
}

/** What a person's or organization's card says, by handle or name. */
export async function profileCardText(db: Q, kind: 'users' | 'organizations', name: string): Promise<{ title: string; byline: string } | undefined> {
  if (kind === 'organizations') {
    const org = await db.selectFrom('organizations').select(['fullname', 'name']).where('name', '=', name).executeTakeFirst();
    return org && { title: org.fullname, byline: org.name };
  }
  const user = await db.selectFrom('users').select(['fullname', 'username']).where(sql<boolean>`lower(username) = lower(${name})`).where('kind', '=', 'user').executeTakeFirst();
  return user && { title: user.fullname, byline: `@${user.username}` };
}
