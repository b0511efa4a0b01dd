// How the site looks (issue 18), in Debian's Chromium at a desktop's 1280 px and a phone's 390,
// light and dark: the signed-in header holds one row, a phone's first screen shows three titles,
// every card has a loaded picture, no request leaves the site, no TeX escape shows, pages carry
// link previews, and the digest mail read from a real SMTP server shows no raw TeX.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, withPage as withPageOf, type Seen } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';
import { startSmtpServer, type TestSmtpServer } from '../smtp.ts';
import { freshDatabaseUrl, testConfig, testKeys } from '../helpers.ts';
import { connectDatabase, type Db } from '../../src/db/database.ts';
import { bumpContentVersion } from '../../src/db/content-version.ts';
import { IMAGE_LIMITS, fetchImages } from '../../src/images/fetch.ts';
import { enqueueAndSend } from '../../src/digests/schedule.ts';
import { parseDigestPeriod } from '../../src/digests/build.ts';
import { createMailer } from '../../src/mail/mailer.ts';

/** Screenshots go beside the other temporary files, never into the repository. */
const SHOT_DIR = path.join(os.tmpdir(), 'dailypapers-e2e-screenshots');
const DAY = '2026-11-23';
const ADMIN = { username: 'grace', email: 'grace@example.org', password: 'a long enough password 42' };
const TEX_ABSTRACT = 'We reach 56.0\\% on \\OneMillion-Bench in $\\mathcal{O}(n \\log n)$ time, with $x^{2}$ memory.';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const LOOKS = [
  { name: 'desktop-light', options: { ...DESKTOP, colorScheme: 'light' as const } },
  { name: 'desktop-dark', options: { ...DESKTOP, colorScheme: 'dark' as const } },
  { name: 'phone-light', options: { ...PHONE, colorScheme: 'light' as const } },
  { name: 'phone-dark', options: { ...PHONE, colorScheme: 'dark' as const } },
];

let pictures: http.Server | undefined;
let smtp: TestSmtpServer | undefined;
let server: RunningServer | undefined;
let browser: Browser | undefined;
let db: Db | undefined;
let base = '';
let topPaper = '';

beforeAll(async () => {
  // The "other site" the papers' thumbnails and an organization's logo come from.
  pictures = http.createServer((req, res) => {
    const hue = [...(req.url ?? '')].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 0);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="648"><rect width="100%" height="100%" fill="hsl(${hue},60%,55%)"/><circle cx="600" cy="324" r="200" fill="white" opacity="0.5"/></svg>`;
    void sharp(Buffer.from(svg)).png().toBuffer().then((png) => res.writeHead(200, { 'Content-Type': 'image/png' }).end(png));
  });
  await new Promise<void>((resolve) => pictures!.listen(0, '127.0.0.1', resolve));
  const remote = `http://127.0.0.1:${(pictures.address() as AddressInfo).port}`;

  smtp = await startSmtpServer();
  const databaseUrl = await freshDatabaseUrl();
  server = await startServer({ databaseUrl });
  base = server.baseUrl;
  db = await connectDatabase(databaseUrl);
  const q = db.kysely;
  const papers = await q.selectFrom('daily_listings as l').innerJoin('papers as p', 'p.id', 'l.paper_id').select(['p.id']).where('l.day', '=', DAY).orderBy('p.upvotes', 'desc').execute();
  topPaper = papers[0]!.id;
  // Every paper of the day but the last has a thumbnail at the other site; the last shows its stand-in card.
  for (const { id } of papers.slice(0, -1)) await q.updateTable('papers').set({ thumbnail_url: `${remote}/thumbs/${id}.png` }).where('id', '=', id).execute();
  await q.updateTable('papers').set({ abstract: TEX_ABSTRACT }).where('id', '=', topPaper).execute();
  await q.updateTable('organizations').set({ avatar_url: `${remote}/logos/northwind.png` }).where('name', '=', 'northwind-ai').execute();
  await bumpContentVersion(q);
  // The other site is on loopback here, which the job refuses unless told.
  const run = await fetchImages(q, { deadline: Date.now() + 120_000, limits: { ...IMAGE_LIMITS, allowPrivateAddresses: true } });
  expect(run.stored).toBe(papers.length);

  const created = await server.cliHere(['user', 'create-admin', ADMIN.username, ADMIN.email, '--password-stdin'], `${ADMIN.password}\n`);
  expect(created.code, created.stderr).toBe(0);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await db?.close();
  await smtp?.close();
  pictures?.closeAllConnections();
  pictures?.close();
});

const withPage = <T>(fn: (page: Page, seen: Seen) => Promise<T>, options?: BrowserContextOptions) => withPageOf(browser!, fn, options);

/** Every address the page asked for, to check that none is another site's. */
function requestsOf(page: Page): string[] {
  const asked: string[] = [];
  page.on('request', (req) => asked.push(req.url()));
  return asked;
}

const elsewhere = (asked: string[]) => asked.filter((url) => !url.startsWith(`${base}/`) && !url.startsWith('data:'));

async function signIn(page: Page): Promise<void> {
  await page.goto(`${base}/signin`);
  await page.fill('#f-email', ADMIN.email);
  await page.fill('#f-password', ADMIN.password);
  await Promise.all([page.waitForURL(`${base}/papers`), page.locator('button[name=method][value=password]').click()]);
}

/** Scrolls through the page so lazy pictures load, then names those that did not. */
async function brokenPictures(page: Page): Promise<string[]> {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += 400) {
      window.scrollTo(0, y);
      await new Promise((r) => requestAnimationFrame(r));
    }
  });
  await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
  return page.evaluate(() => Array.from(document.images).filter((img) => img.naturalWidth === 0).map((img) => img.src));
}

