// Browser end-to-end tests: the real server (child process, demo data plus one hostile
// record) driven by Debian's Chromium through playwright-core.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOSTILE_DAY, HOSTILE_ID, HOSTILE_TITLE, cspViolations, demoDay, demoDays, importHostileRecord, launchChromium, withPage as withPageOf, type Seen } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';

/** Screenshots go beside the other temporary files, never into the repository. */
const SHOT_DIR = path.join(os.tmpdir(), 'dailypapers-e2e-screenshots');

const demoPaper = (id: string) => demoDays.flatMap((d) => d.items).find((i) => i.paper.id === id)!.paper;

const HOSTILE_SUMMARY =
  'We study markup in records. <script>window.__pwned=3</script> Images too: <img src=x onerror=window.__pwned=4> and that is all.';

/** `1.2k` → 1200, as `formatCount` writes them. */
function parseCount(text: string): number {
  const t = text.trim();
  return t.endsWith('k') ? Number(t.slice(0, -1)) * 1000 : Number(t);
}

let server: RunningServer | undefined;
let browser: Browser | undefined;
let base = '';

beforeAll(async () => {
  server = await startServer();
  base = server.baseUrl;
  await importHostileRecord(server, HOSTILE_SUMMARY);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** A page in a fresh context (closed afterwards); dialogs and page errors are collected, never left open. */
const withPage = <T>(fn: (page: Page, seen: Seen) => Promise<T>, options?: BrowserContextOptions) => withPageOf(browser!, fn, options);

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** The page's scroll width, and (for failure messages) the first elements whose box ends beyond the screen. */
function pageWidth(page: Page): Promise<{ width: number; culprits: string }> {
  return page.evaluate((screen) => {
    const beyond = Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > screen + 1)
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.getAttribute('class') ?? ''}"> right=${Math.round(e.getBoundingClientRect().right)}`);
    return { width: document.documentElement.scrollWidth, culprits: beyond.join(', ') || 'none' };
  }, PHONE.viewport.width);
}

const heading = (page: Page) => page.locator('.period-nav h1').innerText();
const upvoteCounts = async (page: Page) => (await page.locator('article.card .upvote-count').allInnerTexts()).map(parseCount);

