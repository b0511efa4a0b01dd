import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { bumpContentVersion, bumpReaderVersion } from '../db/content-version.ts';
import { DomainError } from '../core/errors.ts';
import { userByHandle } from '../auth/users.ts';
import { renderComment } from '../comments/markdown.ts';
import * as q from './queries.ts';

type Q = Kysely<Database>;
type T = Transaction<Database>;

/** The title the save button's collection gets when a reader first saves a paper. */
export const DEFAULT_TITLE = 'Saved papers';
export const MAX_TITLE = 120;
export const MAX_DESCRIPTION = 2000;
export const MAX_NOTE = 2000;
/** Collections a reader may have: a bound on what one account can make. */
export const MAX_COLLECTIONS = 200;
/** Papers in one collection, likewise. */
export const MAX_ITEMS = 5000;

export type { Collection, CollectionItem } from './queries.ts';

/** `Reading group: week 3!` → `reading-group-week-3`: the readable part of a collection's slug. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'collection';
}

/** A collection's slug as the URL and Hugging Face's API write it: `{owner}/{title-slug}-{id}`. */
export const fullSlug = (c: { owner: string; slug: string }) => `${c.owner}/${c.slug}`;

/**
 * The collection `{owner}/{slug}` as `viewerId` may see it: found by the id that ends the slug
 * (a renamed collection keeps its id, so old links still work, as on Hugging Face); another
 * reader's private collection is not found, exactly as a missing one.
 */
export async function findCollection(db: Q, owner: string, slug: string, viewerId: number | null): Promise<q.Collection> {
  const id = /-(\d{1,10})$/.exec(slug)?.[1] ?? (/^\d{1,10}$/.test(slug) ? slug : undefined);
  const found = id ? await q.collectionById(db, Number(id)) : undefined;
  if (!found || found.owner.toLowerCase() !== owner.toLowerCase() || (found.private && found.owner_id !== viewerId)) {
    throw new DomainError('not-found', `no collection ${owner}/${slug}`);
  }
  return found;
}

/** The collection, which `viewerId` must own to change. */
export async function ownCollection(db: Q, owner: string, slug: string, viewerId: number): Promise<q.Collection> {
  const found = await findCollection(db, owner, slug, viewerId);
  if (found.owner_id !== viewerId) throw new DomainError('forbidden', 'only its owner can change a collection');
  return found;
}

export interface CollectionInput {
  title: string;
  description?: string | null;
  private?: boolean;
}

function checkInput(input: Partial<CollectionInput>): void {
  if (input.title !== undefined && !input.title.trim()) throw new DomainError('invalid', 'a collection needs a title');
  if (input.title !== undefined && input.title.length > MAX_TITLE) throw new DomainError('invalid', `a title has at most ${MAX_TITLE} characters`);
  if (input.description && input.description.length > MAX_DESCRIPTION) throw new DomainError('invalid', `a description has at most ${MAX_DESCRIPTION} characters`);
}

/** A new collection of `ownerId`'s; its slug ends with its id, so titles need not be unique. */
export async function createCollection(db: Q, ownerId: number, input: CollectionInput): Promise<q.Collection> {
  checkInput(input);
  const id = await db.transaction().execute(async (trx) => {
    if ((await q.countCollections(trx, ownerId)) >= MAX_COLLECTIONS) throw new DomainError('conflict', `a reader may have at most ${MAX_COLLECTIONS} collections`);
    const id = await insertCollection(trx, ownerId, { ...input, title: input.title.trim() }, false);
    await collectionChanged(trx, ownerId, !input.private);
    return id;
  });
  return (await q.collectionById(db, id))!;
}

async function insertCollection(trx: T, ownerId: number, input: CollectionInput, isDefault: boolean): Promise<number> {
  const now = new Date().toISOString();
  // The slug needs the id, which the insert makes: a unique stand-in first.
  const id = await q.insertCollection(trx, {
    owner_id: ownerId,
    slug: `new-${randomUUID()}`,
    title: input.title,
    description: input.description?.trim() || null,
    private: input.private ? 1 : 0,
    is_default: isDefault ? 1 : 0,
    created_at: now,
    updated_at: now,
  });
  await q.updateCollection(trx, id, { slug: `${slugify(input.title)}-${id}` });
  return id;
}

