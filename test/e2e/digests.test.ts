// The digest's subscribe flow in a real browser: the call to action on a cached page (its
// script fetches a CSRF token and posts), the confirmation mail at a real SMTP server, the
// confirm button, the preferences, and how it all looks on a phone.
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cspViolations, launchChromium, withPage } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';
import { linksIn, startSmtpServer, type TestSmtpServer } from '../smtp.ts';

const SHOT_DIR = path.join(os.tmpdir(), 'dailypapers-e2e-screenshots');
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

let smtp: TestSmtpServer | undefined;
let server: RunningServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startServer({ env: { SMTP_URL: smtp.url } });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

/** Fails when the page is wider than the phone, naming the first elements that stick out. */
async function fitsThePhone(page: Page): Promise<void> {
  const { width, culprits } = await page.evaluate((screen) => {
    const beyond = Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > screen + 1)
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.getAttribute('class') ?? ''}"> right=${Math.round(e.getBoundingClientRect().right)}`);
    return { width: document.documentElement.scrollWidth, culprits: beyond.join(', ') };
  }, PHONE.viewport.width);
  expect(width, culprits).toBeLessThanOrEqual(PHONE.viewport.width);
}

describe('subscribing from the daily list', () => {
  it('subscribes in one click from a cached page, confirms through the mailed link, and saves topics, on a phone', async () => {
    const base = server!.baseUrl;
    // An anonymous visit first, so the page the reader gets next comes from the page cache.
    await fetch(`${base}/papers`);
    await withPage(
      browser!,
      async (page, seen) => {
        await page.goto(`${base}/papers`);
        const banner = page.locator('form.subscribe-cta.banner');
        await expect(banner.getAttribute('method')).resolves.toBe('get');
        await expect(banner.innerText()).resolves.toContain('Get trending papers in your inbox');
        await fitsThePhone(page);
        await page.screenshot({ path: path.join(SHOT_DIR, 'digest-cta-phone.png') });
        await page.locator('form.subscribe-cta.footer').scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(SHOT_DIR, 'digest-cta-footer-phone.png') });
        // Each form's address field has room for an address, and its button shows whole.
        for (const form of ['banner', 'footer']) {
          const input = await page.locator(`form.subscribe-cta.${form} input[name=email]`).boundingBox();
          const button = await page.locator(`form.subscribe-cta.${form} button[type=submit]`).boundingBox();
          expect(input!.width, `${form} address field`).toBeGreaterThanOrEqual(220);
          expect(button!.x + button!.width, `${form} button`).toBeLessThanOrEqual(PHONE.viewport.width);
        }

        await banner.locator('input[name=email]').fill('Reader@Example.org');
        await banner.locator('select[name=frequency]').selectOption('weekly');
        await banner.locator('button[type=submit]').click();
        await page.waitForURL(`${base}/subscribe`);
        await expect(page.locator('h1').innerText()).resolves.toBe('Check your inbox');

        const mail = await smtp!.waitForMail((m) => m.to.includes('reader@example.org'));
        expect(mail.text).toContain('once a week');
        const link = linksIn(mail.text).find((l) => l.includes('/subscribe/confirm?token='))!;
        await page.goto(link);
        await page.getByRole('button', { name: 'Confirm my subscription' }).click();
        await page.waitForURL(/\/subscription\?token=.*done=confirmed/);
        await expect(page.locator('.form-notice').first().innerText()).resolves.toContain('You are subscribed');
        await fitsThePhone(page);
        await page.screenshot({ path: path.join(SHOT_DIR, 'digest-preferences-phone.png'), fullPage: true });

        await page.locator('#d-categories').fill('cs.LG cs.CL');
        await page.locator('#d-queries').fill('has:nonsense');
        await page.getByRole('button', { name: 'Save preferences' }).click();
        await expect(page.locator('#d-queries-error').innerText()).resolves.toContain('has:nonsense is not a filter');
        await page.locator('#d-queries').fill('diffusion');
        await page.getByRole('button', { name: 'Save preferences' }).click();
        await page.waitForURL(/done=saved/);
        await expect(page.locator('#d-categories').inputValue()).resolves.toBe('cs.LG cs.CL');
        expect(seen.errors).toEqual([]);
        expect(cspViolations(seen)).toEqual([]);
      },
      PHONE,
    );
  });

  it('still subscribes without script: the call to action leads to the subscribe page', async () => {
    const context = await browser!.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${server!.baseUrl}/papers`);
      const footer = page.locator('form.subscribe-cta.footer');
      await footer.locator('input[name=email]').fill('noscript@example.org');
      await footer.locator('button[type=submit]').click();
      await page.waitForURL(/\/subscribe\?email=noscript/);
      await expect(page.locator('#f-email').inputValue()).resolves.toBe('noscript@example.org');
      await page.locator('main button[type=submit]').click();
      await expect(page.locator('h1').innerText()).resolves.toBe('Check your inbox');
      await smtp!.waitForMail((m) => m.to.includes('noscript@example.org'));
    } finally {
      await context.close();
    }
  });
});
