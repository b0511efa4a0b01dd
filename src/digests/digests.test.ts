import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { createApp } from '../app.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../test/smtp.ts';
import { addSubscribers, seedDigestPapers } from '../../test/digests.ts';
import { createMailer, type Mailer } from '../mail/mailer.ts';
import { parseDigestPeriod, type DigestPeriod } from './build.ts';
import { enqueueDigests, outboxCounts, pruneOutbox, RETENTION_DAYS } from './outbox.ts';
import { sendDue } from './send.ts';
import { unsubscribe } from './subscriptions.ts';
import { setVisibility } from '../moderation/queries.ts';
import { verifyToken } from './tokens.ts';
import { deriveKeys } from '../db/secrets.ts';
import { digestSubject, shortAbstract } from './render.ts';
import { scheduledJobs } from '../jobs/jobs.ts';
import { currentPeriodStart } from '../jobs/scheduler.ts';

const DAY = '2026-11-24'; // a Tuesday, before any day these tests run on
const BASE = 'https://papers.example.org';
const SETTINGS = { BASE_URL: BASE, MAIL_FROM: 'Daily Papers <digest@papers.example.org>', SESSION_SECRET: 'x'.repeat(40) };
// The keys an app resolves from this SESSION_SECRET, for the jobs and senders called directly.
const config = { ...testConfig(SETTINGS), keys: deriveKeys(SETTINGS.SESSION_SECRET) };
const period = parseDigestPeriod(`daily:${DAY}`)!;
// Retries at once, so a test sees the whole retry sequence in one sendDue call.
const NOW = { retryBaseMs: 0 };

// A subscriber's outbox row with the body it shares (subject, html, text and paper ids stored once per selection).
const outboxRow = (db: Db, subscriptionId: number) =>
  db.kysely
    .selectFrom('digest_outbox as o')
    .innerJoin('digest_bodies as b', 'b.id', 'o.body_id')
    .selectAll('o')
    .select(['b.subject', 'b.html', 'b.text', 'b.paper_ids'])
    .where('o.subscription_id', '=', subscriptionId)
    .where('o.period', '=', period.key)
    .executeTakeFirstOrThrow();
/** A clock that stands still until a test moves it: a lease runs out when the test says, however slow the machine. */
function stoppedClock() {
  let at = Date.now();
  return { now: () => at, advance: (ms: number) => void (at += ms) };
}
const mailsTo = (smtp: TestSmtpServer, address: string) => smtp.mails.filter((m) => m.to.includes(address));
const paperIdsIn = (mail: ReceivedMail) => [...mail.text.matchAll(/\/papers\/(\d{4}\.\d{5})/g)].map((m) => m[1]);

