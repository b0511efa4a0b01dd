import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../db/database.ts';
import { freshDatabaseUrl } from '../../test/helpers.ts';
import { cli } from '../../test/run-cli.ts';
import { startSmtpServer, type TestSmtpServer } from '../../test/smtp.ts';
import { addSubscribers, CATEGORIES, seedDigestPapers, SUBJECTS } from '../../test/digests.ts';

// `dailypapers digest …` in this process; crash.test.ts runs the executable where it must be killed.
const DAY = '2026-11-24';
const PERIOD = `daily:${DAY}`;
const SUBSCRIBERS = 40;

describe('digest send and digest status from the CLI', () => {
  let url: string;
  let db: Db;
  let smtp: TestSmtpServer;
  let ids: number[];
  beforeAll(async () => {
    url = await freshDatabaseUrl();
    db = await connectDatabase(url, { poolSize: 4 });
    smtp = await startSmtpServer();
    await seedDigestPapers(db, DAY);
    ids = await addSubscribers(
      db,
      Array.from({ length: SUBSCRIBERS }, (_, i) => ({
        email: `reader${i}@example.org`,
        topics: i % 3 === 0 ? {} : i % 3 === 1 ? { categories: [CATEGORIES[i % CATEGORIES.length]!] } : { queries: [SUBJECTS[i % SUBJECTS.length]!.split(' ')[0]!] },
        maxPapers: 3 + (i % 5),
      })),
    );
  });
  afterAll(async () => {
    await db.close();
    await smtp.close();
  });

  const digest = (...args: string[]) =>
    cli(['digest', ...args], {
      DATABASE_URL: url,
      SMTP_URL: smtp.url,
      BASE_URL: 'https://papers.example.org',
      MAIL_FROM: 'Daily Papers <digest@papers.example.org>',
      SESSION_SECRET: 's'.repeat(40),
    });

  it('--dry-run builds and counts without writing or sending; status shows counts and failures; bad input is one clear line', async () => {
    const dry = await digest('send', '--period', PERIOD, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`digest: dry run, ${PERIOD}: 30 papers, ${SUBSCRIBERS} subscribers without a digest`);
    expect(dry.stdout).toContain(`${SUBSCRIBERS}× Top papers for Tuesday, 24 November`);
    expect(dry.stdout).toContain('nothing was written or sent');
    expect(await db.kysely.selectFrom('digest_outbox').select('id').execute()).toHaveLength(0);
    expect(smtp.mails).toHaveLength(0);

    // One address refuses for good; the rest are delivered.
    await db.kysely.updateTable('subscriptions').set({ email: 'refused@example.org' }).where('id', '=', ids[0]!).execute();
    await db.kysely.deleteFrom('subscriptions').where('id', 'in', ids.slice(10)).execute();
    smtp.refuseRecipient('refused@example.org', 550, 'no such mailbox');
    const sent = await digest('send', '--period', PERIOD);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/digest: 9 sent, 0 to retry, 1 failed, 0 skipped via smtp:\/\/127\.0\.0\.1:\d+/);
    expect(smtp.mails).toHaveLength(9);
    const status = await digest('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`${PERIOD}\\s+0\\s+0\\s+9\\s+1\\s+0`));
    expect(status.stdout).toMatch(/refused@example\.org failed after 1 attempt\(s\): 550 no such mailbox/);

    const bad = await digest('send', '--period', 'daily:2026-02-30');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim()).toBe('dailypapers: digest: --period must be daily:YYYY-MM-DD or weekly:YYYY-Www, not "daily:2026-02-30"');
  });
});