/** Changes a collection's title (its slug follows, keeping the id), description or privacy. */
export async function updateCollection(db: Q, collection: q.Collection, input: Partial<CollectionInput>): Promise<q.Collection> {
  checkInput(input);
  await db.transaction().execute(async (trx) => {
    const title = input.title?.trim();
    await q.updateCollection(trx, collection.id, {
      ...(title !== undefined ? { title, slug: `${slugify(title)}-${collection.id}` } : {}),
      ...(input.description !== undefined ? { description: input.description?.trim() || null } : {}),
      ...(input.private !== undefined ? { private: input.private ? 1 : 0 } : {}),
      updated_at: new Date().toISOString(),
    });
    await collectionChanged(trx, collection.owner_id, !collection.private || input.private === false);
  });
  return (await q.collectionById(db, collection.id))!;
}

export async function deleteCollection(db: Q, collection: q.Collection): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await q.deleteCollection(trx, collection.id);
    await collectionChanged(trx, collection.owner_id, !collection.private);
  });
}

/** A note's Markdown rendered once, as comments are; refused when too long or its math breaks the rules. */
function renderNote(note: string | null | undefined): { note: string | null; note_html: string | null } {
  const text = note?.trim();
  if (!text) return { note: null, note_html: null };
  if (text.length > MAX_NOTE) throw new DomainError('invalid', `a note has at most ${MAX_NOTE} characters`);
  const rendered = renderComment(text);
  if ('refused' in rendered) throw new DomainError('invalid', `note: ${rendered.refused}`);
  return { note: text, note_html: rendered.html };
}

async function visiblePaper(db: Q | T, paperId: string): Promise<void> {
  if (!(await q.paperIsVisible(db, paperId))) throw new DomainError('not-found', `no paper ${paperId} here`);
}

/**
 * Adds a paper at the end of a collection. A paper already there is a conflict (409, as
 * Hugging Face answers), unless `existsOk`.
 */
export async function addItem(db: Q, collection: q.Collection, paperId: string, note?: string | null, existsOk = false): Promise<void> {
  const rendered = renderNote(note);
  await db.transaction().execute(async (trx) => {
    await visiblePaper(trx, paperId);
    const added = await appendItem(trx, collection.id, paperId, rendered);
    if (!added && !existsOk) throw new DomainError('conflict', `paper ${paperId} is already in this collection`);
    if (added) await touch(trx, collection.id);
  });
}

async function appendItem(trx: T, collectionId: number, paperId: string, note: { note: string | null; note_html: string | null }): Promise<boolean> {
  const count = await q.countItems(trx, collectionId);
  if (count >= MAX_ITEMS) throw new DomainError('conflict', `a collection holds at most ${MAX_ITEMS} papers`);
  return q.insertItem(trx, { collection_id: collectionId, paper_id: paperId, position: (await q.lastPosition(trx, collectionId)) + 1, ...note, added_at: new Date().toISOString() });
}

async function touch(trx: T, collectionId: number): Promise<void> {
  await q.updateCollection(trx, collectionId, { updated_at: new Date().toISOString() });
  const collection = (await q.collectionById(trx, collectionId))!;
  await collectionChanged(trx, collection.owner_id, !collection.private);
}

/**
 * A collection changed: its owner's state (save buttons) always; everyone's pages only when it
 * is public (the API lists public collections), and no card shows a collection.
 */
async function collectionChanged(trx: T, ownerId: number, isPublic: boolean): Promise<void> {
  await bumpReaderVersion(trx, ownerId);
  if (isPublic) await bumpContentVersion(trx, { papersOnly: true });
}

/** Changes an item's note, or moves it to `position` (0 first), the others closing up around it. */
export async function updateItem(db: Q, collection: q.Collection, itemId: number, change: { note?: string | null; position?: number }): Promise<void> {
  const rendered = change.note !== undefined ? renderNote(change.note) : undefined;
  await db.transaction().execute(async (trx) => {
    const items = await q.itemsOf(trx, collection.id);
    const item = items.find((i) => i.id === itemId);
    if (!item) throw new DomainError('not-found', `no item ${itemId} in this collection`);
    if (rendered) await q.updateItem(trx, itemId, rendered);
    if (change.position !== undefined) {
      const order = items.filter((i) => i.id !== itemId);
      order.splice(Math.max(0, Math.min(change.position, order.length)), 0, item);
      for (const [position, i] of order.entries()) if (i.position !== position) await q.updateItem(trx, i.id, { position });
    }
    await touch(trx, collection.id);
  });
}

export async function deleteItem(db: Q, collection: q.Collection, itemId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await q.deleteItem(trx, collection.id, itemId))) throw new DomainError('not-found', `no item ${itemId} in this collection`);
    await touch(trx, collection.id);
  });
}

