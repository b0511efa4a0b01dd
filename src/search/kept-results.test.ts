// Search result pages kept per normalised request and content version (decision 029): readers
// interleaved on the same searches each see only their own votes, name and token; a vote shows at
// once; the same search spelled with other spaces is the same page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { castVote } from '../votes/votes.ts';

const item = (id: string, title: string, upvotes: number) => ({
  paper: { id, title, summary: `We study ${title.toLowerCase()} with care.`, publishedAt: '2026-11-10T00:00:00.000Z', upvotes, authors: [{ name: 'Ada Lovelace' }] },
  publishedAt: '2026-11-18T09:00:00.000Z',
});
const A = '2611.00301';
const B = '2611.00302';

describe('search result pages, kept', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let one: TestUser;
  let two: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importHfItems(db, [item(A, 'Kept zebrafish gaits', 5), item(B, 'Zebrafish reward shaping', 2)], '2026-11-18', 'test');
    one = await signedInUser(db);
    two = await signedInUser(db);
    await castVote(db, one.id, A, 'up');
  });
  afterAll(() => db.close());

  const page = async (path: string, user?: TestUser) => {
    const res = await app.request(path, { headers: user ? { Cookie: user.cookie } : {} });
    expect(res.status).toBe(200);
    return res.text();
  };
  /** Whether the page shows `id`'s upvote button pressed, and its count. */
  const vote = (html: string, id: string) => {
    const form = new RegExp(`action="/papers/${id}/upvote"[^>]*data-count="(\\d+)"[\\s\\S]*?aria-pressed="(true|false)"`).exec(html);
    return form && { count: Number(form[1]), pressed: form[2] === 'true' };
  };

  it('gives each reader, interleaved, only their own votes, name and token', async () => {
    for (const q of ['zebrafish', '  zebrafish ', 'zebrafish', 'zebrafish&sort=upvotes']) {
      const path = `/papers/search?q=${q}`;
      const [anonymous, first, second, firstAgain] = [await page(path), await page(path, one), await page(path, two), await page(path, one)];
      expect(anonymous).toContain(`href="/papers/${A}"`);
      expect(anonymous).not.toContain(one.username);
      expect(anonymous).not.toContain(one.csrf);
      expect(vote(anonymous, A)).toBeNull();
      expect(anonymous).toContain('title="6 upvotes · sign in to upvote"');
      for (const [html, me, other] of [[first, one, two], [second, two, one], [firstAgain, one, two]] as const) {
        expect(html).toContain(me.username);
        expect(html).toContain(me.csrf);
        expect(html).not.toContain(other.username);
        expect(html).not.toContain(other.csrf);
      }
      expect(vote(first, A)).toEqual({ count: 6, pressed: true });
      expect(vote(firstAgain, A)).toEqual({ count: 6, pressed: true });
      expect(vote(second, A)).toEqual({ count: 6, pressed: false });
    }
  });

  it('shows a vote on the voter’s next search at once', async () => {
    expect(vote(await page('/papers/search?q=zebrafish', two), B)).toEqual({ count: 2, pressed: false });
    await castVote(db, two.id, B, 'up');
    expect(vote(await page('/papers/search?q=zebrafish', two), B)).toEqual({ count: 3, pressed: true });
    expect(vote(await page('/papers/search?q=zebrafish+', one), B)).toEqual({ count: 3, pressed: false });
    expect(await page('/papers/search?q=%20zebrafish')).toContain('title="3 upvotes · sign in to upvote"');
  });
});
