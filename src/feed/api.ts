import type { Context } from 'hono';
import { viewerHidden } from '../library/viewer.ts';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { RequestError, zodDetails } from '../http/respond.ts';
import { hfEnvelope } from '../papers/hf-format.ts';
import { dayPeriod, parseDay, parseMonth, parseWeek, type Period } from '../core/periods.ts';
import { listings, trendingListings } from './queries.ts';
import { withSourceRecords } from '../papers/read-model.ts';

/** A query parameter holding a whole number within bounds. */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const dailyPapersQuery = z
  .strictObject({
    date: z.string().refine((s) => parseDay(s) !== null, 'must be a calendar day, YYYY-MM-DD').optional(),
    week: z.string().refine((s) => parseWeek(s) !== null, 'must be an ISO week, YYYY-Www').optional(),
    month: z.string().refine((s) => parseMonth(s) !== null, 'must be a month, YYYY-MM').optional(),
    submitter: z.string().min(1).max(100).optional(),
    sort: z.enum(['publishedAt', 'trending']).default('publishedAt'),
    p: wholeNumber(0, 100_000).default(0),
    limit: wholeNumber(1, 100).default(50),
  })
  .refine((q) => [q.date, q.week, q.month].filter(Boolean).length <= 1, 'give at most one of date, week and month');

/** `GET /api/daily_papers`: featured papers as Hugging Face returns them. */
export async function getDailyPapers(c: Context<AppEnv>) {
  const parsed = dailyPapersQuery.safeParse(c.req.query());
  if (!parsed.success) throw new RequestError(400, 'invalid query parameters', zodDetails(parsed.error));
  const q = parsed.data;
  const db = c.get('db').kysely;
  const period: Period | null = q.date ? dayPeriod(q.date) : q.week ? parseWeek(q.week) : q.month ? parseMonth(q.month) : null;

  const offset = q.p * q.limit;
  const views =
    q.sort === 'trending' && !period && q.submitter === undefined
      ? await trendingListings(db, q.limit, offset)
      : await listings(db, { first: period?.first, last: period?.last, submitter: q.submitter, sort: q.sort, limit: q.limit, offset });
  // A signed-in reader's (or token's) hidden papers leave their lists.
  const hidden = await viewerHidden(c);
  return c.json((await withSourceRecords(db, views.filter((v) => !hidden.has(v.paper.id)))).map(hfEnvelope));
}
