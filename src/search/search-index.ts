import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { sqlitePath, type Db } from '../db/database.ts';
import { migrations } from '../db/migrations.ts';
import { readSegmentFile, writeSegmentFile } from './segment-file.ts';
import { bumpContentVersion, currentContentVersion } from '../db/content-version.ts';
import { SegmentBuilder, setUpvotes, type Segment, type SourcePaper } from './segment.ts';

/**
 * The in-process search index of one database (docs/decisions/019-search-index.md): a main
 * segment built from the papers, and a small delta segment of the papers changed since, whose
 * old postings in the main segment are marked deleted. The database stays the truth: the
 * index follows it through `paper_search_changes` (migration 022), read whenever the content
 * version moves, so every instance on the database keeps its own copy in step.
 */
export interface SearchIndex {
  main: Segment;
  delta: Segment | null;
  /** Papers whose current state is in the delta (or nowhere, when hidden or deleted). */
  changed: Set<string>;
  /** The last change applied, and the content version seen then. */
  lastSeq: number;
  version: number;
  /** Changes of the re-read window already reflected (so that only late commits count as new). */
  seen: Set<number>;
  /** Where the main segment came from: built from the papers, or read from the index file. */
  source: 'built' | 'file';
}

/** A change-log entry that asks every process to rebuild its index (`dailypapers search reindex`). */
export const REBUILD = '*';

/**
 * Changes re-read behind the last applied one: on PostgreSQL a sequence number can commit after a
 * later one (content writers serialise on the content lock, but SQL typed by hand does not).
 */
const REREAD = 1000;
/** A delta larger than this share of the main segment (or DELTA_MIN papers) starts a rebuild. */
const DELTA_SHARE = 0.05;
const DELTA_MIN = 5000;
/**
 * Papers per read of a full build: each page's rows (abstracts, categories) live across the
 * awaits and reach V8's old space, whose pages it keeps after they are garbage. A 300k build's
 * heap held 187 MB at the end of reading with pages of 4,000, 137 with 1,000, 68 with 250 and
 * 67 with 100 (peak RSS 351 / 325 / 300 / 292 MB; decision 042).
 */
const PAGE = 250;

interface Held {
  index: Promise<SearchIndex>;
  refreshing: Promise<SearchIndex> | null;
  rebuilding: boolean;
  /** The last index file being written. */
  writing?: Promise<void>;
}
const held = new WeakMap<Db, Held>();
/** Directories (or '' for next to a SQLite file) where processes that asked keep their index files. */
const fileDirs = new WeakMap<Db, string>();

/**
 * Keeps this database's main segment in a file (segment-file.ts), written after each full
 * build and read at the first search instead of building: `dir` (SEARCH_INDEX_DIR), else next
 * to a SQLite database, else the system's temporary folder (PostgreSQL). `serve` asks for it.
 */
export function keepSearchIndexFile(db: Db, dir = ''): void {
  fileDirs.set(db, dir);
}

/** The index file of `db`, when it keeps one. */
export async function searchIndexFile(db: Db): Promise<string | undefined> {
  const dir = fileDirs.get(db);
  if (dir === undefined) return undefined;
  if (db.dialect === 'sqlite') {
    const file = sqlitePath(db.sqlite?.name ?? ':memory:');
    if (file === ':memory:' || file === '') return undefined;
    return dir ? path.join(dir, `${path.basename(file)}.search-index`) : `${file}.search-index`;
  }
  // PostgreSQL has no folder of its own here: only one the operator names. A default in the shared
  // temporary folder would let another local account plant an index file this process then trusts.
  if (!dir) return undefined;
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(db.kysely);
  return path.join(dir, `${rows[0]!.name}.search-index`);
}

/** Resolves when the index file this process last started writing is on disk (for tests and benches). */
export async function searchIndexWritten(db: Db): Promise<void> {
  await held.get(db)?.writing;
}

const schemaName = (db: Db) => `${db.dialect}:${Object.keys(migrations(db.dialect)).at(-1)}`;

/** The index of `db`, built on first use, brought up to date with the database's changes. */
export async function searchIndex(db: Db): Promise<SearchIndex> {
  let h = held.get(db);
  if (!h) {
    h = { index: loadSearchIndex(db), refreshing: null, rebuilding: false };
    held.set(db, h);
  }
  const index = await h.index;
  const version = currentContentVersion(db.kysely);
  const v = typeof version === 'number' ? version : await version;
  if (v === index.version) return index;
  h.refreshing ??= refresh(db, index, v).finally(() => (h.refreshing = null));
  return h.refreshing;
}