describe('daily feed', () => {
  it('shows the latest demo day, its cards ranked by upvotes', async () => {
    await withPage(async (page) => {
      const res = await page.goto(`${base}/papers`);
      expect(res?.status()).toBe(200);
      expect(await heading(page)).toBe('Monday, November 23, 2026');
      const counts = await upvoteCounts(page);
      expect(counts).toHaveLength(demoDay('2026-11-23').items.length);
      expect(counts.every((n) => Number.isFinite(n))).toBe(true);
      for (let i = 1; i < counts.length; i++) expect(counts[i]!).toBeLessThanOrEqual(counts[i - 1]!);
      // The day's top paper comes first.
      const top = [...demoDay('2026-11-23').items].sort((a, b) => b.paper.upvotes - a.paper.upvotes)[0]!.paper;
      expect(await page.locator('article.card .card-title').first().innerText()).toBe(top.title);
    });
  });

  it('steps between featured days, skipping the weekend', async () => {
    await withPage(async (page) => {
      await page.goto(`${base}/papers`);
      expect(await page.locator('a[rel=next]').count()).toBe(0); // the latest day has no next one

      await page.click('a[rel=prev]');
      await page.waitForURL(`${base}/papers/date/2026-11-20`);
      expect(await heading(page)).toBe('Friday, November 20, 2026');
      // The demo's five papers of the day, plus the hostile one imported for it.
      expect(await page.locator('article.card').count()).toBe(demoDay('2026-11-20').items.length + 1);

      await page.click('a[rel=prev]');
      await page.waitForURL(`${base}/papers/date/2026-11-19`);
      expect(await heading(page)).toBe('Thursday, November 19, 2026');

      await page.click('a[rel=next]');
      await page.waitForURL(`${base}/papers/date/2026-11-20`);
      expect(await heading(page)).toBe('Friday, November 20, 2026');
    });
  });

  it('moves between cards with j and k and opens one with o', async () => {
    await withPage(async (page, seen) => {
      await page.goto(`${base}/papers`);
      const hrefs = await page.locator('article.card .card-title a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await page.keyboard.press('j');
      await page.keyboard.press('k');
      await expect.poll(() => page.locator('article.card.focused').count()).toBe(1);
      await Promise.all([page.waitForURL(`${base}${hrefs[1]}`), page.keyboard.press('o')]);
      expect(seen.errors).toEqual([]);
    });
  });

  it('goes to the day picked in the date form', async () => {
    await withPage(async (page) => {
      await page.goto(`${base}/papers`);
      await page.fill('input[name=date]', '2026-11-17');
      await page.click('form.date-picker button[type=submit]');
      await page.waitForURL(`${base}/papers/date/2026-11-17`);
      expect(await heading(page)).toBe('Tuesday, November 17, 2026');
      expect(await page.locator('article.card').count()).toBe(demoDay('2026-11-17').items.length);
      expect(await page.inputValue('input[name=date]')).toBe('2026-11-17');
    });
  });

  it('fits a phone screen without horizontal scrolling', async () => {
    await withPage(async (page) => {
      // The feed, a day with typeset square roots, and a paper page with math in title and abstract.
      for (const url of ['/papers', '/papers/date/2026-11-19', '/papers/2611.06907', '/papers/2611.05362']) {
        await page.goto(`${base}${url}`);
        const { width, culprits } = await pageWidth(page);
        expect(width, `${url} is ${width}px wide; beyond the edge: ${culprits}`).toBeLessThanOrEqual(PHONE.viewport.width);
      }
    }, PHONE);
  });

  // A long unbreakable word (here `onerror="window.__pwned=2">`) must wrap, not widen the page.
  it('wraps long unbreakable words in titles on a phone', async () => {
    await withPage(async (page) => {
      for (const url of [`/papers/date/${HOSTILE_DAY}`, `/papers/${HOSTILE_ID}`]) {
        await page.goto(`${base}${url}`);
        const { width, culprits } = await pageWidth(page);
        expect(width, `${url} is ${width}px wide; beyond the edge: ${culprits}`).toBeLessThanOrEqual(PHONE.viewport.width);
      }
    }, PHONE);
  });
});

describe('paper page', () => {
  it('typesets the math of a title reached from the list', async () => {
    const id = '2611.04390';
    const paper = demoPaper(id);
    expect(paper.title).toContain('$SE(3)$');
    await withPage(async (page) => {
      await page.goto(`${base}/papers/date/2026-11-16`);
      const link = page.locator(`.card-title a[href="/papers/${id}"]`);
      expect(await link.locator('.katex').count()).toBeGreaterThan(0);
      await link.click();
      await page.waitForURL(`${base}/papers/${id}`);

      const title = page.locator('h1.paper-title');
      expect(await title.locator('.katex').count()).toBeGreaterThan(0);
      expect(await title.innerText()).toContain('Equivariant Flow Matching for Rigid-Body Assembly');
      expect(await title.innerText()).not.toContain('$');
      expect(await page.locator('body').innerText()).not.toContain('$SE(3)$');

      const abstract = page.locator('section.abstract p');
      expect(await abstract.innerText()).toMatch(/^Assembling an object from its parts requires predicting/);
      expect(await abstract.locator('.katex').count()).toBeGreaterThan(0);

      expect(await page.locator('a.button', { hasText: 'arXiv page' }).getAttribute('href')).toBe(`https://arxiv.org/abs/${id}`);
      expect(await page.title()).toContain('SE(3)-Equivariant Flow Matching');
    });
  });

  // KaTeX positions radicals, superscripts and spacing with inline `style="…"` attributes,
  // which the CSP must allow (attributes only: <style> elements stay blocked).
  it('typesets math without Content Security Policy violations', async () => {
    await withPage(async (page, seen) => {
      await page.goto(`${base}/papers/2611.06907`);
      expect(await page.locator('h1.paper-title .katex').count()).toBeGreaterThan(0);
      expect(cspViolations(seen)).toEqual([]);
    });
  });
});

describe('hostile imported text', () => {
  // Once as served (CSP on), once with CSP bypassed so the checks hold for the escaping alone.
  for (const bypassCSP of [false, true]) {
    it(`stays text on the list and the paper page${bypassCSP ? ' (CSP bypassed)' : ''}`, async () => {
      await withPage(
        async (page, seen) => {
          const checkInert = async () => {
            expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
            expect(await page.locator('img[src="x"]').count()).toBe(0);
            const scripts = await page.evaluate(() => Array.from(document.scripts, (s) => s.outerHTML));
            expect(scripts.filter((s) => s.includes('__pwned'))).toEqual([]);
            expect(seen.dialogs).toEqual([]);
            expect(seen.errors).toEqual([]);
          };

          await page.goto(`${base}/papers/date/${HOSTILE_DAY}`);
          const card = page.locator('article.card', { has: page.locator(`a[href="/papers/${HOSTILE_ID}"]`) });
          expect(await card.count()).toBe(1);
          const cardTitle = await card.locator('.card-title').innerText();
          expect(cardTitle).toBe(HOSTILE_TITLE);
          expect(await card.locator('.katex').count()).toBe(0);
          expect(await card.locator('.card-abstract').innerText()).toContain('<script>window.__pwned=3</script>');
          await checkInert();

          await page.goto(`${base}/papers/${HOSTILE_ID}`);
          const title = await page.locator('h1.paper-title').innerText();
          expect(title).toContain('<script>window.__pwned=1</script>');
          expect(title).toContain('"><img src=x onerror="window.__pwned=2">');
          expect(title).toContain('costs $5');
          expect(title).toContain('$\\frac{1$');
          expect(title).toBe(HOSTILE_TITLE);
          expect(await page.locator('h1.paper-title .katex').count()).toBe(0);
          const abstract = await page.locator('section.abstract p').innerText();
          expect(abstract).toContain('<script>window.__pwned=3</script>');
          expect(abstract).toContain('<img src=x onerror=window.__pwned=4>');
          expect(await page.title()).toContain('<script>window.__pwned=1</script>');
          await checkInert();
        },
        { bypassCSP },
      );
    });
  }
});

describe('screenshots', () => {
  it('saves the feed and a paper page in light and dark', async () => {
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    const pages = [
      ['papers', '/papers'],
      ['paper', '/papers/2611.06907'],
    ] as const;
    for (const colorScheme of ['light', 'dark'] as const) {
      await withPage(
        async (page) => {
          for (const [name, url] of pages) {
            await page.goto(`${base}${url}`);
            const file = path.join(SHOT_DIR, `${name}-${colorScheme}.png`);
            await page.screenshot({ path: file, fullPage: true });
            expect(fs.statSync(file).size).toBeGreaterThan(10_000);
          }
          // The stylesheet follows the scheme: the page background differs between light and dark.
          const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
          const [r = 0, g = 0, b = 0] = (bg.match(/\d+/g) ?? []).map(Number);
          const light = r + g + b > 384;
          expect(light, `body background ${bg} in ${colorScheme}`).toBe(colorScheme === 'light');
        },
        { colorScheme, viewport: { width: 1280, height: 900 } },
      );
    }
  });
});
