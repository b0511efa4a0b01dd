import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabaseUrl, testConfig, testKeys } from '../../test/helpers.ts';
import { hashedEmbedding, startEmbeddingsServer, type EmbeddingsServer } from '../../test/embeddings-server.ts';
import { cli as runCli } from '../../test/run-cli.ts';
import { createApp } from '../app.ts';
import { connectDatabase, type Db } from '../db/database.ts';
import { scheduledJobs } from '../jobs/jobs.ts';
import { runIfDue } from '../jobs/scheduler.ts';
import { silentLogger } from '../core/log.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import { backlogSize, embedBacklog } from './backlog.ts';
import { decodeVectorInto } from './embeddings.ts';
import { semanticRanking } from './vectors.ts';

// Not a multiple of 4, so the similarity loop's remainder is exercised too.
const DIM = 66;
const fast = { backoffBaseMs: 1, maxRetries: 1 };

/** Papers on distinct subjects, newest first (the backlog's order), so each query has one right answer. */
const SUBJECTS = [
  ['2501.00001', 'Graph neural networks for molecules', 'We predict molecular properties with message passing over atoms and bonds.'],
  ['2501.00002', 'Protein folding with diffusion', 'A diffusion model generates protein backbones and folds sequences.'],
  ['2501.00003', 'Speech recognition for low resource languages', 'We transcribe speech in languages with little labelled audio.'],
  ['2501.00004', 'Robot grasping from tactile feedback', 'A robot hand learns to grasp objects from touch sensors.'],
  ['2501.00005', 'Galaxy clustering at high redshift', 'We measure how galaxies cluster in a deep telescope survey.'],
  ['2501.00006', 'Sparse attention for long documents', 'Transformers read long documents with sparse attention patterns.'],
  ['2501.00007', 'Quantum error correction codes', 'Surface codes protect qubits from noise in quantum computers.'],
  ['2501.00008', 'Traffic forecasting with sensors', 'Road sensors feed a model that forecasts traffic congestion.'],
  ['2501.00009', 'Music generation with transformers', 'A transformer composes melodies and chords for piano music.'],
  ['2501.00010', 'Climate model downscaling', 'Coarse climate simulations are refined to regional rainfall maps.'],
] as const;

async function addPaper(db: Db, id: string, title: string, abstract: string, opts: { publishedAt?: string; hidden?: boolean } = {}): Promise<void> {
  const at = opts.publishedAt ?? '2025-02-01T00:00:00.000Z';
  await db.kysely
    .insertInto('papers')
    .values({
      id, version: 1, title, abstract, primary_category: 'cs.LG', published_at: at, updated_at: null, comment: null, journal_ref: null, doi: null,
      pdf_url: null, github_repo: null, github_stars: null, project_page: null, withdrawn_at: null, license: null, organization_id: null,
      upvotes_source: 0, upvotes: 0, comments_source: 0, hidden_at: opts.hidden ? at : null, discussion_id: null, ai_summary: null,
      ai_keywords: null, thumbnail_url: null, trending_score: 0, created_at: at, modified_at: at,
    })
    .execute();
}

async function addSubjects(db: Db): Promise<void> {
  for (const [i, [id, title, abstract]] of SUBJECTS.entries()) {
    await addPaper(db, id, title, abstract, { publishedAt: `2025-01-${String(20 - i).padStart(2, '0')}T00:00:00.000Z` });
  }
}

const embeddedIds = async (db: Db) => (await db.kysely.selectFrom('paper_embeddings').select('paper_id').orderBy('paper_id').execute()).map((r) => r.paper_id);

let server: EmbeddingsServer;
let url: string;
let db: Db;
beforeEach(async () => {
  server = await startEmbeddingsServer({ dimensions: DIM });
  url = await freshDatabaseUrl();
  db = await connectDatabase(url, { poolSize: 4 });
});
afterEach(async () => {
  await server.close();
  await db.close();
});
const config = (overrides: Record<string, string> = {}) =>
  testConfig({ EMBEDDINGS_URL: server.url, EMBEDDINGS_DIMENSIONS: String(DIM), EMBEDDINGS_BATCH: '4', EMBEDDINGS_MODEL: 'test-embed', ...overrides });

