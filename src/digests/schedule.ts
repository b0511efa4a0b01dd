import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Logger } from '../core/log.ts';
import type { KeyedConfig } from '../db/secrets.ts';
import { dayIn, duePeriod, type DigestPeriod } from './build.ts';
import { enqueueDigests, type EnqueueSummary } from './outbox.ts';
import { sendDue, type SendOptions, type SendSummary } from './send.ts';

/** How often the sender loop retries due rows (transient failures, rows a dead sender left). */
export const SENDER_PERIOD_MS = 60_000;

/** When the daily digest goes out: weekdays at DIGEST_HOUR in DIGEST_TZ. */
export function dailyCron(config: Pick<Config, 'DIGEST_HOUR'>): string {
  return `0 ${config.DIGEST_HOUR} * * 1-5`;
}

/** When the weekly digest goes out: DIGEST_WEEKDAY at DIGEST_HOUR. */
export function weeklyCron(config: Pick<Config, 'DIGEST_HOUR' | 'DIGEST_WEEKDAY'>): string {
  return `0 ${config.DIGEST_HOUR} * * ${config.DIGEST_WEEKDAY}`;
}

/** The periods due now for the given frequencies. */
export async function duePeriods(db: Db, config: Pick<Config, 'DIGEST_TZ'>, frequencies: ('daily' | 'weekly')[], now = new Date()): Promise<DigestPeriod[]> {
  const today = dayIn(config.DIGEST_TZ, now);
  const periods = await Promise.all(frequencies.map((f) => duePeriod(db, f, today)));
  return periods.filter((p): p is DigestPeriod => p !== null);
}

/** Builds each period's digests into the outbox, then sends everything due. */
export async function enqueueAndSend(
  db: Db,
  config: KeyedConfig,
  mailer: Mailer,
  periods: DigestPeriod[],
  opts: SendOptions & { log?: Logger } = {},
): Promise<{ built: EnqueueSummary[]; sent: SendSummary }> {
  const built: EnqueueSummary[] = [];
  for (const period of periods) built.push(await enqueueDigests(db, config, period));
  const sent = await sendDue(db, mailer, config, { concurrency: config.DIGEST_SEND_CONCURRENCY, ...opts });
  return { built, sent };
}

export function describeEnqueue(s: EnqueueSummary): string {
  return `${s.period}: ${s.papers} papers, ${s.subscribers} subscribers without a digest, ${s.queued} queued (${s.selections} distinct selections, ${s.queries} saved searches run)`;
}

export function describeSend(s: SendSummary): string {
  return `${s.sent} sent, ${s.retried} to retry, ${s.failed} failed, ${s.skipped} skipped${s.takenOver ? `, ${s.takenOver} taken over from a stopped sender` : ''}${
    s.rebuilt ? `, ${s.rebuilt} built again without a hidden paper` : ''
  }${s.lost ? `, ${s.lost} left to the sender that took over their lease` : ''}`;
}
