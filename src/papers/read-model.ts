import type { Kysely } from 'kysely';
import type { Database, DailyListing, ImportedIdentity, Organization, Paper, PaperAuthor, Person, User } from '../db/schema.ts';
import { authorsOfPapers, importedIdentitiesById, organizationsById, usersById } from './queries.ts';
import { storedImages, type StoredImage } from '../images/store.ts';
import { runKept } from '../db/kept-query.ts';

type Q = Kysely<Database>;

/** A paper as featured on one day, with everything a card or an API envelope shows. */
export interface ListingView {
  listing: DailyListing;
  paper: Paper;
  authors: PaperAuthor[];
  organization: Organization | null;
  /** Who submitted it: the local account, or for an imported listing the person at the source. */
  submitter: Person | null;
  /** Local accounts verified as authors of this paper (claims, an administrator's link), by id. */
  authorUsers: Map<number, User>;
  /** The authors' identities at the import source, by id: shown, never as local accounts. */
  importedAuthors: Map<number, ImportedIdentity>;
  /** The source record of the paper's newest listing, once loaded by `withSourceRecords`. */
  paperSource: string | null;
  /** The thumbnail and the avatars (organization, submitter, authors) as this site keeps them (images/), by source address. */
  images: Map<string, StoredImage>;
}

/** The newest listing of a paper, if it was ever featured. */
export async function latestListingOfPaper(db: Q, paperId: string): Promise<ListingView | undefined> {
  const rows = await db
    .selectFrom('daily_listings as l')
    .innerJoin('papers as p', 'p.id', 'l.paper_id')
    .select(listingColumns)
    .select(paperColumns)
    .where('l.paper_id', '=', paperId)
    .where('l.hidden_at', 'is', null)
    .orderBy('l.submitted_at', 'desc')
    .limit(1)
    .execute();
  return (await hydrate(db, rows.map(splitRow)))[0];
}

/** A paper with or without a listing: papers ingested from arXiv need not have been featured. */
export type PaperView = Omit<ListingView, 'listing'> & { listing: DailyListing | null };

/** The paper with its newest listing if it has one; undefined when the paper is unknown. */
export async function paperView(db: Q, paperId: string): Promise<PaperView | undefined> {
  return (await paperViews(db, [paperId]))[0];
}

/**
 * Papers by id, in the given order (unknown ids are skipped), each with its newest
 * visible listing or none, hydrated like listings. Callers filter hidden papers.
 */
export async function paperViews(db: Q, ids: string[]): Promise<PaperView[]> {
  if (ids.length === 0) return [];
  const [papers, listingRows] = await Promise.all([
    db.selectFrom('papers').selectAll().where('id', 'in', ids).execute(),
    db.selectFrom('daily_listings as l').select(listingColumns).where('l.paper_id', 'in', ids).where('l.hidden_at', 'is', null).execute(),
  ]);
  const newest = new Map<string, DailyListing>();
  for (const l of listingRows) {
    const seen = newest.get(l.paper_id);
    if (!seen || l.submitted_at > seen.submitted_at) newest.set(l.paper_id, { ...l, hidden_at: null, source_record: null });
  }
  const byId = new Map(papers.map((p) => [p.id, p]));
  const found = ids.flatMap((id) => byId.get(id) ?? []);
  return hydrate(db, found.map((paper) => ({ paper, listing: newest.get(paper.id) ?? null })));
}

/**
 * Papers by id, in the given order (unknown ids are skipped), as summaries: each with its newest
 * visible listing's id (null without one) and the columns its kept card is checked against
 * (papers/components.tsx listingCards). Callers filter hidden papers.
 */