describe('embedBacklog', () => {
  it('embeds every visible paper in batches, newest first, as title and abstract', async () => {
    await addSubjects(db);
    await addPaper(db, '2501.00099', 'Hidden paper', 'Moderators hid it.', { hidden: true });
    const summary = await embedBacklog(db, config(), { client: fast });
    expect(summary).toEqual({ embedded: 10, failed: 0, requests: 3, remaining: 0, backingOff: 0 });
    expect(server.requests.map((r) => r.input.length)).toEqual([4, 4, 2]);
    expect(server.requests[0]!.input[0]).toBe(`${SUBJECTS[0][1]}\n\n${SUBJECTS[0][2]}`);
    expect(await embeddedIds(db)).toEqual(SUBJECTS.map(([id]) => id));

    const row = await db.kysely.selectFrom('paper_embeddings').selectAll().where('paper_id', '=', '2501.00003').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ model: 'test-embed', dimensions: DIM });
    const stored = new Float32Array(DIM);
    decodeVectorInto(row.vector, stored, 0);
    expect(Array.from(stored)).toEqual(Array.from(Float32Array.from(hashedEmbedding(`${SUBJECTS[2][1]}\n\n${SUBJECTS[2][2]}`, DIM))));

    // Nothing left: a second run asks nothing.
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 0, requests: 0, remaining: 0 });
    expect(server.requests).toHaveLength(3);
  });

  it('embeds a paper again when a new version changes its words, and only then', async () => {
    const record = (version: number, abstract: string): ArxivRecord => ({
      id: '2501.00042', version, title: 'Tidal disruption events', abstract, authors: [{ name: 'A. Author', affiliation: null }],
      categories: ['astro-ph.HE'], primaryCategory: 'astro-ph.HE', publishedAt: '2025-01-05T00:00:00.000Z', updatedAt: null,
      comment: null, journalRef: null, doi: null, pdfUrl: null, withdrawnAt: null,
    });
    await importArxivRecords(db, [record(1, 'A star torn apart by a black hole.')], 'test');
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 1 });
    await importArxivRecords(db, [{ ...record(2, 'A star torn apart by a black hole.'), comment: 'v2: typos' }], 'test');
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 0, requests: 0 });
    await importArxivRecords(db, [record(3, 'A star torn apart by a supermassive black hole, seen in X-rays.')], 'test');
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 1 });
    expect(server.requests.at(-1)!.input).toEqual(['Tidal disruption events\n\nA star torn apart by a supermassive black hole, seen in X-rays.']);
  });

  it('continues after a restart where the last run stopped, without embedding a paper twice', async () => {
    await addSubjects(db);
    const first = await embedBacklog(db, config(), { limit: 5, client: fast });
    expect(first).toMatchObject({ embedded: 5, requests: 2, remaining: 5 });
    await db.close();
    // A new process: a new connection and nothing kept in memory.
    db = await connectDatabase(url, { poolSize: 4 });
    const second = await embedBacklog(db, config(), { client: fast });
    expect(second).toMatchObject({ embedded: 5, remaining: 0 });
    const inputs = server.requests.flatMap((r) => r.input);
    expect(inputs).toHaveLength(10);
    expect(new Set(inputs).size).toBe(10);
    expect(await embeddedIds(db)).toEqual(SUBJECTS.map(([id]) => id));
  });

  it('records a paper the service refuses, backs it off further each time, and embeds the others', async () => {
    await addSubjects(db);
    await addPaper(db, '2501.00050', 'A poison paper', 'The server refuses this one.', { publishedAt: '2025-01-19T12:00:00.000Z' });
    server.refuseInputsWith('poison');
    const first = await embedBacklog(db, config(), { client: fast });
    expect(first).toMatchObject({ embedded: 10, failed: 1, remaining: 1, backingOff: 1 });
    const failure = await db.kysely.selectFrom('embedding_failures').selectAll().executeTakeFirstOrThrow();
    expect(failure).toMatchObject({ paper_id: '2501.00050', model: 'test-embed', attempts: 1, last_error: expect.stringContaining('answered 400') });
    const wait = (f: { failed_at: string; retry_at: string }) => Date.parse(f.retry_at) - Date.parse(f.failed_at);
    expect(wait(failure)).toBe(15 * 60_000);

    // Backing off: the next run does not ask about it.
    const asked = server.requests.length;
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 0, failed: 0, remaining: 1, backingOff: 1 });
    expect(server.requests).toHaveLength(asked);

    // Its time comes, and the service refuses it again: the wait doubles.
    await db.kysely.updateTable('embedding_failures').set({ retry_at: '2000-01-01T00:00:00.000Z' }).execute();
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ failed: 1, backingOff: 1 });
    const again = await db.kysely.selectFrom('embedding_failures').selectAll().executeTakeFirstOrThrow();
    expect(again.attempts).toBe(2);
    expect(wait(again)).toBe(30 * 60_000);

    // The service takes it now: stored, and its failure forgotten.
    server.refuseInputsWith(undefined);
    await db.kysely.updateTable('embedding_failures').set({ retry_at: '2000-01-01T00:00:00.000Z' }).execute();
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 1, failed: 0, remaining: 0, backingOff: 0 });
    expect(await db.kysely.selectFrom('embedding_failures').selectAll().execute()).toEqual([]);
  });

  it('stops when the service is down, blaming no paper, and resumes when it is back', async () => {
    await addSubjects(db);
    // Down after the first batch: the second batch's request and its one retry both fail.
    const down = await embedBacklog(db, config(), { client: fast, onProgress: () => server.failNext(2, 503) });
    expect(down).toMatchObject({ embedded: 4, failed: 0, remaining: 6, backingOff: 0 });
    expect(down.stopped).toMatch(/answered 503: told to fail with 503 \(after 2 attempts\)$/);
    expect(await db.kysely.selectFrom('embedding_failures').selectAll().execute()).toEqual([]);
    expect(await embedBacklog(db, config(), { client: fast })).toMatchObject({ embedded: 6, remaining: 0 });
  });

  it('walks past papers backing off across many pages, papers of equal date in id order', async () => {
    // Forty papers in five dates; every other one is backing off after a refusal.
    for (let i = 0; i < 40; i++) {
      const id = `2502.${String(i).padStart(5, '0')}`;
      await addPaper(db, id, `Paper ${i}`, `Abstract ${i}.`, { publishedAt: `2025-02-0${1 + (i % 5)}T00:00:00.000Z` });
      if (i % 2 === 0) {
        await db.kysely
          .insertInto('embedding_failures')
          .values({ paper_id: id, model: 'test-embed', attempts: 1, last_error: 'refused', failed_at: '2025-01-01T00:00:00.000Z', retry_at: '2999-01-01T00:00:00.000Z' })
          .execute();
      }
    }
    const summary = await embedBacklog(db, config({ EMBEDDINGS_BATCH: '2' }), { client: fast });
    expect(summary).toEqual({ embedded: 20, failed: 0, requests: 10, remaining: 20, backingOff: 20 });
    const inputs = server.requests.flatMap((r) => r.input.map((text) => Number(/^Paper (\d+)/.exec(text)![1])));
    const expected = Array.from({ length: 40 }, (_, i) => i)
      .filter((i) => i % 2 === 1)
      .sort((a, b) => (b % 5) - (a % 5) || b - a);
    expect(inputs).toEqual(expected);
  });

  it('stops at once with a clear error when the vectors have another length', async () => {
    await addSubjects(db);
    const summary = await embedBacklog(db, config({ EMBEDDINGS_DIMENSIONS: '384' }), { client: fast });
    expect(summary).toMatchObject({ embedded: 0, failed: 0, remaining: 10 });
    expect(summary.stopped).toBe(`embeddings: model test-embed at ${server.url}/v1/embeddings returned 66-dimensional vectors but EMBEDDINGS_DIMENSIONS is 384; set EMBEDDINGS_DIMENSIONS=66 or choose another model`);
    expect(await embeddedIds(db)).toEqual([]);
  });

  it('embeds every paper again for a new model, replacing the old vectors', async () => {
    await addSubjects(db);
    await embedBacklog(db, config(), { client: fast });
    expect(await backlogSize(db, config({ EMBEDDINGS_MODEL: 'other-embed' }))).toEqual({ remaining: 10, backingOff: 0 });
    expect(await embedBacklog(db, config({ EMBEDDINGS_MODEL: 'other-embed' }), { client: fast })).toMatchObject({ embedded: 10, remaining: 0 });
    const models = await db.kysely.selectFrom('paper_embeddings').select('model').distinct().execute();
    expect(models).toEqual([{ model: 'other-embed' }]);
  });

  it('stops starting batches at its deadline', async () => {
    await addSubjects(db);
    expect(await embedBacklog(db, config(), { deadline: Date.now() - 1 })).toMatchObject({ embedded: 0, requests: 0, remaining: 10 });
  });
});

