import type { Transaction } from 'kysely';
import type { DailyListing, Database, NewPaper, Paper, PaperAuthor } from '../db/schema.ts';
import { authorsOfPapers, categoriesOfPapers } from '../papers/queries.ts';
import { trendingScore } from '../papers/trending.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import type { ImportedListing, ImportedUser } from './hf-record.ts';

/** What saving one record did. */
export type SaveOutcome = 'new' | 'updated' | 'unchanged';

/** Remembers ids of imported identities and organizations already written during one import, with the profile last written. */
export class ImportCache {
  readonly users = new Map<string, { id: number; key: string }>();
  readonly organizations = new Map<string, { id: number; key: string }>();
}

// Columns a Hugging Face record sets on its paper.
type HfColumns = Pick<
  Paper,
  | 'version'
  | 'title'
  | 'abstract'
  | 'author_names'
  | 'published_at'
  | 'github_repo'
  | 'github_stars'
  | 'project_page'
  | 'organization_id'
  | 'upvotes_source'
  | 'upvotes'
  | 'comments_source'
  | 'comments'
  | 'discussion_id'
  | 'ai_summary'
  | 'ai_keywords'
  | 'thumbnail_url'
  | 'trending_score'
>;

type ListingState = Pick<DailyListing, 'day' | 'submitted_at' | 'imported_submitter_id' | 'source_record'> & { id?: number };

/** The source imported identities come from (imported_users.source). */
const HF_SOURCE = 'hf';

/**
 * Writes a batch of imported listings and their papers in a few set-based queries
 * (one read of what exists, multi-row inserts, an update per changed row),
 * idempotently: a record identical to what is stored changes nothing, and paper
 * fields are taken only from the paper's most recent listing, so replaying older
 * days never rolls data back. Records apply in order, as if written one by one (a
 * later record of the same paper sees the earlier one). Returns each record's
 * outcome in order. Call inside a transaction.
 */
export async function saveImportedListings(
  trx: Transaction<Database>,
  records: ImportedListing[],
  cache: ImportCache,
  now: string,
): Promise<SaveOutcome[]> {
  if (records.length === 0) return [];
  const people = await saveImportedPeople(trx, records, cache, now);
  const stored = await storedPapers(trx, [...new Set(records.map((r) => r.paper.id))]);
  const plan = applyImport(records, stored, people);
  await writeImport(trx, stored, plan, now);
  return plan.outcomes;
}

/** The ids of the organizations and imported people a batch names, and the local accounts some of those are linked to. */
interface ImportedPeople {
  organizationIds: Map<string, number>;
  importedIds: Map<string, number>;
  linked: Map<number, number>;
}

async function saveImportedPeople(trx: Transaction<Database>, records: ImportedListing[], cache: ImportCache, now: string): Promise<ImportedPeople> {
  const organizationIds = await ensureProfiles(
    records.flatMap((r) => (r.organization ? [r.organization] : [])),
    cache.organizations,
    {
      load: (names) =>
        trx.selectFrom('organizations').select(['id', 'name', 'fullname', 'avatar_url', 'hf_id']).where('name', 'in', names).execute(),
      insert: (rows) =>
        trx
          .insertInto('organizations')
          .values(rows.map((r) => ({ ...r, created_at: now })))
          .returning(['id', 'name'])
          .execute(),
      update: (id, set) => trx.updateTable('organizations').set(set).where('id', '=', id).execute(),
    },
  );
  // Imported people are identities of the source, never local accounts: matched by source and
  // handle in imported_users, whatever local account shares the handle (docs/security.md).
  const users = records.flatMap((r) => [r.submitter, ...r.authors.map((a) => a.user)]).filter((u): u is ImportedUser => u !== null);
  const importedIds = await ensureProfiles(
    users.map((u) => ({ ...u, name: u.username })),
    cache.users,
    {
      load: (names) =>
        trx
          .selectFrom('imported_users')
          .select(['id', 'username as name', 'fullname', 'avatar_url', 'hf_id'])
          .where('source', '=', HF_SOURCE)
          .where('username', 'in', names)
          .execute(),
      insert: (rows) =>
        trx
          .insertInto('imported_users')
          .values(rows.map(({ name, ...r }) => ({ source: HF_SOURCE, username: name, ...r, user_id: null, created_at: now })))
          .returning(['id', 'username as name'])
          .execute(),
      update: (id, set) => trx.updateTable('imported_users').set(set).where('id', '=', id).execute(),
    },
  );
  // The local accounts an administrator linked some of them to: those authors are verified.
  const linkedIds = [...new Set(importedIds.values())];
  const linked = new Map<number, number>();
  for (let i = 0; i < linkedIds.length; i += INSERT_CHUNK) {
    const rows = await trx
      .selectFrom('imported_users')
      .select(['id', 'user_id'])
      .where('id', 'in', linkedIds.slice(i, i + INSERT_CHUNK))
      .where('user_id', 'is not', null)
      .execute();
    for (const r of rows) linked.set(r.id, r.user_id!);
  }

  return { organizationIds, importedIds, linked };
}

