import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayServer, syntheticFeed } from '../../test/arxiv-replay.ts';
import { freshDatabaseUrl, testConfig, testDialect } from '../../test/helpers.ts';
import { connectDatabase, type Db } from '../db/database.ts';
import { silentLogger } from '../core/log.ts';
import { arxivFetcher } from './arxiv-api.ts';
import { databaseLane } from './upstream-lane.ts';

// Each process has its own connection to the database; two connections here stand for two
// processes (app instances, a job, an operator's CLI), whose only common ground is that database.
const ORIGIN = 'http://arxiv.test';
/** A timer may fire this much early on a busy machine's clock reads; an unshared lane would be off by whole turns. */
const SLACK_MS = 25;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let first: Db;
let second: Db;
beforeAll(async () => {
  const url = await freshDatabaseUrl();
  first = await connectDatabase(url);
  second = await connectDatabase(url);
});
afterAll(async () => {
  await first.close();
  await second.close();
});

describe(`the upstream lane shared by processes on one ${testDialect} database`, () => {
  it('gives the turn to one process at a time, each starting the rest after the last turn ended', async () => {
    const REST_MS = 60;
    const turns: { start: number; end: number }[] = [];
    const worker = async (db: Db) => {
      const lane = databaseLane(db);
      for (let i = 0; i < 3; i++) {
        const turn = await lane.take(ORIGIN);
        const start = Date.now();
        await sleep(30);
        const end = Date.now();
        turns.push({ start, end });
        await turn.end(REST_MS);
      }
    };
    await Promise.all([worker(first), worker(second), worker(first), worker(second)]);

    expect(turns).toHaveLength(12);
    turns.sort((a, b) => a.start - b.start);
    for (let i = 1; i < turns.length; i++) expect(turns[i]!.start - turns[i - 1]!.end).toBeGreaterThanOrEqual(REST_MS - SLACK_MS);
  });

  it('keeps a living holder\'s turn past its lease, and frees a dead one\'s once its lease has passed', async () => {
    // Renewed every third of a lease: the holder's event loop may stall up to two thirds of it (1.3 s here) on a busy machine.
    const LEASE = 2000;
    const origin = `${ORIGIN}/lease`;
    const turn = await databaseLane(first, { leaseMs: LEASE }).take(origin);
    const taken = Date.now();
    let nextAt = 0;
    const next = databaseLane(second, { leaseMs: LEASE }).take(origin).then((t) => ((nextAt = Date.now()), t));
    await sleep(1.5 * LEASE);
    const ended = Date.now();
    await turn.end(0);
    await (await next).end(0);
    expect(ended - taken).toBeGreaterThanOrEqual(1.5 * LEASE - SLACK_MS);
    expect(nextAt).toBeGreaterThanOrEqual(ended);

    // A process killed holding the turn leaves this row behind, and never renews it.
    const DEAD_LEASE = 300;
    await first.kysely.updateTable('upstream_lanes').set({ free_at: Date.now() + DEAD_LEASE, holder: 'killed' }).where('origin', '=', origin).execute();
    const asked = Date.now();
    await (await databaseLane(second).take(origin)).end(0);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(DEAD_LEASE - SLACK_MS);
  });
});

describe('arXiv fetchers on the shared lane', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await new ReplayServer().start();
  });
  afterAll(() => server.stop());

  const fetcher = (db: Db) =>
    arxivFetcher(db, testConfig({ ARXIV_MIN_INTERVAL_MS: '20', ARXIV_MAX_RETRIES: '2', ARXIV_TIMEOUT_MS: '60000' }), silentLogger, { backoffBaseMs: 10 });

  it('wait for the turn another process holds, and rest every process for a Retry-After', async () => {
    const origin = new URL(server.url).origin;
    const other = databaseLane(second);

    // Another process is asking arXiv for 500 ms: this one's request waits for it.
    let turn = await other.take(origin);
    const held = Date.now();
    server.script.push({ status: 200, body: syntheticFeed(['2601.00001']) });
    const waiting = fetcher(first).get(`${server.url}?id_list=2601.00001`);
    await sleep(500);
    await turn.end(0);
    await waiting;
    expect(server.requests.at(-1)!.at - held).toBeGreaterThanOrEqual(500 - SLACK_MS);

    // arXiv asks this process to come back in a second: the other process waits that second too.
    server.script.push({ status: 503, body: 'busy', headers: { 'Retry-After': '1' } }, { status: 200, body: syntheticFeed(['2601.00002']) });
    const before = server.requests.length;
    const retried = fetcher(first).get(`${server.url}?id_list=2601.00002`);
    await expect.poll(() => server.requests.length).toBe(before + 1);
    const refused = server.requests.at(-1)!.at;
    turn = await other.take(origin);
    expect(Date.now() - refused).toBeGreaterThanOrEqual(1000 - SLACK_MS);
    await turn.end(0);
    await retried;
    expect(server.requests).toHaveLength(before + 2);
  });
});
