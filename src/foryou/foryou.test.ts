import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { termCounts, Vocabulary } from './text.ts';
import { ReaderModel, type Signal } from './model.ts';

const TOPICS = {
  diffusion: ['Diffusion models for image synthesis', 'Denoising diffusion sampling with fewer steps', 'Latent diffusion for video generation', 'Score-based diffusion and image editing'],
  rl: ['Reward models for reinforcement learning from feedback', 'Policy optimization with learned reward signals', 'Reinforcement learning agents and sparse reward', 'Offline reinforcement learning with reward shaping'],
  graphs: ['Graph neural networks for molecules', 'Message passing on large graphs', 'Graph transformers for node classification', 'Scalable graph neural network training'],
};
const ABSTRACT = {
  diffusion: 'We study diffusion models, denoising, image generation and sampling schedules for diffusion.',
  rl: 'We study reinforcement learning, reward models, policies and agents trained with reward feedback.',
  graphs: 'We study graph neural networks, message passing, nodes, edges and graph structure.',
};

const papers = Object.entries(TOPICS).flatMap(([topic, titles], t) =>
  titles.map((title, i) => ({
    paper: {
      id: `2611.0${t}${i}01`,
      title,
      summary: ABSTRACT[topic as keyof typeof ABSTRACT],
      publishedAt: `2026-11-1${i}T00:00:00.000Z`,
      upvotes: 10 * (t + 1) + i,
      authors: [{ name: `${topic} author ${i % 2}` }, { name: 'Shared Person' }].slice(0, t === 2 ? 2 : 1),
    },
    publishedAt: '2026-11-18T09:00:00.000Z',
  })),
);
const id = (t: number, i: number) => `2611.0${t}${i}01`;

interface ForYouBody {
  seeded: boolean;
  papers: { id: string; title: string; reasons: string[] }[];
}

