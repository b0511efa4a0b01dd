import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import { addDays } from '../core/periods.ts';
import { searchPapers } from '../search/engine.ts';
import { QueryError } from '../search/query.ts';
import type { Follow } from './queries.ts';

type Q = Kysely<Database>;

/** How far back "new" reaches, from the newest paper the site has (so a site fed yesterday is not empty). */
export const FOLLOWING_DAYS = 30;
/** Most papers one saved search brings in. */
const PER_SEARCH = 100;

/** Why a paper is in the reader's Following view: what of theirs it matched. */
export interface FollowReason {
  kind: Follow['kind'];
  target: string;
}

export interface FollowedPaper {
  paperId: string;
  publishedAt: string;
  reasons: FollowReason[];
}

/** The first day of the Following window: FOLLOWING_DAYS before the newest visible paper. */
export async function followingSince(db: Q): Promise<string> {
  const row = await db.selectFrom('papers').select((eb) => eb.fn.max('published_at').as('latest')).where('hidden_at', 'is', null).executeTakeFirst();
  const latest = (row?.latest as string | null | undefined) ?? new Date().toISOString();
  return addDays(latest.slice(0, 10), -FOLLOWING_DAYS);
}

/**
 * New papers from what the reader follows, newest first, each with every follow it matched:
 * one query per kind followed (authors by exact name, organizations by slug, categories and
 * their archives), one search per saved query. Moderator-hidden papers are left out here;
 * `exclude` takes the reader's own hidden ones.
 */
export async function followedPapers(db: Db, follows: Follow[], opts: { since?: string; exclude?: ReadonlySet<string>; limit?: number } = {}): Promise<FollowedPaper[]> {
  const k = db.kysely;
  const since = opts.since ?? (await followingSince(k));
  const byKind = (kind: Follow['kind']) => follows.filter((f) => f.kind === kind).map((f) => f.target);
  const found = new Map<string, FollowedPaper>();
  const credit = (paperId: string, publishedAt: string, reason: FollowReason) => {
    let entry = found.get(paperId);
    if (!entry) found.set(paperId, (entry = { paperId, publishedAt, reasons: [] }));
    if (!entry.reasons.some((r) => r.kind === reason.kind && r.target === reason.target)) entry.reasons.push(reason);
  };

  const authors = byKind('author');
  const organizations = byKind('organization');
  const categories = byKind('category');
  const [authorRows, orgRows, categoryRows] = await Promise.all([
    authors.length === 0
      ? []
      : k
          .selectFrom('paper_authors as a')
          .innerJoin('papers as p', 'p.id', 'a.paper_id')
          .select(['p.id', 'p.published_at', 'a.name'])
          .where('a.name', 'in', authors)
          .where('a.hidden', '=', 0)
          .where('p.hidden_at', 'is', null)
          .where('p.published_at', '>=', since)
          .execute(),
    organizations.length === 0
      ? []
      : k
          .selectFrom('papers as p')
          .innerJoin('organizations as o', 'o.id', 'p.organization_id')
          .select(['p.id', 'p.published_at', 'o.name'])
          .where('o.name', 'in', organizations)
          .where('p.hidden_at', 'is', null)
          .where('p.published_at', '>=', since)
          .execute(),
    categories.length === 0
      ? []
      : k
          .selectFrom('paper_categories as c')
          .innerJoin('papers as p', 'p.id', 'c.paper_id')
          .select(['p.id', 'p.published_at', 'c.category'])
          .where((eb) => eb.or(categories.flatMap((cat) => (cat.includes('.') ? [eb('c.category', '=', cat)] : [eb('c.category', '=', cat), eb('c.category', 'like', `${cat}.%`)]))))
          .where('p.hidden_at', 'is', null)
          .where('p.published_at', '>=', since)
          .execute(),
  ]);
  for (const r of authorRows) credit(r.id, r.published_at, { kind: 'author', target: r.name });
  for (const r of orgRows) credit(r.id, r.published_at, { kind: 'organization', target: r.name });
  for (const r of categoryRows) {
    const followed = categories.find((cat) => cat === r.category || r.category.startsWith(`${cat}.`)) ?? r.category;
    credit(r.id, r.published_at, { kind: 'category', target: followed });
  }
  for (const q of byKind('search')) {
    try {
      const result = await searchPapers(db, { q, filters: { after: since }, sort: 'date', semantic: false, limit: PER_SEARCH });
      if (result.hits.length === 0) continue;
      const rows = await k.selectFrom('papers').select(['id', 'published_at']).where('id', 'in', result.hits.map((h) => h.paperId)).execute();
      for (const r of rows) credit(r.id, r.published_at, { kind: 'search', target: q });
    } catch (err) {
      // A saved query the search language no longer takes matches nothing; the page lists it.
      if (!(err instanceof QueryError)) throw err;
    }
  }
  const exclude = opts.exclude ?? new Set<string>();
  return [...found.values()]
    .filter((f) => !exclude.has(f.paperId))
    .sort((a, b) => b.publishedAt.localeCompare(a.publishedAt) || a.paperId.localeCompare(b.paperId))
    .slice(0, opts.limit ?? 100);
}

/** A reason in words: `by Ada Lovelace`, `from internlm`, `in cs.LG`, `matches “diffusion”`. */
export function reasonText(r: FollowReason): string {
  switch (r.kind) {
    case 'author':
      return `by ${r.target}`;
    case 'organization':
      return `from ${r.target}`;
    case 'category':
      return `in ${r.target}`;
    case 'search':
      return `matches “${r.target}”`;
  }
}
