// The search page in Chromium against the real server on the demo data: the header's
// box leads to it, the form works, results follow the typing (static/search.js), and
// it fits a phone, all without Content Security Policy violations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from './server.ts';
import { cspViolations, launchChromium, withPage as withPageOf, type Seen } from './browser-kit.ts';

let server: RunningServer | undefined;
let browser: Browser | undefined;
let base = '';

beforeAll(async () => {
  server = await startServer();
  base = server.baseUrl;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const withPage = <T>(fn: (page: Page, seen: Seen) => Promise<T>, options?: Parameters<typeof withPageOf>[2]) => withPageOf(browser!, fn, options);
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const titles = (page: Page) => page.locator('article.card .card-title').allInnerTexts();

describe('search in a browser', () => {
  it('goes from the header box to the results, and on with the filters and sort', async () => {
    await withPage(async (page, seen) => {
      await page.goto(`${base}/papers`);
      await page.fill('.header-search input[name=q]', 'reward');
      await Promise.all([page.waitForURL(`${base}/papers/search?q=reward`), page.press('.header-search input[name=q]', 'Enter')]);
      expect(await titles(page)).toContain('Cheap Critics: Training Reward Models on a Single Consumer GPU');
      expect(await page.locator('.card-title mark').first().innerText()).toMatch(/^reward/i);

      await page.check('input[name=has_code]');
      await Promise.all([page.waitForURL(/has_code=1/), page.click('.filter-actions button')]);
      const coded = await page.locator('article.card').count();
      expect(coded).toBeGreaterThan(0);
      expect(await page.locator('article.card .badge', { hasText: 'Code' }).count()).toBe(coded);

      await Promise.all([page.waitForURL(/sort=upvotes/), page.click('.search-sort a:has-text("Most upvoted")')]);
      expect(page.url()).toContain('has_code=1');
      expect(seen.errors).toEqual([]);
      expect(cspViolations(seen)).toEqual([]);
    });
  });

  it('shows results as one types, without a submit', async () => {
    await withPage(async (page, seen) => {
      await page.goto(`${base}/papers/search`);
      expect(await page.locator('article.card').count()).toBe(0);
      // `hack` is no word in the demo data; as a prefix it finds "Hacking".
      await page.locator('#search-q').pressSequentially('reward hack', { delay: 30 });
      await expect.poll(() => titles(page)).toContain('Reward Hacking in the Wild: An Audit of Ten Public RLHF Datasets');
      await page.waitForURL(`${base}/papers/search?q=reward+hack`);
      expect(await page.locator('.card-title mark', { hasText: 'Hacking' }).count()).toBe(1);
      expect(seen.errors).toEqual([]);
      expect(cspViolations(seen)).toEqual([]);
    });
  });

  it('fits a phone, with the filters folded until wanted', async () => {
    await withPage(async (page, seen) => {
      await page.goto(`${base}/papers/search?q=model`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await page.locator('details.search-filters').getAttribute('open')).toBeNull();
      await page.click('details.search-filters > summary');
      expect(await page.locator('input[name=from]').isVisible()).toBe(true);
      await page.goto(`${base}/papers`);
      expect(await page.locator('.header-search input').isVisible()).toBe(true);
      expect(cspViolations(seen)).toEqual([]);
    }, PHONE);
  });
});
