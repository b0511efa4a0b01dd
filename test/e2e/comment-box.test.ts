// Issue 13: a comment draws only inside its own box. Hostile math (a banner raised 30em
// over the page, ink lapped out sideways, a smashed tower) is posted through the API to
// the real server; in Debian's Chromium, every pixel that differs between the page and
// the same page with the comment bodies hidden must lie inside a comment body's box.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/database.ts';
import { signedInUser, type TestUser } from '../community.ts';
import { freshDatabaseUrl } from '../helpers.ts';
import { launchChromium, withPage } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';

/** Screenshots go beside the other temporary files, never into the repository. */
const SHOT_DIR = path.join(os.tmpdir(), 'dailypapers-e2e-screenshots');
/** A demo paper (src/ingest/demo-papers.json). */
const PAPER = '2611.09264';

/** The banner, then comments that are accepted but would draw past their box without clipping. */
const HOSTILE = [
  '$\\smash{\\kern{-2em}\\raisebox{30em}{\\colorbox{yellow}{\\Huge NOTICE: your session expired, sign in again at evil.example}}}$',
  'Right: $\\rlap{\\colorbox{yellow}{\\Huge NOTICE NOTICE NOTICE NOTICE NOTICE NOTICE NOTICE NOTICE}}$',
  '$\\llap{\\colorbox{red}{\\Huge LEFT LEFT LEFT}}$ starts to the left',
  'Tall: $\\smash{\\color{red}{\\Huge\\begin{matrix}A\\\\B\\\\C\\\\D\\\\E\\\\F\\\\G\\\\H\\end{matrix}}}$',
  'Wide display math:\n\n$$\\colorbox{yellow}{\\Huge WIDE WIDE WIDE WIDE WIDE WIDE WIDE WIDE WIDE WIDE}$$',
];

let server: RunningServer | undefined;
let db: Db | undefined;
let browser: Browser | undefined;
let ada: TestUser;

beforeAll(async () => {
  const databaseUrl = await freshDatabaseUrl();
  server = await startServer({ databaseUrl });
  db = await connectDatabase(databaseUrl);
  ada = await signedInUser(db, { username: 'ada', fullname: 'Ada Lovelace' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await db?.close();
  await server?.stop();
});

describe('a comment draws inside its box', () => {
  it('keeps every pixel of hostile math inside the comment body', async () => {
    let accepted = 0;
    for (const comment of HOSTILE) {
      const res = await fetch(`${server!.baseUrl}/api/papers/${PAPER}/comments`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ada.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ comment }),
      });
      // Refused outright is fine (the banner is: 422); whatever is accepted must stay in its box.
      expect([201, 422], `${res.status} for ${comment}`).toContain(res.status);
      if (res.status === 201) accepted++;
    }
    expect(accepted).toBeGreaterThanOrEqual(HOSTILE.length - 1);

    const outside = await withPage(
      browser!,
      async (page) => {
        await page.goto(`${server!.baseUrl}/papers/${PAPER}`);
        await page.evaluate(() => document.fonts.ready.then(() => undefined));
        const bodies = await page.locator('.comment-body').count();
        expect(bodies).toBe(accepted);
        fs.mkdirSync(SHOT_DIR, { recursive: true });
        const shown = await page.screenshot({ fullPage: true, path: path.join(SHOT_DIR, 'hostile-comments.png') });
        // Page coordinates of every comment body, widened by a pixel for antialiased edges.
        const boxes = await page.evaluate(() =>
          [...document.querySelectorAll('.comment-body')].map((el) => {
            const r = el.getBoundingClientRect();
            return { left: r.left + scrollX - 1, top: r.top + scrollY - 1, right: r.right + scrollX + 1, bottom: r.bottom + scrollY + 1 };
          }),
        );
        // Through the CSSOM, which the page's CSP (style-src 'self') allows.
        await page.evaluate(() => {
          for (const el of document.querySelectorAll<HTMLElement>('.comment-body, .comment-body *')) el.style.setProperty('visibility', 'hidden', 'important');
        });
        const hidden = await page.screenshot({ fullPage: true });
        // Decoded and compared in a blank page: no CSP, no site code.
        const blank = await page.context().newPage();
        return blank.evaluate(
          async ({ a, b, boxes }) => {
            const pixels = async (b64: string) => {
              const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
              const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
              const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
              const ctx = canvas.getContext('2d')!;
              ctx.drawImage(bitmap, 0, 0);
              return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
            };
            const [one, two] = [await pixels(a), await pixels(b)];
            if (one.width !== two.width || one.height !== two.height) return { count: -1, first: `sizes differ: ${one.width}x${one.height} and ${two.width}x${two.height}` };
            let count = 0;
            let first = '';
            for (let y = 0; y < one.height; y++) {
              for (let x = 0; x < one.width; x++) {
                const i = (y * one.width + x) * 4;
                if (one.data[i] === two.data[i] && one.data[i + 1] === two.data[i + 1] && one.data[i + 2] === two.data[i + 2]) continue;
                if (boxes.some((r) => x >= r.left && x < r.right && y >= r.top && y < r.bottom)) continue;
                count++;
                first ||= `(${x}, ${y})`;
              }
            }
            return { count, first };
          },
          { a: shown.toString('base64'), b: hidden.toString('base64'), boxes },
        );
      },
      { viewport: { width: 1000, height: 800 } },
    );
    expect(outside, 'pixels drawn outside every comment body').toEqual({ count: 0, first: '' });
  });
});