describe('digests: what they hold', () => {
  let db: Db;
  beforeAll(async () => {
    db = await freshDb();
    await seedDigestPapers(db, DAY);
  });
  afterAll(() => db.close());

  it('gives each subscriber the papers of their topics first, falls back to the top papers when a topic is quiet, and says so', async () => {
    const [generic, robotics, diffusion, quiet, ada, mixed] = await addSubscribers(db, [
      { email: 'generic@example.org', maxPapers: 5 },
      { email: 'robotics@example.org', topics: { categories: ['cs.RO'] }, maxPapers: 5 },
      { email: 'diffusion@example.org', topics: { queries: ['diffusion'] }, maxPapers: 3 },
      { email: 'quiet@example.org', topics: { categories: ['q-bio.NC'] }, maxPapers: 4 },
      { email: 'ada@example.org', topics: { authors: ['ada lovelace'], organizations: ['deepmind'] }, maxPapers: 50 },
      { email: 'mixed@example.org', topics: { categories: ['cs.RO'], queries: ['"quantum chromodynamics"'] }, maxPapers: 8 },
    ]);
    const summary = await enqueueDigests(db, config, period);
    expect(summary).toMatchObject({ papers: 30, subscribers: 6, queued: 6, queries: 2 });
    // A second run (another instance, or a rerun) builds nothing again.
    expect(await enqueueDigests(db, config, period)).toMatchObject({ subscribers: 0, queued: 0 });

    const ids = async (id: number) => JSON.parse((await outboxRow(db, id!)).paper_ids) as string[];
    const paper = (i: number) => `2611.${10000 + i}`;
    // No topics: the five most upvoted papers (upvotes fall with i).
    expect(await ids(generic!)).toEqual([0, 1, 2, 3, 4].map(paper));
    // cs.RO is every fifth paper from 2: those, best first.
    expect(await ids(robotics!)).toEqual([2, 7, 12, 17, 22].map(paper));
    // A saved search: "diffusion" is every fifth paper from 0.
    expect(await ids(diffusion!)).toEqual([0, 5, 10].map(paper));
    // Quiet: nothing in q-bio.NC, so the overall top papers, and the mail says why.
    expect(await ids(quiet!)).toEqual([0, 1, 2, 3].map(paper));
    const quietRow = await outboxRow(db, quiet!);
    expect(quietRow.text).toContain('Nothing matched your topics this time, so here are the overall top papers.');
    expect(quietRow.html).toContain('Nothing matched your topics this time');
    // Two topics: papers matching both (Ada's papers at DeepMind, i % 12 == 0) come before those matching one.
    const adaIds = await ids(ada!);
    expect(adaIds.slice(0, 3)).toEqual([0, 12, 24].map(paper));
    expect(new Set(adaIds)).toEqual(new Set(Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3 === 0 || i % 4 === 0).map(paper)));
    // One topic matched, one quiet: the matches, then top papers to fill, with a notice naming the quiet one.
    const mixedRow = await outboxRow(db, mixed!);
    expect(JSON.parse(mixedRow.paper_ids)).toEqual([2, 7, 12, 17, 22, 27, 0, 1].map(paper));
    expect(mixedRow.text).toContain('Quiet this time: “"quantum chromodynamics"”.');
    expect(mixedRow.text.indexOf('FOR YOUR TOPICS')).toBeLessThan(mixedRow.text.indexOf('ALSO TRENDING'));
  });

  it('renders readable math, short abstracts, escaped HTML and the subject of the day', async () => {
    const [id] = await addSubscribers(db, [{ email: 'math@example.org', maxPapers: 2 }]);
    await enqueueDigests(db, config, period);
    const row = await outboxRow(db, id!);
    expect(row.subject).toBe('Top papers for Tuesday, 24 November');
    expect(digestSubject(parseDigestPeriod('weekly:2026-W50')!)).toBe('Top papers of the week of 7 December');
    // Math written in Unicode, no TeX command and no dollar left, in both parts.
    expect(row.text).toContain('Attention in O(n log n) time for reinforcement learning');
    expect(row.html).toContain('Attention in O(n log n) time');
    expect(row.text).not.toMatch(/\$|\\[a-z]/);
    expect(row.html).not.toMatch(/\\[a-z]/);
    // About two lines of abstract, cut at a word.
    const short = shortAbstract('word '.repeat(100));
    expect(short.length).toBeLessThanOrEqual(221);
    expect(short.endsWith('word…')).toBe(true);
    expect(row.html).toMatch(/^<!doctype html>/);
    expect(row.html).toContain(`href="${BASE}/papers/2611.10000"`);
    expect(row.html).toContain('role="presentation"');
    expect(row.html).not.toMatch(/<style|<script/);
  });

  it('stores each distinct rendering once per period, shared by subscribers with the same selection; topics cannot forge a link slot', async () => {
    const [x, y, z] = await addSubscribers(db, [
      { email: 'share1@example.org', topics: { categories: ['cs.CV'] }, maxPapers: 3 },
      { email: 'share2@example.org', topics: { categories: ['CS.cv'] }, maxPapers: 3 },
      // A quiet topic is named in the notice, so the reader's own text lands in the body.
      { email: 'forger@example.org', topics: { categories: ['cs.CV'], queries: ['nothing\u0001unsubscribe\u0001here'] }, maxPapers: 3 },
    ]);
    await enqueueDigests(db, config, period);
    const [rx, ry, rz] = await Promise.all([x, y, z].map((id) => outboxRow(db, id!)));
    expect(rx!.body_id).toBe(ry!.body_id);
    expect(rz!.body_id).not.toBe(rx!.body_id);
    const bodies = await db.kysely.selectFrom('digest_bodies').select('content_hash').where('period', '=', period.key).execute();
    const rows = await db.kysely.selectFrom('digest_outbox').select('body_id').where('period', '=', period.key).execute();
    expect(new Set(bodies.map((b) => b.content_hash)).size).toBe(bodies.length);
    expect(new Set(rows.map((r) => r.body_id)).size).toBe(bodies.length);
    expect(bodies.length).toBeLessThan(rows.length);
    // The reader's text is shown without its control characters: the body keeps only the footer's own slots.
    expect(rz!.text).toContain('Quiet this time: “nothingunsubscribehere”');
    for (const part of [rz!.text, rz!.html]) expect(part.split('\u0001unsubscribe\u0001')).toHaveLength(2);
  });

  it('previews the digest in the browser, with topics from the query string; bad topics are a 400', async () => {
    const app = createApp({ db, config });
    // The preview shows the latest listed day, for a subscriber without topics.
    const page = await app.request('/digest/preview');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Top papers for Tuesday, 24 November');
    expect(html).toContain('Paper 0: new results on diffusion models');
    const robots = await (await app.request('/digest/preview?category=cs.RO&max=2')).text();
    expect(robots).toContain('For your topics');
    expect(robots).toContain('Paper 2: new results on robot grasping');
    expect(robots).not.toContain('Paper 0:');
    expect((await app.request('/digest/preview?max=0')).status).toBe(400);
    expect((await app.request('/digest/preview?category=not%20a%20category')).status).toBe(400);
    expect((await app.request('/digest/preview?q=-cat%3Acs.LG')).status).toBe(400);
  });
});