/** What is stored for the batch's papers: the papers, their authors and all their listings. */
interface StoredPapers {
  papers: Map<string, HfColumns>;
  listings: Map<string, ListingState[]>;
  authors: Map<string, PaperAuthor[]>;
  storedBefore: Set<string>;
}

async function storedPapers(trx: Transaction<Database>, paperIds: string[]): Promise<StoredPapers> {
  const papers = new Map<string, HfColumns>();
  const listings = new Map<string, ListingState[]>(paperIds.map((id) => [id, []]));
  for (let i = 0; i < paperIds.length; i += INSERT_CHUNK) {
    const chunk = paperIds.slice(i, i + INSERT_CHUNK);
    for (const row of await trx.selectFrom('papers').selectAll().where('id', 'in', chunk).execute()) papers.set(row.id, row);
    const rows = await trx
      .selectFrom('daily_listings')
      .select(['id', 'day', 'paper_id', 'submitted_at', 'imported_submitter_id', 'source_record'])
      .where('paper_id', 'in', chunk)
      .orderBy('id')
      .execute();
    for (const { paper_id, ...row } of rows) listings.get(paper_id)!.push(row);
  }
  const storedBefore = new Set(papers.keys());
  const authors = await authorsOfPapers(trx, [...storedBefore]);

  return { papers, listings, authors, storedBefore };
}

/** What applying a batch changes, to be written by `writeImport`. */
interface ImportPlan {
  outcomes: SaveOutcome[];
  paperUpdates: Map<string, HfColumns>;
  reworded: string[];
  authorRewrites: Set<string>;
  newListings: (ListingState & { paper_id: string })[];
  listingUpdates: Set<ListingState>;
}

