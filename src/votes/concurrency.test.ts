import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { freshDatabaseUrl, testDialect } from '../../test/helpers.ts';
import { startServer, type RunningServer } from '../../test/e2e/server.ts';
import { signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';

const USERS = 100;
// Fifteen each on ten papers: every paper takes 150 actions from about 80 clients racing each
// other, as thirty each on twenty papers did, in half the requests; the count is exact at any size.
const VOTES = 1_500;
const PAPERS = Array.from({ length: 10 }, (_, i) => `2611.${String(i + 1).padStart(5, '0')}`);

/**
 * 100 clients cast and withdraw 1,500 votes over real HTTP at once. Each client
 * votes in order, so its last action on a paper is what must be stored: the test
 * knows every paper's final count exactly. The server is the real executable in
 * a process of its own, so the clients do not share its event loop.
 */
describe(`100 clients voting at once on ${testDialect}`, () => {
  let db: Db;
  let server: RunningServer;
  let users: TestUser[];
  const baseline = new Map(PAPERS.map((id, i) => [id, (i * 7) % 13]));

  beforeAll(async () => {
    const databaseUrl = await freshDatabaseUrl();
    db = await connectDatabase(databaseUrl, { poolSize: 2 });
    const items = PAPERS.map((id) => ({
      paper: { id, title: `Paper ${id}`, summary: 'x', publishedAt: '2026-11-01T00:00:00.000Z', upvotes: baseline.get(id)!, authors: [] },
      publishedAt: '2026-11-02T08:00:00.000Z',
      title: `Paper ${id}`,
      numComments: 0,
    }));
    await importHfItems(db, items, '2026-11-02', 'test');
    users = [];
    for (let i = 0; i < USERS; i++) users.push(await signedInUser(db));
    server = await startServer({ databaseUrl, env: { RATE_LIMIT_SCALE: '0' } });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.close();
  });

  it('ends with every count = baseline + stored votes, one vote per person and paper', async () => {
    const last = new Map<string, boolean>(); // `${user}|${paper}` → upvoted after the client's last action
    let failures = 0;
    // One kept-alive connection per client and no connect timeout (fetch gives up after 10 s, which a busy machine can take).
    const agent = new http.Agent({ keepAlive: true, maxSockets: USERS });
    let resets = 0;
    const vote = (paper: string, up: boolean, token: string, tries = 0): Promise<{ status: number; body: { upvoted: boolean } }> =>
      new Promise((resolve, reject) => {
        const req = http.request(`${server.baseUrl}/api/papers/${paper}/upvote`, { method: up ? 'POST' : 'DELETE', agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { upvoted: boolean } }));
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed as idle (a client starved past its keep-alive
          // timeout) is reset on reuse, and a machine busy with a second suite resets a few new
          // ones too: a vote sets a state (idempotent) and each client waits for its answer before
          // its next vote, so it is sent again, in order, a bounded number of times.
          if (err.code === 'ECONNRESET' && tries < 5) {
            resets++;
            resolve(vote(paper, up, token, tries + 1));
          } else reject(err);
        });
        req.end();
      });
    const client = async (user: TestUser, n: number) => {
      for (let i = 0; i < n; i++) {
        const paper = PAPERS[Math.floor(Math.random() * PAPERS.length)]!;
        const up = Math.random() < 0.6;
        const { status, body } = await vote(paper, up, user.token);
        if (status !== 200 || body.upvoted !== up) failures++;
        last.set(`${user.id}|${paper}`, up);
      }
    };
    const started = Date.now();
    await Promise.all(users.map((u) => client(u, VOTES / USERS)));
    const seconds = (Date.now() - started) / 1000;
    agent.destroy();
    console.log(`${testDialect}: ${VOTES} votes in ${seconds.toFixed(1)} s (${Math.round(VOTES / seconds)}/s), ${resets} connection(s) reset and sent again`);
    expect(failures).toBe(0);

    // The server seeds the demo papers too; nobody votes on those.
    const rows = await db.kysely.selectFrom('upvotes').select(['user_id', 'paper_id']).execute();
    const pairs = rows.map((r) => `${r.user_id}|${r.paper_id}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    const expected = [...last].filter(([, up]) => up).map(([key]) => key);
    expect(pairs.sort()).toEqual(expected.sort());

    const papers = await db.kysely.selectFrom('papers').select(['id', 'upvotes', 'upvotes_source']).where('id', 'in', PAPERS).execute();
    expect(papers).toHaveLength(PAPERS.length);
    for (const p of papers) {
      const stored = rows.filter((r) => r.paper_id === p.id).length;
      expect(Number(p.upvotes_source), p.id).toBe(baseline.get(p.id));
      expect(Number(p.upvotes), p.id).toBe(baseline.get(p.id)! + stored);
    }
  });
});
