import type { Command } from 'commander';
import type { Config } from '../core/config.ts';
import type { CommandOutput } from '../core/command-output.ts';
import type { Db, WithDb } from '../db/database.ts';

/** Adds `digest send`, `digest status` and `digest prune` to their group; each loads its modules on use. */
export function registerDigestCommands(group: Command, withDb: WithDb): void {
  group
    .command('send')
    .description('build the due digests (or one period\'s) into the outbox, then send every due one')
    .option('--period <period>', 'daily:YYYY-MM-DD or weekly:YYYY-Www (default: what the schedule would send now)')
    .option('--dry-run', 'build and count the digests; write and send nothing')
    .option('--lease-seconds <n>', 'how long this sender holds the rows it claims', '300')
    .action((opts: SendCommandOptions) => withDb((config, db, io) => sendCommand(config, db, opts, io)));
  group
    .command('status')
    .description('digests by period and status, and the latest failures with their errors')
    .option('--period <period>', 'only this period')
    .option('--failures <n>', 'how many failures to list', '20')
    .action((opts: { period?: string; failures: string }) => withDb((_config, db, io) => statusCommand(db, opts, io)));
  group
    .command('prune')
    .description('delete finished digests older than the retention window, and the bodies no digest uses (the scheduler does this daily)')
    .action(() =>
      withDb(async (_config, db, io) => {
        const { pruneOutbox, RETENTION_DAYS } = await import('./outbox.ts');
        const pruned = await pruneOutbox(db);
        io.out(`digest: pruned ${pruned.digests} digest(s) and ${pruned.bodies} bod(ies) finished more than ${RETENTION_DAYS} days ago`);
      }),
    );
}

interface SendCommandOptions {
  period?: string;
  dryRun?: boolean;
  leaseSeconds: string;
}

async function sendCommand(config: Config, db: Db, opts: SendCommandOptions, io: CommandOutput): Promise<void> {
  const leaseSeconds = Number(opts.leaseSeconds);
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 1) throw new Error('digest: --lease-seconds is a whole number of at least 1');
  const { assertSchemaCurrent } = await import('../db/database.ts');
  await assertSchemaCurrent(db);
  const { parseDigestPeriod } = await import('./build.ts');
  const schedule = await import('./schedule.ts');
  let periods;
  if (opts.period) {
    const period = parseDigestPeriod(opts.period);
    if (!period) throw new Error(`digest: --period must be daily:YYYY-MM-DD or weekly:YYYY-Www, not ${JSON.stringify(opts.period)}`);
    periods = [period];
  } else {
    // What the scheduler would send today: the daily digest on weekdays, the weekly one on DIGEST_WEEKDAY.
    const { dayIn } = await import('./build.ts');
    const weekday = new Date(`${dayIn(config.DIGEST_TZ, new Date())}T00:00:00Z`).getUTCDay();
    const frequencies: ('daily' | 'weekly')[] = [];
    if (weekday >= 1 && weekday <= 5) frequencies.push('daily');
    if (weekday === config.DIGEST_WEEKDAY) frequencies.push('weekly');
    periods = await schedule.duePeriods(db, config, frequencies);
    if (periods.length === 0) io.out('digest: no period is due today (or no papers are listed yet); sending what is due from earlier periods');
  }

  if (opts.dryRun) {
    const { enqueueDigests } = await import('./outbox.ts');
    for (const period of periods) {
      const s = await enqueueDigests(db, config, period, { dryRun: true });
      io.out(`digest: dry run, ${schedule.describeEnqueue({ ...s, queued: 0 })}`);
      for (const [subject, n] of s.subjects) io.out(`  ${n}× ${subject}`);
    }
    io.out('digest: dry run: nothing was written or sent');
    return;
  }

  const { createMailer } = await import('../mail/mailer.ts');
  const { resolveKeys } = await import('../db/secrets.ts');
  // Resolved once for the whole run: every digest's links are signed with the instance's mail-link key.
  const keyed = { ...config, keys: await resolveKeys(db, config) };
  const mailer = createMailer(config);
  try {
    const started = Date.now();
    const only = opts.period ? periods[0]!.key : undefined;
    const sendOptions = { leaseMs: leaseSeconds * 1000, period: only };
    const { built, sent } = await schedule.enqueueAndSend(db, keyed, mailer, periods, sendOptions);
    for (const s of built) io.out(`digest: ${schedule.describeEnqueue(s)}`);
    const { leasedRows, nextRetryAt } = await import('./outbox.ts');
    const { sendDue } = await import('./send.ts');
    // Digests another sender holds: it finishes them, or (if it died) its leases run out and we take them over.
    for (let held = await leasedRows(db, only); held.n > 0; held = await leasedRows(db, only)) {
      const wait = Math.min(5000, Math.max(100, Date.parse(held.firstExpiry ?? '') - Date.now() + 50));
      io.out(`digest: ${held.n} digest(s) held by another sender (lease until ${held.firstExpiry}); waiting`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      const more = await sendDue(db, mailer, keyed, { ...sendOptions, concurrency: config.DIGEST_SEND_CONCURRENCY });
      for (const key of Object.keys(sent) as (keyof typeof sent)[]) sent[key] += more[key];
    }
    io.out(`digest: ${schedule.describeSend(sent)} via ${mailer.target} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const retry = await nextRetryAt(db, only);
    if (retry) io.out(`digest: some digests wait for a retry, the next at ${retry} (the scheduler retries every minute; or run this again)`);
  } finally {
    mailer.close();
  }
}

async function statusCommand(db: Db, opts: { period?: string; failures: string }, io: CommandOutput): Promise<void> {
  const limit = Number(opts.failures);
  if (!Number.isInteger(limit) || limit < 0) throw new Error('digest: --failures is a whole number');
  const { parseDigestPeriod } = await import('./build.ts');
  if (opts.period && !parseDigestPeriod(opts.period)) throw new Error(`digest: --period must be daily:YYYY-MM-DD or weekly:YYYY-Www, not ${JSON.stringify(opts.period)}`);
  const { outboxCounts, outboxProblems } = await import('./outbox.ts');
  const counts = await outboxCounts(db, opts.period);
  if (counts.length === 0) {
    io.out(`digest: no digests${opts.period ? ` for ${opts.period}` : ''} yet`);
    return;
  }
  const byPeriod = new Map<string, Map<string, number>>();
  for (const c of counts) {
    if (!byPeriod.has(c.period)) byPeriod.set(c.period, new Map());
    byPeriod.get(c.period)!.set(c.status, c.n);
  }
  const statuses = ['queued', 'sending', 'sent', 'failed', 'skipped'];
  io.out(['period'.padEnd(18), ...statuses.map((s) => s.padStart(8))].join(' '));
  for (const [period, m] of byPeriod) io.out([period.padEnd(18), ...statuses.map((s) => String(m.get(s) ?? 0).padStart(8))].join(' '));
  const problems = await outboxProblems(db, opts.period, limit);
  if (problems.length > 0) {
    io.out('\nproblems (newest first):');
    for (const p of problems) {
      const when = p.status === 'queued' ? ` retry at ${p.next_attempt_at}` : '';
      io.out(`  ${p.period} ${p.email} ${p.status} after ${p.attempts} attempt(s)${when}: ${p.last_error}`);
    }
  }
}
