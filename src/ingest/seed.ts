import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { addDays, dayOf } from '../feed/periods.ts';
import { importHfItems, type ImportSummary } from './hf-import.ts';

const DEMO_FILE = fileURLToPath(new URL('./demo-papers.json', import.meta.url));

/**
 * Fills an empty database so that a first start shows papers: the latest days
 * from the Hugging Face daily-papers API when it answers, otherwise the demo
 * data written for this project. Returns what it did, or null if the database
 * already had papers.
 */
export async function seedIfEmpty(db: Db, config: Config, today = new Date()): Promise<string | null> {
  const existing = await db.kysely.selectFrom('daily_listings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  if (Number(existing?.n ?? 0) > 0) return null;

  if (config.SEED_DAYS > 0) {
    try {
      const { days, summary } = await importRecentHfDays(db, config, today);
      if (summary.new > 0) return `imported ${summary.new} papers from ${days} recent days of ${config.HF_API_URL}`;
    } catch (err) {
      console.log(`seed: ${config.HF_API_URL} is not reachable (${(err as Error).message}); loading the demo data`);
    }
  }
  const summary = await importDemoData(db);
  return `loaded the demo data: ${summary.new} fictional papers (set HF_API_URL or run \`dailypapers import hf\` for real ones)`;
}

/** Fetches `GET /api/daily_papers?date=` for recent days until SEED_DAYS days with papers are in. */
async function importRecentHfDays(db: Db, config: Config, today: Date): Promise<{ days: number; summary: ImportSummary }> {
  const total: ImportSummary = { new: 0, updated: 0, unchanged: 0, rejected: 0, problems: [] };
  let days = 0;
  // Weekends and holidays have no list, so look back a little further than the number of days wanted.
  for (let back = 0; back < config.SEED_DAYS * 2 + 4 && days < config.SEED_DAYS; back++) {
    const day = addDays(dayOf(today), -back);
    const url = new URL('/api/daily_papers', config.HF_API_URL);
    url.searchParams.set('date', day);
    const response = await fetch(url, {
      signal: AbortSignal.timeout(config.UPSTREAM_TIMEOUT_MS),
      headers: { 'User-Agent': 'dailypapers (self-hosted; first-start import)', Accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`seed: ${url.href} answered ${response.status}`);
    const items = (await response.json()) as unknown;
    if (!Array.isArray(items)) throw new Error(`seed: ${url.href} did not return a JSON array`);
    if (items.length === 0) continue;
    const summary = await importHfItems(db, items, day, `${url.pathname}?date=${day}`);
    for (const key of ['new', 'updated', 'unchanged', 'rejected'] as const) total[key] += summary[key];
    days++;
  }
  return { days, summary: total };
}

/** Loads the demo data shipped with the project (fictional papers, written for it). */
export async function importDemoData(db: Db): Promise<ImportSummary> {
  const demo = JSON.parse(fs.readFileSync(DEMO_FILE, 'utf8')) as { days: { date: string; items: unknown[] }[] };
  const total: ImportSummary = { new: 0, updated: 0, unchanged: 0, rejected: 0, problems: [] };
  for (const { date, items } of demo.days) {
    const summary = await importHfItems(db, items, date, `demo ${date}`);
    for (const key of ['new', 'updated', 'unchanged', 'rejected'] as const) total[key] += summary[key];
    total.problems.push(...summary.problems);
  }
  return total;
}