/** Applies the records in order to the stored picture (which it updates), noting what to write. */
function applyImport(records: ImportedListing[], stored: StoredPapers, people: ImportedPeople): ImportPlan {
  const { papers, listings, authors, storedBefore } = stored;
  const { organizationIds, importedIds, linked } = people;
  const outcomes: SaveOutcome[] = [];
  const paperUpdates = new Map<string, HfColumns>();
  const reworded: string[] = [];
  const authorRewrites = new Set<string>();
  const newListings: (ListingState & { paper_id: string })[] = [];
  const listingUpdates = new Set<ListingState>();
  for (const rec of records) {
    const id = rec.paper.id;
    const own = listings.get(id)!;
    const existing = papers.get(id);
    const latestAt = own.reduce<string | null>((max, l) => (max === null || l.submitted_at > max ? l.submitted_at : max), null);
    const isLatest = !latestAt || rec.submittedAt >= latestAt;
    let changed = false;

    if (!existing || isLatest) {
      const organizationId = rec.organization ? organizationIds.get(rec.organization.name)! : null;
      const localVotes = existing ? existing.upvotes - existing.upvotes_source : 0;
      const localComments = existing ? existing.comments - existing.comments_source : 0;
      const upvotes = rec.paper.upvotes + localVotes;
      const fields: HfColumns = {
        version: rec.paper.version ?? existing?.version ?? null,
        title: rec.paper.title,
        abstract: rec.paper.abstract,
        author_names: authorNames(rec.authors),
        published_at: rec.paper.publishedAt,
        github_repo: rec.paper.githubRepo,
        github_stars: rec.paper.githubStars,
        project_page: rec.paper.projectPage,
        // A paper assigned to an organization here (organizations/) keeps it when the source names none.
        organization_id: organizationId ?? existing?.organization_id ?? null,
        upvotes_source: rec.paper.upvotes,
        upvotes,
        comments_source: rec.paper.comments,
        comments: rec.paper.comments + localComments,
        discussion_id: rec.paper.discussionId,
        ai_summary: rec.paper.aiSummary,
        ai_keywords: rec.paper.aiKeywords ? JSON.stringify(rec.paper.aiKeywords) : null,
        thumbnail_url: rec.paper.thumbnailUrl,
        trending_score: trendingScore(upvotes, new Date(latestAt && latestAt > rec.submittedAt ? latestAt : rec.submittedAt)),
      };
      if (!existing || (Object.keys(fields) as (keyof HfColumns)[]).some((k) => existing[k] !== fields[k])) {
        papers.set(id, { ...existing, ...fields });
        if (storedBefore.has(id)) paperUpdates.set(id, fields);
        if (existing && (existing.title !== fields.title || existing.abstract !== fields.abstract)) reworded.push(id);
        changed = true;
      }

      const stored = (existing && authors.get(id)) || [];
      const rows = rec.authors.map((a, position): PaperAuthor => {
        const same = stored[position];
        const imported = a.user ? importedIds.get(a.user.username)! : null;
        return {
          paper_id: id,
          position,
          name: a.name,
          affiliation: null,
          hf_id: a.hfId,
          hidden: a.hidden ? 1 : 0,
          // Verified here only: an approved claim (claims/), which survives re-imports, or an administrator's link.
          user_id: (same?.name === a.name ? same.user_id : null) ?? (imported !== null ? (linked.get(imported) ?? null) : null),
          imported_user_id: imported,
        };
      });
      if (JSON.stringify(stored) !== JSON.stringify(rows)) {
        authors.set(id, rows);
        authorRewrites.add(id);
        changed = true;
      }
    }

    const submitterId = rec.submitter ? importedIds.get(rec.submitter.username)! : null;
    const sourceRecord = JSON.stringify(rec.sourceRecord);
    const listing = own.find((l) => l.day === rec.day);
    if (!listing) {
      const created = { day: rec.day, paper_id: id, submitted_at: rec.submittedAt, imported_submitter_id: submitterId, source_record: sourceRecord };
      own.push(created);
      newListings.push(created);
      outcomes.push('new');
      continue;
    }
    if (listing.submitted_at !== rec.submittedAt || listing.imported_submitter_id !== submitterId || listing.source_record !== sourceRecord) {
      Object.assign(listing, { submitted_at: rec.submittedAt, imported_submitter_id: submitterId, source_record: sourceRecord });
      if (listing.id !== undefined) listingUpdates.add(listing);
      changed = true;
    }
    outcomes.push(changed ? 'updated' : 'unchanged');
  }

  return { outcomes, paperUpdates, reworded, authorRewrites, newListings, listingUpdates };
}

