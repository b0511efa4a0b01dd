// What the browser end-to-end suites share: Debian's Chromium through playwright-core,
// contexts with bounded waits, pages that collect what went wrong on them, and the
// hostile imported record both suites check.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { ROOT, type RunningServer } from './server.ts';
import { CHROMIUM_PATH } from '../setup.ts';
// A bound on a hang, not on a busy machine.
const ACTION_TIMEOUT_MS = 180_000;

/** Starts headless Chromium (no sandbox, no GPU, no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 180_000,
  });
}

/** What a page did besides rendering: dialogs opened, uncaught errors, console errors (CSP violations among them). */
export interface Seen {
  dialogs: string[];
  errors: string[];
  console: string[];
}

/** The console errors that report a Content Security Policy violation. */
export const cspViolations = (seen: Seen) => seen.console.filter((text) => text.includes('Content Security Policy'));

/** A new context whose actions and navigations give up after a bounded wait. */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  return context;
}

/** A new page in `context` whose dialogs (dismissed), page errors and console errors are collected. */
export async function openPage(context: BrowserContext): Promise<{ page: Page; seen: Seen }> {
  const page = await context.newPage();
  const seen: Seen = { dialogs: [], errors: [], console: [] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => seen.errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.console.push(msg.text());
  });
  return { page, seen };
}

/** Runs `fn` on a page of a fresh context, closed afterwards. */
export async function withPage<T>(browser: Browser, fn: (page: Page, seen: Seen) => Promise<T>, options: BrowserContextOptions = {}): Promise<T> {
  const context = await newContext(browser, options);
  try {
    const { page, seen } = await openPage(context);
    return await fn(page, seen);
  } finally {
    await context.close();
  }
}

// ---- the demo data, and a hostile record shaped like it

export interface DemoItem {
  paper: { id: string; title: string; summary: string; upvotes: number; discussionId?: string };
  [key: string]: unknown;
}
const demo = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/ingest/demo-papers.json'), 'utf8')) as { days: { date: string; items: DemoItem[] }[] };
export const demoDays = demo.days;
export const demoDay = (date: string) => demo.days.find((d) => d.date === date)!;

export const HOSTILE_ID = '2611.09990';
export const HOSTILE_DAY = '2026-11-20';
export const HOSTILE_TITLE =
  '<script>window.__pwned=1</script> "><img src=x onerror="window.__pwned=2"> costs $5 and a broken $\\frac{1$ formula';

/** One Hugging Face envelope shaped like the demo items, with hostile text in its title and `summary`. */
function hostileEnvelope(summary: string): DemoItem {
  const template = structuredClone(demoDay(HOSTILE_DAY).items[0]!);
  const paper = { ...template.paper, id: HOSTILE_ID, title: HOSTILE_TITLE, summary, upvotes: 50, discussionId: '6afff740c4824be2185a7999' };
  return { ...template, paper, title: HOSTILE_TITLE, summary };
}

/** Imports the hostile record through the CLI while the server runs (the demo seed only happens on an empty database). */
export async function importHostileRecord(server: RunningServer, summary: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-e2e-hostile-'));
  try {
    const file = path.join(dir, `${HOSTILE_DAY}.json`);
    fs.writeFileSync(file, JSON.stringify([hostileEnvelope(summary)]));
    const result = await server.cliHere(['import', 'hf', file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('import: 1 new');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
