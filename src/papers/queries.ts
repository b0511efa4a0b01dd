import type { Kysely, Transaction } from 'kysely';
import type { Database, NewPaper, Organization, Paper, PaperAuthor, User } from '../db/schema.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import type { ImportedListing, ImportedOrganization, ImportedUser } from '../ingest/hf-record.ts';
import { trendingScore } from './trending.ts';

type Q = Kysely<Database> | Transaction<Database>;

export type SaveOutcome = 'new' | 'updated' | 'unchanged';

/** The paper with this arXiv id, or undefined. */
export function paperById(db: Q, id: string): Promise<Paper | undefined> {
  return db.selectFrom('papers').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Authors of many papers in one query, grouped by paper and in order. */
export async function authorsOfPapers(db: Q, paperIds: string[]): Promise<Map<string, PaperAuthor[]>> {
  const byPaper = new Map<string, PaperAuthor[]>(paperIds.map((id) => [id, []]));
  if (paperIds.length === 0) return byPaper;
  const rows = await db
    .selectFrom('paper_authors')
    .selectAll()
    .where('paper_id', 'in', paperIds)
    .orderBy('paper_id')
    .orderBy('position')
    .execute();
  for (const row of rows) byPaper.get(row.paper_id)!.push(row);
  return byPaper;
}

/** Categories of many papers in one query. */
export async function categoriesOfPapers(db: Q, paperIds: string[]): Promise<Map<string, string[]>> {
  const byPaper = new Map<string, string[]>(paperIds.map((id) => [id, []]));
  if (paperIds.length === 0) return byPaper;
  const rows = await db.selectFrom('paper_categories').selectAll().where('paper_id', 'in', paperIds).execute();
  for (const row of rows) byPaper.get(row.paper_id)!.push(row.category);
  return byPaper;
}

/** Organizations by id, one query. */
export async function organizationsById(db: Q, ids: (number | null)[]): Promise<Map<number, Organization>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('organizations').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Users by id, one query. */
export async function usersById(db: Q, ids: (number | null)[]): Promise<Map<number, User>> {
  const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('users').selectAll().where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Remembers ids of users and organizations already written during one import. */
export class ImportCache {
  readonly users = new Map<string, { id: number; key: string }>();
  readonly organizations = new Map<string, { id: number; key: string }>();
}

/**
 * Writes one imported listing and its paper, idempotently: a record identical to
 * what is stored changes nothing, and paper fields are taken only from the
 * paper's most recent listing, so replaying older days never rolls data back.
 */
export async function saveImportedListing(
  trx: Transaction<Database>,
  rec: ImportedListing,
  cache: ImportCache,
  now: string,
): Promise<SaveOutcome> {
  const organizationId = rec.organization ? await ensureOrganization(trx, rec.organization, cache, now) : null;
  const submitterId = rec.submitter ? await ensureUser(trx, rec.submitter, cache, now) : null;
  const authorUserIds: (number | null)[] = [];
  for (const a of rec.authors) authorUserIds.push(a.user ? await ensureUser(trx, a.user, cache, now) : null);

  const existing = await paperById(trx, rec.paper.id);
  const latest = await trx
    .selectFrom('daily_listings')
    .select((eb) => eb.fn.max('submitted_at').as('at'))
    .where('paper_id', '=', rec.paper.id)
    .executeTakeFirst();
  const isLatest = !latest?.at || rec.submittedAt >= latest.at;
  let changed = false;

  if (!existing || isLatest) {
    const localVotes = existing ? existing.upvotes - existing.upvotes_source : 0;
    const localComments = existing ? existing.comments - existing.comments_source : 0;
    const upvotes = rec.paper.upvotes + localVotes;
    const fields = {
      version: rec.paper.version ?? existing?.version ?? null,
      title: rec.paper.title,
      abstract: rec.paper.abstract,
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
      trending_score: trendingScore(upvotes, new Date(latest?.at && latest.at > rec.submittedAt ? latest.at : rec.submittedAt)),
    };
    if (!existing) {
      await trx
        .insertInto('papers')
        .values({ id: rec.paper.id, ...fields, created_at: now, modified_at: now })
        .execute();
      changed = true;
    } else if (Object.entries(fields).some(([k, v]) => existing[k as keyof Paper] !== v)) {
      await trx.updateTable('papers').set({ ...fields, modified_at: now }).where('id', '=', rec.paper.id).execute();
      changed = true;
    }

    const stored = existing ? ((await authorsOfPapers(trx, [rec.paper.id])).get(rec.paper.id) ?? []) : [];
    const authors = rec.authors.map((a, position) => ({
      paper_id: rec.paper.id,
      position,
      name: a.name,
      affiliation: null,
      hf_id: a.hfId,
      hidden: a.hidden ? 1 : 0,
      // An authorship verified here (claims/) survives re-imports that link nobody.
      user_id: authorUserIds[position] ?? (stored[position]?.name === a.name ? stored[position]!.user_id : null),
    }));
    if (JSON.stringify(stored) !== JSON.stringify(authors)) {
      await trx.deleteFrom('paper_authors').where('paper_id', '=', rec.paper.id).execute();
      if (authors.length > 0) await trx.insertInto('paper_authors').values(authors).execute();
      changed = true;
    }
  }

  const sourceRecord = JSON.stringify(rec.sourceRecord);
  const listing = await trx
    .selectFrom('daily_listings')
    .select(['id', 'submitted_at', 'submitter_id', 'source_record'])
    .where('day', '=', rec.day)
    .where('paper_id', '=', rec.paper.id)
    .executeTakeFirst();
  if (!listing) {
    await trx
      .insertInto('daily_listings')
      .values({
        day: rec.day,
        paper_id: rec.paper.id,
        submitted_at: rec.submittedAt,
        submitter_id: submitterId,
        source: 'hf',
        source_record: sourceRecord,
        created_at: now,
      })
      .execute();
    return 'new';
  }
  if (listing.submitted_at !== rec.submittedAt || listing.submitter_id !== submitterId || listing.source_record !== sourceRecord) {
    await trx
      .updateTable('daily_listings')
      .set({ submitted_at: rec.submittedAt, submitter_id: submitterId, source_record: sourceRecord })
      .where('id', '=', listing.id)
      .execute();
    changed = true;
  }
  return changed ? 'updated' : 'unchanged';
}

async function ensureUser(trx: Transaction<Database>, u: ImportedUser, cache: ImportCache, now: string): Promise<number> {
  const key = JSON.stringify([u.fullname, u.avatarUrl, u.hfId]);
  const cached = cache.users.get(u.username);
  if (cached?.key === key) return cached.id;
  const row = await trx.selectFrom('users').selectAll().where('username', '=', u.username).executeTakeFirst();
  let id: number;
  if (!row) {
    const inserted = await trx
      .insertInto('users')
      .values({ username: u.username, fullname: u.fullname, avatar_url: u.avatarUrl, hf_id: u.hfId, kind: 'user', created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    id = inserted.id;
  } else {
    id = row.id;
    // An imported profile refreshes what the source knows; a missing value never erases one.
    const avatar = u.avatarUrl ?? row.avatar_url;
    const hfId = u.hfId ?? row.hf_id;
    if (row.fullname !== u.fullname || row.avatar_url !== avatar || row.hf_id !== hfId) {
      await trx.updateTable('users').set({ fullname: u.fullname, avatar_url: avatar, hf_id: hfId }).where('id', '=', id).execute();
    }
  }
  cache.users.set(u.username, { id, key });
  return id;
}

async function ensureOrganization(
  trx: Transaction<Database>,
  o: ImportedOrganization,
  cache: ImportCache,
  now: string,
): Promise<number> {
  const key = JSON.stringify([o.fullname, o.avatarUrl, o.hfId]);
  const cached = cache.organizations.get(o.name);
  if (cached?.key === key) return cached.id;
  const row = await trx.selectFrom('organizations').selectAll().where('name', '=', o.name).executeTakeFirst();
  let id: number;
  if (!row) {
    const inserted = await trx
      .insertInto('organizations')
      .values({ name: o.name, fullname: o.fullname, avatar_url: o.avatarUrl, hf_id: o.hfId, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    id = inserted.id;
  } else {
    id = row.id;
    const avatar = o.avatarUrl ?? row.avatar_url;
    if (row.fullname !== o.fullname || row.avatar_url !== avatar || row.hf_id !== (o.hfId ?? row.hf_id)) {
      await trx
        .updateTable('organizations')
        .set({ fullname: o.fullname, avatar_url: avatar, hf_id: o.hfId ?? row.hf_id })
        .where('id', '=', id)
        .execute();
    }
  }
  cache.organizations.set(o.name, { id, key });
  return id;
}

// Columns arXiv owns; Hugging Face's (votes, code links, organization) are never touched by an arXiv ingest.
type ArxivColumns = Pick<
  Paper,
  'version' | 'title' | 'abstract' | 'primary_category' | 'published_at' | 'updated_at' | 'comment' | 'journal_ref' | 'doi' | 'pdf_url' | 'withdrawn_at'
> & { license?: string | null };

function arxivColumns(rec: ArxivRecord): ArxivColumns {
  return {
    version: rec.version,
    title: rec.title,
    abstract: rec.abstract,
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
    if (authorsChanged || categoriesChanged) rewriteChildren.push(rec);
    outcome.set(rec.id, 'updated');
  }

  for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
    await trx.insertInto('papers').values(inserts.slice(i, i + INSERT_CHUNK)).execute();
  }
  await rewriteAuthorsAndCategories(trx, rewriteChildren, authors, existing);
  return records.map((rec) => (byId.get(rec.id) === rec ? outcome.get(rec.id)! : 'unchanged'));
}

type AuthorKey = { name: string; affiliation: string | null; hf_id: string | null; hidden: number; user_id: number | null };

function authorKey(a: PaperAuthor): AuthorKey {
  return { name: a.name, affiliation: a.affiliation, hf_id: a.hf_id, hidden: a.hidden, user_id: a.user_id };
}

/**
 * arXiv's author list, keeping what the product knows beyond it (Hugging Face's
 * author ids, hidden flags and linked users) for authors at the same position
 * with the same name.
 */
function mergeAuthors(stored: PaperAuthor[], incoming: ArxivRecord['authors']): AuthorKey[] {
  return incoming.map((a, i) => {
    const same = stored[i]?.name === a.name ? stored[i] : undefined;
    return { name: a.name, affiliation: a.affiliation, hf_id: same?.hf_id ?? null, hidden: same?.hidden ?? 0, user_id: same?.user_id ?? null };
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
