import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { castVote } from '../votes/votes.ts';
import { createOrganization, setPaperOrganization } from '../organizations/queries.ts';
import { setVisibility } from '../moderation/queries.ts';
import { bumpContentVersion } from '../db/content-version.ts';

// The shared lists besides day, week and month that keep their cards (decision 018): each shows
// a vote's count and a hide at once, and reuses a card whose paper's row did not change.
const DAY = '2026-11-18';
const IDS = ['2611.00301', '2611.00302', '2611.00303'];
const AUTHOR = 'Grace Keptcard';
const operator = { actorLabel: 'cli:test' };
const record = (id: string, i: number) => ({
  paper: { id, title: `Kept paper ${id}`, summary: `Original abstract of ${id}.`, publishedAt: `2026-11-1${i}T00:00:00.000Z`, upvotes: 10 - i, authors: [{ _id: `k-${id}`, name: AUTHOR, hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Kept paper ${id}`,
  numComments: 0,
});

interface Card {
  count: number;
  upvoted: boolean;
  html: string;
}

/** The cards of a page by paper id: the count on each, and whether it shows as its reader's upvote. */
function cardsOf(html: string): Map<string, Card> {
  const cards = new Map<string, Card>();
  for (const chunk of html.split('<article class="card"').slice(1)) {
    const id = /<h2 class="card-title"[^>]*><a href="\/papers\/([^"]+)">/.exec(chunk)?.[1];
    if (!id) continue;
    cards.set(id, { count: Number(/upvote-count">(\d+)</.exec(chunk)?.[1]), upvoted: /aria-pressed="true"/.test(chunk.split('</form>')[0]!), html: chunk });
  }
  return cards;
}

describe('kept cards on trending, organization, author and profile pages', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  let pages: string[];

  beforeAll(async () => {
    ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0' }));
    await importHfItems(db, IDS.map(record), DAY, 'test');
    ada = await signedInUser(db);
    bob = await signedInUser(db);
    await createOrganization(db.kysely, operator, 'keptlab', 'Kept Lab');
    for (const id of IDS) {
      await setPaperOrganization(db.kysely, operator, id, 'keptlab');
      await castVote(db, ada.id, id, 'up');
    }
    // Ada's profile lists the papers she upvoted.
    pages = ['/papers/trending', '/organizations/keptlab', `/authors/${encodeURIComponent(AUTHOR)}`, `/users/${ada.username}?tab=upvoted`];
  });
  afterAll(() => db.close());

  const view = async (path: string, user: TestUser | null) => {
    const res = await app.request(path, { headers: user ? { Cookie: user.cookie } : {} });
    expect(res.status, path).toBe(200);
    const html = await res.text();
    // No reader-template or page-part marker left in a page.
    for (const marker of ['\u0001', '\u0002']) expect(html).not.toContain(marker);
    return cardsOf(html);
  };
  const form = (user: TestUser, path: string, body: Record<string, string>) =>
    app.request(path, { method: 'POST', headers: { ...formHeaders(user), Referer: `http://localhost${pages[0]}` }, body: new URLSearchParams({ _csrf: user.csrf, ...body }) });

  it('shows a vote’s count at once on each page to every reader, and the voter’s own vote as theirs', async () => {
    for (const path of pages) for (const user of [null, ada, bob]) expect((await view(path, user)).get(IDS[1]!)?.count, `${path} before`).toBe(10);
    expect((await form(bob, `/papers/${IDS[1]}/upvote`, { action: 'up' })).status).toBe(303);
    for (const path of pages) {
      for (const user of [null, ada, bob]) {
        const cards = await view(path, user);
        expect(cards.get(IDS[1]!)?.count, `${path} after, ${user?.username ?? 'anonymous'}`).toBe(11);
        // The other cards did not move.
        expect(cards.get(IDS[0]!)?.count, path).toBe(11);
        if (user) expect(cards.get(IDS[1]!)?.upvoted, `${path} ${user.username}`).toBe(true);
      }
      expect((await view(path, bob)).get(IDS[0]!)?.upvoted, path).toBe(false);
    }
  });

  it('reuses a card whose paper’s row did not change, and renders it again when cards_version moves', async () => {
    for (const path of pages) for (const user of [null, bob]) expect((await view(path, user)).get(IDS[2]!)?.html).toContain(`Original abstract of ${IDS[2]}`);
    // Written behind the site's back (no version bumped): only a card rendered anew would show it.
    await db.kysely.updateTable('papers').set({ abstract: 'A rewritten abstract.' }).where('id', '=', IDS[2]!).execute();
    await castVote(db, (await signedInUser(db)).id, IDS[0]!, 'up');
    for (const path of pages) {
      for (const user of [null, bob]) {
        const cards = await view(path, user);
        // The page was rendered again (the count moved), with the kept card as it was; a
        // profile seen signed in is its reader's own page (not shared), rendered as it is.
        expect(cards.get(IDS[0]!)?.count, path).toBe(12);
        const kept = !(user && path.startsWith('/users/'));
        expect(cards.get(IDS[2]!)?.html, `${path} ${user?.username ?? 'anonymous'}`).toContain(kept ? `Original abstract of ${IDS[2]}` : 'A rewritten abstract.');
      }
    }
    await bumpContentVersion(db.kysely);
    for (const path of pages) for (const user of [null, bob]) expect((await view(path, user)).get(IDS[2]!)?.html, path).toContain('A rewritten abstract.');
  });

  it('folds a paper away at once for the reader who hid it (elsewhere as it was), and takes it off for everyone when a moderator hides it', async () => {
    expect((await form(bob, `/papers/${IDS[0]}/hide`, { action: 'hide' })).status).toBe(303);
    // The author page shows no reader's hides (as before: it offers no hide button's state).
    for (const path of pages.filter((p) => !p.startsWith('/authors/'))) {
      expect((await view(path, bob)).has(IDS[0]!), `${path} for bob`).toBe(false);
      for (const user of [null, ada]) expect((await view(path, user)).has(IDS[0]!), `${path} for ${user?.username ?? 'anonymous'}`).toBe(true);
    }
    await setVisibility(db.kysely, operator, { type: 'paper', id: IDS[1]! }, true, 'test');
    for (const path of pages) {
      for (const user of [null, ada, bob]) {
        const cards = await view(path, user);
        expect(cards.has(IDS[1]!), `${path} for ${user?.username ?? 'anonymous'}`).toBe(false);
        expect(cards.has(IDS[2]!), path).toBe(true);
      }
    }
  });
});
