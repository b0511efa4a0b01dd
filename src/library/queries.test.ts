import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { freshDb } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { hiddenAmong, hiddenPaperIds, savedAmong, savedPaperIds } from './queries.ts';

const DAY = '2026-11-18';
const record = (id: string) => ({
  paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 0, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Paper ${id}`,
  numComments: 0,
});

describe('library queries', () => {
  let db: Db;
  let ada: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    db = await freshDb();
    await importHfItems(db, ['2611.00001', '2611.00002', '2611.00003'].map(record), DAY, 'test');
    ada = await signedInUser(db);
    bob = await signedInUser(db);
  });
  afterAll(() => db.close());

  it('lists saved papers across collections, newest first, and hidden ones, per reader', async () => {
    const k = db.kysely;
    const now = '2026-11-18T10:00:00.000Z';
    const collection = (owner: number, slug: string, isDefault: number) =>
      k.insertInto('collections').values({ owner_id: owner, slug, title: slug, description: null, is_default: isDefault, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    const a1 = await collection(ada.id, 'saved-1', 1);
    const a2 = await collection(ada.id, 'reading-2', 0);
    const b1 = await collection(bob.id, 'saved-3', 1);
    await expect(collection(ada.id, 'another-4', 1)).rejects.toThrow();
    await k
      .insertInto('collection_items')
      .values([
        { collection_id: a1.id, paper_id: '2611.00001', position: 0, note: null, note_html: null, added_at: '2026-11-18T10:00:01.000Z' },
        { collection_id: a2.id, paper_id: '2611.00002', position: 0, note: null, note_html: null, added_at: '2026-11-18T10:00:03.000Z' },
        { collection_id: a2.id, paper_id: '2611.00001', position: 1, note: null, note_html: null, added_at: '2026-11-18T10:00:02.000Z' },
        { collection_id: b1.id, paper_id: '2611.00003', position: 0, note: null, note_html: null, added_at: '2026-11-18T10:00:04.000Z' },
      ])
      .execute();
    await k.insertInto('paper_marks').values([
      { user_id: ada.id, paper_id: '2611.00003', read_at: null, hidden_at: now, hidden_reason: 'not-interested' },
      { user_id: ada.id, paper_id: '2611.00002', read_at: now, hidden_at: null, hidden_reason: null },
    ]).execute();

    expect(await savedPaperIds(k, ada.id)).toEqual(['2611.00002', '2611.00001']);
    expect(await savedPaperIds(k, bob.id)).toEqual(['2611.00003']);
    expect(await hiddenPaperIds(k, ada.id)).toEqual(new Set(['2611.00003']));
    expect(await hiddenPaperIds(k, bob.id)).toEqual(new Set());
    expect(await savedAmong(k, ada.id, ['2611.00001', '2611.00003'])).toEqual(new Set(['2611.00001']));
    expect(await hiddenAmong(k, ada.id, ['2611.00002', '2611.00003'])).toEqual(new Set(['2611.00003']));
  });
});