/** The index from its file when there is a usable one (brought up to date by the next search), else built. */
async function loadSearchIndex(db: Db): Promise<SearchIndex> {
  const file = await searchIndexFile(db);
  if (file) {
    const read = await readSegmentFile(file, schemaName(db));
    // A file ahead of the log belongs to another copy of the database (a restore): not this one's.
    if ('seg' in read && read.position.lastSeq <= (await latestChange(db))) {
      const { seg, position } = read;
      return { main: seg, delta: null, changed: new Set(), lastSeq: position.lastSeq, version: -1, seen: new Set(position.seen), source: 'file' };
    }
  }
  return buildSearchIndex(db);
}

/**
 * Builds the index from the papers, for the first search and `dailypapers search reindex`
 * (and an import's end): replaces what this process held for `db`.
 */
export async function buildSearchIndex(db: Db): Promise<SearchIndex> {
  const lastSeq = await latestChange(db);
  const { rows } = await sql<{ seq: number | string }>`select seq from paper_search_changes where seq > ${lastSeq - REREAD} and seq <= ${lastSeq}`.execute(db.kysely);
  const seen = new Set(rows.map((r) => Number(r.seq)));
  const builder = new SegmentBuilder();
  await readPapers(db, undefined, (p) => builder.add(p));
  const main = builder.finish();
  const index: SearchIndex = { main, delta: null, changed: new Set(), lastSeq, version: -1, seen, source: 'built' };
  // Changes that landed while building are applied by the next search (version -1 forces it).
  let h = held.get(db);
  if (h) h.index = Promise.resolve(index);
  else held.set(db, (h = { index: Promise.resolve(index), refreshing: null, rebuilding: false }));
  const file = await searchIndexFile(db);
  if (file) {
    // In the background; the segment's arrays are copied where votes may change them meanwhile.
    const written = fs.promises
      .mkdir(path.dirname(file), { recursive: true })
      .then(() => writeSegmentFile(file, main, { schema: schemaName(db), lastSeq, seen: [...seen] }))
      .catch(() => undefined);
    h.writing = written;
  }
  return index;
}

/**
 * After a bulk write that bypassed the change log's triggers (`import snapshot`, `search
 * reindex`): asks every process to rebuild its index and rebuilds this one's.
 */
export async function rebuildSearchIndexEverywhere(db: Db): Promise<SearchIndex> {
  await db.kysely.transaction().execute(async (trx) => {
    await sql`insert into paper_search_changes (paper_id, logged_at) values (${REBUILD}, ${new Date().toISOString()})`.execute(trx);
    await bumpContentVersion(trx);
  });
  return buildSearchIndex(db);
}

/** Forgets the index of `db` (a closed database, a test). */
export function dropSearchIndex(db: Db): void {
  held.delete(db);
}

async function latestChange(db: Db): Promise<number> {
  const { rows } = await sql<{ seq: number | string | null }>`select max(seq) as seq from paper_search_changes`.execute(db.kysely);
  return Number(rows[0]?.seq ?? 0);
}

async function refresh(db: Db, index: SearchIndex, version: number): Promise<SearchIndex> {
  if (index.lastSeq < (await prunedThrough(db))) return buildSearchIndex(db); // the changes it needs are gone
  const { rows } = await sql<{ seq: number | string; paper_id: string; kind: string }>`
    select seq, paper_id, kind from paper_search_changes where seq > ${index.lastSeq - REREAD} order by seq`.execute(db.kysely);
  // New changes, and older ones not seen yet (committed after a later one).
  const news = rows.filter((r) => !index.seen.has(Number(r.seq)));
  if (news.some((r) => r.paper_id === REBUILD)) return buildSearchIndex(db);
  const reindexed = new Set<string>();
  const state = new Set<string>();
  for (const r of news) {
    index.seen.add(Number(r.seq));
    index.lastSeq = Math.max(index.lastSeq, Number(r.seq));
    (r.kind === 'state' ? state : reindexed).add(r.paper_id);
  }
  for (const id of await applyInPlace(db, index, [...state].filter((id) => !reindexed.has(id)))) reindexed.add(id);
  for (const id of reindexed) {
    index.changed.add(id);
    const ordinal = index.main.ids.ordinalOf(id);
    if (ordinal !== undefined) index.main.deleted[ordinal] = 1;
  }
  if (reindexed.size) {
    const builder = new SegmentBuilder();
    const papers: SourcePaper[] = [];
    await readPapers(db, [...index.changed], (p) => papers.push(p));
    papers.sort((a, b) => (a.publishedAt > b.publishedAt ? -1 : a.publishedAt < b.publishedAt ? 1 : a.id > b.id ? -1 : 1));
    for (const p of papers) builder.add(p);
    index.delta = papers.length ? builder.finish(index.main.stats) : null;
  }
  for (const seq of index.seen) if (seq <= index.lastSeq - REREAD) index.seen.delete(seq);
  index.version = version;
  const h = held.get(db);
  if (h && !h.rebuilding && index.changed.size > Math.max(DELTA_MIN, DELTA_SHARE * index.main.ids.length)) {
    // Built in the background; the next search after it applies what changed meanwhile.
    h.rebuilding = true;
    buildSearchIndex(db)
      .catch(() => undefined)
      .finally(() => (h.rebuilding = false));
  }
  return index;
}