describe('the embeddings job', () => {
  it('is scheduled only when EMBEDDINGS_URL is set, and records what it did or why it failed', async () => {
    expect(scheduledJobs(db, { ...testConfig(), keys: testKeys }).map((j) => j.name)).not.toContain('embeddings');
    await addSubjects(db);
    const job = scheduledJobs(db, { ...config({ HF_SYNC_INTERVAL_SECONDS: '0' }), keys: testKeys }).find((j) => j.name === 'embeddings')!;
    expect(job.schedule).toEqual({ everyMs: 300_000 });
    expect(await runIfDue(db.kysely, job, silentLogger, new Date('2026-01-01T00:00:00Z'))).toEqual({ ran: true, ok: true, detail: '10 embedded, 0 refused, 0 remaining' });

    await addPaper(db, '2501.00060', 'One more', 'Arrived later.');
    server.dimensions = 32;
    const failed = await runIfDue(db.kysely, job, silentLogger, new Date('2026-01-01T00:05:00Z'));
    expect(failed).toMatchObject({ ran: true, ok: false, detail: expect.stringMatching(/^0 embedded, 0 refused, 1 remaining; stopped: embeddings: .* returned 32-dimensional vectors/) });
  });
});

describe('semanticRanking', () => {
  beforeEach(async () => {
    await addSubjects(db);
    await embedBacklog(db, config(), { client: fast });
  });

  it('ranks first the paper whose words the query shares, nearest first', async () => {
    const result = await semanticRanking(db, config(), 'protein backbones diffusion', 3);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ids[0]).toBe('2501.00002');
    expect(result.ids).toHaveLength(3);
    expect(result.similarities[0]).toBeGreaterThan(0.3);
    expect([...result.similarities].sort((a, b) => b - a)).toEqual(result.similarities);

    const quantum = await semanticRanking(db, config(), 'qubits noise surface codes', 1);
    expect(quantum).toEqual({ ok: true, ids: ['2501.00007'], similarities: [expect.any(Number)] });
    const all = await semanticRanking(db, config(), 'music', 50);
    expect(all.ok && all.ids.length).toBe(10);
  });

  it('never returns a hidden paper, and shows it again once unhidden', async () => {
    const hide = (at: string | null) => db.kysely.updateTable('papers').set({ hidden_at: at }).where('id', '=', '2501.00004').execute();
    await hide('2026-01-01T00:00:00.000Z');
    const hidden = await semanticRanking(db, config(), 'robot hand grasp objects touch', 10);
    expect(hidden.ok && hidden.ids).not.toContain('2501.00004');
    expect(hidden.ok && hidden.ids).toHaveLength(9);
    await hide(null);
    const shown = await semanticRanking(db, config(), 'robot hand grasp objects touch', 1);
    expect(shown.ok && shown.ids).toEqual(['2501.00004']);
  });

  it('finds papers embedded after its first search', async () => {
    expect((await semanticRanking(db, config(), 'volcano eruptions magma', 1)).ok).toBe(true);
    await addPaper(db, '2501.00070', 'Volcano eruptions forecast', 'Magma pressure predicts eruptions.');
    await embedBacklog(db, config(), { client: fast });
    const result = await semanticRanking(db, config(), 'volcano eruptions magma', 1);
    expect(result.ok && result.ids).toEqual(['2501.00070']);
  });

  it('says why when it cannot rank: not configured, nothing embedded, service down or slow', async () => {
    expect(await semanticRanking(db, testConfig(), 'protein', 5)).toEqual({ ok: false, reason: 'semantic search is not configured on this site' });
    expect(await semanticRanking(db, config({ EMBEDDINGS_MODEL: 'unused-embed' }), 'protein', 5)).toEqual({
      ok: false,
      reason: 'no papers have been embedded for semantic search yet',
    });
    // Far longer than the timeout: had the search waited for it, it would have ranked.
    server.delayMs = 5_000;
    expect(await semanticRanking(db, config(), 'protein', 5, { timeoutMs: 100 })).toEqual({ ok: false, reason: 'the embedding service did not answer' });
    await server.close();
    expect(await semanticRanking(db, config(), 'protein', 5)).toEqual({ ok: false, reason: 'the embedding service did not answer' });
  });
});