describe('digests: delivery', () => {
  let db: Db;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  beforeEach(async () => {
    db = await freshDb();
    await seedDigestPapers(db, DAY);
    smtp = await startSmtpServer();
    mailer = createMailer({ ...config, SMTP_URL: smtp.url });
  });
  afterEach(async () => {
    mailer.close();
    await smtp.close();
    await db.close();
  });

  it('sends each digest once with Message-ID, Date, From, List-Unsubscribe (https and mailto) and one-click POST, in two MIME parts', async () => {
    const [a, b] = await addSubscribers(db, [{ email: 'a@example.org', topics: { categories: ['cs.RO'] } }, { email: 'b@example.org' }]);
    await enqueueDigests(db, config, period);
    expect(await sendDue(db, mailer, config)).toMatchObject({ sent: 2, retried: 0, failed: 0 });
    expect(await sendDue(db, mailer, config)).toMatchObject({ sent: 0 });
    expect(smtp.mails).toHaveLength(2);

    const mail = mailsTo(smtp, 'a@example.org')[0]!;
    expect(mail.parsed.messageId).toBe(`<digest.daily-${DAY}.${a}@papers.example.org>`);
    expect(mail.subject).toBe('Top papers for Tuesday, 24 November');
    expect(mail.parsed.from?.text).toBe('"Daily Papers" <digest@papers.example.org>');
    expect(mail.parsed.date?.toISOString()).toBe((await outboxRow(db, a!)).created_at.replace(/\.\d{3}Z$/, '.000Z'));
    const listUnsubscribe = mail.parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    const https = /<(https:\/\/papers\.example\.org\/unsubscribe\?token=[^>]+)>/.exec(listUnsubscribe)?.[1];
    expect(https).toBeDefined();
    expect(listUnsubscribe).toMatch(/<mailto:digest@papers\.example\.org\?subject=unsubscribe>/);
    expect(mail.parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    // Both parts, each with the papers, and the footer links.
    expect(mail.html).toContain('Manage topics');
    expect(mail.html).toContain('Unsubscribe');
    expect(paperIdsIn(mail).slice(0, 3)).toEqual(['2611.10002', '2611.10007', '2611.10012']);
    expect(mail.text).toMatch(/Manage topics: https:\/\/papers\.example\.org\/subscription\?token=\S+/);
    // Signed when the digest was built (the header's link is signed at sending): both name this subscription.
    expect(mail.text).toMatch(/Unsubscribe: https:\/\/papers\.example\.org\/unsubscribe\?token=\S+/);
    // The links are signed for this subscriber as of the build, so header and body agree and a resend is the same bytes.
    expect(verifyToken(config.keys.mailLinks, 'unsubscribe', new URL(https!).searchParams.get('token')!)).toBe(a);
    expect(mail.text).toContain(`Unsubscribe: ${https}\n`);
    expect(mail.html).toContain(`href="${https}"`);
    const preferences = /Manage topics: (\S+)/.exec(mail.text)![1]!;
    expect(verifyToken(config.keys.mailLinks, 'preferences', new URL(preferences).searchParams.get('token')!)).toBe(a);
    expect(mailsTo(smtp, 'b@example.org')).toHaveLength(1);
    expect(await outboxCounts(db, period.key)).toEqual([{ period: period.key, status: 'sent', n: 2 }]);

    // RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the https URL, with no cookie and no Origin.
    const app = createApp({ db, config });
    const post = await app.request(https!.replace(BASE, ''), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(post.status).toBeLessThan(300);
    const sub = await db.kysely.selectFrom('subscriptions').select(['status']).where('id', '=', a!).executeTakeFirstOrThrow();
    expect(sub.status).toBe('unsubscribed');
    // The next period builds nothing for the one who left.
    await seedDigestPapers(db, '2026-11-25', 3, '2612');
    const next = parseDigestPeriod('daily:2026-11-25')!;
    expect(await enqueueDigests(db, config, next)).toMatchObject({ subscribers: 1, queued: 1 });
    expect(b).toBeDefined();
  });

  it.each([421, 451])('%i twice, then success: exactly one delivery', async (code) => {
    const [id] = await addSubscribers(db, [{ email: 'retry@example.org' }]);
    await enqueueDigests(db, config, period);
    smtp.failNext(2, code, 'try again later');
    const summary = await sendDue(db, mailer, config, NOW);
    expect(summary).toMatchObject({ sent: 1, retried: 2, failed: 0 });
    expect(smtp.refused).toBe(2);
    expect(mailsTo(smtp, 'retry@example.org')).toHaveLength(1);
    const row = await outboxRow(db, id!);
    expect(row).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
  });

  it('waits out the backoff: a transient failure is retried only when it falls due', async () => {
    const [id] = await addSubscribers(db, [{ email: 'later@example.org' }]);
    await enqueueDigests(db, config, period);
    smtp.failNext(1, 451);
    expect(await sendDue(db, mailer, config, { retryBaseMs: 60_000 })).toMatchObject({ sent: 0, retried: 1 });
    const row = await outboxRow(db, id!);
    expect(row.status).toBe('queued');
    expect(Date.parse(row.next_attempt_at) - Date.now()).toBeGreaterThan(50_000);
    expect(row.last_error).toMatch(/^451/);
    expect(await sendDue(db, mailer, config)).toMatchObject({ sent: 0, retried: 0 });
    await db.kysely.updateTable('digest_outbox').set({ next_attempt_at: new Date().toISOString() }).where('id', '=', row.id).execute();
    expect(await sendDue(db, mailer, config)).toMatchObject({ sent: 1 });
    expect(mailsTo(smtp, 'later@example.org')).toHaveLength(1);
  });

  it('550: marked failed, not retried, bounces counted; at three in a row the address is bounced and gets no more digests', async () => {
    const [id] = await addSubscribers(db, [{ email: 'gone@example.org' }]);
    const days = ['2026-11-25', '2026-11-26'];
    for (const [i, day] of days.entries()) await seedDigestPapers(db, day, 2, `26${String(8 + i).padStart(2, '0')}`);
    for (const [i, p] of [period.key, ...days.map((d) => `daily:${d}`)].entries()) {
      await enqueueDigests(db, config, parseDigestPeriod(p)!);
      smtp.failNext(1, 550, 'mailbox unavailable');
      expect(await sendDue(db, mailer, config, NOW)).toMatchObject({ sent: 0, failed: 1, retried: 0 });
      expect(await sendDue(db, mailer, config, NOW)).toMatchObject({ sent: 0, failed: 0, retried: 0 });
      const sub = await db.kysely.selectFrom('subscriptions').select(['status', 'bounces', 'last_error']).where('id', '=', id!).executeTakeFirstOrThrow();
      expect(sub).toMatchObject({ bounces: i + 1, status: i < 2 ? 'active' : 'bounced' });
      expect(sub.last_error).toMatch(/^550/);
    }
    expect(smtp.refused).toBe(3);
    expect(smtp.mails).toHaveLength(0);
    const failed = await outboxRow(db, id!);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    await seedDigestPapers(db, '2026-11-27', 2, '2607');
    expect(await enqueueDigests(db, config, parseDigestPeriod('daily:2026-11-27')!)).toMatchObject({ subscribers: 0 });
  });

  it('a delivery after a bounce resets the count: bounces are "in a row"', async () => {
    const [id] = await addSubscribers(db, [{ email: 'flaky@example.org' }]);
    await db.kysely.updateTable('subscriptions').set({ bounces: 2 }).where('id', '=', id!).execute();
    await enqueueDigests(db, config, period);
    expect(await sendDue(db, mailer, config)).toMatchObject({ sent: 1 });
    expect((await db.kysely.selectFrom('subscriptions').select('bounces').where('id', '=', id!).executeTakeFirstOrThrow()).bounces).toBe(0);
  });

  it('gives up after the attempt limit on a server that always says 4xx', async () => {
    const [id] = await addSubscribers(db, [{ email: 'busy@example.org' }]);
    await enqueueDigests(db, config, period);
    smtp.failNext(100, 451);
    expect(await sendDue(db, mailer, config, { ...NOW, maxAttempts: 4 })).toMatchObject({ sent: 0, retried: 3, failed: 1 });
    expect(await outboxRow(db, id!)).toMatchObject({ status: 'failed', attempts: 4 });
    expect((await outboxRow(db, id!)).last_error).toMatch(/gave up after 4 attempts; last: 451/);
    expect(smtp.refused).toBe(4);
  });

  it('the connection dropped in the middle of DATA: retried, one delivery', async () => {
    const [id] = await addSubscribers(db, [{ email: 'dropped@example.org' }]);
    await enqueueDigests(db, config, period);
    smtp.dropNext(1);
    const summary = await sendDue(db, mailer, config, NOW);
    expect(smtp.dropped).toBe(1);
    expect(summary).toMatchObject({ sent: 1, retried: 1, failed: 0 });
    expect(mailsTo(smtp, 'dropped@example.org')).toHaveLength(1);
    expect(await outboxRow(db, id!)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('scheduled: daily on weekdays and weekly on DIGEST_WEEKDAY at DIGEST_HOUR in DIGEST_TZ; the daily job builds and sends the day', async () => {
    const scheduled = testConfig({ ...SETTINGS, SMTP_URL: smtp.url, DIGEST_HOUR: '7', DIGEST_TZ: 'Europe/Paris', DIGEST_WEEKDAY: '0' });
    const jobs = scheduledJobs(db, { ...scheduled, keys: config.keys });
    const job = (name: string) => jobs.find((j) => j.name === name)!;
    expect(job('digest-daily').schedule).toEqual({ cron: '0 7 * * 1-5', tz: 'Europe/Paris' });
    expect(job('digest-weekly').schedule).toEqual({ cron: '0 7 * * 0', tz: 'Europe/Paris' });
    expect(job('digest-sender').schedule).toEqual({ everyMs: 60_000 });
    expect(job('digest-prune').schedule).toEqual({ cron: '30 3 * * *', tz: 'Europe/Paris' });
    // Friday 07:30 in Paris is 06:30 UTC: the daily run of that morning has begun.
    expect(currentPeriodStart(job('digest-daily').schedule, new Date('2026-11-27T06:30:00Z')).toISOString()).toBe('2026-11-27T06:00:00.000Z');

    await addSubscribers(db, [{ email: 'daily@example.org' }, { email: 'weekly@example.org', frequency: 'weekly' }]);
    // Run today, the latest day before today is DAY: the daily subscriber gets it, the weekly one not.
    expect(await job('digest-daily').run()).toMatch(/daily:2026-11-24: 30 papers, 1 subscribers without a digest, 1 queued.*; 1 sent/);
    expect(smtp.mails.map((m) => m.to)).toEqual([['daily@example.org']]);
    expect(await job('digest-daily').run()).toMatch(/0 queued.*; 0 sent/);
    expect(await job('digest-sender').run()).toBe('0 sent, 0 to retry, 0 failed, 0 skipped');
  });

  it('does not send a queued digest once its subscriber left', async () => {
    const [id] = await addSubscribers(db, [{ email: 'left@example.org' }]);
    await enqueueDigests(db, config, period);
    // Left some other way than unsubscribe() (which skips queued rows itself): the sender checks too.
    await db.kysely.updateTable('subscriptions').set({ status: 'unsubscribed' }).where('id', '=', id!).execute();
    expect(await sendDue(db, mailer, config)).toMatchObject({ sent: 0, skipped: 1 });
    expect(smtp.mails).toHaveLength(0);
    expect((await outboxRow(db, id!)).status).toBe('skipped');
  });

  it('a subscriber who leaves while their digest is on its way: the sender stops at the fence and the server discards the message', async () => {
    const [id] = await addSubscribers(db, [{ email: 'leaving@example.org' }]);
    await enqueueDigests(db, config, period);
    const held = smtp.holdNext();
    const sending = sendDue(db, mailer, config, NOW);
    await held.reached;
    await unsubscribe(db.kysely, id!);
    held.release();
    expect(await sending).toMatchObject({ sent: 0, skipped: 1, retried: 0 });
    // Closed before the final "." line: nothing was delivered, and the pool still works.
    expect(smtp.mails).toHaveLength(0);
    expect((await outboxRow(db, id!)).status).toBe('skipped');
    const [other] = await addSubscribers(db, [{ email: 'staying@example.org' }]);
    await enqueueDigests(db, config, period);
    expect(await sendDue(db, mailer, config, NOW)).toMatchObject({ sent: 1 });
    expect(mailsTo(smtp, 'staying@example.org')).toHaveLength(1);
    expect((await outboxRow(db, other!)).status).toBe('sent');
  });

  it('a sender that stalls past its lease: another takes the digest over and sends it, the stalled one stops at the fence; one mail', async () => {
    const [id] = await addSubscribers(db, [{ email: 'stalled@example.org' }]);
    await enqueueDigests(db, config, period);
    const clock = stoppedClock();
    const held = smtp.holdNext();
    const stalled = sendDue(db, mailer, config, { ...NOW, owner: 'stalled', leaseMs: 1500, clock: clock.now });
    await held.reached;
    clock.advance(1600);
    const other = createMailer({ ...config, SMTP_URL: smtp.url });
    try {
      expect(await sendDue(db, other, config, { ...NOW, owner: 'other', clock: clock.now })).toMatchObject({ sent: 1, takenOver: 1 });
    } finally {
      other.close();
    }
    held.release();
    expect(await stalled).toMatchObject({ sent: 0, lost: 1, skipped: 0, retried: 0 });
    expect(mailsTo(smtp, 'stalled@example.org')).toHaveLength(1);
    expect(await outboxRow(db, id!)).toMatchObject({ status: 'sent', lease_owner: 'other' });
  });

  it('a sender past the fence keeps its row: the fence renewed the lease, so no other sender takes it over while the server answers', async () => {
    const [id] = await addSubscribers(db, [{ email: 'slow-answer@example.org' }]);
    await enqueueDigests(db, config, period);
    const clock = stoppedClock();
    const held = smtp.holdNext('data');
    const first = sendDue(db, mailer, config, { ...NOW, owner: 'first', leaseMs: 1500, clock: clock.now });
    await held.reached;
    // Past the lease it claimed with, but not past the one the fence renewed.
    clock.advance(1600);
    const other = createMailer({ ...config, SMTP_URL: smtp.url });
    try {
      expect(await sendDue(db, other, config, { ...NOW, owner: 'other', clock: clock.now })).toMatchObject({ sent: 0, takenOver: 0 });
    } finally {
      other.close();
    }
    held.release();
    expect(await first).toMatchObject({ sent: 1 });
    expect(mailsTo(smtp, 'slow-answer@example.org')).toHaveLength(1);
    expect(await outboxRow(db, id!)).toMatchObject({ status: 'sent', lease_owner: 'first' });
  });

  it('a sender whose lease ran out before the fence, with no one taking over: it gives the row back and sends it in its next round', async () => {
    const [id] = await addSubscribers(db, [{ email: 'late@example.org' }]);
    await enqueueDigests(db, config, period);
    const clock = stoppedClock();
    const held = smtp.holdNext();
    const sending = sendDue(db, mailer, config, { ...NOW, owner: 'late', leaseMs: 1500, clock: clock.now });
    await held.reached;
    clock.advance(1600);
    held.release();
    expect(await sending).toMatchObject({ sent: 1, retried: 1, lost: 0 });
    expect(mailsTo(smtp, 'late@example.org')).toHaveLength(1);
    expect(await outboxRow(db, id!)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('holds the end of a large message until the server is taking it, then delivers it whole', async () => {
    const big = createMailer({ ...config, SMTP_URL: smtp.url });
    try {
      const html = `<p>${'Ünïcode and math $x^2$ '.repeat(12_000)}</p>`;
      const held = smtp.holdNext();
      const calls: number[] = [];
      const sending = big.send({ kind: 'digest', to: 'ünï@example.org', subject: 'large', text: 'x'.repeat(200_000), html, beforeDataEnd: async () => void calls.push(smtp.mails.length) });
      await held.reached;
      // At the recipient, before DATA: the hook has not run.
      await new Promise((r) => setTimeout(r, 100));
      expect(calls).toEqual([]);
      held.release();
      await sending;
      expect(calls).toEqual([0]);
      const [mail] = mailsTo(smtp, 'ünï@example.org');
      expect(mail!.html.length).toBeGreaterThan(250_000);
    } finally {
      big.close();
    }
  });

  it('prunes finished digests past retention and the bodies left unused; a pruned period is never built again', async () => {
    const [sent, waiting] = await addSubscribers(db, [{ email: 'sent@example.org', maxPapers: 3 }, { email: 'waiting@example.org', maxPapers: 4 }]);
    await enqueueDigests(db, config, period);
    smtp.failNext(1, 451, 'try again later');
    // The first mail (the lower id) is retried an hour later: it stays queued.
    await sendDue(db, mailer, config, { retryBaseMs: 3600_000 });
    expect((await outboxRow(db, sent!)).status).toBe('queued');
    expect((await outboxRow(db, waiting!)).status).toBe('sent');

    // Nothing is old enough yet.
    const inTime = new Date(Date.now() + 30 * 86_400_000);
    expect(await pruneOutbox(db, inTime)).toEqual({ digests: 0, bodies: 0 });
    const later = new Date(Date.now() + (RETENTION_DAYS + 2) * 86_400_000);
    expect(await pruneOutbox(db, later)).toEqual({ digests: 1, bodies: 1 });
    const left = await db.kysely.selectFrom('digest_outbox').select(['subscription_id', 'status']).execute();
    expect(left).toEqual([{ subscription_id: sent, status: 'queued' }]);
    expect(await db.kysely.selectFrom('digest_bodies').select('id').execute()).toHaveLength(1);
    await expect(enqueueDigests(db, config, period)).rejects.toThrow(/daily:2026-11-24 ended before .* pruned: it is not built again/);
  });

  it('a paper hidden after the digests were built: they are built again without it before they go out', async () => {
    const subscribers = await addSubscribers(db, [{ email: 'one@example.org', maxPapers: 5 }, { email: 'two@example.org', maxPapers: 5, topics: { categories: ['cs.RO'] } }]);
    await enqueueDigests(db, config, period);
    const before = JSON.parse((await outboxRow(db, subscribers[0]!)).paper_ids) as string[];
    const hidden = before[0]!;
    const { title } = await db.kysely.selectFrom('papers').select('title').where('id', '=', hidden).executeTakeFirstOrThrow();
    await setVisibility(db.kysely, { actorLabel: 'test' }, { type: 'paper', id: hidden }, true, 'spam');
    // Subscribed after the build: the rebuild is of the digests already built, not a new one for them.
    await addSubscribers(db, [{ email: 'newcomer@example.org' }]);

    const summary = await sendDue(db, mailer, config, NOW);
    expect(summary.sent).toBe(2);
    expect(summary.rebuilt).toBeGreaterThanOrEqual(1);
    expect(smtp.mails).toHaveLength(2);
    for (const mail of smtp.mails) {
      expect(paperIdsIn(mail)).not.toContain(hidden);
      expect(mail.text).not.toContain(title);
    }
    // The first subscriber still gets five papers, the next one in place of the hidden one.
    expect(paperIdsIn(mailsTo(smtp, 'one@example.org')[0]!).filter((p, i, all) => all.indexOf(p) === i)).toHaveLength(5);
    // Rebuilt under the same Message-ID.
    expect(mailsTo(smtp, 'one@example.org')[0]!.parsed.messageId).toBe((await outboxRow(db, subscribers[0]!)).message_id);
  });
});

export type { DigestPeriod };
