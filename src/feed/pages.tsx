import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { Layout, chromeOf, type Chrome, type Tab } from '../ui/layout.tsx';
import { CardList, listingCards } from '../papers/components.tsx';
import { NumberedPager, type VoteState } from '../ui/components.tsx';
import { SubscribeCta, ViewSwitch } from '../ui/layout.tsx';
import { formatLongDay, formatMonth, formatShortDate, plural } from '../ui/format.ts';
import {
  dayPeriod,
  monthKeyOf,
  parseDay,
  parseMonth,
  parseWeek,
  weekKeyOf,
  type Period,
} from '../core/periods.ts';
import { viewerPaperState } from '../library/viewer.ts';
import { countListings, keptNeighbourDays, latestDay, listingSummaries, neighbourDays, trendingSummaries } from './queries.ts';
import { currentCardsVersion } from '../db/content-version.ts';
import { htmlPage } from '../http/respond.ts';
import { KeptFrames, PATH_SLOT, PageParts } from '../ui/page-parts.ts';

const PAGE_SIZE = 50;
const DAY_LIMIT = 500;
// The feeds (syndication/routes.ts) these pages offer to feed readers.
const DAILY_FEED = { path: '/feeds/daily', title: 'Daily papers' };
const WEEKLY_FEED = { path: '/feeds/weekly', title: 'Weekly papers' };
const TRENDING_FEED = { path: '/feeds/trending', title: 'Trending papers' };
/** The first Tab on a list page leads past the header, the date bar and the banner to the papers. */
const SKIP_TO_PAPERS = { href: '#papers', label: 'Skip to the papers' };

/** `/papers`: the latest day that has papers. */
export async function showLatestDay(c: Context<AppEnv>) {
  const day = await latestDay(c.get('db').kysely);
  if (!day) return c.html(<EmptySite chrome={chromeOf(c)} />);
  return renderPeriod(c, dayPeriod(day));
}

/** `/papers/date/YYYY-MM-DD`, and the date picker's `?date=` form. */
export async function showDay(c: Context<AppEnv>) {
  const picked = c.req.query('date');
  if (picked !== undefined) {
    const day = parseDay(picked);
    return day ? c.redirect(`/papers/date/${await nearestDayWithPapers(c, day)}`) : badPeriod(c, `“${picked}” is not a date. Use YYYY-MM-DD.`);
  }
  const day = parseDay(c.req.param('day') ?? '');
  if (!day) return badPeriod(c, `“${c.req.param('day')}” is not a date. Use YYYY-MM-DD, e.g. /papers/date/2026-06-18.`);
  return renderPeriod(c, dayPeriod(day));
}

/** The picked day if it has papers, else the closer of the days before and after that do (the earlier on a tie). */
async function nearestDayWithPapers(c: Context<AppEnv>, day: string): Promise<string> {
  const db = c.get('db').kysely;
  if ((await countListings(db, day, day)) > 0) return day;
  const { previous, next } = await neighbourDays(db, day, day);
  if (!previous || !next) return previous ?? next ?? day;
  const distance = (other: string) => Math.abs(Date.parse(other) - Date.parse(day));
  return distance(next) < distance(previous) ? next : previous;
}

/** `/papers/week/YYYY-Www`; without a week, the latest one with papers. */
export async function showWeek(c: Context<AppEnv>) {
  const key = c.req.param('week');
  if (!key) return redirectToLatest(c, (day) => `/papers/week/${weekKeyOf(day)}`);
  const period = parseWeek(key);
  if (!period) return badPeriod(c, `“${key}” is not an ISO week. Use YYYY-Www, e.g. /papers/week/2026-W25.`);
  return renderPeriod(c, period);
}

/** `/papers/month/YYYY-MM`; without a month, the latest one with papers. */
export async function showMonth(c: Context<AppEnv>) {
  const key = c.req.param('month');
  if (!key) return redirectToLatest(c, (day) => `/papers/month/${monthKeyOf(day)}`);
  const period = parseMonth(key);
  if (!period) return badPeriod(c, `“${key}” is not a month. Use YYYY-MM, e.g. /papers/month/2026-06.`);
  return renderPeriod(c, period);
}