describe('dailypapers search embed', () => {
  /** The CLI, in this process, with only these settings. */
  const cli = (args: string[], env: Record<string, string>) => runCli(args, { DATABASE_URL: url, ...env });

  it('embeds the backlog, at most --limit papers at a time, and says why it stopped', async () => {
    await addSubjects(db);
    const env = { EMBEDDINGS_URL: server.url, EMBEDDINGS_DIMENSIONS: String(DIM), EMBEDDINGS_MODEL: 'test-embed', EMBEDDINGS_BATCH: '4' };
    const some = await cli(['search', 'embed', '--limit', '3'], env);
    expect(some.stderr).toBe('');
    expect(some.stdout).toMatch(/^search: 3 embedded, 0 refused, 7 remaining in \d+\.\d s\n$/);
    const rest = await cli(['search', 'embed'], env);
    expect(rest.stdout).toMatch(/^search: 7 embedded, 0 refused, 0 remaining in /);
    expect(server.requests.map((r) => r.input.length)).toEqual([3, 4, 3]);

    await addPaper(db, '2501.00080', 'One more', 'Arrived later.');
    const wrong = await cli(['search', 'embed'], { ...env, EMBEDDINGS_DIMENSIONS: '768' });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^search: 0 embedded, 0 refused, 11 remaining in /); // no paper has a 768-long vector
    expect(wrong.stderr.trim()).toMatch(/^dailypapers: search: stopped early: embeddings: model test-embed at .* returned 66-dimensional vectors but EMBEDDINGS_DIMENSIONS is 768; set EMBEDDINGS_DIMENSIONS=66/);

    const unset = await cli(['search', 'embed'], {});
    expect(unset.code).toBe(1);
    expect(unset.stderr.trim()).toBe('dailypapers: search: EMBEDDINGS_URL is not set; point it at an OpenAI-compatible embedding server (see .env.example)');
    const badLimit = await cli(['search', 'embed', '--limit', 'many'], env);
    expect(badLimit.stderr.trim()).toBe('dailypapers: search: --limit is a whole number of at least 1');
  });
});

