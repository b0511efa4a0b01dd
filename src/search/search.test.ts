import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stemmer } from 'stemmer';
import type { Db } from '../db/database.ts';
import type { Paper } from '../db/schema.ts';
import { FIXTURES, HF_ARCHIVE, archiveDb, breathe, hasFixtures } from '../../test/helpers.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import { readArxivSnapshot } from '../ingest/arxiv-snapshot.ts';
import { setVisibility } from '../moderation/queries.ts';
import { searchPapers } from './engine.ts';
import { tokensOf } from './query.ts';
import type { SearchRequest } from './types.ts';

// The search engine over the real corpus: the Hugging Face archive (9,534 papers, no
// categories) and 1,130 arXiv records (categories, no upvotes). One database for the
// file; each test reads the hits' rows back and checks them against the filter.
const ABS_RECORDS = path.join(FIXTURES, 'corpus/arxiv_browse_abs_records_with_abstracts.jsonl');
const NOW = new Date('2026-09-01T00:00:00Z');
type Json = Record<string, any>;

/** arXiv's `.abs` records as snapshot lines (as arxiv-snapshot.test.ts builds them). */
function snapshotFile(): string {
  const lines = fs
    .readFileSync(ABS_RECORDS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Json)
    .map((r) => ({
      id: r.id,
      submitter: r.submitter ?? null,
      authors: r.authors,
      title: r.title,
      comments: r.comments ?? null,
      'journal-ref': r.journal_ref ?? null,
      doi: r.doi ?? null,
      categories: (r.categories as string[]).join(' '),
      abstract: r.abstract,
      versions: (r.versions as Json[]).map((v) => ({ version: v.version, created: v.date })),
      update_date: '2020-01-01',
    }));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-search-')), 'snapshot.json');
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}

async function archiveItem(paperId: string): Promise<{ date: string; item: Json }> {
  const lines = readline.createInterface({ input: fs.createReadStream(HF_ARCHIVE).pipe(createGunzip()) });
  let found: { date: string; item: Json } | undefined;
  for await (const line of lines) {
    if (!line.includes(paperId)) continue;
    const day = JSON.parse(line) as { date: string; items: Json[] };
    const item = day.items.find((i) => i.paper.id === paperId);
    if (item) found = { date: day.date, item };
  }
  return found!;
}

const stems = (text: string) => tokensOf(text).map((t) => stemmer(t));

