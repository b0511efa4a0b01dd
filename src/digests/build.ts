import type { Db } from '../db/database.ts';
import { authorsOfPapers, categoriesOfPapers, organizationsById } from '../papers/queries.ts';
import { addDays, parseDay, parseWeek, weekKeyOf } from '../core/periods.ts';
import { MAX_LIMIT, POOL, searchPapers } from '../search/engine.ts';
import { QueryError } from '../search/query.ts';
import type { Frequency, Topics } from './subscriptions.ts';
import { rankAmong } from '../foryou/service.ts';

/**
 * What goes into a digest (docs/decisions/010-digests.md): the period's papers ranked by
 * upvotes, then, per subscriber, those matching their topics first. Everything that
 * costs a query is done once per period (the papers) or once per distinct saved query;
 * a subscriber's selection is then pure work in memory, cached per distinct topic set.
 */

/** A digest's span: `daily:2026-11-25` (one featured day) or `weekly:2026-W48` (an ISO week). */
export interface DigestPeriod {
  key: string;
  frequency: Frequency;
  first: string;
  last: string;
}

/** One string per distinct topic set: order and case of the entries do not matter. */
export function topicsKey(t: Topics): string {
  const norm = (xs: string[]) => [...new Set(xs.map((x) => x.trim().toLowerCase()))].sort();
  return JSON.stringify([norm(t.categories), norm(t.queries), norm(t.organizations), norm(t.authors)]);
}

export function hasTopics(t: Topics): boolean {
  return t.categories.length + t.queries.length + t.organizations.length + t.authors.length > 0;
}

/** Parses `daily:YYYY-MM-DD` or `weekly:YYYY-Www`; null when it names no real day or week. */
export function parseDigestPeriod(text: string): DigestPeriod | null {
  const [kind, value, extra] = text.split(':');
  if (!value || extra !== undefined) return null;
  if (kind === 'daily') {
    const day = parseDay(value);
    return day ? { key: `daily:${day}`, frequency: 'daily', first: day, last: day } : null;
  }
  if (kind === 'weekly') {
    const week = parseWeek(value);
    return week ? { key: `weekly:${week.key}`, frequency: 'weekly', first: week.first, last: week.last } : null;
  }
  return null;
}

