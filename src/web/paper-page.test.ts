// The paper page from its kept frame (decision 029): what votes, comments and the related-papers
// job change shows at once; what bumps cards_version drops the frame; two databases in one process
// keep their own frames; a page from a kept frame is the page rendered anew.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { setVisibility } from '../moderation/queries.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { castVote } from '../votes/votes.ts';
import { postComment } from '../comments/comments.ts';
import { sessionViewer } from '../auth/sessions.ts';

const PAPER = '2611.00201';
const OTHER = '2611.00202';
const item = (id: string, title: string, upvotes = 3) => ({
  paper: { id, title, summary: `About ${title}.`, publishedAt: '2026-11-10T00:00:00.000Z', upvotes, authors: [{ name: 'Ada Lovelace' }] },
  publishedAt: '2026-11-18T09:00:00.000Z',
});

describe('paper page from a kept frame', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let reader: TestUser;
  let other: { db: Db; app: Hono<AppEnv> };
  beforeAll(async () => {
    ({ db, app } = await testApp());
    other = await testApp();
    await importHfItems(db, [item(PAPER, 'Kept frames'), item(OTHER, 'Its neighbour')], '2026-11-18', 'test');
    await importHfItems(other.db, [item(PAPER, 'Another database, same id')], '2026-11-18', 'test');
    reader = await signedInUser(db);
  });
  afterAll(async () => {
    await db.close();
    await other.db.close();
  });

  const page = async (path: string, user?: TestUser, on = app) => {
    const res = await on.request(path, { headers: user ? { Cookie: user.cookie } : {} });
    expect(res.status).toBe(200);
    return res.text();
  };
  const count = (html: string) => /<span class="upvote-count">(\d+)<\/span>/.exec(html)?.[1];

  it('is the page rendered anew, but for its path, signed in or not', async () => {
    for (const user of [undefined, reader]) {
      const first = await page(`/papers/${PAPER}?a=1`, user);
      const kept = await page(`/papers/${PAPER}?b=%22%3E2`, user);
      expect(kept).toContain('value="/papers/2611.00201?b=%22%3E2"');
      expect(kept.replaceAll('?b=%22%3E2', '?a=1')).toBe(first);
    }
  });

  it('shows a vote, a comment and a new title at once', async () => {
    expect(count(await page(`/papers/${PAPER}`))).toBe('3');
    await castVote(db, reader.id, PAPER, 'up');
    expect(count(await page(`/papers/${PAPER}`))).toBe('4');
    expect(count(await page(`/papers/${PAPER}`, reader))).toBe('4');
    expect(await page(`/papers/${PAPER}`, reader)).toMatch(/class="upvote-button"[^>]*aria-pressed="true"/);
    expect(await page(`/papers/${PAPER}`, await signedInUser(db))).toMatch(/class="upvote-button"[^>]*aria-pressed="false"/);

    await postComment(db.kysely, (await sessionViewer(db.kysely, reader.cookie.split('=')[1]!))!.viewer, PAPER, 'A comment on a kept frame', null);
    const commented = await page(`/papers/${PAPER}`);
    expect(commented).toContain('A comment on a kept frame');
    expect(commented).toContain('<span class="discussion-count">1</span>');

    await importHfItems(db, [item(PAPER, 'Kept frames, retitled', 4)], '2026-11-18', 'test');
    const retitled = await page(`/papers/${PAPER}`);
    expect(retitled).toContain('<h1 class="paper-title">Kept frames, retitled</h1>');
    expect(retitled).toContain('A comment on a kept frame');
  });

  it('keeps each database its own frames', async () => {
    expect(await page(`/papers/${PAPER}`, undefined, other.app)).toContain('Another database, same id');
    expect(await page(`/papers/${PAPER}`)).not.toContain('Another database, same id');
  });

  it('answers 404 and 410 as before', async () => {
    expect((await app.request('/papers/2611.09999')).status).toBe(404);
    expect(await page(`/papers/${OTHER}`)).toContain('Its neighbour');
    expect(await setVisibility(db.kysely, { actorLabel: 'test' }, { type: 'paper', id: OTHER }, true)).toBe(true);
    expect((await app.request(`/papers/${OTHER}`)).status).toBe(410);
  });
});
