// The library in Chromium against the real server on the demo data (issue 17): saving and
// "not interested" instant with JavaScript and plain forms without, collections made, filled
// and kept private, on a desktop and on a phone; one server and one browser for the file.
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/database.ts';
import { freshDatabaseUrl } from '../helpers.ts';
import { signedInUser, type TestUser } from '../community.ts';
import { SESSION_COOKIE } from '../../src/auth/sessions.ts';
import { cspViolations, demoDay, launchChromium, newContext, openPage, type Seen } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';

const DAY = '2026-11-23';
const IDS = demoDay(DAY).items.map((i) => i.paper.id);
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };

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
  await db?.close();
  await server?.stop();
});

/** A page in a fresh context signed in as a new reader (a real account and session in the server's database). */
async function asReader(options: BrowserContextOptions, fn: (page: Page, seen: Seen, reader: TestUser) => Promise<void>): Promise<void> {
  const reader = await signedInUser(db!);
  const context = await newContext(browser!, options);
  await context.addCookies([{ name: SESSION_COOKIE, value: reader.cookie.slice(SESSION_COOKIE.length + 1), url: base }]);
  try {
    const { page, seen } = await openPage(context);
    await fn(page, seen, reader);
    expect(seen.errors).toEqual([]);
    expect(cspViolations(seen)).toEqual([]);
  } finally {
    await context.close();
  }
}

const card = (page: Page, id: string) => page.locator('article.card', { has: page.locator(`form[action="/papers/${id}/upvote"]`) });
const saveButton = (page: Page, id: string) => page.locator(`form[action="/papers/${id}/save"] button`);
const readButton = (page: Page, id: string) => page.locator(`form[action="/papers/${id}/read"] button`);
const hideButton = (page: Page, id: string) => page.locator(`form[action="/papers/${id}/hide"] button`);

/** The server's answer to the next save or hide the page's script sends. */
const answered = (page: Page) => page.waitForResponse((r) => r.request().method() === 'POST' && /\/papers\/[^/]+\/(save|read|hide)$/.test(new URL(r.url()).pathname));