export async function paperSummaries(db: Q, ids: string[]): Promise<ListingSummary[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('papers as p')
    .leftJoin('daily_listings as l', (join) =>
      join.on('l.id', '=', (eb) =>
        eb.selectFrom('daily_listings as n').select('n.id').whereRef('n.paper_id', '=', 'p.id').where('n.hidden_at', 'is', null).orderBy('n.submitted_at', 'desc').orderBy('n.id', 'desc').limit(1),
      ),
    )
    .select(summaryColumns)
    .where('p.id', 'in', ids)
    .execute();
  const byId = new Map(rows.map((r) => [r.p_id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** What a paper page's list of related papers shows of each: its title, date, votes, organization's name and number of authors. */
export interface RelatedLink {
  id: string;
  title: string;
  published_at: string;
  upvotes: number;
  organization: string | null;
  authors: number;
}

/**
 * Visible papers by id, in the given order (unknown and hidden ones skipped), as a related-papers
 * list shows them: one query, where full views (`paperViews`) took six and most of an uncached
 * paper page's query time (the six papers' author rows alone).
 */
export async function relatedLinks(db: Q, ids: string[]): Promise<RelatedLink[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('papers as p')
    .leftJoin('organizations as o', 'o.id', 'p.organization_id')
    .select(['p.id', 'p.title', 'p.published_at', 'p.upvotes', 'o.fullname as organization'])
    .select((eb) => eb.selectFrom('paper_authors as a').select(eb.fn.countAll<number>().as('n')).whereRef('a.paper_id', '=', 'p.id').as('authors'))
    .where('p.id', 'in', ids)
    .where('p.hidden_at', 'is', null)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, { ...r, authors: Number(r.authors ?? 0) }]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** What a paper page reads on every render, its frame kept (web/paper-page.tsx): what votes, comments and the related-papers job change without `cards_version`. */
export interface PaperPageState {
  hidden: boolean;
  upvotes: number;
  /** `comments_source` plus the visible comments written here (schema.ts). */
  comments: number;
  comments_source: number;
  /** When its related papers were stored; null until they are (search/related.ts). */
  related_at: string | null;
  /** Its stored related papers, visible ones only, in rank order. */
  related: RelatedLink[];
}

/**
 * A paper page's live state in one indexed read: the paper's row by its key, its stored related
 * papers (related_papers' key) each with what its link shows; undefined for an unknown paper.
 * Compiled once: it is every paper page's query when its frame is kept (decision 029).
 */
export async function paperPageState(db: Q, paperId: string): Promise<PaperPageState | undefined> {
  const rows = await runKept(
    db,
    'paperPageState',
    () =>
      db
        .selectFrom('papers as p')
        .leftJoin('related_papers as r', 'r.paper_id', 'p.id')
        .leftJoin('papers as rp', (join) => join.onRef('rp.id', '=', 'r.related_id').on('rp.hidden_at', 'is', null))
        .leftJoin('organizations as o', 'o.id', 'rp.organization_id')
        .select(['p.hidden_at', 'p.upvotes', 'p.comments', 'p.comments_source', 'p.related_at', 'rp.id as r_id', 'rp.title as r_title', 'rp.published_at as r_published_at', 'rp.upvotes as r_upvotes', 'o.fullname as r_organization'])
        .select((eb) => eb.selectFrom('paper_authors as a').select(eb.fn.countAll<number>().as('n')).whereRef('a.paper_id', '=', 'rp.id').as('r_authors'))
        .where('p.id', '=', paperId)
        .orderBy('r.rank'),
    [paperId],
  );
  const first = rows[0];
  if (!first) return undefined;
  const related: RelatedLink[] = [];
  for (const r of rows) {
    if (r.r_id !== null) related.push({ id: r.r_id, title: r.r_title!, published_at: r.r_published_at!, upvotes: r.r_upvotes!, organization: r.r_organization, authors: Number(r.r_authors ?? 0) });
  }
  return { hidden: first.hidden_at !== null, upvotes: first.upvotes, comments: first.comments, comments_source: first.comments_source, related_at: first.related_at, related };
}

/** Days a paper was featured on, oldest first. */
export async function featuredDaysOfPaper(db: Q, paperId: string): Promise<string[]> {
  const rows = await db.selectFrom('daily_listings').select('day').where('paper_id', '=', paperId).where('hidden_at', 'is', null).orderBy('day').execute();
  return rows.map((r) => r.day);
}

/** A listing's columns but its source record, which only the API needs (see withSourceRecords). */
export const listingColumns = ['l.id', 'l.day', 'l.paper_id', 'l.submitted_at', 'l.submitter_id', 'l.imported_submitter_id', 'l.source', 'l.created_at'] as const;

/**
 * What a shared list reads of each of its rows to find which kept cards still hold
 * (papers/components.tsx listingCards): the listing's and paper's ids, and the paper's columns
 * that change without `cards_version` (votes and comments bump the content version only, with
 * `papersOnly`: db/content-version.ts), with `modified_at`, which imports set on any change. Every
 * other write of what a card shows bumps `cards_version`, which drops every kept card. Reading the
 * card's twelve shown columns instead cost four times as much on the busiest day (decision 024).
 */
export const summaryColumns = ['l.id as l_id', 'p.id as p_id', 'p.upvotes as p_upvotes', 'p.comments as p_comments', 'p.comments_source as p_comments_source', 'p.modified_at as p_modified_at'] as const;

/** Papers' columns under a prefix, so one joined row holds a listing and its paper. */
export const paperColumns = [
  'p.id as p_id',
  'p.version as p_version',
  'p.title as p_title',
  'p.abstract as p_abstract',
  'p.primary_category as p_primary_category',
  'p.published_at as p_published_at',
  'p.updated_at as p_updated_at',
  'p.comment as p_comment',
  'p.journal_ref as p_journal_ref',
  'p.doi as p_doi',
  'p.pdf_url as p_pdf_url',
  'p.github_repo as p_github_repo',
  'p.github_stars as p_github_stars',
  'p.project_page as p_project_page',
  'p.withdrawn_at as p_withdrawn_at',
  'p.hidden_at as p_hidden_at',
  'p.organization_id as p_organization_id',
  'p.upvotes_source as p_upvotes_source',
  'p.upvotes as p_upvotes',
  'p.comments_source as p_comments_source',
  'p.comments as p_comments',
  'p.discussion_id as p_discussion_id',
  'p.ai_summary as p_ai_summary',
  'p.ai_keywords as p_ai_keywords',
  'p.thumbnail_url as p_thumbnail_url',
  'p.trending_score as p_trending_score',
  'p.created_at as p_created_at',
  'p.modified_at as p_modified_at',
] as const;

/** A row of a shared list as `summaryColumns` reads it: what a kept card is checked against. */
export interface ListingSummary {
  l_id: number | null;
  p_id: string;
  p_upvotes: number;
  p_comments: number;
  p_comments_source: number;
  p_modified_at: string;
}

/**
 * Full views of rows read as summaries (their listing, or none): the papers' and listings' rows,
 * then the usual hydration (authors, organizations, submitters, images). For the cards not kept;
 * a paper gone since its summary was read is left out.
 */
export async function viewsOfSummaries(db: Q, rows: ListingSummary[]): Promise<PaperView[]> {
  if (rows.length === 0) return [];
  const listingIds = rows.flatMap((r) => (r.l_id === null ? [] : [r.l_id]));
  const [papers, listingRows] = await Promise.all([
    db.selectFrom('papers').selectAll().where('id', 'in', [...new Set(rows.map((r) => r.p_id))]).execute(),
    listingIds.length === 0 ? [] : db.selectFrom('daily_listings as l').select(listingColumns).where('l.id', 'in', listingIds).execute(),
  ]);
  const paperById = new Map(papers.map((p) => [p.id, p]));
  const listingById = new Map(listingRows.map((l) => [l.id, { ...l, hidden_at: null, source_record: null } as DailyListing]));
  return hydrate(
    db,
    rows.flatMap((row) => {
      const paper = paperById.get(row.p_id);
      return paper ? [{ listing: row.l_id === null ? null : (listingById.get(row.l_id) ?? null), paper }] : [];
    }),
  );
}

export function splitRow(row: Record<string, unknown>): { listing: DailyListing; paper: Paper } {
  const listing: Record<string, unknown> = { source_record: null };
  const paper: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith('p_')) paper[key.slice(2)] = value;
    else listing[key] = value;
  }
  return { listing: listing as unknown as DailyListing, paper: paper as unknown as Paper };
}

/** Loads authors, organizations and submitters for a page of listings (or papers without one): one query each. */
export async function hydrate<L extends DailyListing | null>(db: Q, rows: { listing: L; paper: Paper }[]): Promise<(Omit<ListingView, 'listing'> & { listing: L })[]> {
  const paperIds = [...new Set(rows.map((r) => r.paper.id))];
  const [authors, organizations, users] = await Promise.all([
    authorsOfPapers(db, paperIds),
    organizationsById(db, rows.map((r) => r.paper.organization_id)),
    usersById(db, rows.map((r) => r.listing?.submitter_id ?? null)),
  ]);
  const authorRows = [...authors.values()].flat();
  const [authorUsers, imported] = await Promise.all([
    usersById(db, authorRows.map((a) => a.user_id)),
    importedIdentitiesById(db, [...authorRows.map((a) => a.imported_user_id), ...rows.map((r) => r.listing?.imported_submitter_id ?? null)]),
  ]);
  // Every picture a card shows, once the people are known: one query.
  const people = [...users.values(), ...authorUsers.values(), ...imported.values()];
  const images = await storedImages(db, [...rows.map((r) => r.paper.thumbnail_url), ...[...organizations.values()].map((o) => o.avatar_url), ...people.map((p) => p.avatar_url)]);
  const submitterOf = (listing: DailyListing | null): Person | null => {
    if (listing?.submitter_id != null) return users.get(listing.submitter_id) ?? null;
    if (listing?.imported_submitter_id != null) return imported.get(listing.imported_submitter_id) ?? null;
    return null;
  };
  return rows.map(({ listing, paper }) => ({
    listing,
    paper,
    authors: authors.get(paper.id) ?? [],
    organization: paper.organization_id !== null ? (organizations.get(paper.organization_id) ?? null) : null,
    submitter: submitterOf(listing),
    authorUsers,
    importedAuthors: imported,
    paperSource: null,
    images,
  }));
}

/**
 * Loads the source records the API shapes are built from: each listing's own, and
 * for the paper-level fields, the one of the paper's newest listing (a paper
 * featured on two days keeps its newest record's paper fields). Two queries.
 */
export async function withSourceRecords(db: Q, views: ListingView[]): Promise<ListingView[]> {
  if (views.length === 0) return views;
  const paperIds = [...new Set(views.map((v) => v.paper.id))];
  const rows = await db
    .selectFrom('daily_listings')
    .select(['id', 'paper_id', 'submitted_at', 'source_record'])
    .where('paper_id', 'in', paperIds)
    .execute();
  const own = new Map(rows.map((r) => [r.id, r.source_record]));
  const newest = new Map<string, { at: string; source: string | null }>();
  for (const r of rows) {
    const seen = newest.get(r.paper_id);
    if (!seen || r.submitted_at > seen.at) newest.set(r.paper_id, { at: r.submitted_at, source: r.source_record });
  }
  return views.map((v) => ({
    ...v,
    listing: { ...v.listing, source_record: own.get(v.listing.id) ?? null },
    paperSource: newest.get(v.paper.id)?.source ?? null,
  }));
}