/** The relative luminance (0 dark … 1 light) of the top-left corner of the card standing in for a thumbnail, as painted. */
async function standInLuminance(page: Page): Promise<number> {
  const img = page.locator('article.card .card-thumb img[src^="/images/papers/"]').first();
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
  const box = (await img.boundingBox())!;
  const shot = await page.screenshot({ clip: { x: box.x + 2, y: box.y + 2, width: 4, height: 4 } });
  const { data } = await sharp(shot).raw().toBuffer({ resolveWithObject: true });
  const linear = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(data[0]!) + 0.7152 * linear(data[1]!) + 0.0722 * linear(data[2]!);
}

/** TeX that should have been printed as what it means: an escape or a command outside math. */
const TEX_LEFT = /\\[%&#_$]|\\[A-Za-z]{2,}/;

describe.each(LOOKS)('the daily list, $name', ({ name, options }) => {
  it('shows a picture on every card, all from this site, no TeX escape, and a link preview', async () => {
    await withPage(async (page, seen) => {
      const asked = requestsOf(page);
      await page.goto(`${base}/papers/date/${DAY}`);
      expect(await page.locator('article.card').count()).toBeGreaterThan(3);
      expect(await page.locator('article.card .card-thumb img').count()).toBe(await page.locator('article.card').count());
      if (name === 'desktop-light') await page.screenshot({ path: path.join(SHOT_DIR, `look-papers-${name}.png`) });
      expect(await brokenPictures(page)).toEqual([]);
      expect(await page.locator('article.card .card-thumb img[src^="/images/papers/"]').count()).toBe(1);
      // The stand-in card follows the theme: dark on a dark page, as bright as the thumbnails on a light one.
      if (name.endsWith('dark')) expect(await standInLuminance(page)).toBeLessThan(0.05);
      else expect(await standInLuminance(page)).toBeGreaterThan(0.6);
      // A phone's cards leave out the abstract: its text is there, not shown.
      expect(await page.locator('main').textContent()).toContain('56.0% on OneMillion-Bench');
      expect(await page.locator('body').innerText()).not.toMatch(TEX_LEFT);
      const image = await page.locator('meta[property="og:image"]').getAttribute('content');
      expect(image).toMatch(new RegExp(`^${base}/images/[0-9a-f]{32}\\.webp$`));
      expect(await page.locator('meta[name="twitter:card"]').getAttribute('content')).toBe('summary_large_image');
      expect(elsewhere(asked)).toEqual([]);
      expect(seen.errors).toEqual([]);
      await page.evaluate(() => window.scrollTo(0, 0));
      if (name !== 'desktop-light') await page.screenshot({ path: path.join(SHOT_DIR, `look-papers-${name}.png`) });
      if (name.startsWith('phone')) {
        // Three titles whole above the fold of a 390×844 screen.
        const bottoms = await page.locator('article.card .card-title').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().bottom));
        expect(bottoms.filter((b) => b <= 844).length).toBeGreaterThanOrEqual(3);
      }
    }, options);
  });

  it('holds the signed-in header in one row (a compact bar on a phone), with its menu', async () => {
    await withPage(async (page) => {
      await signIn(page);
      const asked = requestsOf(page);
      await page.goto(`${base}/papers/date/${DAY}`);
      const header = await page.locator('.site-header').boundingBox();
      const items = await page.locator('.header-row > *').evaluateAll((els) =>
        els.filter((e) => getComputedStyle(e).display !== 'none').map((e) => ({ cls: e.className, top: e.getBoundingClientRect().top, bottom: e.getBoundingClientRect().bottom })),
      );
      expect(header!.height, JSON.stringify(items)).toBeLessThanOrEqual(name.startsWith('phone') ? 56 : 64);
      for (const item of items) expect(item.bottom, item.cls).toBeLessThanOrEqual(header!.height);
      await page.screenshot({ path: path.join(SHOT_DIR, `look-signed-in-${name}.png`) });
      const menu = page.locator(name.startsWith('phone') ? '.site-menu' : '.account .menu');
      await menu.locator('summary').click();
      await expect(menu.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
      await expect(menu.getByRole('link', { name: 'Your profile' }).isVisible()).resolves.toBe(true);
      await page.screenshot({ path: path.join(SHOT_DIR, `look-menu-${name}.png`) });
      expect(elsewhere(asked)).toEqual([]);
    }, options);
  });
});