/** Writes a plan: papers first, then the rows that reference them. */
async function writeImport(trx: Transaction<Database>, stored: StoredPapers, plan: ImportPlan, now: string): Promise<void> {
  const { papers, authors, storedBefore } = stored;
  const { paperUpdates, reworded, authorRewrites, newListings, listingUpdates } = plan;
  const paperInserts = [...papers]
    .filter(([id]) => !storedBefore.has(id))
    .map(([id, p]) => ({ id, ...p, created_at: now, modified_at: now }));
  for (let i = 0; i < paperInserts.length; i += INSERT_CHUNK) {
    await trx.insertInto('papers').values(paperInserts.slice(i, i + INSERT_CHUNK)).execute();
  }
  await forgetDerivedFromText(trx, reworded);
  for (const [id, fields] of paperUpdates) {
    await trx.updateTable('papers').set({ ...fields, modified_at: now }).where('id', '=', id).execute();
  }
  const rewritten = [...authorRewrites];
  const replaced = rewritten.filter((id) => storedBefore.has(id));
  for (let i = 0; i < replaced.length; i += INSERT_CHUNK) {
    await trx.deleteFrom('paper_authors').where('paper_id', 'in', replaced.slice(i, i + INSERT_CHUNK)).execute();
  }
  const authorRows = rewritten.flatMap((id) => authors.get(id)!);
  for (let i = 0; i < authorRows.length; i += INSERT_CHUNK) {
    await trx.insertInto('paper_authors').values(authorRows.slice(i, i + INSERT_CHUNK)).execute();
  }
  const listingInserts = newListings.map((l) => ({ ...l, source: 'hf', created_at: now }));
  for (let i = 0; i < listingInserts.length; i += INSERT_CHUNK) {
    await trx.insertInto('daily_listings').values(listingInserts.slice(i, i + INSERT_CHUNK)).execute();
  }
  for (const l of listingUpdates) {
    await trx
      .updateTable('daily_listings')
      .set({ submitted_at: l.submitted_at, imported_submitter_id: l.imported_submitter_id, source_record: l.source_record })
      .where('id', '=', l.id!)
      .execute();
  }
}

interface Profile {
  name: string;
  fullname: string;
  avatarUrl: string | null;
  hfId: string | null;
}

interface StoredProfile {
  id: number;
  name: string;
  fullname: string;
  avatar_url: string | null;
  hf_id: string | null;
}

/**
 * Upserts the users or organizations a batch names, in a few queries, as if one by
 * one in order: an imported profile refreshes what the source knows, a missing
 * value never erases one. Names whose profile is the one this import last wrote
 * are not read again. Returns each name's id.
 */
async function ensureProfiles(
  profiles: Profile[],
  cache: Map<string, { id: number; key: string }>,
  store: {
    load(names: string[]): Promise<StoredProfile[]>;
    insert(rows: Omit<StoredProfile, 'id'>[]): Promise<{ id: number; name: string }[]>;
    update(id: number, set: Pick<StoredProfile, 'fullname' | 'avatar_url' | 'hf_id'>): Promise<unknown>;
  },
): Promise<Map<string, number>> {
  const keyOf = (p: Profile) => JSON.stringify([p.fullname, p.avatarUrl, p.hfId]);
  const byName = new Map<string, Profile[]>();
  for (const p of profiles) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const ids = new Map<string, number>();
  const stale: string[] = [];
  for (const [name, seen] of byName) {
    const cached = cache.get(name);
    if (cached && seen.every((p) => keyOf(p) === cached.key)) ids.set(name, cached.id);
    else stale.push(name);
  }
  const stored = new Map<string, StoredProfile>();
  for (let i = 0; i < stale.length; i += INSERT_CHUNK) {
    for (const row of await store.load(stale.slice(i, i + INSERT_CHUNK))) stored.set(row.name, row);
  }
  const inserts: Omit<StoredProfile, 'id'>[] = [];
  for (const name of stale) {
    const row = stored.get(name);
    const merged = { fullname: row?.fullname ?? '', avatar_url: row?.avatar_url ?? null, hf_id: row?.hf_id ?? null };
    for (const p of byName.get(name)!) {
      merged.fullname = p.fullname;
      merged.avatar_url = p.avatarUrl ?? merged.avatar_url;
      merged.hf_id = p.hfId ?? merged.hf_id;
    }
    if (!row) {
      inserts.push({ name, ...merged });
      continue;
    }
    ids.set(name, row.id);
    const changed = row.fullname !== merged.fullname || row.avatar_url !== merged.avatar_url || row.hf_id !== merged.hf_id;
    if (changed) await store.update(row.id, merged);
  }
  for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
    for (const { id, name } of await store.insert(inserts.slice(i, i + INSERT_CHUNK))) ids.set(name, id);
  }
  for (const name of stale) cache.set(name, { id: ids.get(name)!, key: keyOf(byName.get(name)!.at(-1)!) });
  return ids;
}