describe('the library in a browser', () => {
  it('saves and hides at once with JavaScript, and undoes from the library (desktop)', async () => {
    await asReader(DESKTOP, async (page) => {
      await page.goto(`${base}/papers/date/${DAY}`);
      // A marker that a reload would wipe: the buttons must not navigate.
      await page.evaluate(() => ((window as unknown as { stay: number }).stay = 1));
      // The buttons show the new state at once; what the server answered is awaited before pages that read it.
      await Promise.all([answered(page), saveButton(page, IDS[0]!).click()]);
      await expect.poll(() => saveButton(page, IDS[0]!).getAttribute('aria-pressed')).toBe('true');
      await Promise.all([answered(page), hideButton(page, IDS[1]!).click()]);
      await expect.poll(() => card(page, IDS[1]!).isVisible()).toBe(false);
      expect(await page.locator('.hidden-note').count()).toBe(1);
      expect(await page.evaluate(() => (window as unknown as { stay?: number }).stay)).toBe(1);

      await page.reload();
      expect(await saveButton(page, IDS[0]!).getAttribute('aria-pressed')).toBe('true');
      expect(await card(page, IDS[1]!).count()).toBe(0);

      await page.goto(`${base}/library`);
      expect(await saveButton(page, IDS[0]!).count()).toBeGreaterThan(0);
      const undo = page.locator(`.hidden-list form[action="/papers/${IDS[1]}/hide"] button`);
      expect(await undo.innerText()).toContain('undo');
      await Promise.all([answered(page), undo.click()]);
      await expect.poll(() => undo.getAttribute('aria-pressed')).toBe('false');
      await page.goto(`${base}/papers/date/${DAY}`);
      expect(await card(page, IDS[1]!).count()).toBe(1);
    });
  });

  it('saves, hides, makes and fills a collection with plain forms, without JavaScript (phone)', async () => {
    await asReader({ ...PHONE, javaScriptEnabled: false }, async (page, _seen, reader) => {
      await page.goto(`${base}/papers/date/${DAY}`);
      await Promise.all([page.waitForURL(`${base}/papers/date/${DAY}`), saveButton(page, IDS[2]!).click()]);
      expect(await saveButton(page, IDS[2]!).getAttribute('aria-pressed')).toBe('true');
      await Promise.all([page.waitForLoadState('load'), hideButton(page, IDS[3]!).click()]);
      expect(await card(page, IDS[3]!).count()).toBe(0);

      await page.goto(`${base}/library`);
      await page.fill('input[name=title]', 'Phone reading');
      await page.check('section[aria-labelledby=collections-h] input[name=private]');
      await Promise.all([page.waitForURL(new RegExp(`/collections/${reader.username}/phone-reading-\\d+$`)), page.click('section[aria-labelledby=collections-h] button[type=submit]')]);
      const collectionUrl = page.url();
      await page.fill('input[name=paper]', `https://arxiv.org/abs/${IDS[4]}`);
      await page.fill('input[name=note]', 'Read the *proof* of $x^2$');
      await Promise.all([page.waitForURL(collectionUrl), page.click('form[action$="/items"] button')]);
      expect(await card(page, IDS[4]!).count()).toBe(1);
      expect(await page.locator('.item-note em').innerText()).toBe('proof');
      expect(await page.locator('.item-note .katex').count()).toBeGreaterThan(0);
      // The page fits the phone: nothing wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

      // Private: another reader and an anonymous one get nothing.
      const other = await newContext(browser!, DESKTOP);
      try {
        const { page: stranger } = await openPage(other);
        expect((await stranger.goto(collectionUrl))!.status()).toBe(404);
        expect((await stranger.goto(`${collectionUrl}.bib`))!.status()).toBe(404);
      } finally {
        await other.close();
      }
    });
  });

  it('shows the save button on the paper page and sends an anonymous reader to sign in (phone, with JavaScript)', async () => {
    const context = await newContext(browser!, PHONE);
    try {
      const { page, seen } = await openPage(context);
      await page.goto(`${base}/papers/${IDS[0]}`);
      await Promise.all([page.waitForURL(/\/signin\?next=/), page.locator('form.save button').click()]);
      expect(new URL(page.url()).searchParams.get('next')).toBe(`/papers/${IDS[0]}`);
      expect(cspViolations(seen)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  for (const [device, options, js] of [
    ['desktop, with JavaScript', DESKTOP, true],
    ['desktop, without JavaScript', DESKTOP, false],
    ['phone, with JavaScript', PHONE, true],
    ['phone, without JavaScript', PHONE, false],
  ] as const) {
    it(`marks a paper read from its card: dimmed with a ✓ Read, and out of the daily list once the reader asks (${device})`, async () => {
      await asReader({ ...options, javaScriptEnabled: js }, async (page) => {
        const day = `${base}/papers/date/${DAY}`;
        await page.goto(day);
        const id = IDS[5]!;
        expect((await readButton(page, id).innerText()).trim()).toBe('✓ Mark read');
        const opacity = () => card(page, id).evaluate((el) => Number(getComputedStyle(el).opacity));
        expect(await opacity()).toBe(1);
        if (js) {
          await page.evaluate(() => ((window as unknown as { stay: number }).stay = 1));
          await Promise.all([answered(page), readButton(page, id).click()]);
          expect(await page.evaluate(() => (window as unknown as { stay?: number }).stay)).toBe(1);
        } else {
          await Promise.all([page.waitForURL(day, { waitUntil: 'load' }), readButton(page, id).click()]);
        }
        await expect.poll(() => readButton(page, id).getAttribute('aria-pressed')).toBe('true');
        expect((await readButton(page, id).innerText()).trim()).toBe('✓ Read');
        // Dimmed (not while the pointer or focus is on it).
        await page.mouse.move(0, 0);
        await page.locator('h1').first().click();
        await expect.poll(opacity).toBeLessThan(1);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(options.viewport!.width);
        // The server kept it: the paper page says so too.
        await page.goto(`${base}/papers/${id}`);
        expect(await readButton(page, id).getAttribute('aria-pressed')).toBe('true');

        // The library's setting leaves read papers out of the daily list; the unread filter leaves them out of the library.
        await page.goto(`${base}/library`);
        await page.check('input[name=hide_read]');
        await Promise.all([page.waitForURL(`${base}/library`, { waitUntil: 'load' }), page.click('form[action="/library/settings"] button')]);
        expect(await page.isChecked('input[name=hide_read]')).toBe(true);
        await page.goto(day);
        expect(await card(page, id).count()).toBe(0);
        expect(await card(page, IDS[0]!).count()).toBe(1);
      });
    });
  }

  for (const [device, options, js] of [
    ['desktop, with JavaScript', DESKTOP, true],
    ['phone, without JavaScript', PHONE, false],
  ] as const) {
    it(`adds a note from a card's save button, saving the paper, and back to the list (${device})`, async () => {
      await asReader({ ...options, javaScriptEnabled: js }, async (page) => {
        const day = `${base}/papers/date/${DAY}`;
        const id = IDS[6]!;
        await page.goto(day);
        const note = page.locator(`a.note-link[href="/library/notes/${id}"]`);
        expect((await note.innerText()).trim()).toBe('✎ Note');
        await Promise.all([page.waitForURL(`${base}/library/notes/${id}`), note.click()]);
        await page.fill('textarea[name=note]', 'Check the *bound* in $O(n \\log n)$');
        await Promise.all([page.waitForURL(day, { waitUntil: 'load' }), page.click('form.note-form button[type=submit]')]);
        expect(await saveButton(page, id).getAttribute('aria-pressed')).toBe('true');
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(options.viewport!.width);
        // The note is in the reader's saved papers, typeset; editing it again starts from it.
        await page.goto(`${base}/library`);
        await Promise.all([page.waitForURL(/\/collections\//), page.locator('.collections-list a').first().click()]);
        expect(await page.locator('.item-note em').innerText()).toBe('bound');
        expect(await page.locator('.item-note .katex').count()).toBeGreaterThan(0);
        await page.goto(`${base}/library/notes/${id}`);
        expect(await page.inputValue('textarea[name=note]')).toBe('Check the *bound* in $O(n \\log n)$');
      });
    });
  }
});
