import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { importDemoData } from '../ingest/seed.ts';
import { bumpContentVersion } from '../db/content-version.ts';

interface Answer {
  q: string;
  papers: { id: string; title: string }[];
  authors: { name: string; papers: number }[];
  organizations: { name: string; fullname: string }[];
}

describe('GET /api/suggest', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  const suggest = async (q: string) => {
    const res = await app.request(`/api/suggest?q=${encodeURIComponent(q)}`);
    expect(res.status, q).toBe(200);
    return (await res.json()) as Answer;
  };

  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importDemoData(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('suggests papers, authors and organizations by the start of their name or of a word of it', async () => {
    const koop = await suggest('koopman emb');
    expect(koop.papers.map((p) => p.title)).toEqual(['Koopman Embeddings for Long-Horizon Model-Based Reinforcement Learning']);
    // A word inside the title, any case.
    expect((await suggest('EMBEDDINGS')).papers.map((p) => p.id)).toEqual(koop.papers.map((p) => p.id));
    expect((await suggest('north')).organizations).toEqual([{ name: 'northwind-ai', fullname: 'Northwind AI Lab' }]);
    const authors = (await suggest('kolb')).authors;
    expect(authors.map((a) => a.name)).toContain('Astrid Kolbeck');
    expect(authors.every((a) => a.papers >= 1)).toBe(true);
    // An id's start finds its paper.
    expect((await suggest(koop.papers[0]!.id.slice(0, 7))).papers.map((p) => p.id)).toContain(koop.papers[0]!.id);
  });

  it('takes LIKE wildcards literally, says nothing under two characters, refuses a long query, and cleans TeX from titles', async () => {
    expect(await suggest('%%')).toEqual({ q: '%%', papers: [], authors: [], organizations: [] });
    expect(await suggest('_o')).toMatchObject({ papers: [], authors: [], organizations: [] });
    expect(await suggest('k')).toEqual({ q: 'k', papers: [], authors: [], organizations: [] });
    const long = await app.request(`/api/suggest?q=${'a'.repeat(101)}`);
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: string }).error).toMatch(/invalid/);

    const paper = (await suggest('koopman')).papers[0]!;
    await db.kysely.updateTable('papers').set({ title: 'Koopman at 56.0\\% in $\\mathcal{O}(n \\log n)$' }).where('id', '=', paper.id).execute();
    await bumpContentVersion(db.kysely);
    expect((await suggest('koopman')).papers[0]!.title).toBe('Koopman at 56.0% in 𝒪(n log n)');
  });
});
