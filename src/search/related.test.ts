import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Hono } from 'hono';
import { stemmer } from 'stemmer';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { archiveDb, hasFixtures, testConfig, testDialect } from '../../test/helpers.ts';
import { createApp } from '../app.ts';
import { tokensOf } from './query.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import { relatedBacklog, relatedPapers, relatedRemaining, storedRelatedPapers } from './related.ts';

// Papers of the Hugging Face archive (../shared/fixtures).
const RRM = '2409.13156'; // RRM: Robust Reward Model Training Mitigates Reward Hacking
const SPECULATIVE = '2405.19325'; // Nearest Neighbor Speculative Decoding for LLM Generation and Attribution
const HUMAN4DIT = '2405.17405'; // Human4DiT: Free-view Human Video Generation with 4D Diffusion Transformer

// Words any abstract may use: an overlap in these says nothing about a shared topic.
const GENERIC = new Set(
  'the and for with that this from are our can which model models language large data method methods results show propose based using approach performance task tasks training learning new these such their than also while both into across more has have been its not over through via two one how what when'.split(' '),
);

/** The stems of a paper's title and abstract that say something about its topic. */
function topicStems(paper: { title: string; abstract: string }): Set<string> {
  return new Set(tokensOf(`${paper.title} ${paper.abstract}`).filter((t) => t.length > 2 && !GENERIC.has(t) && !/^\d+$/.test(t)).map((t) => stemmer(t)));
}

