import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { freshDatabaseUrl, testDialect } from '../../test/helpers.ts';
import { ROOT } from '../../test/e2e/server.ts';
import { startSmtpServer, type TestSmtpServer } from '../../test/smtp.ts';
import { addSubscribers, CATEGORIES, seedDigestPapers, SUBJECTS } from '../../test/digests.ts';

// The real executable (`dailypapers digest send`) as child processes against one database and
// one SMTP server: killed mid-batch and restarted, and three at once (cli.test.ts runs the rest of
// `digest` in this process).
const BIN = path.join(ROOT, 'bin/dailypapers.js');
const DAY = '2026-11-24';
const PERIOD = `daily:${DAY}`;
// Enough for each kill to land mid-batch with rows leased and mails in flight on every connection.
const SUBSCRIBERS = 400;
const CONCURRENCY = 5;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function startSend(databaseUrl: string, smtpUrl: string, extra: string[] = []): { child: ChildProcess; exit: Promise<Exit> } {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    SMTP_URL: smtpUrl,
    BASE_URL: 'https://papers.example.org',
    MAIL_FROM: 'Daily Papers <digest@papers.example.org>',
    SESSION_SECRET: 's'.repeat(40),
    DIGEST_SEND_CONCURRENCY: String(CONCURRENCY),
  };
  const child = spawn(process.execPath, [BIN, 'digest', 'send', '--period', PERIOD, ...extra], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, output })));
  return { child, exit };
}

/** A database with a day of papers and SUBSCRIBERS active subscribers with varied topics. */
async function setUp(): Promise<{ url: string; db: Db; ids: number[] }> {
  const url = await freshDatabaseUrl();
  const db = await connectDatabase(url, { poolSize: 4 });
  await seedDigestPapers(db, DAY);
  const ids = await addSubscribers(
    db,
    Array.from({ length: SUBSCRIBERS }, (_, i) => ({
      email: `reader${i}@example.org`,
      topics: i % 3 === 0 ? {} : i % 3 === 1 ? { categories: [CATEGORIES[i % CATEGORIES.length]!] } : { queries: [SUBJECTS[i % SUBJECTS.length]!.split(' ')[0]!] },
      maxPapers: 3 + (i % 5),
    })),
  );
  return { url, db, ids };
}

/** Mails at the server per recipient, and the Message-IDs each carried. */
function byRecipient(smtp: TestSmtpServer): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const m of smtp.mails) for (const to of m.to) seen.set(to, [...(seen.get(to) ?? []), m.parsed.messageId ?? '']);
  return seen;
}

/** Resolves once `condition` holds; the test's limit bounds the wait. */
async function poll(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 5));
}

describe('digest send: across crashes and instances', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('killed with SIGKILL mid-batch, twice, and restarted: every subscriber gets the digest; a second copy only for a mail in flight at a kill, under the same Message-ID', async () => {
    const { url, db, ids } = await setUp();
    const smtp = await startSmtpServer();
    cleanup.push(() => db.close(), () => smtp.close());
    const sentSoFar = async () =>
      Number((await db.kysely.selectFrom('digest_outbox').select((eb) => eb.fn.countAll().as('n')).where('status', '=', 'sent').executeTakeFirstOrThrow()).n);

    const kills: { received: number; leased: number }[] = [];
    for (const killAt of [120, 260]) {
      const sender = startSend(url, smtp.url, ['--lease-seconds', '5']);
      await Promise.race([poll(async () => (await sentSoFar()) >= killAt), sender.exit.then((e) => Promise.reject(new Error(`sender ended early: ${e.output}`)))]);
      sender.child.kill('SIGKILL');
      expect((await sender.exit).signal).toBe('SIGKILL');
      const leased = await db.kysely.selectFrom('digest_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'sending').executeTakeFirstOrThrow();
      kills.push({ received: smtp.mails.length, leased: Number(leased.n) });
    }
    expect(smtp.mails.length).toBeLessThan(SUBSCRIBERS);

    // Rows the dead senders held are taken over once their lease runs out. Time passes here
    // instead of being waited for: a row past the fence holds its lease for minutes.
    await db.kysely.updateTable('digest_outbox').set({ lease_until: new Date(Date.now() - 1000).toISOString() }).where('status', '=', 'sending').execute();
    // The default lease outlasts this run on a busy machine, so what it reports taken over is only what the dead senders held.
    const last = startSend(url, smtp.url);
    const done = await last.exit;
    expect(done.code, done.output).toBe(0);
    // Whatever the second sender held at its kill (its own rows and any it took over from the first).
    expect(Number(/(\d+) taken over/.exec(done.output)?.[1] ?? 0)).toBe(kills.at(-1)!.leased);

    const rows = await db.kysely.selectFrom('digest_outbox').select(['subscription_id', 'status', 'message_id']).where('period', '=', PERIOD).execute();
    expect(rows).toHaveLength(SUBSCRIBERS);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);

    // Counted at the server: every subscriber has their digest, under their own Message-ID.
    const seen = byRecipient(smtp);
    for (const [i, id] of ids.entries()) {
      const got = seen.get(`reader${i}@example.org`);
      expect(got, `reader${i}`).toBeDefined();
      expect(new Set(got)).toEqual(new Set([`<digest.daily-${DAY}.${id}@papers.example.org>`]));
    }
    // A second copy only for a mail between the server's 250 and its record at a kill: at most one per connection per kill.
    const duplicates = [...seen.values()].filter((m) => m.length > 1);
    expect(duplicates.length).toBeLessThanOrEqual(CONCURRENCY * kills.length);
    expect(smtp.mails.length).toBe(SUBSCRIBERS + duplicates.length);
    console.log(
      `digest crash test (${testDialect}): killed after ${kills.map((k) => `${k.received} mails with ${k.leased} rows leased`).join(', then ')}; ${duplicates.length} in-doubt mail(s) arrived twice (same Message-ID)`,
    );
  });

  it.runIf(testDialect === 'postgres')('three senders on one period at once: each subscriber gets exactly one mail', async () => {
    const { url, db, ids } = await setUp();
    const smtp = await startSmtpServer();
    cleanup.push(() => db.close(), () => smtp.close());

    const senders = [0, 1, 2].map(() => startSend(url, smtp.url));
    const exits = await Promise.all(senders.map((s) => s.exit));
    for (const e of exits) expect(e.code, e.output).toBe(0);
    // Each built its share and sent its share; together, every digest once.
    const sentBy = exits.map((e) => Number(/digest: (\d+) sent/.exec(e.output)?.[1] ?? NaN));
    expect(sentBy.reduce((a, b) => a + b, 0)).toBe(SUBSCRIBERS);

    const seen = byRecipient(smtp);
    expect(smtp.mails).toHaveLength(SUBSCRIBERS);
    for (const [i, id] of ids.entries()) expect(seen.get(`reader${i}@example.org`)).toEqual([`<digest.daily-${DAY}.${id}@papers.example.org>`]);
    console.log(`digest three senders (${testDialect}): sent ${sentBy.join(' + ')}`);
  });
});