describe('hybrid search through the API and the page', () => {
  it('fuses meaning with text when the service answers, and says it fell back to text when it does not', async () => {
    await addSubjects(db);
    const cfg = config();
    await embedBacklog(db, cfg, { client: fast });
    const app = createApp({ db, config: cfg });

    // No paper holds both words, so text alone finds nothing; by meaning each subject is near.
    const fused = await app.request('/api/papers/search?q=protein+backbones+qubits+noise');
    expect(fused.status).toBe(200);
    expect(fused.headers.get('X-Search-Mode')).toBe('hybrid');
    const ids = ((await fused.json()) as { paper: { id: string } }[]).map((i) => i.paper.id);
    expect(ids.slice(0, 2).sort()).toEqual(['2501.00002', '2501.00007']);
    // A filter applies to what meaning finds too.
    const filtered = (await (await app.request('/api/papers/search?q=protein+backbones+qubits+noise&after=2025-01-16')).json()) as { paper: { id: string } }[];
    expect(filtered.map((i) => i.paper.id)).toContain('2501.00002');
    expect(filtered.map((i) => i.paper.id)).not.toContain('2501.00007');

    await server.close();
    // The same URL again: the hybrid answer was cached for this content version; a new question is not.
    expect((await app.request('/api/papers/search?q=protein+backbones+qubits+noise')).headers.get('X-Search-Mode')).toBe('hybrid');
    const text = await app.request('/api/papers/search?q=protein+backbones+qubits+noise&limit=10');
    expect(text.status).toBe(200);
    expect(text.headers.get('X-Search-Mode')).toBe('text');
    expect(text.headers.get('X-Search-Notice')).toMatch(/text matches only: the embedding service did not answer/);
    expect(text.headers.get('Cache-Control')).toBe('no-store');
    expect(await text.json()).toEqual([]);
    const page = await app.request('/papers/search?q=galaxy+clustering');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Showing text matches only');
  });
});