// Needs ../shared/fixtures (the real Hugging Face archive); skips itself where it is absent.
describe.skipIf(!hasFixtures)('related papers', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  const paper = async (id: string) => db.kysely.selectFrom('papers').select(['id', 'title', 'abstract']).where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    db = await archiveDb();
    app = createApp({ db, config: testConfig() });
    // PostgreSQL's word frequencies are the planner's statistics, and its GIN index takes a bulk import into a
    // pending list until a vacuum: autovacuum does both soon after an import; a test does not wait for it.
    if (testDialect === 'postgres') await sql`vacuum analyze papers`.execute(db.kysely);
  });
  afterAll(() => db.close());

  it('finds papers on the same topic: reward models for a reward-model paper', async () => {
    const ids = await relatedPapers(db, RRM);
    expect(ids).toHaveLength(6);
    const related = await Promise.all(ids.map(paper));
    for (const p of related) expect(`${p.title} ${p.abstract}`, p.id).toMatch(/reward/i);
    expect(related.filter((p) => /reward/i.test(p.title)).length).toBeGreaterThanOrEqual(3);
  });

  it('finds speculative decoding for a speculative decoding paper, 4D generation for a 4D generation paper', async () => {
    const speculative = await Promise.all((await relatedPapers(db, SPECULATIVE)).map(paper));
    expect(speculative.filter((p) => /speculative/i.test(`${p.title} ${p.abstract}`)).length).toBeGreaterThanOrEqual(3);
    const human4dit = await Promise.all((await relatedPapers(db, HUMAN4DIT)).map(paper));
    expect(human4dit.filter((p) => /\b4D\b/.test(`${p.title} ${p.abstract}`)).length).toBeGreaterThanOrEqual(3);
  });

  it('shares meaningful words with the paper, across a sample of the archive', async () => {
    const sample = (await db.kysely.selectFrom('papers').select('id').orderBy('id').execute()).filter((_, i) => i % 500 === 0);
    expect(sample.length).toBeGreaterThan(15);
    for (const { id } of sample) {
      const own = topicStems(await paper(id));
      const ids = await relatedPapers(db, id, 5);
      expect(ids.length, id).toBeGreaterThan(0);
      for (const other of await Promise.all(ids.map(paper))) {
        const shared = [...topicStems(other)].filter((s) => own.has(s));
        expect(shared.length, `${id} → ${other.id}`).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('never lists the paper itself nor a hidden paper, and honours the limit', async () => {
    const ids = await relatedPapers(db, RRM, 10);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(ids).not.toContain(RRM);
    const hidden = ids.slice(0, 2);
    await db.kysely.updateTable('papers').set({ hidden_at: '2026-11-20T00:00:00.000Z' }).where('id', 'in', hidden).execute();
    try {
      const after = await relatedPapers(db, RRM, 10);
      expect(after).toHaveLength(10);
      for (const id of hidden) expect(after).not.toContain(id);
    } finally {
      await db.kysely.updateTable('papers').set({ hidden_at: null }).where('id', 'in', hidden).execute();
    }
    expect(await relatedPapers(db, RRM, 10)).toEqual(ids);
    expect(await relatedPapers(db, RRM, 1)).toEqual(ids.slice(0, 1));
    expect(await relatedPapers(db, '2101.99999')).toEqual([]);
  });

  it('GET /api/papers/{id}/related answers paper objects; 400, 404 and 410 where it must', async () => {
    const res = await app.request(`/api/papers/${SPECULATIVE}/related?limit=4`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; title: string; summary: string; authors: unknown[]; upvotes: number }[];
    expect(body.map((p) => p.id)).toEqual(await relatedPapers(db, SPECULATIVE, 4));
    for (const p of body) expect(p).toMatchObject({ id: expect.any(String), title: expect.any(String), summary: expect.any(String), authors: expect.any(Array), upvotes: expect.any(Number) });
    // The same object as the paper's own endpoint.
    expect(body[0]).toEqual(await (await app.request(`/api/papers/${body[0]!.id}`)).json());
    expect((await (await app.request(`/api/papers/${SPECULATIVE}/related`)).json()).length).toBe(6);

    for (const bad of ['limit=0', 'limit=51', 'limit=ten', 'other=1']) expect((await app.request(`/api/papers/${SPECULATIVE}/related?${bad}`)).status, bad).toBe(400);
    expect((await app.request('/api/papers/not-an-id/related')).status).toBe(400);
    expect((await app.request('/api/papers/2101.99999/related')).status).toBe(404);
    await db.kysely.updateTable('papers').set({ hidden_at: '2026-11-20T00:00:00.000Z' }).where('id', '=', HUMAN4DIT).execute();
    try {
      expect((await app.request(`/api/papers/${HUMAN4DIT}/related`)).status).toBe(410);
    } finally {
      await db.kysely.updateTable('papers').set({ hidden_at: null }).where('id', '=', HUMAN4DIT).execute();
    }
  });

  it('shows them on the paper page, between the abstract and the discussion', async () => {
    const res = await app.request(`/papers/${RRM}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const section = /<section class="related"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(section).toContain('Related papers');
    const linked = [...section.matchAll(/href="\/papers\/([^"]+)"/g)].map((m) => m[1]);
    expect(linked).toEqual(await relatedPapers(db, RRM));
    expect(html.indexOf('class="related"')).toBeGreaterThan(html.indexOf('id="abstract-h"'));
    expect(html.indexOf('class="related"')).toBeLessThan(html.indexOf('id="discussion"'));
  });

  it('are stored: computed once, on import or on first read, and again when the paper or its neighbourhood changes', async () => {
    const stored = async (id: string) => (await db.kysely.selectFrom('related_papers').select('related_id').where('paper_id', '=', id).orderBy('rank').execute()).map((r) => r.related_id);
    const relatedAt = async (id: string) => (await db.kysely.selectFrom('papers').select('related_at').where('id', '=', id).executeTakeFirstOrThrow()).related_at;
    const links = (html: string) => [...(/<section class="related"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '').matchAll(/href="\/papers\/([^"]+)"/g)].map((m) => m[1]);
    const pageLinks = async (id: string) => links(await (await app.request(`/papers/${id}?fresh=${Math.random()}`)).text());
    const keptPageLinks = async (id: string) => links(await (await app.request(`/papers/${id}`)).text());
    // Imported papers are to do; a page's first view computes them and stores them.
    await db.kysely.updateTable('papers').set({ related_at: null }).where('id', '=', RRM).execute();
    await pageLinks(RRM);
    expect(await relatedAt(RRM)).not.toBeNull();
    expect(await stored(RRM)).toEqual(await relatedPapers(db, RRM));
    // Later views read the rows: a list stored by hand is what the page shows.
    const [first, ...rest] = await stored(RRM);
    await db.kysely.updateTable('related_papers').set({ related_id: SPECULATIVE }).where('paper_id', '=', RRM).where('rank', '=', 0).execute();
    expect(await pageLinks(RRM)).toEqual([SPECULATIVE, ...rest]);
    await db.kysely.updateTable('related_papers').set({ related_id: first! }).where('paper_id', '=', RRM).where('rank', '=', 0).execute();

    // A new paper on RRM's topic: its import leaves it to do; computing it marks RRM, whose list predates it.
    const before = await relatedRemaining(db);
    const rrm = await paper(RRM);
    const twin = '2611.00042';
    await importArxivRecords(db, [{ id: twin, version: 1, title: rrm.title, abstract: rrm.abstract, authors: [{ name: 'A. Twin', affiliation: null }], categories: ['cs.CL'], primaryCategory: 'cs.CL', publishedAt: '2026-11-01T00:00:00.000Z', updatedAt: null, comment: null, journalRef: null, doi: null, pdfUrl: null, withdrawnAt: null }], 'test');
    expect(await relatedAt(twin)).toBeNull();
    expect(await relatedRemaining(db)).toBe(before + 1);
    // RRM's page as anonymous readers get it, kept until the content changes.
    expect(await keptPageLinks(RRM)).not.toContain(twin);
    // Newest first: the twin is the first paper the backlog takes.
    const run = await relatedBacklog(db, { limit: 1 });
    expect((await stored(twin))[0]).toBe(RRM);
    expect(await relatedAt(RRM)).toBeNull();
    expect(run).toEqual({ computed: 1, remaining: before + 1 });
    // The backlog changed a list that pages show: the kept page goes, and RRM's next view computes its list anew.
    expect((await keptPageLinks(RRM))[0]).toBe(twin);
    await storedRelatedPapers(db, RRM);
    expect((await stored(RRM))[0]).toBe(twin);
    expect(await pageLinks(RRM)).toEqual(await stored(RRM));

    // Reworded: to do again.
    await importArxivRecords(db, [{ id: twin, version: 2, title: 'Something else entirely', abstract: 'Protein folding with lattice models.', authors: [{ name: 'A. Twin', affiliation: null }], categories: ['cs.CL'], primaryCategory: 'cs.CL', publishedAt: '2026-11-01T00:00:00.000Z', updatedAt: null, comment: null, journalRef: null, doi: null, pdfUrl: null, withdrawnAt: null }], 'test');
    expect(await relatedAt(twin)).toBeNull();
    expect(await storedRelatedPapers(db, twin)).not.toContain(RRM);
    expect(await relatedAt(twin)).not.toBeNull();
  });
});