// Columns arXiv owns; Hugging Face's (votes, code links, organization) are never touched by an arXiv ingest.
type ArxivColumns = Pick<
  Paper,
  'version' | 'title' | 'abstract' | 'author_names' | 'primary_category' | 'published_at' | 'updated_at' | 'comment' | 'journal_ref' | 'doi' | 'pdf_url' | 'withdrawn_at'
> & { license?: string | null };

function arxivColumns(rec: ArxivRecord): ArxivColumns {
  return {
    version: rec.version,
    title: rec.title,
    abstract: rec.abstract,
    author_names: authorNames(rec.authors),
    primary_category: rec.primaryCategory,
    published_at: rec.publishedAt,
    updated_at: rec.updatedAt,
    comment: rec.comment,
    journal_ref: rec.journalRef,
    doi: rec.doi,
    pdf_url: rec.pdfUrl,
    withdrawn_at: rec.withdrawnAt,
    ...(rec.license !== undefined ? { license: rec.license } : {}),
  };
}

/** A paper whose words changed goes back into the embedding backlog (search/backlog.ts) and the related-papers one (search/related.ts). */
async function forgetDerivedFromText(trx: Transaction<Database>, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    const chunk = ids.slice(i, i + INSERT_CHUNK);
    await trx.deleteFrom('paper_embeddings').where('paper_id', 'in', chunk).execute();
    await trx.deleteFrom('embedding_failures').where('paper_id', 'in', chunk).execute();
    await trx.updateTable('papers').set({ related_at: null }).where('id', 'in', chunk).execute();
  }
}

/** `papers.author_names`: what search reads, kept with the author rows it summarises. */
function authorNames(authors: readonly { name: string }[]): string {
  return authors.map((a) => a.name).join(', ');
}

// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK = 400;

/**
 * Stores a batch of arXiv records in a few set-based queries (one read of what
 * exists, multi-row inserts, an update per changed paper), idempotently: the
 * newest version wins, an older or identical record changes nothing. Returns
 * each record's outcome in order. Call inside a transaction.
 */
export async function saveArxivRecords(trx: Transaction<Database>, records: ArxivRecord[], now: string): Promise<SaveOutcome[]> {
  // Within a batch, the last record of an id is the one that counts.
  const byId = new Map<string, ArxivRecord>();
  for (const rec of records) {
    const seen = byId.get(rec.id);
    if (!seen || (rec.version ?? 0) >= (seen.version ?? 0)) byId.set(rec.id, rec);
  }
  const ids = [...byId.keys()];
  const existing = new Map<string, Paper>();
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    const rows = await trx.selectFrom('papers').selectAll().where('id', 'in', ids.slice(i, i + INSERT_CHUNK)).execute();
    for (const row of rows) existing.set(row.id, row);
  }
  const [authors, categories] = await Promise.all([
    authorsOfPapers(trx, [...existing.keys()]),
    categoriesOfPapers(trx, [...existing.keys()]),
  ]);

  const outcome = new Map<string, SaveOutcome>();
  const inserts: NewPaper[] = [];
  const rewriteChildren: ArxivRecord[] = [];
  for (const rec of byId.values()) {
    const old = existing.get(rec.id);
    const cols = arxivColumns(rec);
    if (!old) {
      inserts.push({ id: rec.id, ...cols, upvotes_source: 0, upvotes: 0, comments_source: 0, trending_score: 0, created_at: now, modified_at: now });
      rewriteChildren.push(rec);
      outcome.set(rec.id, 'new');
      continue;
    }
    if (old.version !== null && rec.version !== null && rec.version < old.version) {
      outcome.set(rec.id, 'unchanged');
      continue;
    }
    const merged = mergeAuthors(authors.get(rec.id) ?? [], rec.authors);
    const colsChanged = (Object.keys(cols) as (keyof ArxivColumns)[]).some((k) => old[k] !== cols[k]);
    const authorsChanged = JSON.stringify(merged) !== JSON.stringify((authors.get(rec.id) ?? []).map(authorKey));
    const categoriesChanged = JSON.stringify([...(categories.get(rec.id) ?? [])].sort()) !== JSON.stringify([...new Set(rec.categories)].sort());
    if (!colsChanged && !authorsChanged && !categoriesChanged) {
      outcome.set(rec.id, 'unchanged');
      continue;
    }
    if (colsChanged) await trx.updateTable('papers').set({ ...cols, modified_at: now }).where('id', '=', rec.id).execute();
    if (old.title !== cols.title || old.abstract !== cols.abstract) await forgetDerivedFromText(trx, [rec.id]);
    if (authorsChanged || categoriesChanged) rewriteChildren.push(rec);
    outcome.set(rec.id, 'updated');
  }

  for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
    await trx.insertInto('papers').values(inserts.slice(i, i + INSERT_CHUNK)).execute();
  }
  await rewriteAuthorsAndCategories(trx, rewriteChildren, authors, existing);
  return records.map((rec) => (byId.get(rec.id) === rec ? outcome.get(rec.id)! : 'unchanged'));
}

