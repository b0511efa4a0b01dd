import type { Db } from '../db/database.ts';
import { arxivIdFromInput } from '../core/arxiv-id.ts';
import { parseDay } from '../core/periods.ts';
import { auditLog, banUser, openReports, setVisibility, unbanUser, type Hideable } from './queries.ts';
import { cliActor } from '../audit/audit.ts';

function paperIdOf(text: string): string {
  const id = arxivIdFromInput(text)?.id;
  if (!id) throw new Error(`moderate: not an arXiv id: ${text}`);
  return id;
}

/** The target a `moderate hide-…`/`unhide-…` command names. */
export function hideableOf(kind: Hideable['type'], args: string[]): Hideable {
  if (kind === 'paper') return { type: 'paper', id: paperIdOf(args[0]!) };
  if (kind === 'listing') {
    const day = parseDay(args[0]!);
    if (!day) throw new Error(`moderate: not a day (YYYY-MM-DD): ${args[0]}`);
    return { type: 'listing', day, paperId: paperIdOf(args[1]!) };
  }
  if (!/^\d{1,15}$/.test(args[0]!)) throw new Error(`moderate: not a comment number: ${args[0]}`);
  return { type: 'comment', id: Number(args[0]) };
}

export async function visibilityCommand(db: Db, target: Hideable, hidden: boolean, reason?: string): Promise<string> {
  const changed = await setVisibility(db.kysely, cliActor(), target, hidden, reason);
  const what = target.type === 'listing' ? `listing ${target.day} ${target.paperId}` : `${target.type} ${target.id}`;
  return changed ? `moderate: ${hidden ? 'hid' : 'unhid'} ${what}` : `moderate: ${what} was already ${hidden ? 'hidden' : 'visible'}`;
}

export async function banCommand(db: Db, username: string, ban: boolean, reason?: string): Promise<string> {
  const changed = await (ban ? banUser(db.kysely, cliActor(), username, reason) : unbanUser(db.kysely, cliActor(), username, reason));
  return changed ? `moderate: ${ban ? 'banned' : 'unbanned'} ${username}` : `moderate: ${username} was ${ban ? 'already banned' : 'not banned'}`;
}

export async function reportsCommand(db: Db): Promise<string[]> {
  const reports = await openReports(db.kysely, 1000);
  if (reports.length === 0) return ['moderate: no open reports'];
  return reports.map((r) => {
    const text = (r.excerpt ?? '').replace(/\s+/g, ' ').slice(0, 80);
    return `#${r.id}  ${r.createdAt.slice(0, 16)}  ${r.targetType} ${r.targetId}  by ${r.reporter ?? '?'}: ${r.reason}${text ? `  — "${text}"` : ''}`;
  });
}

/** The newest `limit` entries of the audit log, a line each. */
export async function auditCommand(db: Db, limit: number): Promise<string[]> {
  return (await auditLog(db.kysely, limit)).map((r) => `${r.createdAt}  ${r.actor}  ${r.action}  ${r.targetType} ${r.targetId}${r.detail ? `  ${r.detail}` : ''}`);
}