/** `/papers/trending`: upvotes decayed by age (papers/trending.ts). */
export async function showTrending(c: Context<AppEnv>) {
  const db = c.get('db').kysely;
  const page = pageNumber(c);
  const [rows, version] = await Promise.all([trendingSummaries(db, PAGE_SIZE + 1, page * PAGE_SIZE), currentCardsVersion(db)]);
  const shownRows = rows.slice(0, PAGE_SIZE);
  const votes = omittingRead(await viewerPaperState(c, shownRows.map((r) => r.p_id)));
  const cards = await listingCards(db, shownRows, { start: page * PAGE_SIZE, votes, cardsVersion: version });
  const chrome = chromeOf(c);
  const parts = new PageParts();
  return htmlPage(
    c,
    <Layout chrome={chrome} title="Trending papers" tab="trending" description="Papers gaining upvotes right now." feeds={TRENDING_FEED} preview={cards[0] && { image: cards[0].preview }} skipTo={SKIP_TO_PAPERS}>
      <header class="period-head">
        <h1>Trending papers</h1>
        <p class="muted">Upvotes, weighed by how recently each paper was featured.</p>
      </header>
      <div class="list-bar">
        <span />
        <ViewSwitch chrome={chrome} />
      </div>
      <CardList cards={cards} parts={parts} switchable />
      <Pager page={page} hasMore={rows.length > PAGE_SIZE} base="/papers/trending" />
    </Layout>,
    200,
    parts,
  );
}

/** The daily, weekly, monthly and trending lists leave out what the reader read, when they chose so (library settings). */
const omittingRead = (votes: VoteState | undefined): VoteState | undefined => votes && { ...votes, omitRead: true };

async function redirectToLatest(c: Context<AppEnv>, path: (day: string) => string) {
  const day = await latestDay(c.get('db').kysely);
  return c.redirect(day ? path(day) : '/papers');
}

async function renderPeriod(c: Context<AppEnv>, period: Period) {
  const db = c.get('db').kysely;
  const page = period.kind === 'day' ? 0 : pageNumber(c);
  const limit = period.kind === 'day' ? DAY_LIMIT : PAGE_SIZE + 1;
  const version = await currentCardsVersion(db);
  const [rows, around, counted] = await Promise.all([
    listingSummaries(db, { first: period.first, last: period.last, sort: 'upvotes', limit, offset: page * PAGE_SIZE }),
    keptNeighbourDays(db, period.first, period.last, version),
    // A day's papers are all on its page (up to DAY_LIMIT): their count needs no query.
    period.kind === 'day' ? undefined : countListings(db, period.first, period.last),
  ]);
  const total = counted ?? (rows.length < DAY_LIMIT ? rows.length : await countListings(db, period.first, period.last));
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const shownRows = period.kind === 'day' ? rows : rows.slice(0, PAGE_SIZE);
  const votes = omittingRead(await viewerPaperState(c, shownRows.map((r) => r.p_id)));
  const shown = await listingCards(db, shownRows, { start: page * PAGE_SIZE, votes, cardsVersion: version });
  const heading = periodHeading(period);
  const tab: Tab = period.kind === 'day' ? 'daily' : period.kind === 'week' ? 'weekly' : 'monthly';
  const feeds = period.kind === 'day' ? DAILY_FEED : period.kind === 'week' ? WEEKLY_FEED : undefined;
  const link = (day: string | undefined) =>
    !day
      ? undefined
      : period.kind === 'day'
        ? `/papers/date/${day}`
        : period.kind === 'week'
          ? `/papers/week/${weekKeyOf(day)}`
          : `/papers/month/${monthKeyOf(day)}`;
  const chrome = chromeOf(c);
  const parts = new PageParts();
  // Everything the frame shows but the cards and the path (in PATH_SLOT's place); the reader's
  // role, name marker and token are in `chrome`.
  const frameKey = JSON.stringify([{ ...chrome, path: undefined }, period, page, pages, total, around, shown.length, shown[0]?.preview]);
  const framed = { ...chrome, path: PATH_SLOT };
  const body = await frames.page(frameKey, chrome.path, parts, () => (
    <Layout chrome={framed} title={heading} tab={tab} description={`${plural(total, 'paper')} featured: ${heading}.`} feeds={feeds} preview={shown[0] && { image: shown[0].preview }} skipTo={shown.length > 0 ? SKIP_TO_PAPERS : undefined}>
      <header class="period-head">
        <nav class="period-nav" aria-label="Dates">
          <PeriodLink href={link(around.previous)} rel="prev" label="Previous" />
          <h1>{heading}</h1>
          <PeriodLink href={link(around.next)} rel="next" label="Next" />
        </nav>
        {period.kind === 'day' && (
          <form class="date-picker" action="/papers/date" method="get">
            <label for="date">Go to date</label>
            <input type="date" id="date" name="date" value={period.first} required />
            <button type="submit">Go</button>
          </form>
        )}
      </header>
      {period.kind === 'day' && <SubscribeCta chrome={framed} variant="banner" />}
      {shown.length === 0 ? (
        <section class="empty">
          <p>No papers were featured {period.kind === 'day' ? 'on this day' : `in this ${period.kind}`}.</p>
          <nav class="empty-nav" aria-label="Days with papers">
            {around.previous && <a class="button" href={link(around.previous)} rel="prev">← Earlier papers</a>}
            {around.next && <a class="button" href={link(around.next)} rel="next">Later papers →</a>}
          </nav>
        </section>
      ) : (
        <>
          <div class="list-bar">
            <p class="muted count">
              {plural(total, 'paper')}, ranked by upvotes
              {period.kind !== 'day' && pages > 1 && ` · page ${page + 1} of ${pages}`}
            </p>
            <ViewSwitch chrome={framed} />
          </div>
          <CardList cards={shown} parts={parts} switchable />
          {period.kind !== 'day' && (
            <NumberedPager page={page} pages={pages} href={(p) => (p === 0 ? link(period.first)! : `${link(period.first)!}?p=${p}`)} />
          )}
        </>
      )}
    </Layout>
  ), () => shown.length > 0 && parts.add(shown.map((card) => card.bytes)));
  return htmlPage(c, body);
}

