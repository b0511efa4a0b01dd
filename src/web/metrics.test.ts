import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import type { Db } from '../db/database.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { LOOPBACK } from '../../test/cookie-client.ts';

const TOKEN = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8';
const PRODUCTION = { NODE_ENV: 'production', SESSION_SECRET: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', BASE_URL: 'https://papers.example.org' };
/** A client elsewhere on the network, as the Node server describes it. */
const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.9' } } };

let db: Db;
beforeAll(async () => {
  db = await freshDb();
});
afterAll(() => db.close());

describe('/metrics', () => {
  it('in production with METRICS_TOKEN: 401 without the bearer token or with another, 200 with it', async () => {
    const app = createApp({ db, config: testConfig({ ...PRODUCTION, METRICS_TOKEN: TOKEN }) });
    const bare = await app.request('/metrics', {}, REMOTE);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
    expect(await bare.text()).not.toContain('dailypapers_');
    // Not even from this machine without it.
    expect((await app.request('/metrics', {}, LOOPBACK)).status).toBe(401);
    for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}0`, `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
      expect((await app.request('/metrics', { headers: { Authorization: authorization } }, REMOTE)).status, authorization).toBe(401);
    }
    const ok = await app.request('/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } }, REMOTE);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('dailypapers_http_request_duration_seconds');
  });

  it('in production without METRICS_TOKEN: only a client on this machine, not through a proxy', async () => {
    const app = createApp({ db, config: testConfig(PRODUCTION) });
    expect((await app.request('/metrics', {}, REMOTE)).status).toBe(404);
    expect((await app.request('/metrics', { headers: { 'X-Forwarded-For': '203.0.113.9' } }, LOOPBACK)).status).toBe(404);
    expect((await app.request('/metrics', {}, LOOPBACK)).status).toBe(200);
  });

  it('in development without METRICS_TOKEN: open, as before', async () => {
    const app = createApp({ db, config: testConfig() });
    expect((await app.request('/metrics', {}, REMOTE)).status).toBe(200);
  });
});
