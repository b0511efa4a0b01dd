import { describe, expect, it } from 'vitest';
import { testApp } from '../../test/helpers.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import type { ArxivRecord } from '../ingest/arxiv-record.ts';
import { featureByRules, matchesRules, type FeaturingRules } from './featuring.ts';

const rules = (over: Partial<FeaturingRules> = {}): FeaturingRules => ({ categories: [], keywords: [], maxPerDay: 30, ...over });
const paper = (title: string, categories: string[] = ['math.CO']) => ({ title, abstract: 'We study things.', categories });

describe('matchesRules', () => {
  it('picks papers by category', () => {
    expect(matchesRules(paper('A', ['cs.LG', 'stat.ML']), rules({ categories: ['stat.ML'] }))).toBe(true);
    expect(matchesRules(paper('A', ['cs.CV']), rules({ categories: ['stat.ML'] }))).toBe(false);
  });

  it('picks papers by whole words and phrases, case-insensitively', () => {
    const r = rules({ keywords: ['diffusion', 'reward model'] });
    expect(matchesRules(paper('Diffusion Policies for Robots'), r)).toBe(true);
    expect(matchesRules(paper('On Reward-Model Overoptimization'), r)).toBe(true);
    expect(matchesRules(paper('Anisotropic diffusions'), r)).toBe(false);
    expect(matchesRules(paper('Rewards and models'), r)).toBe(false);
  });
});

const record = (id: string, categories: string[], title = `Paper ${id}`): ArxivRecord => ({
  id,
  version: 1,
  title,
  abstract: 'An abstract.',
  authors: [{ name: 'Ada Lovelace', affiliation: null }],
  categories,
  primaryCategory: categories[0] ?? null,
  publishedAt: '2026-11-25T18:00:00.000Z',
  updatedAt: '2026-11-25T18:00:00.000Z',
  comment: null,
  journalRef: null,
  doi: null,
  pdfUrl: null,
  withdrawnAt: null,
});

describe('featureByRules', () => {
  it('features matching, never-featured papers on the day, up to the limit, under the system submitter', async () => {
    const { db, app } = await testApp();
    await importArxivRecords(db, [record('2611.10001', ['cs.LG']), record('2611.10002', ['cs.LG']), record('2611.10003', ['math.AG']), record('2611.10004', ['cs.LG'])], 'test');
    const now = new Date('2026-11-26T02:00:00Z');
    const r = rules({ categories: ['cs.LG'], maxPerDay: 2 });
    const first = await featureByRules(db, r, ['2611.10001', '2611.10002', '2611.10003', '2611.10004'], now);
    // Newest first, then by id: the limit of two takes the first two cs.LG papers.
    expect(first).toEqual(['2611.10001', '2611.10002']);
    // The day's limit is reached; featured papers are never featured again.
    expect(await featureByRules(db, r, ['2611.10001', '2611.10002', '2611.10004'], now)).toEqual([]);
    expect(await featureByRules(db, rules({ categories: ['cs.LG'] }), ['2611.10001', '2611.10004'], new Date('2026-11-27T02:00:00Z'))).toEqual([
      '2611.10004',
    ]);

    const api = (await (await app.request('/api/daily_papers?date=2026-11-26')).json()) as { paper: { id: string }; submittedBy: { name: string } }[];
    expect(api.map((e) => e.paper.id).sort()).toEqual(first);
    expect(api[0]!.submittedBy.name).toBe('featuring-rules');
    const html = await (await app.request('/papers/date/2026-11-26')).text();
    expect(html).toMatch(/Submitted by <a class="person" href="\/users\/featuring-rules">(?:(?!<\/a>).)*Featuring rules<\/a>/);
    await db.close();
  });

  it('does nothing without rules', async () => {
    const { db } = await testApp();
    await importArxivRecords(db, [record('2611.10005', ['cs.LG'])], 'test');
    expect(await featureByRules(db, rules(), ['2611.10005'])).toEqual([]);
    await db.close();
  });
});
