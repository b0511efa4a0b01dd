import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { connectDatabase, type Db } from './database.ts';
import { subscribe, confirm } from '../digests/subscriptions.ts';
import { signToken } from '../digests/tokens.ts';
import { deriveKeys, resolveKeys } from './secrets.ts';
import { freshDatabaseUrl, testConfig } from '../../test/helpers.ts';
import { LOOPBACK } from '../../test/cookie-client.ts';

let url: string;
let db: Db;
beforeAll(async () => {
  url = await freshDatabaseUrl();
  db = await connectDatabase(url, { poolSize: 4 });
});
afterAll(() => db.close());

describe('instance keys', () => {
  it('in development, makes a random root secret on the first start and keeps it: every start and instance on the database agrees', async () => {
    const config = testConfig({ DATABASE_URL: url });
    // Instances starting at once, each with its own connection: one secret wins, all read it.
    const others = await Promise.all([1, 2, 3].map(() => connectDatabase(url, { poolSize: 1 })));
    try {
      const first = await Promise.all([db, ...others].map((d) => resolveKeys(d, config)));
      for (const keys of first) expect(keys).toEqual(first[0]);
    } finally {
      await Promise.all(others.map((d) => d.close()));
    }
    // A restart reads the kept one.
    expect(await resolveKeys(db, config)).toEqual(await resolveKeys(db, config));
    const rows = await db.kysely.selectFrom('instance_settings').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.value).toMatch(/^[0-9a-f]{64}$/);
  });

  it('derives a separate key per purpose, none equal to the root secret', () => {
    const root = 'f3a1c9e07b5d2468ace13579bdf02468ace13579bdf0';
    const keys = deriveKeys(root);
    expect(keys.mailLinks).not.toBe(keys.sessions);
    expect([keys.mailLinks, keys.sessions]).not.toContain(root);
    expect(deriveKeys(root)).toEqual(keys);
    expect(deriveKeys(`${root}0`).mailLinks).not.toBe(keys.mailLinks);
  });

  it('uses SESSION_SECRET when it is set, and production refuses to go without it', async () => {
    const secret = '0c2f6a9e1b7d4c8f3a5e9b2d7f1c6a4e';
    expect(await resolveKeys(db, testConfig({ SESSION_SECRET: secret }))).toEqual(deriveKeys(secret));
    await expect(resolveKeys(db, testConfig({ NODE_ENV: 'production' }))).rejects.toThrow(/SESSION_SECRET is not set/);
  });

  it('rejects a mail link signed with the key anyone could derive from DATABASE_URL', async () => {
    const app = createApp({ db, config: testConfig({ DATABASE_URL: url }) });
    const { id } = await subscribe(db.kysely, { email: 'forged@example.org', frequency: 'daily' });
    await confirm(db.kysely, id);
    // The key that used to sign links when SESSION_SECRET was unset (src/digests/tokens.ts before issue 13).
    const guessable = createHash('sha256').update(`dailypapers-development:${url}`).digest('hex');
    const forged = await app.request(`/subscription?token=${signToken(guessable, 'preferences', id)}`, {}, LOOPBACK);
    expect(forged.status).toBe(400);
    expect(await forged.text()).not.toContain('forged@example.org');
    // The instance's own key opens it.
    const keys = await resolveKeys(db, testConfig({ DATABASE_URL: url }));
    const genuine = await app.request(`/subscription?token=${signToken(keys.mailLinks, 'preferences', id)}`, {}, LOOPBACK);
    expect(genuine.status).toBe(200);
  });
});