describe('pages worth sharing', () => {
  it('carry Open Graph and Twitter tags with absolute addresses and pictures from this site', async () => {
    await withPage(async (page) => {
      const asked = requestsOf(page);
      for (const [path, picture] of [
        [`/papers/${topPaper}`, /\/images\/[0-9a-f]{32}\.webp$/],
        ['/papers/week/2026-W48', /\/images\//],
        ['/organizations/northwind-ai', /\/images\/organizations\/northwind-ai\.png$/],
        [`/users/${ADMIN.username}`, /\/images\/users\/grace\.png$/],
      ] as const) {
        const res = await page.goto(`${base}${path}`);
        expect(res?.status(), path).toBe(200);
        const og = await page.locator('meta[property^="og:"]').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('property'), e.getAttribute('content')])));
        expect(og['og:title'], path).toBeTruthy();
        expect(og['og:url'], path).toBe(`${base}${path}`);
        expect(og['og:image'], path).toMatch(picture);
        expect(og['og:image']!.startsWith(`${base}/`), path).toBe(true);
        const image = await page.request.get(og['og:image']!);
        expect(image.status(), og['og:image']).toBe(200);
        expect(image.headers()['content-type']).toMatch(/^image\/(webp|png)$/);
        expect(await brokenPictures(page), path).toEqual([]);
        expect(await page.locator('body').innerText()).not.toMatch(TEX_LEFT);
      }
      await page.goto(`${base}/papers/${topPaper}`);
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-paper-desktop.png') });
      expect(elsewhere(asked)).toEqual([]);
    }, DESKTOP);
  });
});