/** Day, week and month pages' frames kept: a key per page, role and look (about 14 KB each). */
const frames = new KeptFrames(500);

function periodHeading(period: Period): string {
  if (period.kind === 'day') return formatLongDay(period.first);
  if (period.kind === 'week') return `Week of ${formatShortDate(period.first)}`;
  return formatMonth(period.key);
}

function PeriodLink({ href, rel, label }: { href?: string; rel: 'prev' | 'next'; label: string }) {
  const arrow = rel === 'prev' ? '←' : '→';
  return href ? (
    <a class="period-step" href={href} rel={rel} aria-label={label}>
      {arrow}
    </a>
  ) : (
    <span class="period-step disabled" aria-hidden="true">
      {arrow}
    </span>
  );
}

function Pager({ page, hasMore, base }: { page: number; hasMore: boolean; base: string }) {
  if (page === 0 && !hasMore) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {page > 0 ? <a href={page === 1 ? base : `${base}?p=${page - 1}`}>← Previous page</a> : <span />}
      {hasMore && <a href={`${base}?p=${page + 1}`}>Next page →</a>}
    </nav>
  );
}

function pageNumber(c: Context): number {
  const p = Number(c.req.query('p') ?? 0);
  return Number.isInteger(p) && p >= 0 && p <= 10_000 ? p : 0;
}

function badPeriod(c: Context<AppEnv>, message: string) {
  return c.html(
    <Layout chrome={chromeOf(c)} title="Not a date">
      <section class="empty">
        <h1>Not a date</h1>
        <p>{message}</p>
        <p>
          <a href="/papers">Go to the latest papers</a>
        </p>
      </section>
    </Layout>,
    400,
  );
}

function EmptySite({ chrome }: { chrome: Chrome }) {
  const { siteName } = chrome;
  return (
    <Layout chrome={chrome} title={siteName} tab="daily">
      <section class="empty">
        <h1>No papers yet</h1>
        <p>
          Import some with <code>dailypapers import hf &lt;file&gt;</code>, or start with <code>npm start</code> to load
          recent papers.
        </p>
      </section>
    </Layout>
  );
}