/** The reader's default collection (the save button's), made on first use. */
async function defaultCollectionId(trx: T, userId: number): Promise<number> {
  return (await q.defaultCollectionId(trx, userId)) ?? insertCollection(trx, userId, { title: DEFAULT_TITLE, private: true }, true);
}

/** The save button: the paper goes into the reader's default collection; saving twice changes nothing. */
export async function savePaper(db: Q, userId: number, paperId: string): Promise<{ saved: true }> {
  await db.transaction().execute(async (trx) => {
    await visiblePaper(trx, paperId);
    if ((await q.savedAmong(trx, userId, [paperId])).size > 0) return;
    const id = await defaultCollectionId(trx, userId);
    await appendItem(trx, id, paperId, { note: null, note_html: null });
    await touch(trx, id);
  });
  return { saved: true };
}

/** Un-saving: the paper leaves every collection of the reader's, since "saved" means in any of them. */
export async function unsavePaper(db: Q, userId: number, paperId: string): Promise<{ saved: false }> {
  await db.transaction().execute(async (trx) => {
    const anyPublic = await q.inPublicCollection(trx, userId, paperId);
    if ((await q.removeFromAllCollections(trx, userId, paperId)) > 0) await collectionChanged(trx, userId, anyPublic);
  });
  return { saved: false };
}

export type HideReason = 'hidden' | 'not-interested';

/** Hides a paper from the reader's lists, search and digests (`not-interested` also tells for-you why). */
export async function hidePaper(db: Q, userId: number, paperId: string, reason: HideReason): Promise<{ hidden: true; reason: HideReason }> {
  await db.transaction().execute(async (trx) => {
    await visiblePaper(trx, paperId);
    await q.setHidden(trx, userId, paperId, new Date().toISOString(), reason);
    await bumpReaderVersion(trx, userId);
  });
  return { hidden: true, reason };
}

export async function unhidePaper(db: Q, userId: number, paperId: string): Promise<{ hidden: false }> {
  await db.transaction().execute(async (trx) => {
    await q.setHidden(trx, userId, paperId, null, null);
    await bumpReaderVersion(trx, userId);
  });
  return { hidden: false };
}

/** Marks the paper read (or not): its cards show it, and it leaves the daily lists of readers who chose so. */
export async function markRead(db: Q, userId: number, paperId: string, read: boolean): Promise<{ read: boolean }> {
  await db.transaction().execute(async (trx) => {
    if (read) await visiblePaper(trx, paperId);
    await q.setRead(trx, userId, paperId, read ? new Date().toISOString() : null);
    await bumpReaderVersion(trx, userId);
  });
  return { read };
}

/** Whether the reader's daily, weekly, monthly and trending lists leave out what they marked read. */
export async function setHideRead(db: Q, userId: number, hideRead: boolean): Promise<{ hideRead: boolean }> {
  await db.transaction().execute(async (trx) => {
    await q.setHideRead(trx, userId, hideRead);
    await bumpReaderVersion(trx, userId);
  });
  return { hideRead };
}

/**
 * The note of a paper in one of the reader's collections (their default one when none is
 * named), saving the paper there first if it is not in it: the save button's "Note".
 */
export async function setNote(db: Q, userId: number, paperId: string, collectionId: number | null, note: string): Promise<q.Collection> {
  const rendered = renderNote(note);
  const id = await db.transaction().execute(async (trx) => {
    await visiblePaper(trx, paperId);
    const target = collectionId ?? (await defaultCollectionId(trx, userId));
    const collection = await q.collectionById(trx, target);
    if (!collection || collection.owner_id !== userId) throw new DomainError('not-found', 'no such collection in your library');
    const item = (await q.itemsOf(trx, target)).find((i) => i.paper_id === paperId);
    if (item) await q.updateItem(trx, item.id, rendered);
    else await appendItem(trx, target, paperId, rendered);
    await touch(trx, target);
    return target;
  });
  return (await q.collectionById(db, id))!;
}

/** The reader's default collection (the save button's), made now if they have none: where a first import goes. */
export async function defaultCollection(db: Q, userId: number): Promise<q.Collection> {
  const id = await db.transaction().execute((trx) => defaultCollectionId(trx, userId));
  return (await q.collectionById(db, id))!;
}

/** The owner's collections as `viewerId` may see them (their own private ones only to themselves). */
export async function collectionsOf(db: Q, ownerHandle: string, viewerId: number | null): Promise<q.Collection[]> {
  const owner = await userByHandle(db, ownerHandle);
  if (!owner) throw new DomainError('not-found', `no user ${ownerHandle}`);
  return q.collectionsOfOwner(db, owner.id, owner.id === viewerId);
}