describe('the digest mail', () => {
  it('shows math readably, without raw TeX, as a mail client renders its HTML', async () => {
    await db!.kysely.insertInto('subscriptions').values({ email: 'reader@example.org', user_id: null, status: 'active', frequency: 'daily', created_at: new Date().toISOString(), confirmed_at: new Date().toISOString(), unsubscribed_at: null, last_error: null }).execute();
    const config = { ...testConfig({ SMTP_URL: smtp!.url, BASE_URL: base }), keys: testKeys };
    const mailer = createMailer(config);
    try {
      await enqueueAndSend(db!, config, mailer, [parseDigestPeriod(`daily:${DAY}`)!]);
    } finally {
      mailer.close();
    }
    const mail = await smtp!.waitForMail((m) => m.to.includes('reader@example.org'));
    expect(mail.text).toContain('56.0% on OneMillion-Bench in 𝒪(n log n) time');
    await withPage(async (page) => {
      // As a mail client shows it: the message's own HTML, no stylesheet of ours, no script.
      await page.setContent(mail.html);
      const text = await page.locator('body').innerText();
      expect(text).toContain('𝒪(n log n)');
      expect(text).not.toMatch(TEX_LEFT);
      expect(text).not.toContain('$');
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-digest-mail.png'), fullPage: true });
    }, { ...PHONE, javaScriptEnabled: false });
  });
});

/** Presses a preference button (a form posting to /preferences, which comes back to this page) and waits for the page it leads to. */
async function choose(page: Page, button: Locator, attribute: string, value: string | null): Promise<void> {
  await Promise.all([page.waitForResponse((res) => res.url() === `${base}/preferences`), button.click()]);
  await page.waitForLoadState();
  await expect.poll(() => page.locator('html').getAttribute(attribute)).toBe(value);
  await page.waitForLoadState('load');
}