/** The calendar day it is in `timeZone` at `now`. */
export function dayIn(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * The period due at `today`: for daily, the latest day with listings before today (a list
 * that has settled; if no new day came since the last digest, the key repeats and nothing is
 * sent twice); for weekly, the last complete ISO week.
 */
export async function duePeriod(db: Db, frequency: Frequency, today: string): Promise<DigestPeriod | null> {
  if (frequency === 'weekly') return parseDigestPeriod(`weekly:${weekKeyOf(addDays(today, -7))}`);
  // Today's list is still filling up; the latest day before it has settled.
  const day = await latestDayBefore(db, today);
  return day ? parseDigestPeriod(`daily:${day}`) : null;
}

/** A paper as a digest shows it and as topics match it. */
export interface DigestPaper {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  upvotes: number;
  comments: number;
  categories: string[];
  /** The organization's slug (lowercase) and display name, when it has one. */
  organization: { name: string; fullname: string } | null;
  githubRepo: string | null;
}

/** Most papers a period offers to topics: far more than any day or week lists. */
export const MAX_PERIOD_PAPERS = 1000;

/** The period's featured papers, each once, most upvoted first: three queries whatever the number of subscribers. */
export async function periodPapers(db: Db, period: DigestPeriod): Promise<DigestPaper[]> {
  const rows = await db.kysely
    .selectFrom('daily_listings as l')
    .innerJoin('papers as p', 'p.id', 'l.paper_id')
    .select(['p.id', 'p.title', 'p.abstract', 'p.upvotes', 'p.comments', 'p.organization_id', 'p.github_repo'])
    .where('l.day', '>=', period.first)
    .where('l.day', '<=', period.last)
    .where('l.hidden_at', 'is', null)
    .where('p.hidden_at', 'is', null)
    .groupBy(['p.id', 'p.title', 'p.abstract', 'p.upvotes', 'p.comments', 'p.organization_id', 'p.github_repo'])
    .orderBy('p.upvotes', 'desc')
    .orderBy('p.id')
    .limit(MAX_PERIOD_PAPERS)
    .execute();
  const ids = rows.map((r) => r.id);
  const [authors, categories, orgs] = await Promise.all([
    authorsOfPapers(db.kysely, ids),
    categoriesOfPapers(db.kysely, ids),
    organizationsById(db.kysely, rows.map((r) => r.organization_id)),
  ]);
  return rows.map((r) => {
    const org = r.organization_id !== null ? orgs.get(r.organization_id) : undefined;
    return {
      id: r.id,
      title: r.title,
      abstract: r.abstract,
      authors: (authors.get(r.id) ?? []).filter((a) => !a.hidden).map((a) => a.name),
      upvotes: r.upvotes,
      comments: r.comments,
      categories: categories.get(r.id) ?? [],
      organization: org ? { name: org.name, fullname: org.fullname } : null,
      githubRepo: r.github_repo,
    };
  });
}

const NONE_HIDDEN: ReadonlySet<string> = new Set();

/** What one subscriber's digest holds. */
export interface Selection {
  /** Papers matching the topics, best first. */
  matched: DigestPaper[];
  /** Overall top papers added because a topic was quiet (or there are no topics: then all papers are here). */
  fallback: DigestPaper[];
  /** Topics with no paper this period, as the reader wrote them. */
  quiet: string[];
  /** Saved queries that no longer parse (the search language changed under them). */
  invalid: string[];
  /** The heading of `matched` when it is not "For your topics" (a for-you digest). */
  heading?: string;
}

/**
 * Selections for one period: the period's papers loaded once, each saved query searched
 * once, each distinct (topics, max) selection computed once.
 */
export class DigestBuilder {
  private readonly queryHits = new Map<string, Promise<Set<string> | null>>();
  private readonly selections = new Map<string, Promise<Selection>>();
  private readonly earliest: string;

  constructor(
    private readonly db: Db,
    readonly period: DigestPeriod,
    readonly papers: DigestPaper[],
  ) {
    // Featured papers are rarely more than a few weeks old; the bound keeps each search's pool on the period.
    this.earliest = addDays(period.first, -60);
  }

  static async forPeriod(db: Db, period: DigestPeriod): Promise<DigestBuilder> {
    return new DigestBuilder(db, period, await periodPapers(db, period));
  }

  /** How many distinct selections and saved queries were computed so far. */
  get stats(): { selections: number; queries: number } {
    return { selections: this.selections.size, queries: this.queryHits.size };
  }

  /** A subscriber's selection; `hidden` are the papers they hid (library/), left out of their digest. */
  select(topics: Topics, maxPapers: number, hidden: ReadonlySet<string> = NONE_HIDDEN): Promise<Selection> {
    const key = `${maxPapers}:${topicsKey(topics)}${hidden.size ? `:${[...hidden].sort().join(',')}` : ''}`;
    let hit = this.selections.get(key);
    if (!hit) {
      hit = this.compute(topics, maxPapers, hidden.size ? this.papers.filter((p) => !hidden.has(p.id)) : this.papers);
      this.selections.set(key, hit);
    }
    return hit;
  }

  private async compute(topics: Topics, maxPapers: number, papers: DigestPaper[]): Promise<Selection> {
    const max = Math.max(1, maxPapers);
    if (!hasTopics(topics)) return { matched: [], fallback: papers.slice(0, max), quiet: [], invalid: [] };

    // How many of the subscriber's topics each paper matches; quiet topics noted as we go.
    const score = new Map<string, number>();
    const quiet: string[] = [];
    const invalid: string[] = [];
    const credit = (label: string, ids: Iterable<string>) => {
      let any = false;
      for (const id of ids) {
        score.set(id, (score.get(id) ?? 0) + 1);
        any = true;
      }
      if (!any) quiet.push(label);
    };
    for (const category of topics.categories) {
      credit(category, papers.filter((p) => p.categories.some((c) => inCategory(c, category))).map((p) => p.id));
    }
    for (const org of topics.organizations) {
      const wanted = org.toLowerCase();
      credit(org, papers.filter((p) => p.organization && (p.organization.name.toLowerCase() === wanted || p.organization.fullname.toLowerCase() === wanted)).map((p) => p.id));
    }
    for (const author of topics.authors) {
      const wanted = personName(author);
      credit(author, papers.filter((p) => p.authors.some((a) => personName(a) === wanted)).map((p) => p.id));
    }
    for (const q of topics.queries) {
      const ids = await this.searchOnce(q);
      if (ids === null) invalid.push(q);
      else credit(q, ids);
    }

    // papers is ordered by upvotes, so a stable sort on the match count keeps upvotes as the tie-break.
    const matched = papers.filter((p) => score.has(p.id)).sort((a, b) => score.get(b.id)! - score.get(a.id)!).slice(0, max);
    const fallback =
      quiet.length + invalid.length > 0 || matched.length === 0
        ? papers.filter((p) => !score.has(p.id)).slice(0, Math.max(0, max - matched.length))
        : [];
    return { matched, fallback, quiet, invalid };
  }

  /**
   * A for-you digest: the period's papers in the reader's for-you order (foryou/service.ts),
   * what they hid left out. One reader's own, so never shared between subscribers.
   */
  async selectForYou(userId: number, maxPapers: number): Promise<Selection> {
    const max = Math.max(1, maxPapers);
    const byId = new Map(this.papers.map((p) => [p.id, p]));
    const ranked = await rankAmong(this.db, userId, this.papers.map((p) => p.id), max);
    return { matched: ranked.flatMap((id) => byId.get(id) ?? []), fallback: [], quiet: [], invalid: [], heading: 'For you' };
  }

  /** The period's papers a saved query finds, or null when it does not parse. */
  private searchOnce(q: string): Promise<Set<string> | null> {
    const key = q.trim().toLowerCase();
    let hit = this.queryHits.get(key);
    if (!hit) {
      hit = this.search(q);
      this.queryHits.set(key, hit);
    }
    return hit;
  }

  private async search(q: string): Promise<Set<string> | null> {
    const inPeriod = new Set(this.papers.map((p) => p.id));
    const found = new Set<string>();
    try {
      // Pages through the query's ranked pool (bounded by the engine) and keeps the period's papers.
      for (let offset = 0; offset < POOL; offset += MAX_LIMIT) {
        const page = await searchPapers(this.db, { q, filters: { after: this.earliest }, limit: MAX_LIMIT, offset });
        for (const h of page.hits) if (inPeriod.has(h.paperId)) found.add(h.paperId);
        if (page.hits.length < MAX_LIMIT) break;
      }
    } catch (err) {
      if (err instanceof QueryError) return null;
      throw err;
    }
    return found;
  }
}

/** `cs.LG` is in `cs.LG` and in the archive `cs`; case as arXiv writes it does not matter. */
function inCategory(category: string, wanted: string): boolean {
  const c = category.toLowerCase();
  const w = wanted.trim().toLowerCase();
  return c === w || (!w.includes('.') && c.startsWith(`${w}.`));
}

/** A person's name for comparison: case, accents and spacing ignored. */
function personName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The most recent day before `today` with a visible listing. */
async function latestDayBefore(db: Db, today: string): Promise<string | undefined> {
  const row = await db.kysely
    .selectFrom('daily_listings as l')
    .innerJoin('papers as p', 'p.id', 'l.paper_id')
    .select('l.day')
    .where('l.day', '<', today)
    .where('l.hidden_at', 'is', null)
    .where('p.hidden_at', 'is', null)
    .orderBy('l.day', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.day;
}
