import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { importDemoData } from '../ingest/seed.ts';

type Envelope = { paper: { id: string; upvotes: number; submittedOnDailyAt: string }; publishedAt: string; submittedBy?: { name: string } };

describe('GET /api/daily_papers', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importDemoData(db);
  });
  afterAll(() => db.close());

  const get = async (query: string) => {
    const res = await app.request(`/api/daily_papers${query}`);
    return { status: res.status, body: (await res.json()) as any };
  };

  it('returns one day, newest submission first', async () => {
    const { status, body } = await get('?date=2026-11-20');
    expect(status).toBe(200);
    expect(body.length).toBeGreaterThan(0);
    for (const e of body as Envelope[]) expect(e.paper.submittedOnDailyAt.slice(0, 10)).toBe('2026-11-20');
    const times = (body as Envelope[]).map((e) => e.paper.submittedOnDailyAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('returns a week and a month', async () => {
    const week = await get('?week=2026-W47');
    const days = new Set((week.body as Envelope[]).map((e) => e.paper.submittedOnDailyAt.slice(0, 10)));
    expect([...days].sort()).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20']);
    const month = await get('?month=2026-11&limit=100');
    expect(month.body).toHaveLength(40);
  });

  it('pages with p and limit without overlap', async () => {
    const first = (await get('?limit=5&p=0')).body as Envelope[];
    const second = (await get('?limit=5&p=1')).body as Envelope[];
    expect(first).toHaveLength(5);
    expect(second).toHaveLength(5);
    expect(new Set([...first, ...second].map((e) => e.paper.id)).size).toBe(10);
  });

  it('filters by submitter', async () => {
    const { body } = await get('?submitter=ada_reads&limit=100');
    expect(body.length).toBeGreaterThan(0);
    for (const e of body as Envelope[]) expect(e.submittedBy?.name).toBe('ada_reads');
    expect((await get('?submitter=nobody-at-all')).body).toEqual([]);
  });

  it('matches the submitter in any case, as every lookup by handle does', async () => {
    const exact = (await get('?submitter=ada_reads&limit=100')).body as Envelope[];
    const shouted = (await get('?submitter=ADA_Reads&limit=100')).body as Envelope[];
    expect(shouted.map((e) => e.paper.id)).toEqual(exact.map((e) => e.paper.id));
  });

  it('sorts by trending', async () => {
    const { body } = await get('?sort=trending&limit=3');
    expect(body).toHaveLength(3);
    // The newest day's most upvoted paper leads.
    const newest = ((await get('?date=2026-11-23')).body as Envelope[]).sort((a, b) => b.paper.upvotes - a.paper.upvotes);
    expect(body[0].paper.id).toBe(newest[0]!.paper.id);
  });

  it.each([
    ['?date=2025-13-40', /date: must be a calendar day/],
    ['?limit=-1', /limit: must be a whole number from 1 to 100/],
    ['?limit=1000', /limit: must be at most 100/],
    ['?p=abc', /p: must be a whole number/],
    ['?sort=random', /sort/],
    ['?week=2026-W99', /week: must be an ISO week/],
    ['?date=2026-11-20&month=2026-11', /at most one of date, week and month/],
    ['?unknown=1', /unknown|Unrecognized/i],
  ])('answers %s with a 400 that says what is wrong', async (query, message) => {
    const { status, body } = await get(query);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid query parameters');
    expect(body.details.join('\n')).toMatch(message);
  });
});

describe('GET /api/papers/{id}', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  beforeAll(async () => {
    ({ db, app } = await testApp());
    await importDemoData(db);
  });
  afterAll(() => db.close());

  it('returns the paper object', async () => {
    const list = (await (await app.request('/api/daily_papers?limit=1')).json()) as Envelope[];
    const res = await app.request(`/api/papers/${list[0]!.paper.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(list[0]!.paper);
  });

  it('answers 404 for an unknown paper and 400 for a malformed id', async () => {
    const missing = await app.request('/api/papers/2401.99999');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/not found: 2401.99999/);
    const bad = await app.request('/api/papers/<script>');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/not an arXiv id/);
    const unknownEndpoint = await app.request('/api/nothing');
    expect(unknownEndpoint.status).toBe(404);
    expect(unknownEndpoint.headers.get('content-type')).toMatch(/json/);
  });
});