describe('what readers choose, and what helps them', () => {
  it('lists in a grid of picture cards on a wide screen, or as a list when chosen, remembered without script', async () => {
    await withPage(async (page) => {
      const asked = requestsOf(page);
      await page.goto(`${base}/papers/date/${DAY}`);
      const tops = () => page.locator('ol.cards > li').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
      const grid = await tops();
      // Cards side by side: rows hold more than one.
      expect(new Set(grid).size).toBeLessThan(grid.length);
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-grid-desktop.png') });
      await choose(page, page.getByRole('button', { name: '☰ List' }), 'data-view', 'list');
      expect(page.url()).toBe(`${base}/papers/date/${DAY}`);
      const list = await tops();
      expect(new Set(list).size).toBe(list.length);
      expect(await page.getByRole('button', { name: '☰ List' }).getAttribute('aria-pressed')).toBe('true');
      // Kept: another list page comes as a list, from the server (no script runs here).
      await page.goto(`${base}/papers/trending`);
      expect(await page.locator('html').getAttribute('data-view')).toBe('list');
      await choose(page, page.getByRole('button', { name: '▦ Grid' }), 'data-view', null);
      expect(page.url()).toBe(`${base}/papers/trending`);
      expect(elsewhere(asked)).toEqual([]);
    }, { ...DESKTOP, javaScriptEnabled: false });
  });

  it('switches the theme (system, light, dark) without script, painted right from the first byte', async () => {
    await withPage(async (page) => {
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      await page.goto(`${base}/papers/date/${DAY}`);
      const light = await background();
      await choose(page, page.locator('.theme-switch').getByRole('button', { name: 'Dark' }), 'data-theme', 'dark');
      expect(page.url()).toBe(`${base}/papers/date/${DAY}`);
      expect(await page.locator('meta[name="color-scheme"]').getAttribute('content')).toBe('dark');
      expect(await background()).not.toBe(light);
      expect(await background()).toBe('rgb(15, 23, 42)');
      // Chosen, not the system's: the stand-in card follows the page's theme all the same.
      expect(await standInLuminance(page)).toBeLessThan(0.05);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-theme-dark-chosen.png') });
      // The server's HTML carries the theme: no flash of the other one before a script could run.
      const html = await (await page.request.get(`${base}/papers/${topPaper}`)).text();
      expect(html).toContain('<html lang="en" data-theme="dark"');
      await choose(page, page.locator('.theme-switch').getByRole('button', { name: 'System' }), 'data-theme', null);
      expect(await background()).toBe(light);
    }, { ...DESKTOP, colorScheme: 'light', javaScriptEnabled: false });
    // A dark system, light chosen.
    await withPage(async (page) => {
      await page.goto(`${base}/papers/date/${DAY}`);
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(15, 23, 42)');
      await choose(page, page.locator('.theme-switch').getByRole('button', { name: 'Light' }), 'data-theme', 'light');
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(248, 250, 252)');
      expect(await standInLuminance(page)).toBeGreaterThan(0.6);
    }, { ...DESKTOP, colorScheme: 'dark' });
  });

  it('sets a preference only for this site, and leads back only to a path on it', async () => {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${base}/preferences`, { method: 'POST', body, redirect: 'manual', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers } });
    const own = await post('theme=dark&next=%2F%2Fevil.example%2Fx', { Origin: base });
    expect(own.status).toBe(303);
    expect(own.headers.get('Location')).toBe('/papers');
    expect(own.headers.get('Set-Cookie')).toMatch(/^dp_theme=dark; Path=\/; Max-Age=31536000; SameSite=Lax; HttpOnly/);
    expect((await post('view=list&next=%2Fpapers%2Ftrending%3Fp%3D1', { Origin: base })).headers.get('Location')).toBe('/papers/trending?p=1');
    expect((await post('theme=dark', { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('theme=dark', {})).status).toBe(403);
    const bad = await post('theme=purple', { Origin: base });
    expect(bad.status).toBe(400);
  });

  it('answers / and ? on the keyboard, and suggests papers, authors and organizations while typing', async () => {
    await withPage(async (page, seen) => {
      const asked = requestsOf(page);
      await page.goto(`${base}/papers/date/${DAY}`);
      await page.keyboard.press('?');
      const panel = page.locator('dialog#shortcuts');
      await expect.poll(() => panel.isVisible()).toBe(true);
      const keys = await panel.locator('kbd').allTextContents();
      for (const key of ['j', 'k', 'o', 'u', '/', '?']) expect(keys).toContain(key);
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-shortcuts.png') });
      await page.keyboard.press('Escape');
      await expect.poll(() => panel.isVisible()).toBe(false);

      await page.keyboard.press('/');
      const box = page.locator('.header-search input[name=q]');
      await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
      await page.keyboard.type('north');
      const options = page.locator('#suggestions [role=option]');
      await expect.poll(() => options.count()).toBeGreaterThan(1);
      expect(await box.getAttribute('aria-expanded')).toBe('true');
      expect(await options.first().textContent()).toContain('Northwind AI Lab');
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-suggestions.png') });
      await page.keyboard.press('ArrowDown');
      expect(await box.getAttribute('aria-activedescendant')).toBe(await options.first().getAttribute('id'));
      await Promise.all([page.waitForURL(`${base}/organizations/northwind-ai`), page.keyboard.press('Enter')]);

      // A paper by a word of its title; Escape closes the list, Enter then searches as the form does.
      await page.goto(`${base}/papers/date/${DAY}`);
      const title = (await page.locator('article.card .card-title').first().textContent())!.trim();
      const word = title.split(/\s+/).find((w) => /^[A-Za-z]{5,}$/.test(w))!;
      await box.fill(word.toLowerCase());
      await expect.poll(() => page.locator('#suggestions [role=option]', { hasText: title.slice(0, 20) }).count()).toBeGreaterThan(0);
      await page.keyboard.press('Escape');
      expect(await page.locator('#suggestions').isHidden()).toBe(true);
      await Promise.all([page.waitForURL(/\/papers\/search\?q=/), page.keyboard.press('Enter')]);
      expect(elsewhere(asked)).toEqual([]);
      expect(seen.errors).toEqual([]);
    }, DESKTOP);
  });

  it('shows faces on cards linked to profiles, and a paper without thumbnail shows its card on its page', async () => {
    await withPage(async (page) => {
      await page.goto(`${base}/papers/date/${DAY}`);
      const faces = await page.locator('article.card .faces a').evaluateAll((els) => els.map((e) => e.getAttribute('href')!));
      expect(faces.length).toBeGreaterThan(0);
      for (const href of faces) expect(href).toMatch(/^\/(users|authors)\/[^/]+$/);
      expect(await page.locator('article.card .faces a .avatar-pic').count()).toBe(faces.length);
      const res = await page.request.get(`${base}${faces[0]}`);
      expect(res.status(), faces[0]).toBe(200);
      expect(await page.locator('article.card .submitter .avatar-pic').count()).toBeGreaterThan(0);
      expect(await brokenPictures(page)).toEqual([]);

      const standIn = await page.locator('article.card:has(.card-thumb img[src^="/images/papers/"]) .card-title a').getAttribute('href');
      await page.goto(`${base}${standIn}`);
      expect(await page.locator('img.paper-thumb').getAttribute('src')).toMatch(/^\/images\/papers\/.+\.svg$/);
      expect(await brokenPictures(page)).toEqual([]);
    }, DESKTOP);
  });

  it('previews a comment exactly as posting renders it', async () => {
    await withPage(async (page, seen) => {
      await signIn(page);
      await page.goto(`${base}/papers/${topPaper}`);
      const form = page.locator('form.comment-form').filter({ has: page.locator('#new-comment') });
      await form.locator('#new-comment').fill('**Bold** claim: $\\mathcal{O}(n \\log n)$ and\n\n- a list');
      await form.getByRole('button', { name: 'Preview' }).click();
      const preview = form.locator('.comment-preview');
      await expect.poll(() => preview.locator('.katex').count()).toBeGreaterThan(0);
      expect(await preview.locator('strong').textContent()).toBe('Bold');
      expect(await form.locator('#new-comment').isHidden()).toBe(true);
      const shown = await preview.innerHTML();
      await page.screenshot({ path: path.join(SHOT_DIR, 'look-comment-preview.png') });
      await form.getByRole('button', { name: 'Write' }).click();
      expect(await form.locator('#new-comment').isVisible()).toBe(true);
      await Promise.all([page.waitForURL(/#c\d+$/), form.getByRole('button', { name: 'Post', exact: true }).click()]);
      const posted = page.locator(`${new URL(page.url()).hash} .comment-body`).first();
      expect(await posted.innerHTML()).toBe(shown);
      // A comment the server refuses says why in the preview.
      await form.locator('#new-comment').fill('   ');
      await form.getByRole('button', { name: 'Preview' }).click();
      await expect.poll(() => preview.textContent()).toMatch(/empty/);
      expect(seen.errors).toEqual([]);
    }, DESKTOP);
  });

  it('writes TeX as plain text in <title>, link previews and feeds', async () => {
    const { id } = await db!.kysely.selectFrom('daily_listings').select('paper_id as id').where('day', '=', DAY).orderBy('paper_id').limit(1).executeTakeFirstOrThrow();
    await db!.kysely.updateTable('papers').set({ title: 'Reaching 56.0\\% in $\\mathcal{O}(n \\log n)$ with \\OneMillion-Bench' }).where('id', '=', id).execute();
    await bumpContentVersion(db!.kysely);
    const plain = 'Reaching 56.0% in 𝒪(n log n) with OneMillion-Bench';
    await withPage(async (page) => {
      await page.goto(`${base}/papers/${id}`);
      expect(await page.title()).toBe(`${plain} · Daily Papers`);
      expect(await page.locator('meta[property="og:title"]').getAttribute('content')).toBe(plain);
    }, DESKTOP);
    for (const format of ['json', 'rss', 'atom']) {
      const body = await (await fetch(`${base}/feeds/daily.${format}`)).text();
      expect(body, format).toContain(plain);
      expect(body, format).not.toMatch(/\\%|\\mathcal|\\OneMillion/);
    }
  });
});