describe('for you', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let reader: TestUser;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importHfItems(db, papers, '2026-11-18', 'foryou');
    reader = await signedInUser(db);
  });
  afterAll(() => db.close());

  const get = async (user: TestUser, query = '') => {
    const res = await app.request(`/api/for-you${query}`, { headers: { Authorization: `Bearer ${user.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as ForYouBody;
  };
  const upvote = (user: TestUser, paperId: string) => app.request(`/api/papers/${paperId}/upvote`, { method: 'POST', headers: { Authorization: `Bearer ${user.token}` } });

  it('starts a reader with nothing yet from the popular recent papers', async () => {
    const body = await get(reader);
    expect(body.seeded).toBe(true);
    expect(body.papers[0]!.id).toBe(id(2, 3));
    expect(body.papers[0]!.reasons[0]).toMatch(/^popular now/);
  });

  it('learns from upvotes: papers like the liked ones come first, with the liked paper as the reason; liked ones are not shown again', async () => {
    await upvote(reader, id(0, 0));
    await upvote(reader, id(0, 1));
    const body = await get(reader);
    expect(body.seeded).toBe(false);
    const top = body.papers.slice(0, 2).map((p) => p.id);
    expect(top.sort()).toEqual([id(0, 2), id(0, 3)]);
    expect(body.papers.map((p) => p.id)).not.toContain(id(0, 0));
    expect(body.papers[0]!.reasons.join(' | ')).toMatch(/because you upvoted “(Diffusion models for image synthesis|Denoising diffusion sampling with fewer steps)”/);
    expect(body.papers[0]!.reasons.join(' | ')).toMatch(/about .*diffusion/);
  });

  it('weighs follows: an author followed lifts their papers, and says so', async () => {
    const res = await app.request('/api/follows', { method: 'POST', headers: { Authorization: `Bearer ${reader.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'author', target: 'rl author 1' }) });
    expect(res.status).toBe(200);
    const body = await get(reader);
    const rl = body.papers.findIndex((p) => p.id === id(1, 1));
    const graph = body.papers.findIndex((p) => p.id.startsWith('2611.02'));
    expect(rl).toBeLessThan(graph);
    expect(body.papers[rl]!.reasons).toContain('by an author you follow (rl author 1)');
  });

  it('forgets a withdrawn upvote, and never shows a paper a moderator hid', async () => {
    await app.request(`/api/papers/${id(0, 1)}/upvote`, { method: 'DELETE', headers: { Authorization: `Bearer ${reader.token}` } });
    expect((await get(reader)).papers.map((p) => p.id)).toContain(id(0, 1));
    await db.kysely.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', id(0, 2)).execute();
    const body = await get(reader, '?limit=50');
    expect(body.papers.map((p) => p.id)).not.toContain(id(0, 2));
  });

  it('fills a page past papers a moderator hid after the ranking was made, and the next page goes on from there', async () => {
    const pager = await signedInUser(db);
    await upvote(pager, id(1, 0));
    const all = (await get(pager, '?limit=50')).papers.map((p) => p.id);
    expect(all.length).toBeGreaterThan(6);
    // The first and third of the kept ranking hidden: each page is checked as far as it needs.
    const gone = [all[0]!, all[2]!];
    await db.kysely.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', 'in', gone).execute();
    try {
      const pages = [];
      for (const offset of [0, 2, 4]) pages.push(...(await get(pager, `?limit=2&offset=${offset}`)).papers.map((p) => p.id));
      expect(pages).toEqual(all.filter((p) => !gone.includes(p)).slice(0, 6));
      expect((await get(pager, '?limit=50')).papers.map((p) => p.id)).toEqual(all.filter((p) => !gone.includes(p)));
    } finally {
      await db.kysely.updateTable('papers').set({ hidden_at: null }).where('id', 'in', gone).execute();
    }
  });

  it('serves readers of different tastes at once as it serves them one by one (their weights share one scratch buffer)', async () => {
    const a = await signedInUser(db);
    const b = await signedInUser(db);
    await upvote(a, id(0, 1));
    await upvote(b, id(2, 1));
    const alone = [await get(a, '?limit=50'), await get(b, '?limit=50')];
    // Fresh models for both (a new signal each), learned and ranked side by side.
    await upvote(a, id(0, 2));
    await upvote(b, id(2, 2));
    const together = await Promise.all([get(a, '?limit=50'), get(b, '?limit=50'), get(a, '?limit=5&offset=3'), get(b, '?limit=5&offset=3')]);
    expect(together[0]).toEqual(await get(a, '?limit=50'));
    expect(together[1]).toEqual(await get(b, '?limit=50'));
    expect(together[2]!.papers).toEqual(together[0]!.papers.slice(3, 8));
    expect(together[3]!.papers).toEqual(together[1]!.papers.slice(3, 8));
    // Each page is its reader's: the diffusion reader's is led by diffusion, the graphs reader's by graphs, with their reasons.
    expect(together[0]!.papers[0]!.id.startsWith('2611.00')).toBe(true);
    expect(together[1]!.papers[0]!.id.startsWith('2611.02')).toBe(true);
    expect(together[0]!.papers[0]!.reasons.join(' | ')).toMatch(/because you upvoted “(Denoising|Latent)/);
    expect(together[1]!.papers[0]!.reasons.join(' | ')).toMatch(/because you upvoted “(Message passing|Graph transformers)/);
    expect(alone[0]!.papers[0]!.id).not.toBe(alone[1]!.papers[0]!.id);
  });

  it('learns from saves and hides (rows as the library writes them): hidden papers never appear and pull their topic down', async () => {
    const saver = await signedInUser(db);
    const now = new Date().toISOString();
    const collection = await db.kysely
      .insertInto('collections')
      .values({ owner_id: saver.id, slug: `saved-${saver.id}`, title: 'Saved', description: null, is_default: 1, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.kysely.insertInto('collection_items').values({ collection_id: collection.id, paper_id: id(2, 0), position: 0, note: null, note_html: null, added_at: now }).execute();
    await db.kysely.insertInto('paper_marks').values({ user_id: saver.id, paper_id: id(1, 3), read_at: null, hidden_at: now, hidden_reason: 'not-interested' }).execute();
    const body = await get(saver, '?limit=50');
    const ids = body.papers.map((p) => p.id);
    expect(ids.slice(0, 3).every((p) => p.startsWith('2611.02'))).toBe(true);
    expect(body.papers[0]!.reasons.join(' | ')).toMatch(/because you saved “Graph neural networks for molecules”/);
    expect(ids).not.toContain(id(1, 3));
    expect(ids).not.toContain(id(2, 0));
    // The hidden paper's topic ranks below the untouched one.
    expect(Math.min(...[0, 1, 2].map((i) => ids.indexOf(id(1, i))))).toBeGreaterThan(ids.indexOf(id(0, 0)));
    // Undoing the hide (the library clears hidden_at) brings the paper back.
    await db.kysely.updateTable('paper_marks').set({ hidden_at: null, hidden_reason: null }).where('user_id', '=', saver.id).execute();
    expect((await get(saver, '?limit=50')).papers.map((p) => p.id)).toContain(id(1, 3));
  });

  it('starts a reader with nothing from a BibTeX import: the empty state offers it, and the imported papers are saves it learns from', async () => {
    const newcomer = await signedInUser(db);
    const empty = await (await app.request('/for-you', { headers: { Cookie: newcomer.cookie } })).text();
    expect(empty).toContain('<form method="post" action="/library/import" enctype="multipart/form-data"');
    const bib = [
      `@article{ho2026, title = {Diffusion models for image synthesis}, author = {Ho, Jonathan}, eprint = {${id(0, 0)}}, archivePrefix = {arXiv}, year = {2026}}`,
      `@misc{song2026, title = {Score-based diffusion}, url = {https://arxiv.org/abs/${id(0, 3)}v2}, year = {2026}}`,
      '@book{knuth, title = {The Art of Computer Programming}, year = {1968}}',
      '@article{broken, title = {Unclosed',
    ].join('\n\n');
    const res = await app.request('/library/import', { method: 'POST', headers: formHeaders(newcomer), body: new URLSearchParams({ _csrf: newcomer.csrf, text: bib }) });
    expect(res.status).toBe(200);
    const report = await res.text();
    expect(report).toMatch(/2 papers added/);
    expect(report).toContain('<strong>knuth</strong>: no arXiv id or DOI');
    expect(report).toContain('Unterminated brace');
    expect(report).toContain('href="/for-you"');
    const body = await get(newcomer, '?limit=50');
    expect(body.seeded).toBe(false);
    const ids = body.papers.map((p) => p.id);
    expect(ids).not.toContain(id(0, 0));
    // The one diffusion paper left (the other was hidden by a moderator above) comes first.
    expect(ids[0]).toBe(id(0, 1));
    expect(body.papers[0]!.reasons.join(' | ')).toMatch(/because you saved “(Diffusion models for image synthesis|Score-based diffusion and image editing)”/);
    // The form needs the reader's CSRF token, and something to import.
    expect((await app.request('/library/import', { method: 'POST', headers: formHeaders(newcomer), body: new URLSearchParams({ text: bib }) })).status).toBe(403);
    expect((await app.request('/library/import', { method: 'POST', headers: formHeaders(newcomer), body: new URLSearchParams({ _csrf: newcomer.csrf, text: ' ' }) })).status).toBe(400);
  });

  it('weighs followed searches: a paper matching one is lifted, with the search as its reason', async () => {
    const searcher = await signedInUser(db);
    const before = (await get(searcher, '?limit=50')).papers.map((p) => p.id);
    const res = await app.request('/api/follows', { method: 'POST', headers: { Authorization: `Bearer ${searcher.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'search', target: 'large graphs' }) });
    expect(res.status).toBe(200);
    const body = await get(searcher, '?limit=50');
    expect(body.papers[0]!.id).toBe(id(2, 1));
    expect(before.indexOf(id(2, 1))).toBeGreaterThan(0);
    expect(body.papers[0]!.reasons).toContain('matches your search “large graphs”');
  });

  it('is a page too, for signed-in readers only; bad parameters are a 400', async () => {
    const res = await app.request('/for-you', { headers: { Cookie: reader.cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>For you</h1>');
    expect(html).toContain('by an author you follow (rl author 1)');
    expect((await app.request('/for-you')).status).toBe(303);
    expect((await app.request('/api/for-you')).status).toBe(401);
    const bad = await app.request('/api/for-you?limit=500', { headers: { Authorization: `Bearer ${reader.token}` } });
    expect(bad.status).toBe(400);
  });

  it('has a private feed with a revocable read-only token, shown once and never kept by a shared cache', async () => {
    const made = await app.request('/for-you/feed', { method: 'POST', headers: formHeaders(reader), body: new URLSearchParams({ _csrf: reader.csrf }) });
    expect(made.status).toBe(200);
    const token = /for-you\.rss\?token=(dpf_[\w-]{43})/.exec(await made.text())?.[1];
    expect(token).toBeDefined();
    const feed = await app.request(`/feeds/for-you.rss?token=${token}`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('Content-Type')).toMatch(/^application\/rss\+xml/);
    expect(feed.headers.get('Cache-Control')).toBe('private, no-store');
    const xml = await feed.text();
    expect(xml).toContain('<title>');
    expect(xml).toMatch(/Reward models|Policy optimization|Reinforcement learning agents|Offline reinforcement/);
    const again = await app.request(`/feeds/for-you.rss?token=${token}`, { headers: { 'If-None-Match': feed.headers.get('ETag')! } });
    expect(again.status).toBe(304);
    expect((await app.request(`/feeds/for-you.json?token=${token}`)).status).toBe(200);
    // The token opens the feed and nothing else.
    expect((await app.request('/api/for-you', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    // A new link revokes the old one; revoking ends it.
    const second = /token=(dpf_[\w-]{43})/.exec(await (await app.request('/for-you/feed', { method: 'POST', headers: formHeaders(reader), body: new URLSearchParams({ _csrf: reader.csrf }) })).text())![1];
    expect((await app.request(`/feeds/for-you.rss?token=${token}`)).status).toBe(401);
    expect((await app.request(`/feeds/for-you.rss?token=${second}`)).status).toBe(200);
    const revoked = await app.request('/for-you/feed/revoke', { method: 'POST', headers: formHeaders(reader), body: new URLSearchParams({ _csrf: reader.csrf }) });
    expect(revoked.status).toBe(303);
    expect((await app.request(`/feeds/for-you.rss?token=${second}`)).status).toBe(401);
    expect((await app.request('/feeds/for-you.rss?token=nonsense')).status).toBe(401);
    expect((await app.request('/feeds/for-you.rss')).status).toBe(401);
    // Without the CSRF token no link is made.
    expect((await app.request('/for-you/feed', { method: 'POST', headers: formHeaders(reader), body: '' })).status).toBe(403);
  });
});

describe('the reader model', () => {
  const docs = Object.values(TOPICS).flat().map((t) => termCounts(t, ''));
  const vocab = Vocabulary.fit(docs, 1);
  const signal = (i: number, kind: Signal['kind'] = 'save'): Signal => ({ kind, paperId: `p${i}`, title: `t${i}`, counts: docs[i]!, authors: [`a${i}`], organization: null });

  it('learned one signal at a time, it equals the model learned in one go, and forgetting undoes learning', () => {
    const a = new ReaderModel();
    const b = new ReaderModel();
    for (const i of [0, 1, 4]) a.learn(signal(i), vocab);
    for (const i of [4, 0, 1]) b.learn(signal(i), vocab);
    const wa = a.weights(vocab);
    const wb = b.weights(vocab);
    for (let i = 0; i < wa.length; i++) expect(wa[i]).toBeCloseTo(wb[i]!, 6);
    a.learn(signal(8), vocab);
    a.forget(ReaderModel.key(signal(8)));
    const again = a.weights(vocab);
    for (let i = 0; i < wa.length; i++) expect(again[i]).toBeCloseTo(wb[i]!, 6);
    expect(a.authors.has('a8')).toBe(false);
  });

  it('a hidden paper pulls the weights of its words down', () => {
    const m = new ReaderModel();
    m.learn(signal(0), vocab);
    const before = m.weights(vocab)[vocab.ids.get('diffus')!]!;
    m.learn(signal(1, 'hide'), vocab);
    expect(m.weights(vocab)[vocab.ids.get('diffus')!]!).toBeLessThan(before);
  });
});

describe('for you with embeddings (EMBEDDINGS_URL set)', () => {
  it('ranks again by closeness in meaning to what the reader liked, where words alone say nothing', async () => {
    const vector = (...xs: number[]) => Buffer.from(new Float32Array(xs).buffer);
    const papers = [
      { id: '2611.07001', title: 'Orchards of the northern valleys', summary: 'Apple trees and their pollinators.', upvotes: 1, v: vector(1, 0, 0, 0) },
      { id: '2611.07002', title: 'Citrus groves under drought', summary: 'Irrigation of lemon plantations.', upvotes: 2, v: vector(0.9, 0.1, 0, 0) },
      { id: '2611.07003', title: 'Traffic on motorways at night', summary: 'Congestion of lorries and vans.', upvotes: 50, v: vector(0, 0, 1, 0) },
      { id: '2611.07004', title: 'Harbour cranes and shipping', summary: 'Containers at ports.', upvotes: 40, v: vector(0, 0, 0, 1) },
    ];
    for (const withEmbeddings of [false, true]) {
      const { db, app } = await testApp(withEmbeddings ? { EMBEDDINGS_URL: 'http://127.0.0.1:9', EMBEDDINGS_DIMENSIONS: '4' } : {});
      try {
        await importHfItems(
          db,
          papers.map((p) => ({ paper: { id: p.id, title: p.title, summary: p.summary, publishedAt: '2026-11-10T00:00:00.000Z', upvotes: p.upvotes, authors: [{ name: `Writer ${p.id}` }] }, publishedAt: '2026-11-18T09:00:00.000Z' })),
          '2026-11-18',
          'embeddings',
        );
        const now = new Date().toISOString();
        await db.kysely.insertInto('paper_embeddings').values(papers.map((p) => ({ paper_id: p.id, model: 'nomic-embed-text', dimensions: 4, vector: p.v, created_at: now }))).execute();
        const reader = await signedInUser(db);
        await app.request('/api/papers/2611.07001/upvote', { method: 'POST', headers: { Authorization: `Bearer ${reader.token}` } });
        const body = (await (await app.request('/api/for-you', { headers: { Authorization: `Bearer ${reader.token}` } })).json()) as ForYouBody;
        // No word in common with the liked paper: by text alone, popularity decides; by meaning, the citrus paper leads.
        expect(body.papers[0]!.id).toBe(withEmbeddings ? '2611.07002' : '2611.07003');
      } finally {
        await db.close();
      }
    }
  });
});
