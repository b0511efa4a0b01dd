// Browser test of following (issue 17): the follow button on an author's page, instant with
// JavaScript and a plain form without, on the real server (demo data) in Debian's Chromium,
// and the page each reader gets afterwards. One server and one browser for the file.
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl } from '../helpers.ts';
import { signedInUser, type TestUser } from '../community.ts';
import { connectDatabase, type Db } from '../../src/db/database.ts';
import { SESSION_COOKIE } from '../../src/auth/sessions.ts';
import { launchChromium, newContext, openPage } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';

/** An author of the demo data (src/ingest/demo-papers.json). */
const AUTHOR = 'Rosamund Eckhart';
const AUTHOR_PATH = `/authors/${encodeURIComponent(AUTHOR)}`;

let server: RunningServer | undefined;
let browser: Browser | undefined;
let db: Db | undefined;
let base = '';

beforeAll(async () => {
  const databaseUrl = await freshDatabaseUrl();
  server = await startServer({ databaseUrl });
  base = server.baseUrl;
  db = await connectDatabase(databaseUrl);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await db?.close();
});

/** A browser context signed in as a new reader, with or without JavaScript. */
async function readerContext(options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; user: TestUser }> {
  const user = await signedInUser(db!);
  const context = await newContext(browser!, { viewport: { width: 1280, height: 900 }, ...options });
  await context.addCookies([{ name: SESSION_COOKIE, value: user.cookie.slice(SESSION_COOKIE.length + 1), url: base }]);
  return { context, user };
}

const followButton = (page: Page) => page.locator('form.follow button');

describe('following an author in Chromium', () => {
  it('with JavaScript: the button flips at once without leaving the page, and the next visit shows it', async () => {
    const { context } = await readerContext();
    try {
      const { page, seen } = await openPage(context);
      await page.goto(`${base}${AUTHOR_PATH}`);
      await expect.poll(() => followButton(page).textContent()).toBe(`Follow ${AUTHOR}`);
      // A marker that a reload or navigation would wipe.
      await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
      await followButton(page).click();
      await expect.poll(() => followButton(page).getAttribute('aria-pressed')).toBe('true');
      expect(await followButton(page).textContent()).toBe(`Following ${AUTHOR}`);
      expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
      // The server kept it: a fresh load (the page filled for this reader) says Following.
      await expect.poll(async () => (await (await page.reload())?.text()) ?? '').toContain(`Following ${AUTHOR}</button>`);
      await page.goto(`${base}/following`);
      expect(await page.locator('.follow-reasons').first().textContent()).toBe(`by ${AUTHOR}`);
      // And back off again.
      await page.goto(`${base}${AUTHOR_PATH}`);
      await followButton(page).click();
      await expect.poll(() => followButton(page).getAttribute('aria-pressed')).toBe('false');
      expect(seen.errors).toEqual([]);
      expect(seen.console).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('without JavaScript: the plain form posts, comes back to the page, and shows the new state; another reader sees their own', async () => {
    const { context } = await readerContext({ javaScriptEnabled: false });
    const other = await readerContext({ javaScriptEnabled: false });
    try {
      const { page } = await openPage(context);
      await page.goto(`${base}${AUTHOR_PATH}`);
      await Promise.all([page.waitForURL(`${base}${AUTHOR_PATH}`, { waitUntil: 'load' }), followButton(page).click()]);
      await expect.poll(() => followButton(page).textContent()).toBe(`Following ${AUTHOR}`);
      const { page: theirs } = await openPage(other.context);
      await theirs.goto(`${base}${AUTHOR_PATH}`);
      expect(await followButton(theirs).textContent()).toBe(`Follow ${AUTHOR}`);
      await Promise.all([page.waitForURL(`${base}${AUTHOR_PATH}`, { waitUntil: 'load' }), followButton(page).click()]);
      await expect.poll(() => followButton(page).textContent()).toBe(`Follow ${AUTHOR}`);
    } finally {
      await context.close();
      await other.context.close();
    }
  });

  for (const [device, viewport, js] of [
    ['desktop, with JavaScript', { width: 1280, height: 900 }, true],
    ['phone, without JavaScript', { width: 390, height: 844 }, false],
    ['phone, with JavaScript', { width: 390, height: 844 }, true],
  ] as const) {
    it(`/following lists each follow with an unfollow button that shows and names it (${device})`, async () => {
      const { context, user } = await readerContext({ viewport, javaScriptEnabled: js });
      try {
        await db!.kysely.insertInto('follows').values({ user_id: user.id, kind: 'author', target: AUTHOR, created_at: new Date().toISOString() }).execute();
        const { page, seen } = await openPage(context);
        await page.goto(`${base}/following`);
        await page.locator('.following-list summary').click();
        const unfollow = page.getByRole('button', { name: `Unfollow the author ${AUTHOR}`, exact: true });
        await expect.poll(() => unfollow.isVisible()).toBe(true);
        expect((await unfollow.textContent())?.trim()).toBe('Unfollow');
        const box = await unfollow.boundingBox();
        expect(box!.width).toBeGreaterThan(30);
        expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);
        if (js) {
          await unfollow.click();
          const again = page.getByRole('button', { name: `Follow the author ${AUTHOR}`, exact: true });
          await expect.poll(() => again.textContent()).toBe('Follow again');
        } else {
          await Promise.all([page.waitForURL(`${base}/following`, { waitUntil: 'load' }), unfollow.click()]);
          await expect.poll(() => page.locator('main').textContent()).toContain('You follow nothing yet');
        }
        await expect.poll(async () => (await db!.kysely.selectFrom('follows').select('target').where('user_id', '=', user.id).execute()).length).toBe(0);
        expect(seen.errors).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('anonymous readers are sent to sign in, and back to the author afterwards', async () => {
    const context = await newContext(browser!);
    try {
      const { page } = await openPage(context);
      await page.goto(`${base}${AUTHOR_PATH}`);
      await followButton(page).click();
      await page.waitForURL(/\/signin\?next=/);
      expect(new URL(page.url()).searchParams.get('next')).toBe(AUTHOR_PATH);
    } finally {
      await context.close();
    }
  });
});
