import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import { addDays, dayOf } from '../core/periods.ts';
import { importHfItems, type ImportSummary } from './hf-import.ts';
import { addSummary, emptySummary } from './summary.ts';

/** Fetches one day's list from Hugging Face's `GET /api/daily_papers?date=`. */
export async function fetchHfDay(config: Config, day: string): Promise<unknown[]> {
  const url = new URL('/api/daily_papers', config.HF_API_URL);
  url.searchParams.set('date', day);
  const response = await fetch(url, {
    signal: AbortSignal.timeout(config.UPSTREAM_TIMEOUT_MS),
    headers: { 'User-Agent': 'dailypapers (self-hosted instance)', Accept: 'application/json' },
  });
  if (!response.ok) throw new Error(`hf: ${url.href} answered ${response.status}`);
  const items = (await response.json()) as unknown;
  if (!Array.isArray(items)) throw new Error(`hf: ${url.href} did not return a JSON array`);
  return items;
}

/**
 * Imports the most recent days from the Hugging Face API, newest first, until
 * `wanted` days with papers are in or `lookBack` days were asked (weekends and
 * holidays have no list). Idempotent: days already imported come back unchanged.
 */
export async function importRecentHfDays(
  db: Db,
  config: Config,
  opts: { wanted: number; lookBack: number; today?: Date },
): Promise<{ days: number; summary: ImportSummary }> {
  const total = emptySummary();
  let days = 0;
  for (let back = 0; back < opts.lookBack && days < opts.wanted; back++) {
    const day = addDays(dayOf(opts.today ?? new Date()), -back);
    const items = await fetchHfDay(config, day);
    if (items.length === 0) continue;
    const summary = await importHfItems(db, items, day, `/api/daily_papers?date=${day}`);
    addSummary(total, summary);
    days++;
  }
  return { days, summary: total };
}
