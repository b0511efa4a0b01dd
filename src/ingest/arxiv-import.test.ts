import { describe, expect, it } from 'vitest';
import { freshDb, testApp } from '../../test/helpers.ts';
import { importHfItems } from './hf-import.ts';
import { importArxivRecords } from './arxiv-import.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { RecordProblem } from './summary.ts';

const record = (id: string, version: number, extra: Partial<ArxivRecord> = {}): ArxivRecord => ({
  id,
  version,
  title: `Title of ${id} v${version}`,
  abstract: `Abstract v${version}.`,
  authors: [
    { name: 'Ada Lovelace', affiliation: 'Analytical Engines Ltd' },
    { name: 'Alan Turing', affiliation: null },
  ],
  categories: ['cs.LG', 'stat.ML'],
  primaryCategory: 'cs.LG',
  publishedAt: '2024-01-02T00:00:00.000Z',
  updatedAt: `2024-01-0${2 + version}T00:00:00.000Z`,
  comment: '12 pages',
  journalRef: null,
  doi: null,
  pdfUrl: `https://arxiv.org/pdf/${id}v${version}`,
  withdrawnAt: null,
  ...extra,
});

describe('importArxivRecords', () => {
  it('stores every field, and a second run changes nothing', async () => {
    const db = await freshDb();
    const first = await importArxivRecords(db, [record('2401.00001', 1), record('astro-ph/0601001', 2), new RecordProblem('x:3', 'bad')], 'test');
    expect(first).toMatchObject({ new: 2, updated: 0, unchanged: 0, rejected: 1 });
    const paper = await db.kysely.selectFrom('papers').selectAll().where('id', '=', 'astro-ph/0601001').executeTakeFirstOrThrow();
    expect(paper).toMatchObject({
      version: 2,
      title: 'Title of astro-ph/0601001 v2',
      primary_category: 'cs.LG',
      published_at: '2024-01-02T00:00:00.000Z',
      updated_at: '2024-01-04T00:00:00.000Z',
      comment: '12 pages',
      pdf_url: 'https://arxiv.org/pdf/astro-ph/0601001v2',
      upvotes: 0,
    });
    const authors = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', 'astro-ph/0601001').orderBy('position').execute();
    expect(authors.map((a) => [a.name, a.affiliation])).toEqual([
      ['Ada Lovelace', 'Analytical Engines Ltd'],
      ['Alan Turing', null],
    ]);
    const cats = await db.kysely.selectFrom('paper_categories').select('category').where('paper_id', '=', '2401.00001').orderBy('category').execute();
    expect(cats.map((c) => c.category)).toEqual(['cs.LG', 'stat.ML']);

    const again = await importArxivRecords(db, [record('2401.00001', 1), record('astro-ph/0601001', 2)], 'test');
    expect(again).toMatchObject({ new: 0, updated: 0, unchanged: 2 });
    await db.close();
  });

  it('lets the newest version win and ignores older ones', async () => {
    const db = await freshDb();
    await importArxivRecords(db, [record('2401.00002', 2)], 'test');
    expect(await importArxivRecords(db, [record('2401.00002', 1)], 'test')).toMatchObject({ unchanged: 1 });
    expect(await importArxivRecords(db, [record('2401.00002', 3, { authors: [{ name: 'Ada Lovelace', affiliation: null }] })], 'test')).toMatchObject({ updated: 1 });
    const paper = await db.kysely.selectFrom('papers').select(['version', 'title']).where('id', '=', '2401.00002').executeTakeFirstOrThrow();
    expect(paper).toEqual({ version: 3, title: 'Title of 2401.00002 v3' });
    const authors = await db.kysely.selectFrom('paper_authors').select('name').where('paper_id', '=', '2401.00002').execute();
    expect(authors).toHaveLength(1);
    await db.close();
  });

  it('keeps what Hugging Face said (votes, code, author ids) when arXiv updates a featured paper', async () => {
    const db = await freshDb();
    await importHfItems(
      db,
      [
        {
          paper: {
            id: '2401.00003',
            title: 'Old title',
            summary: 'Old abstract',
            publishedAt: '2024-01-02T00:00:00.000Z',
            upvotes: 42,
            githubRepo: 'https://github.com/example/x',
            authors: [
              { _id: 'hf-ada', name: 'Ada Lovelace', hidden: false },
              { _id: 'hf-alan', name: 'Alan Turing', hidden: false },
            ],
          },
          publishedAt: '2024-01-03T00:00:00.000Z',
        },
      ],
      '2024-01-03',
      'test',
    );
    expect(await importArxivRecords(db, [record('2401.00003', 1)], 'test')).toMatchObject({ updated: 1 });
    const paper = await db.kysely.selectFrom('papers').selectAll().where('id', '=', '2401.00003').executeTakeFirstOrThrow();
    expect(paper).toMatchObject({ title: 'Title of 2401.00003 v1', upvotes: 42, github_repo: 'https://github.com/example/x', primary_category: 'cs.LG' });
    const authors = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '2401.00003').orderBy('position').execute();
    expect(authors.map((a) => [a.name, a.hf_id, a.affiliation])).toEqual([
      ['Ada Lovelace', 'hf-ada', 'Analytical Engines Ltd'],
      ['Alan Turing', 'hf-alan', null],
    ]);
    await db.close();
  });
});

describe('a paper known only from arXiv', () => {
  it('has a page and an API object, without a featured day', async () => {
    const { db, app } = await testApp();
    await importArxivRecords(
      db,
      [record('2401.00004', 2, { comment: 'This paper has been withdrawn', withdrawnAt: '2024-01-04T00:00:00.000Z', license: 'http://creativecommons.org/licenses/by/4.0/' })],
      'test',
    );
    // A later source without license information (the Atom API) keeps the license stored.
    await importArxivRecords(db, [record('2401.00004', 2, { comment: 'This paper has been withdrawn', withdrawnAt: '2024-01-04T00:00:00.000Z', title: 'Retitled' })], 'test');
    const page = await app.request('/papers/2401.00004');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Retitled');
    expect(html).toContain('<a href="http://creativecommons.org/licenses/by/4.0/" rel="license">CC BY 4.0</a>');
    expect(html).toContain('<a href="/papers/search?cat=cs.LG">cs.LG</a>, <a href="/papers/search?cat=stat.ML">stat.ML</a>');
    expect(html).toContain('Withdrawn');
    expect(html).toContain('Analytical Engines Ltd');
    expect(html).not.toContain('<dt>Featured</dt>');
    const api = await app.request('/api/papers/2401.00004');
    expect(api.status).toBe(200);
    const paper = (await api.json()) as Record<string, unknown>;
    expect(paper).toMatchObject({ id: '2401.00004', title: 'Retitled', upvotes: 0, publishedAt: '2024-01-02T00:00:00.000Z' });
    expect(paper.submittedOnDailyAt).toBeUndefined();
    await db.close();
  });
});
