import { sql, type Insertable, type Kysely, type Updateable } from 'kysely';
import type { CollectionItemTable, CollectionTable, Database } from '../db/schema.ts';

type Q = Kysely<Database>;

/** Papers in any of the reader's collections, most recently added first. */
export async function savedPaperIds(db: Q, userId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select((eb) => ['i.paper_id', eb.fn.max('i.added_at').as('added_at')])
    .where('c.owner_id', '=', userId)
    .groupBy('i.paper_id')
    .orderBy('added_at', 'desc')
    .orderBy('i.paper_id')
    .execute();
  return rows.map((r) => r.paper_id);
}

/** Papers the reader hid or marked "not interested". */
export async function hiddenPaperIds(db: Q, userId: number): Promise<Set<string>> {
  const rows = await db.selectFrom('paper_marks').select('paper_id').where('user_id', '=', userId).where('hidden_at', 'is not', null).execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** Ids among `paperIds` in any of the reader's collections: one query for a page of cards. */
export async function savedAmong(db: Q, userId: number, paperIds: readonly string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select('i.paper_id')
    .distinct()
    .where('c.owner_id', '=', userId)
    .where('i.paper_id', 'in', [...new Set(paperIds)])
    .execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** Ids among `paperIds` that the reader hid: one query for a page of cards. */
export async function hiddenAmong(db: Q, userId: number, paperIds: readonly string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('paper_marks')
    .select('paper_id')
    .where('user_id', '=', userId)
    .where('hidden_at', 'is not', null)
    .where('paper_id', 'in', [...new Set(paperIds)])
    .execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** A collection with its owner's handle. */
export interface Collection {
  id: number;
  owner_id: number;
  owner: string;
  owner_fullname: string;
  owner_avatar_url: string | null;
  slug: string;
  title: string;
  description: string | null;
  private: boolean;
  is_default: boolean;
  created_at: string;
  updated_at: string;
  /** How many papers it holds. */
  size: number;
}

export interface CollectionItem {
  id: number;
  collection_id: number;
  paper_id: string;
  position: number;
  note: string | null;
  note_html: string | null;
  added_at: string;
}

const collectionSelect = (db: Q) =>
  db
    .selectFrom('collections as c')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .select((eb) => [
      'c.id',
      'c.owner_id',
      'u.username as owner',
      'u.fullname as owner_fullname',
      'u.avatar_url as owner_avatar_url',
      'c.slug',
      'c.title',
      'c.description',
      'c.private',
      'c.is_default',
      'c.created_at',
      'c.updated_at',
      eb.selectFrom('collection_items as i').select((e) => e.fn.countAll<number>().as('n')).whereRef('i.collection_id', '=', 'c.id').as('size'),
    ]);

type CollectionRow = Awaited<ReturnType<ReturnType<typeof collectionSelect>['execute']>>[number];
const toCollection = (r: CollectionRow): Collection => ({ ...r, private: Number(r.private) === 1, is_default: Number(r.is_default) === 1, size: Number(r.size ?? 0) });

export async function collectionById(db: Q, id: number): Promise<Collection | undefined> {
  const row = await collectionSelect(db).where('c.id', '=', id).executeTakeFirst();
  return row && toCollection(row);
}

/** An owner's collections, most recently changed first; private ones only when `includePrivate`. */
export async function collectionsOfOwner(db: Q, ownerId: number, includePrivate: boolean): Promise<Collection[]> {
  let query = collectionSelect(db).where('c.owner_id', '=', ownerId);
  if (!includePrivate) query = query.where('c.private', '=', 0);
  const rows = await query.orderBy('c.updated_at', 'desc').orderBy('c.id', 'desc').execute();
  return rows.map(toCollection);
}

/**
 * Collections anyone may see (and the viewer's own private ones), for Hugging Face's list:
 * by owner's handle and by a paper they hold, most recently changed first.
 */
export async function listCollections(db: Q, filter: { owners: string[]; paperIds: string[]; viewerId: number | null; limit: number; offset: number }): Promise<Collection[]> {
  let query = collectionSelect(db).where((eb) => (filter.viewerId === null ? eb('c.private', '=', 0) : eb.or([eb('c.private', '=', 0), eb('c.owner_id', '=', filter.viewerId)])));
  if (filter.owners.length > 0) query = query.where((eb) => eb.fn('lower', ['u.username']), 'in', filter.owners.map((o) => o.toLowerCase()));
  if (filter.paperIds.length > 0) {
    query = query.where((eb) => eb.exists(eb.selectFrom('collection_items as i').select('i.id').whereRef('i.collection_id', '=', 'c.id').where('i.paper_id', 'in', filter.paperIds)));
  }
  const rows = await query.orderBy('c.updated_at', 'desc').orderBy('c.id', 'desc').limit(filter.limit).offset(filter.offset).execute();
  return rows.map(toCollection);
}

export async function countCollections(db: Q, ownerId: number): Promise<number> {
  const row = await db.selectFrom('collections').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', ownerId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function defaultCollectionId(db: Q, ownerId: number): Promise<number | undefined> {
  const row = await db.selectFrom('collections').select('id').where('owner_id', '=', ownerId).where('is_default', '=', 1).executeTakeFirst();
  return row?.id;
}

export async function insertCollection(db: Q, row: Insertable<CollectionTable>): Promise<number> {
  const { id } = await db.insertInto('collections').values(row).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function updateCollection(db: Q, id: number, change: Updateable<CollectionTable>): Promise<void> {
  await db.updateTable('collections').set(change).where('id', '=', id).execute();
}

export async function deleteCollection(db: Q, id: number): Promise<void> {
  await db.deleteFrom('collections').where('id', '=', id).execute();
}

/** Whether the paper exists and no moderator hid it. */
export async function paperIsVisible(db: Q, paperId: string): Promise<boolean> {
  const row = await db.selectFrom('papers').select('id').where('id', '=', paperId).where('hidden_at', 'is', null).executeTakeFirst();
  return row !== undefined;
}

export async function countItems(db: Q, collectionId: number): Promise<number> {
  const row = await db.selectFrom('collection_items').select((eb) => eb.fn.countAll<number>().as('n')).where('collection_id', '=', collectionId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The last position used in a collection, −1 when empty. */
export async function lastPosition(db: Q, collectionId: number): Promise<number> {
  const row = await db.selectFrom('collection_items').select((eb) => eb.fn.max('position').as('p')).where('collection_id', '=', collectionId).executeTakeFirst();
  return row?.p === null || row?.p === undefined ? -1 : Number(row.p);
}

/** Adds an item; false when the paper is already in the collection. */
export async function insertItem(db: Q, row: Insertable<CollectionItemTable>): Promise<boolean> {
  const inserted = await db.insertInto('collection_items').values(row).onConflict((oc) => oc.columns(['collection_id', 'paper_id']).doNothing()).returning('id').executeTakeFirst();
  return inserted !== undefined;
}

/** A collection's items in order; hidden papers (by a moderator) are left out. */
export async function itemsOf(db: Q, collectionId: number): Promise<CollectionItem[]> {
  return db
    .selectFrom('collection_items as i')
    .innerJoin('papers as p', 'p.id', 'i.paper_id')
    .select(['i.id', 'i.collection_id', 'i.paper_id', 'i.position', 'i.note', 'i.note_html', 'i.added_at'])
    .where('i.collection_id', '=', collectionId)
    .where('p.hidden_at', 'is', null)
    .orderBy('i.position')
    .orderBy('i.id')
    .execute();
}

export async function updateItem(db: Q, itemId: number, change: Updateable<CollectionItemTable>): Promise<void> {
  await db.updateTable('collection_items').set(change).where('id', '=', itemId).execute();
}

export async function deleteItem(db: Q, collectionId: number, itemId: number): Promise<boolean> {
  const result = await db.deleteFrom('collection_items').where('collection_id', '=', collectionId).where('id', '=', itemId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Takes the paper out of every collection of the reader's; how many it left. */
/** Whether any of the reader's public collections holds the paper. */
export async function inPublicCollection(db: Q, userId: number, paperId: string): Promise<boolean> {
  const row = await db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select('i.paper_id')
    .where('c.owner_id', '=', userId)
    .where('c.private', '=', 0)
    .where('i.paper_id', '=', paperId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function removeFromAllCollections(db: Q, userId: number, paperId: string): Promise<number> {
  const result = await db
    .deleteFrom('collection_items')
    .where('paper_id', '=', paperId)
    .where('collection_id', 'in', db.selectFrom('collections').select('id').where('owner_id', '=', userId))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function setHidden(db: Q, userId: number, paperId: string, at: string | null, reason: string | null): Promise<void> {
  await db
    .insertInto('paper_marks')
    .values({ user_id: userId, paper_id: paperId, read_at: null, hidden_at: at, hidden_reason: reason })
    .onConflict((oc) => oc.columns(['user_id', 'paper_id']).doUpdateSet({ hidden_at: at, hidden_reason: reason }))
    .execute();
}

export async function setRead(db: Q, userId: number, paperId: string, at: string | null): Promise<void> {
  await db
    .insertInto('paper_marks')
    .values({ user_id: userId, paper_id: paperId, read_at: at, hidden_at: null, hidden_reason: null })
    .onConflict((oc) => oc.columns(['user_id', 'paper_id']).doUpdateSet({ read_at: at }))
    .execute();
}

/** What a page's cards need of one reader's library. */
export interface LibraryState {
  saved: Set<string>;
  hidden: Set<string>;
  read: Set<string>;
  /** Left out of the reader's lists: hidden, or read when they leave read papers out. */
  omitted: Set<string>;
}

/** What a page's cards need of one reader's library, in one query: which papers they saved, hid and read, and whether they leave read papers out. */
export async function libraryStateAmong(db: Q, userId: number, paperIds: readonly string[]): Promise<LibraryState> {
  const state: LibraryState = { saved: new Set(), hidden: new Set(), read: new Set(), omitted: new Set() };
  if (paperIds.length === 0) return state;
  const ids = [...new Set(paperIds)];
  const rows = await db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select([sql<string>`'s'`.as('kind'), 'i.paper_id'])
    .where('c.owner_id', '=', userId)
    .where('i.paper_id', 'in', ids)
    .unionAll(db.selectFrom('paper_marks as m').select([sql<string>`'h'`.as('kind'), 'm.paper_id']).where('m.user_id', '=', userId).where('m.hidden_at', 'is not', null).where('m.paper_id', 'in', ids))
    .unionAll(db.selectFrom('paper_marks as m').select([sql<string>`'r'`.as('kind'), 'm.paper_id']).where('m.user_id', '=', userId).where('m.read_at', 'is not', null).where('m.paper_id', 'in', ids))
    .unionAll(db.selectFrom('users as u').select([sql<string>`'o'`.as('kind'), sql<string>`''`.as('paper_id')]).where('u.id', '=', userId).where('u.hide_read', '=', 1))
    .execute();
  let hideRead = false;
  for (const r of rows) {
    if (r.kind === 's') state.saved.add(r.paper_id);
    else if (r.kind === 'h') state.hidden.add(r.paper_id);
    else if (r.kind === 'r') state.read.add(r.paper_id);
    else hideRead = true;
  }
  state.omitted = new Set([...state.hidden, ...(hideRead ? state.read : [])]);
  return state;
}

/** Whether the reader leaves the papers they marked read out of their daily lists. */
export async function hidesRead(db: Q, userId: number): Promise<boolean> {
  const row = await db.selectFrom('users').select('hide_read').where('id', '=', userId).executeTakeFirst();
  return Number(row?.hide_read ?? 0) === 1;
}

export async function setHideRead(db: Q, userId: number, on: boolean): Promise<void> {
  await db.updateTable('users').set({ hide_read: on ? 1 : 0 }).where('id', '=', userId).execute();
}

/** A reader's marks on papers, for the library page: hidden ones, newest first. */
export async function hiddenMarks(db: Q, userId: number): Promise<{ paper_id: string; hidden_at: string; hidden_reason: string | null }[]> {
  const rows = await db
    .selectFrom('paper_marks')
    .select(['paper_id', 'hidden_at', 'hidden_reason'])
    .where('user_id', '=', userId)
    .where('hidden_at', 'is not', null)
    .orderBy('hidden_at', 'desc')
    .execute();
  return rows.map((r) => ({ ...r, hidden_at: r.hidden_at! }));
}

/** Ids among `paperIds` the reader marked read. */
export async function readAmong(db: Q, userId: number, paperIds: readonly string[]): Promise<Set<string>> {
  if (paperIds.length === 0) return new Set();
  const rows = await db.selectFrom('paper_marks').select('paper_id').where('user_id', '=', userId).where('read_at', 'is not', null).where('paper_id', 'in', [...new Set(paperIds)]).execute();
  return new Set(rows.map((r) => r.paper_id));
}

/** Which of these papers exist and are not hidden by a moderator. */
export async function visiblePaperIds(db: Q, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('papers').select('id').where('id', 'in', ids.slice(i, i + 500)).where('hidden_at', 'is', null).execute();
    for (const r of rows) found.add(r.id);
  }
  return found;
}

/** Papers by DOI (lowercase), for imports. */
export async function paperIdsByDoi(db: Q, dois: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let i = 0; i < dois.length; i += 500) {
    const rows = await db.selectFrom('papers').select(['id', 'doi']).where((eb) => eb.fn('lower', ['doi']), 'in', dois.slice(i, i + 500)).execute();
    for (const r of rows) if (r.doi) found.set(r.doi.toLowerCase(), r.id);
  }
  return found;
}

/** The saved papers of a reader, each once with the newest time it was added, filtered by words in title, abstract or authors and by collection. */
export async function libraryItems(db: Q, userId: number, filter: { words: string[]; collectionId: number | null; unread?: boolean; limit: number }): Promise<{ paper_id: string; added_at: string }[]> {
  let query = db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .innerJoin('papers as p', 'p.id', 'i.paper_id')
    .select((eb) => ['i.paper_id', eb.fn.max('i.added_at').as('added_at')])
    .where('c.owner_id', '=', userId)
    .where('p.hidden_at', 'is', null);
  if (filter.collectionId !== null) query = query.where('c.id', '=', filter.collectionId);
  if (filter.unread) {
    query = query.where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('paper_marks as m').select('m.paper_id').whereRef('m.paper_id', '=', 'i.paper_id').where('m.user_id', '=', userId).where('m.read_at', 'is not', null))),
    );
  }
  for (const word of filter.words) {
    const like = `%${word.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    query = query.where((eb) => eb.or([sql<boolean>`lower(p.title) like ${like} escape '\\'`, sql<boolean>`lower(p.abstract) like ${like} escape '\\'`, sql<boolean>`lower(p.author_names) like ${like} escape '\\'`]));
  }
  const rows = await query.groupBy('i.paper_id').orderBy('added_at', 'desc').orderBy('i.paper_id').limit(filter.limit).execute();
  return rows.map((r) => ({ paper_id: r.paper_id, added_at: String(r.added_at) }));
}

/** Which of `paperIds` each of these readers hid: one query for a chunk of digest subscribers. */
export async function hiddenByReaders(db: Q, userIds: number[], paperIds: string[]): Promise<Map<number, Set<string>>> {
  const byReader = new Map<number, Set<string>>();
  if (userIds.length === 0 || paperIds.length === 0) return byReader;
  const rows = await db
    .selectFrom('paper_marks')
    .select(['user_id', 'paper_id'])
    .where('user_id', 'in', [...new Set(userIds)])
    .where('hidden_at', 'is not', null)
    .where('paper_id', 'in', [...new Set(paperIds)])
    .execute();
  for (const r of rows) {
    let set = byReader.get(r.user_id);
    if (!set) byReader.set(r.user_id, (set = new Set()));
    set.add(r.paper_id);
  }
  return byReader;
}

/** The reader's items of one paper: in which of their collections it is, with its note there. */
export async function itemsOfPaper(db: Q, userId: number, paperId: string): Promise<{ collection_id: number; note: string | null }[]> {
  return db
    .selectFrom('collection_items as i')
    .innerJoin('collections as c', 'c.id', 'i.collection_id')
    .select(['i.collection_id', 'i.note'])
    .where('c.owner_id', '=', userId)
    .where('i.paper_id', '=', paperId)
    .orderBy('c.is_default', 'desc')
    .orderBy('c.id')
    .execute();
}
