import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { userByHandle } from '../auth/users.ts';
import { DomainError } from '../core/errors.ts';
import { removedPaper } from './audit.ts';

type Q = Kysely<Database>;
type Trx = Transaction<Database>;

/** Parses `2026-11-23/2401.01234` (paper ids may hold a slash themselves: `astro-ph/0601001`). */
export function parseListingId(s: string): { day: string; paperId: string } | null {
  const m = /^(\d{4}-\d{2}-\d{2})\/(.+)$/.exec(s);
  return m ? { day: m[1]!, paperId: m[2]! } : null;
}

export const REPORT_TARGETS = ['paper', 'listing', 'comment', 'user'] as const;
export type ReportTarget = (typeof REPORT_TARGETS)[number];

/**
 * Files a report by a signed-in reader. The target must exist; a second open report
 * by the same reader on the same target is the first one again.
 */
export async function createReport(db: Q, reporterId: number, targetType: ReportTarget, target: string, reason: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    if (targetType === 'paper' && (await trx.selectFrom('papers').select('hidden_at').where('id', '=', target).executeTakeFirst())?.hidden_at) {
      throw new DomainError('gone', removedPaper(target));
    }
    const canonical = await targetExists(trx, targetType, target);
    if (!canonical) throw new DomainError('not-found', `no ${targetType} ${target}`);
    // Handles match in any case; the report names the user as they spell themselves.
    target = canonical;
    const open = await trx
      .selectFrom('reports')
      .select('id')
      .where('reporter_id', '=', reporterId)
      .where('target_type', '=', targetType)
      .where('target_id', '=', target)
      .where('resolved_at', 'is', null)
      .executeTakeFirst();
    if (open) return open.id;
    const row = await trx
      .insertInto('reports')
      .values({ reporter_id: reporterId, target_type: targetType, target_id: target, reason: reason.trim(), created_at: new Date().toISOString(), resolved_at: null, resolved_by: null, resolution: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/** The target's id as stored (a user's handle in its own case), or null when there is no such target. */
async function targetExists(trx: Trx, type: ReportTarget, id: string): Promise<string | null> {
  const found = (row: unknown) => (row ? id : null);
  if (type === 'paper') return found(await trx.selectFrom('papers').select('id').where('id', '=', id).where('hidden_at', 'is', null).executeTakeFirst());
  if (type === 'comment') {
    if (!/^\d{1,15}$/.test(id)) return null;
    return found(await trx.selectFrom('comments').select('id').where('id', '=', Number(id)).executeTakeFirst());
  }
  if (type === 'user') return (await userByHandle(trx, id))?.username ?? null;
  const listing = parseListingId(id);
  return found(listing && (await trx.selectFrom('daily_listings').select('id').where('day', '=', listing.day).where('paper_id', '=', listing.paperId).executeTakeFirst()));
}