/**
 * Votes and hides change only per-paper arrays: set them where the index holds the paper's
 * text (the delta for a paper changed since the build, else the main segment). Returns the
 * papers that need indexing instead: shown again but held nowhere (hidden when indexed).
 */
async function applyInPlace(db: Db, index: SearchIndex, ids: string[]): Promise<string[]> {
  const reindex: string[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.kysely.selectFrom('papers').select(['id', 'upvotes', 'hidden_at']).where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const r of rows) {
      const seg = index.changed.has(r.id) ? index.delta : index.main;
      const ordinal = seg?.ids.ordinalOf(r.id);
      if (seg && ordinal !== undefined) {
        setUpvotes(seg, ordinal, Number(r.upvotes));
        seg.deleted[ordinal] = r.hidden_at === null ? 0 : 1;
      } else if (r.hidden_at === null) {
        reindex.push(r.id);
      }
    }
  }
  return reindex;
}

/** Changes older than this are pruned (pruneSearchChanges); a process further behind rebuilds its index. */
export const CHANGES_KEPT_MS = 24 * 3_600_000;

/** The last change pruned from the log: a process whose position is before it cannot catch up. */
async function prunedThrough(db: Db): Promise<number> {
  const row = await db.kysely.selectFrom('site_state').select('value').where('key', '=', 'search_changes_pruned').executeTakeFirst();
  return Number(row?.value ?? 0);
}

/**
 * Deletes the change-log rows logged more than `keptMs` ago (the `search-changes-prune` job),
 * and records the last one deleted, so that a process whose index is further behind rebuilds
 * it instead of missing them. Returns how many were deleted.
 */
export async function pruneSearchChanges(db: Db, keptMs = CHANGES_KEPT_MS, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - keptMs).toISOString();
  return db.kysely.transaction().execute(async (trx) => {
    // The write first: SQLite takes the write lock at once instead of upgrading a read.
    await sql`update site_state set value = coalesce((select max(seq) from paper_search_changes where logged_at < ${cutoff}), value)
      where key = 'search_changes_pruned'`.execute(trx);
    const result = await sql`delete from paper_search_changes where seq <= (select value from site_state where key = 'search_changes_pruned')`.execute(trx);
    return Number(result.numAffectedRows ?? 0);
  });
}

interface PaperRow {
  id: string;
  title: string;
  author_names: string;
  abstract: string;
  upvotes: number;
  published_at: string;
  github_repo: string | null;
  organization: string | null;
}

/** The visible papers (or those of `ids`), to `each` newest first (for `ids`, in pages), with their categories. */
async function readPapers(db: Db, ids: string[] | undefined, each: (p: SourcePaper) => void): Promise<void> {
  const select = (where: ReturnType<typeof sql>) => sql<PaperRow>`
    select p.id, p.title, p.author_names, p.abstract, p.upvotes, p.published_at, p.github_repo, o.name as organization
    from papers p left join organizations o on o.id = p.organization_id
    where p.hidden_at is null and ${where} order by p.published_at desc, p.id desc limit ${PAGE}`;
  const add = async (rows: PaperRow[]) => {
    const cats = new Map<string, string[]>();
    if (rows.length) {
      const found = await db.kysely.selectFrom('paper_categories').select(['paper_id', 'category']).where('paper_id', 'in', rows.map((r) => r.id)).execute();
      for (const c of found) cats.set(c.paper_id, [...(cats.get(c.paper_id) ?? []), c.category]);
    }
    for (const r of rows) {
      each({
        id: r.id,
        title: r.title,
        authorNames: r.author_names,
        abstract: r.abstract,
        upvotes: Number(r.upvotes),
        publishedAt: r.published_at,
        hasCode: Boolean(r.github_repo),
        organization: r.organization,
        categories: cats.get(r.id) ?? [],
      });
    }
  };
  if (ids) {
    for (let i = 0; i < ids.length; i += 500) {
      const { rows } = await select(sql`p.id in (${sql.join(ids.slice(i, i + 500))})`).execute(db.kysely);
      await add(rows);
    }
    return;
  }
  let after: PaperRow | undefined;
  for (;;) {
    // The `<=` lets both databases seek the published_at index to the page's start; the plain
    // `a < x or (a = x and id < y)` made SQLite scan from the newest paper on every page (quadratic).
    const where = after
      ? sql`p.published_at <= ${after.published_at} and (p.published_at < ${after.published_at} or p.id < ${after.id})`
      : sql`1 = 1`;
    const { rows } = await select(where).execute(db.kysely);
    await add(rows);
    if (rows.length < PAGE) return;
    after = rows.at(-1);
  }
}
