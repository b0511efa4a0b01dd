import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { formHeaders, type TestUser } from '../../test/community.ts';
import { appWithTwoReaders } from '../../test/library.ts';
import { createCollection } from './collections.ts';

// A note from the save button (issue 17): any card's or the paper page's "Note" leads to the
// reader's note on that paper, in one of their collections, saved with the paper if need be.
const DAY = '2026-11-18';
const IDS = ['2611.00401', '2611.00402'];
const record = (id: string) => ({
  paper: { id, title: `Noted ${id}`, summary: 'An abstract.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 1, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Noted ${id}`,
  numComments: 0,
});

describe('notes from the save button', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  const page = async (path: string, user: TestUser) => app.request(path, { headers: { Cookie: user.cookie } });
  const post = (user: TestUser, path: string, fields: Record<string, string>) => app.request(path, { method: 'POST', headers: formHeaders(user), body: new URLSearchParams({ _csrf: user.csrf, ...fields }) });
  const noteOf = (userId: number, paperId: string) =>
    db.kysely
      .selectFrom('collection_items as i')
      .innerJoin('collections as c', 'c.id', 'i.collection_id')
      .select(['c.title', 'i.note', 'i.note_html'])
      .where('c.owner_id', '=', userId)
      .where('i.paper_id', '=', paperId)
      .orderBy('c.id')
      .execute();

  beforeAll(async () => {
    ({ db, app, ada, bob } = await appWithTwoReaders(IDS.map(record), DAY));
  });
  afterAll(() => db.close());

  it('every card and the paper page lead a signed-in reader to their note', async () => {
    for (const path of [`/papers/date/${DAY}`, `/papers/${IDS[0]}`]) {
      const html = await (await page(path, ada)).text();
      expect(html).toContain(`<a class="note-link" href="/library/notes/${IDS[0]}"`);
    }
    expect(await (await app.request(`/papers/date/${DAY}`)).text()).not.toContain('note-link');
    expect((await app.request(`/library/notes/${IDS[0]}`)).status).toBe(303);
  });

  it('saves the paper with its note (Markdown and math) in one go, and back to the page it came from', async () => {
    const form = await page(`/library/notes/${IDS[0]}?next=/papers/date/${DAY}`, ada);
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('saving the note saves the paper');
    expect(html).toContain(`<input type="hidden" name="next" value="/papers/date/${DAY}"/>`);
    const res = await post(ada, `/library/notes/${IDS[0]}`, { note: 'Read the *proof* of $x^2$ <script>alert(1)</script>', next: `/papers/date/${DAY}` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/papers/date/${DAY}`);
    const [item] = await noteOf(ada.id, IDS[0]!);
    expect(item!.title).toBe('Saved papers');
    expect(item!.note_html).toContain('<em>proof</em>');
    expect(item!.note_html).toContain('katex');
    expect(item!.note_html).not.toContain('<script>');
    // The page shows it saved, and the note form has the note to edit.
    expect(await (await page(`/papers/date/${DAY}`, ada)).text()).toMatch(new RegExp(`action="/papers/${IDS[0]!.replace('.', '\\.')}/save"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="unsave"`));
    const again = await (await page(`/library/notes/${IDS[0]}`, ada)).text();
    expect(again).toContain('Read the *proof* of $x^2$ &lt;script&gt;');
    expect(again).not.toContain('saving the note saves the paper');
  });

  it('edits the note in the collection the reader picks, and clears it when empty', async () => {
    const reading = await createCollection(db.kysely, ada.id, { title: 'Reading group' });
    const form = await (await page(`/library/notes/${IDS[0]}`, ada)).text();
    expect(form).toContain('Reading group (not in it yet)');
    await post(ada, `/library/notes/${IDS[0]}`, { collection: String(reading.id), note: 'For **Tuesday**' });
    expect((await noteOf(ada.id, IDS[0]!)).map((i) => [i.title, i.note])).toEqual([
      ['Saved papers', 'Read the *proof* of $x^2$ <script>alert(1)</script>'],
      ['Reading group', 'For **Tuesday**'],
    ]);
    const collection = await (await page(`/collections/${ada.username}/${reading.slug}`, ada)).text();
    expect(collection).toContain('<strong>Tuesday</strong>');
    await post(ada, `/library/notes/${IDS[0]}`, { collection: String(reading.id), note: '' });
    expect((await noteOf(ada.id, IDS[0]!))[1]!.note).toBeNull();
  });

  it('refuses what it should: another reader’s collection, a long note, no token, an unknown paper, a foreign next', async () => {
    const theirs = await createCollection(db.kysely, bob.id, { title: 'Bob only' });
    expect((await post(ada, `/library/notes/${IDS[1]}`, { collection: String(theirs.id), note: 'mine' })).status).toBe(404);
    expect(await noteOf(bob.id, IDS[1]!)).toEqual([]);
    expect((await post(ada, `/library/notes/${IDS[1]}`, { note: 'x'.repeat(2001) })).status).toBe(400);
    expect((await post(ada, `/library/notes/${IDS[1]}`, { collection: 'abc', note: 'x' })).status).toBe(400);
    expect((await app.request(`/library/notes/${IDS[1]}`, { method: 'POST', headers: formHeaders(ada), body: 'note=x' })).status).toBe(403);
    expect((await post(ada, '/library/notes/2611.99999', { note: 'x' })).status).toBe(404);
    expect((await page('/library/notes/2611.99999', ada)).status).toBe(404);
    const res = await post(ada, `/library/notes/${IDS[1]}`, { note: 'ok', next: '//evil.example/' });
    expect(res.headers.get('location')).toBe(`/papers/${IDS[1]}`);
  });
});