type AuthorKey = { name: string; affiliation: string | null; hf_id: string | null; hidden: number; user_id: number | null; imported_user_id: number | null };

function authorKey(a: PaperAuthor): AuthorKey {
  return { name: a.name, affiliation: a.affiliation, hf_id: a.hf_id, hidden: a.hidden, user_id: a.user_id, imported_user_id: a.imported_user_id };
}

/**
 * arXiv's author list, keeping what the product knows beyond it (Hugging Face's
 * author ids, hidden flags, verified and imported users) for authors at the same position
 * with the same name.
 */
function mergeAuthors(stored: PaperAuthor[], incoming: ArxivRecord['authors']): AuthorKey[] {
  return incoming.map((a, i) => {
    const same = stored[i]?.name === a.name ? stored[i] : undefined;
    return {
      name: a.name,
      affiliation: a.affiliation,
      hf_id: same?.hf_id ?? null,
      hidden: same?.hidden ?? 0,
      user_id: same?.user_id ?? null,
      imported_user_id: same?.imported_user_id ?? null,
    };
  });
}

async function rewriteAuthorsAndCategories(
  trx: Transaction<Database>,
  records: ArxivRecord[],
  stored: Map<string, PaperAuthor[]>,
  existing: Map<string, unknown>,
): Promise<void> {
  if (records.length === 0) return;
  // A paper inserted just now has no rows to delete.
  const ids = records.filter((r) => existing.has(r.id)).map((r) => r.id);
  for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
    const chunk = ids.slice(i, i + INSERT_CHUNK);
    await trx.deleteFrom('paper_authors').where('paper_id', 'in', chunk).execute();
    await trx.deleteFrom('paper_categories').where('paper_id', 'in', chunk).execute();
  }
  const authorRows = records.flatMap((rec) =>
    mergeAuthors(stored.get(rec.id) ?? [], rec.authors).map((a, position) => ({ paper_id: rec.id, position, ...a })),
  );
  const categoryRows = records.flatMap((rec) => [...new Set(rec.categories)].map((category) => ({ paper_id: rec.id, category })));
  for (let i = 0; i < authorRows.length; i += INSERT_CHUNK) {
    await trx.insertInto('paper_authors').values(authorRows.slice(i, i + INSERT_CHUNK)).execute();
  }
  for (let i = 0; i < categoryRows.length; i += INSERT_CHUNK) {
    await trx.insertInto('paper_categories').values(categoryRows.slice(i, i + INSERT_CHUNK)).execute();
  }
}
