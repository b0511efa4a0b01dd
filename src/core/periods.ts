/**
 * The spans the feed is browsed by: a day (`2026-06-18`), an ISO week
 * (`2026-W25`) or a month (`2026-06`). Each resolves to an inclusive range of days.
 */
export type PeriodKind = 'day' | 'week' | 'month';

export interface Period {
  kind: PeriodKind;
  /** As written in URLs: `2026-06-18`, `2026-W25`, `2026-06`. */
  key: string;
  first: string;
  last: string;
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a date, in UTC. */
export function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Parses a calendar day strictly (`2025-13-40` and `2025-02-30` are not days). */
export function parseDay(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return dayOf(date) === text ? text : null;
}

export function addDays(day: string, n: number): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

export function dayPeriod(day: string): Period {
  return { kind: 'day', key: day, first: day, last: day };
}

/** ISO-8601 week key (`2026-W25`) of a day. */
export function weekKeyOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = (date.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Parses `YYYY-Www` into Monday..Sunday; null for weeks that do not exist. */
export function parseWeek(text: string): Period | null {
  const m = /^(\d{4})-W(\d{2})$/.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const week = Number(m[2]);
  // The week containing January 4th is week 1.
  const jan4 = Date.UTC(year, 0, 4);
  const monday1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  const first = dayOf(new Date(monday1 + (week - 1) * 7 * DAY_MS));
  if (week < 1 || weekKeyOf(first) !== text) return null;
  return { kind: 'week', key: text, first, last: addDays(first, 6) };
}

/** Parses `YYYY-MM` into its first and last day. */
export function parseMonth(text: string): Period | null {
  const m = /^(\d{4})-(\d{2})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const last = dayOf(new Date(Date.UTC(year, month, 0)));
  return { kind: 'month', key: text, first: `${text}-01`, last };
}

export function monthKeyOf(day: string): string {
  return day.slice(0, 7);
}

/** The period of the same kind just before or after. */
export function shiftPeriod(period: Period, direction: -1 | 1): Period {
  if (period.kind === 'day') return dayPeriod(addDays(period.first, direction));
  if (period.kind === 'week') return parseWeek(weekKeyOf(addDays(period.first, 7 * direction)))!;
  const [y, mo] = period.key.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, mo - 1 + direction, 1));
  return parseMonth(dayOf(d).slice(0, 7))!;
}
