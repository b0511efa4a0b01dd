import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { importDemoData } from '../ingest/seed.ts';
import { bumpContentVersion } from '../db/content-version.ts';
import { CompiledQuery, sql } from 'kysely';
import { suggestionQueries } from './queries.ts';

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

  it('keeps its keys in step with titles, authors and organizations as they change, on the database itself', async () => {
    const q = db.kysely;
    const paper = (await suggest('koopman')).papers[0]!;
    await q.updateTable('papers').set({ title: 'Zyxwv Operators, Renamed' }).where('id', '=', paper.id).execute();
    await bumpContentVersion(q);
    expect((await suggest('koopman')).papers).toEqual([]);
    expect((await suggest('operators, ren')).papers.map((p) => p.id)).toEqual([paper.id]);
    // Whitespace in the title counts as one space.
    await q.updateTable('papers').set({ title: 'Zyxwv\n   Operators,\tAgain' }).where('id', '=', paper.id).execute();
    await bumpContentVersion(q);
    expect((await suggest('zyxwv operators, ag')).papers.map((p) => p.id)).toEqual([paper.id]);
    // A hidden paper is not suggested; its keys stay for when it comes back.
    await q.updateTable('papers').set({ hidden_at: new Date().toISOString() }).where('id', '=', paper.id).execute();
    await bumpContentVersion(q);
    expect((await suggest('zyxwv')).papers).toEqual([]);
    await q.updateTable('papers').set({ hidden_at: null }).where('id', '=', paper.id).execute();

    // An author's keys leave with the last paper naming them.
    const author = (await suggest('kolb')).authors.find((a) => a.name === 'Astrid Kolbeck')!;
    await q.insertInto('paper_authors').values({ paper_id: paper.id, position: 99, name: 'Quentin Zorbaugh', affiliation: null, hf_id: null, hidden: 0, user_id: null, imported_user_id: null }).execute();
    await bumpContentVersion(q);
    expect((await suggest('zorb')).authors).toEqual([{ name: 'Quentin Zorbaugh', papers: 1 }]);
    await q.deleteFrom('paper_authors').where('name', '=', 'Quentin Zorbaugh').execute();
    await bumpContentVersion(q);
    expect((await suggest('zorb')).authors).toEqual([]);
    expect(await q.selectFrom('suggest_keys').select('key').where('kind', '=', 'author').where('target', '=', 'Quentin Zorbaugh').execute()).toEqual([]);
    expect((await suggest('kolb')).authors).toContainEqual(author);

    await q.updateTable('organizations').set({ fullname: 'Southwind Research' }).where('name', '=', 'northwind-ai').execute();
    await bumpContentVersion(q);
    expect((await suggest('north')).organizations).toEqual([{ name: 'northwind-ai', fullname: 'Southwind Research' }]);
    expect((await suggest('research')).organizations).toContainEqual({ name: 'northwind-ai', fullname: 'Southwind Research' });
    expect((await suggest('northwind ai lab')).organizations).toEqual([]);

    // Longer than the keys keep: the text decides.
    const long = 'Zyxwv Operators, Again and Again, Far Past the Forty-Eighth Character Here';
    await q.updateTable('papers').set({ title: long }).where('id', '=', paper.id).execute();
    await bumpContentVersion(q);
    expect((await suggest(long.slice(0, 70))).papers.map((p) => p.id)).toEqual([paper.id]);
    expect((await suggest(`${long.slice(0, 60)} but not this`)).papers).toEqual([]);
  });

  it('keeps a key for each word start within the first 256 characters: the text from it, 48 characters', async () => {
    const q = db.kysely;
    const paper = await q.selectFrom('papers').select('id').orderBy('id').limit(1).executeTakeFirstOrThrow();
    // The rule (decision 023), in JavaScript: whitespace runs as one space, lowered, trimmed.
    const expected = (title: string) => {
      const s = title.toLowerCase().replace(/\s+/g, ' ').trim();
      const keys = new Set<string>();
      for (let n = 0; n < Math.min(s.length, 256); n++) if ((n === 0 || s[n - 1] === ' ') && s[n] !== ' ') keys.add(s.slice(n, n + 48));
      return [...keys].sort();
    };
    const stored = async () =>
      (await q.selectFrom('suggest_keys').select('key').where('kind', '=', 'paper').where('target', '=', paper.id).execute()).map((r) => r.key).sort();
    // Words that start at the 255th, 256th (kept) and 258th character (not), repeated words, tabs, newlines and runs of spaces.
    const filler = 'Word '.repeat(50);
    const titles = [
      `  Alpha\tBeta\n\nGamma   Delta ${filler}ab Cd Ef`,
      `${filler}abcd Xy Zw`,
      `${filler}abcde Xy Zw`,
      'Echo Echo Echo echo',
      'One',
      `A${'b'.repeat(300)} Tail`,
    ];
    for (const title of titles) {
      await q.updateTable('papers').set({ title }).where('id', '=', paper.id).execute();
      expect(await stored(), JSON.stringify(title)).toEqual(expected(title));
    }
  });

  it('looks suggestions up through indexes, never by scanning papers, authors or organizations', async () => {
    for (const [name, query] of Object.entries(suggestionQueries(db.kysely, db.dialect, 'koopman emb', 5))) {
      const { sql: text, parameters } = query.compile();
      let plan: string;
      if (db.dialect === 'postgres') {
        // On tables this small the planner rightly prefers scans; with them priced out, a plan without one shows that an index serves.
        plan = await db.kysely.transaction().execute(async (tx) => {
          await sql`set local enable_seqscan = off`.execute(tx);
          const rows = await tx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${text}`, [...parameters]));
          return rows.rows.map((r) => r['QUERY PLAN']).join('\n');
        });
        expect(plan, name).not.toMatch(/Seq Scan/);
      } else {
        const rows = await db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]));
        plan = rows.rows.map((r) => r.detail).join('\n');
        expect(plan, name).not.toMatch(/SCAN (papers|paper_authors|organizations|suggest_keys)\b(?! USING)/);
      }
        // The keys by the range of what was typed.
      expect(plan, name).toMatch(db.dialect === 'postgres' ? /Index Cond: \(\(kind = '\w+'::text\) AND \(key >= 'koopman emb'::text\) AND \(key < 'koopman emc'::text\)\)/ : /SEARCH suggest_keys USING PRIMARY KEY \(kind=\? AND key>\? AND key<\?\)/);
    }
  });
});