describe.skipIf(!hasFixtures)('search over the real corpus', () => {
  let db: Db;

  beforeAll(async () => {
    db = await archiveDb();
    expect(await importArxivRecords(db, readArxivSnapshot(snapshotFile()), 'snapshot')).toMatchObject({ new: 1130, rejected: 0 });
  }, 600_000);
  afterAll(() => db?.close());

  const search = (q: string, more: Partial<SearchRequest> = {}) => searchPapers(db, { q, limit: 100, now: NOW, ...more });
  /** Every hit of a query (all pages), as ids. */
  const allIds = async (q: string, more: Partial<SearchRequest> = {}) => {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 100) {
      await breathe();
      const { hits } = await search(q, { ...more, offset });
      ids.push(...hits.map((h) => h.paperId));
      if (hits.length < 100) return ids;
    }
  };
  const papers = async (ids: string[]): Promise<Paper[]> => {
    const rows: Paper[] = [];
    for (let i = 0; i < ids.length; i += 500) rows.push(...(await db.kysely.selectFrom('papers').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute()));
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id)!);
  };
  const textOf = (p: Paper) => `${p.title} ${p.author_names} ${p.abstract}`;
  /** The hits of `q` and of `q` plus a filter: the filtered ones, after checking the filter narrowed. */
  const narrowed = async (q: string, filter: string) => {
    const [wide, narrow] = await Promise.all([search(q), search(`${q} ${filter}`)]);
    expect(narrow.total, filter).toBeGreaterThan(0);
    expect(narrow.total, filter).toBeLessThan(wide.total);
    return papers(await allIds(`${q} ${filter}`));
  };

  it('a phrase finds the words together, in order', async () => {
    const hits = await narrowed('reward model', '"reward model"');
    const words = await search('reward model');
    expect(words.total).toBeGreaterThan(hits.length);
    for (const p of hits) expect(stems(textOf(p)).join(' '), p.id).toContain('reward model');
  });

  it('a phrase whose words are mostly apart finds every paper that has it (candidates read in deepening rounds)', async () => {
    const phrase = new Set(await allIds('"model language"'));
    const apart = await papers(await allIds('model language'));
    // Within one field, as the engine checks it.
    const together = apart.filter((p) => [p.title, p.author_names, p.abstract].some((f) => ` ${stems(f).join(' ')} `.includes(' model languag ')));
    expect(phrase.size).toBeGreaterThan(0);
    expect(apart.length).toBeGreaterThan(10 * phrase.size);
    expect([...phrase].sort()).toEqual(together.map((p) => p.id).sort());
  });

  it('an excluded word keeps out every paper that has it', async () => {
    const hits = await narrowed('diffusion', '-video');
    for (const p of hits) {
      expect(stems(textOf(p)), p.id).toContain('diffus');
      expect(stems(textOf(p)), p.id).not.toContain('video');
    }
  });

  it('author: keeps papers by that author', async () => {
    const hits = await narrowed('learning', 'author:"Ziwei Liu"');
    const authored = await db.kysely.selectFrom('paper_authors').select('paper_id').where('name', '=', 'Ziwei Liu').execute();
    const theirs = new Set(authored.map((a) => a.paper_id));
    for (const p of hits) expect(theirs.has(p.id), p.id).toBe(true);
  });

  it('cat: keeps papers of the category or archive (arXiv records have them; the archive has none)', async () => {
    const categoryOf = async (ids: string[]) => {
      const rows = await db.kysely.selectFrom('paper_categories').select(['paper_id', 'category']).where('paper_id', 'in', ids).execute();
      const map = new Map<string, string[]>();
      for (const r of rows) map.set(r.paper_id, [...(map.get(r.paper_id) ?? []), r.category]);
      return map;
    };
    const hep = await narrowed('theory', 'cat:hep-th');
    const hepCats = await categoryOf(hep.map((p) => p.id));
    for (const p of hep) expect(hepCats.get(p.id), p.id).toContain('hep-th');

    const cond = await narrowed('model', 'cat:cond-mat');
    const condCats = await categoryOf(cond.map((p) => p.id));
    for (const p of cond) expect(condCats.get(p.id)!.some((c) => c.startsWith('cond-mat.')), p.id).toBe(true);
    // The form field says the same as the query's filter.
    expect((await allIds('model', { filters: { category: 'cond-mat' } })).sort()).toEqual(cond.map((p) => p.id).sort());
  });

  it('after: and before: keep papers published in the span', async () => {
    const hits = await narrowed('model', 'after:2025-01-01 before:2025-03');
    for (const p of hits) {
      expect(p.published_at >= '2025-01-01', p.id).toBe(true);
      expect(p.published_at < '2025-03-01', p.id).toBe(true);
    }
    // Old arXiv records come back for old spans.
    const old = await papers(await allIds('galaxy', { filters: { before: '2000-01-01' } }));
    expect(old.length).toBeGreaterThan(0);
    for (const p of old) expect(p.published_at < '2000-01-01', p.id).toBe(true);
  });

  it('has:code and org: keep papers with code, and an organization\'s papers', async () => {
    for (const p of await narrowed('agent', 'has:code')) expect(p.github_repo, p.id).toMatch(/^https?:\/\//);
    const nvidia = await db.kysely.selectFrom('organizations').select('id').where('name', '=', 'nvidia').executeTakeFirstOrThrow();
    for (const p of await narrowed('model', 'org:nvidia')) expect(p.organization_id, p.id).toBe(nvidia.id);
    for (const p of await narrowed('model', 'upvotes:50')) expect(p.upvotes, p.id).toBeGreaterThanOrEqual(50);
  });

  it('a full title puts its paper first', async () => {
    // Every 300th new-style and every 30th old-style id (arXiv's older records) with a title of five words or more.
    const all = (await db.kysely.selectFrom('papers').select(['id', 'title']).orderBy('id').execute()).filter((p) => tokensOf(p.title).length >= 5);
    const every = (n: number, list: typeof all) => list.filter((_, i) => i % n === 0);
    const sample = [...every(300, all.filter((p) => !p.id.includes('/'))), ...every(30, all.filter((p) => p.id.includes('/')))];
    expect(sample.length).toBeGreaterThan(30);
    const missed: string[] = [];
    for (const p of sample) {
      const { hits } = await search(p.title, { limit: 3 });
      if (hits[0]?.paperId !== p.id) missed.push(`${p.id} ${p.title} → ${hits.map((h) => h.paperId).join(', ')}`);
    }
    expect(missed).toEqual([]);
  });

  it('stems: "rewards" finds papers that only say "reward"', async () => {
    const found = new Set(await allIds('rewards'));
    const onlySingular = (await db.kysely.selectFrom('papers').select(['id', 'title', 'abstract', 'author_names']).execute()).filter((p) => {
      const tokens = tokensOf(`${p.title} ${p.author_names} ${p.abstract}`);
      return tokens.includes('reward') && !tokens.includes('rewards');
    });
    expect(onlySingular.length).toBeGreaterThan(100);
    expect(onlySingular.filter((p) => !found.has(p.id)).map((p) => p.id)).toEqual([]);
  });

  it('matches prefixes: diffus*, and the last word as one types', async () => {
    const diffus = await papers(await allIds('diffus*'));
    expect(diffus.length).toBeGreaterThan(100);
    for (const p of diffus) expect(tokensOf(textOf(p)).some((t) => t.startsWith('diffus')), p.id).toBe(true);

    // `transfor` is no word: only a prefix finds transformers, transformations, ….
    expect((await search('transfor')).total).toBe(0);
    const starred = await allIds('transfor*');
    expect(starred.length).toBeGreaterThan(100);
    expect((await allIds('transfor', { prefixLast: true })).sort()).toEqual([...starred].sort());
    // Only the last word is a prefix: "vision transfor" as one types it.
    const typing = await papers(await allIds('vision transfor', { prefixLast: true }));
    for (const p of typing) {
      const tokens = tokensOf(textOf(p));
      expect(tokens.some((t) => stemmer(t) === 'vision'), p.id).toBe(true);
      expect(tokens.some((t) => t.startsWith('transfor')), p.id).toBe(true);
    }
  });

  it('marks the matched words in titles and snippets', async () => {
    const { hits } = await search('reward model', { limit: 50 });
    expect(hits.length).toBe(50);
    for (const h of hits) {
      const marked = [...`${h.titleHtml} ${h.snippetHtml}`.matchAll(/<mark>([^<]+)<\/mark>/g)].map((m) => stemmer(m[1]!.toLowerCase()));
      expect(marked.length, h.paperId).toBeGreaterThan(0);
      expect(marked.every((s) => s === 'reward' || s === 'model'), h.paperId).toBe(true);
      // A passage, not the whole abstract.
      expect(h.snippetHtml.replace(/<[^>]+>/g, '').split(/\s+/).length).toBeLessThan(60);
    }
  });

  it('sorts by upvotes and by date', async () => {
    const byUpvotes = await papers((await search('language model', { sort: 'upvotes' })).hits.map((h) => h.paperId));
    const votes = byUpvotes.map((p) => p.upvotes);
    expect(votes).toEqual([...votes].sort((a, b) => b - a));
    expect(votes[0]).toBeGreaterThan(votes.at(-1)!);
    const byDate = await papers((await search('galaxy', { sort: 'date' })).hits.map((h) => h.paperId));
    const dates = byDate.map((p) => p.published_at);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('pages do not overlap and add up to the longer page', async () => {
    const pages = await Promise.all([0, 20, 40].map((offset) => search('reasoning', { limit: 20, offset })));
    const ids = pages.flatMap((p) => p.hits.map((h) => h.paperId));
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    expect(ids).toEqual((await search('reasoning', { limit: 60 })).hits.map((h) => h.paperId));
    // A broad query ranks and counts every match (no pool).
    const broad = await search('model');
    expect(broad.totalIsEstimate).toBe(false);
    expect(broad.total).toBeGreaterThan(2000);
    expect((await search('model', { offset: broad.total - 5, limit: 10 })).hits).toHaveLength(5);
  });

  it('a hidden paper leaves the results, and comes back when shown again', async () => {
    const title = 'ZeroSmooth: Training-free Diffuser Adaptation for High Frame Rate Video Generation';
    expect((await search(title)).hits[0]?.paperId).toBe('2406.00908');
    const actor = { actorLabel: 'cli:test' };
    expect(await setVisibility(db.kysely, actor, { type: 'paper', id: '2406.00908' }, true, 'test')).toBe(true);
    expect((await allIds(title)).includes('2406.00908')).toBe(false);
    expect((await search('zerosmooth')).total).toBe(0);
    expect(await setVisibility(db.kysely, actor, { type: 'paper', id: '2406.00908' }, false)).toBe(true);
    expect((await search(title)).hits[0]?.paperId).toBe('2406.00908');
  });

  it('an edited title is found by its new words, not its old ones', async () => {
    const { date, item } = await archiveItem('2406.00908');
    expect((await search('zerosmooth')).hits.map((h) => h.paperId)).toEqual(['2406.00908']);
    const edited = { ...item, title: 'Quokkaformer: Marsupial Burrow Mapping', paper: { ...item.paper, title: 'Quokkaformer: Marsupial Burrow Mapping' } };
    expect(await importHfItems(db, [edited], date, 'edit')).toMatchObject({ updated: 1 });
    expect((await search('zerosmooth')).total).toBe(0);
    const found = await search('quokkaformer marsupial');
    expect(found.hits.map((h) => h.paperId)).toEqual(['2406.00908']);
    expect(found.hits[0]!.titleHtml).toBe('<mark>Quokkaformer</mark>: <mark>Marsupial</mark> Burrow Mapping');
  });
});
