import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { writeContent } from '../db/content-version.ts';
import { refreshCommentCount } from '../comments/queries.ts';
import { userByHandle, withArticle, type Role } from '../auth/users.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { parseListingId, type ReportTarget } from '../audit/reports.ts';
import { DomainError } from '../core/errors.ts';

type Q = Kysely<Database>;
type Trx = Transaction<Database>;

/** Something a moderator can hide. A listing is a paper on one day, written `YYYY-MM-DD/<paper id>`. */
export type Hideable = { type: 'paper'; id: string } | { type: 'listing'; day: string; paperId: string } | { type: 'comment'; id: number };

export const targetId = (t: Hideable): string => (t.type === 'listing' ? `${t.day}/${t.paperId}` : String(t.id));

/** Sets or clears `hidden_at`; says whether anything changed. Unknown targets are a 404. */
async function setHidden(trx: Trx, t: Hideable, hidden: boolean): Promise<boolean> {
  const hiddenAt = hidden ? new Date().toISOString() : null;
  // Only rows not already in the wanted state change, so a repeated action reports "unchanged".
  const from = hidden ? 'is' : 'is not';
  if (t.type === 'paper') {
    if (!(await trx.selectFrom('papers').select('id').where('id', '=', t.id).executeTakeFirst())) throw new DomainError('not-found', `no paper ${t.id}`);
    const result = await trx.updateTable('papers').set({ hidden_at: hiddenAt }).where('id', '=', t.id).where('hidden_at', from, null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  if (t.type === 'listing') {
    const listing = await trx.selectFrom('daily_listings').select('id').where('day', '=', t.day).where('paper_id', '=', t.paperId).executeTakeFirst();
    if (!listing) throw new DomainError('not-found', `paper ${t.paperId} is not listed on ${t.day}`);
    const result = await trx.updateTable('daily_listings').set({ hidden_at: hiddenAt }).where('id', '=', listing.id).where('hidden_at', from, null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
  const comment = await trx.selectFrom('comments').select('paper_id').where('id', '=', t.id).executeTakeFirst();
  if (!comment) throw new DomainError('not-found', `no comment ${t.id}`);
  const result = await trx.updateTable('comments').set({ hidden_at: hiddenAt }).where('id', '=', t.id).where('hidden_at', from, null).executeTakeFirst();
  const changed = result.numUpdatedRows > 0n;
  // Cards and the API show the count of visible comments.
  if (changed) await refreshCommentCount(trx, comment.paper_id);
  return changed;
}

/**
 * Hides (or shows again) a paper, a listing or a comment, audited, in one content
 * write so cached pages change at once. Returns false when it already was so.
 */
export function setVisibility(db: Q, actor: Actor, target: Hideable, hidden: boolean, reason?: string): Promise<boolean> {
  return writeContent(
    db,
    async (trx) => {
      const changed = await setHidden(trx, target, hidden);
      if (changed) await recordAudit(trx, actor, { action: `${hidden ? 'hide' : 'unhide'}-${target.type}`, targetType: target.type, targetId: targetId(target), detail: reason });
      return changed;
    },
    (changed) => changed,
  );
}

/** The user with this handle (any case), or a 404. */
async function userNamed(trx: Trx, username: string) {
  const user = await userByHandle(trx, username);
  if (!user) throw new DomainError('not-found', `no user named ${username}`);
  return user;
}

/**
 * Only admins ban or unban staff; nobody bans or unbans themselves. The same rule both ways,
 * so a moderator cannot lift a ban an admin put on another moderator. The CLI's operator may do anything.
 */
function mayBan(actor: Actor, user: { id: number; role: string }, verb: 'ban' | 'unban'): void {
  if (!('actorId' in actor)) return;
  if (actor.actorId === user.id) throw new DomainError('conflict', `you cannot ${verb} yourself`);
  if (user.role !== 'user' && actor.role !== 'admin') throw new DomainError('forbidden', `only admins can ${verb} ${withArticle(user.role)}`);
}

async function ban(trx: Trx, actor: Actor, user: { id: number; username: string; role: string; banned_at: string | null }, reason?: string): Promise<boolean> {
  mayBan(actor, user, 'ban');
  if (user.banned_at) return false;
  const now = new Date().toISOString();
  await trx.updateTable('users').set({ banned_at: now }).where('id', '=', user.id).execute();
  // Signed out everywhere, and their tokens stop working.
  await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
  await trx.updateTable('api_tokens').set({ revoked_at: now }).where('user_id', '=', user.id).where('revoked_at', 'is', null).execute();
  await recordAudit(trx, actor, { action: 'ban-user', targetType: 'user', targetId: user.username, detail: reason });
  return true;
}

/**
 * Bans a user: signs them out everywhere and revokes their API tokens. False if
 * already banned. A content write: cached pages show who is banned.
 */
export function banUser(db: Q, actor: Actor, username: string, reason?: string): Promise<boolean> {
  return writeContent(db, async (trx) => ban(trx, actor, await userNamed(trx, username), reason), (changed) => changed);
}

/** Lifts a ban (revoked tokens stay revoked; the user signs in again). False if not banned. */
export function unbanUser(db: Q, actor: Actor, username: string, reason?: string): Promise<boolean> {
  return writeContent(
    db,
    async (trx) => {
      const user = await userNamed(trx, username);
      mayBan(actor, user, 'unban');
      if (!user.banned_at) return false;
      await trx.updateTable('users').set({ banned_at: null }).where('id', '=', user.id).execute();
      await recordAudit(trx, actor, { action: 'unban-user', targetType: 'user', targetId: user.username, detail: reason });
      return true;
    },
    (changed) => changed,
  );
}

/**
 * Changes a user's role (admins only, checked by the caller; the CLI's operator
 * may), audited, in one content write: pages show roles. Returns the role it
 * was, or null if it already was `role`. The only way roles change.
 */
export function setRole(db: Q, actor: Actor, username: string, role: Role): Promise<Role | null> {
  return writeContent(db, (trx) => changeRole(trx, actor, username, role), (was) => was !== null);
}

/** `setRole` inside a caller's content write (see writeContent), e.g. with a password change. */
export async function changeRole(trx: Trx, actor: Actor, username: string, role: Role): Promise<Role | null> {
  const user = await userNamed(trx, username);
  if ('actorId' in actor && actor.actorId === user.id) throw new DomainError('conflict', 'you cannot change your own role');
  const was = user.role as Role;
  if (was === role) return null;
  await trx.updateTable('users').set({ role }).where('id', '=', user.id).execute();
  await recordAudit(trx, actor, { action: 'set-role', targetType: 'user', targetId: user.username, detail: `${was} → ${role}` });
  return was;
}

export type Resolution = 'dismiss' | 'hide' | 'ban';

/**
 * Resolves a report, and with it every other open report on the same target:
 * dismissed, the target hidden, or the target's author banned. Audited.
 */
export async function resolveReport(db: Q, actor: Actor, reportId: number, resolution: Resolution, note?: string): Promise<void> {
  await writeContent(
    db,
    async (trx) => {
      const report = await trx.selectFrom('reports').selectAll().where('id', '=', reportId).executeTakeFirst();
      if (!report) throw new DomainError('not-found', `no report ${reportId}`);
      if (report.resolved_at) throw new DomainError('conflict', `report ${reportId} was already resolved (${report.resolution})`);
      const type = report.target_type as ReportTarget;
      let changed = false;
      if (resolution === 'hide') {
        const target = hideableOf(type, report.target_id);
        if (!target) throw new DomainError('unprocessable', `a ${type} cannot be hidden; ban the user instead`);
        changed = await setHidden(trx, target, true);
        if (changed) await recordAudit(trx, actor, { action: `hide-${type}`, targetType: type, targetId: report.target_id, detail: note || `report ${reportId}` });
      } else if (resolution === 'ban') {
        const authorId = await authorOf(trx, type, report.target_id);
        if (authorId === null) throw new DomainError('unprocessable', `this ${type} has no author to ban`);
        const user = await trx.selectFrom('users').select(['id', 'username', 'role', 'banned_at']).where('id', '=', authorId).executeTakeFirstOrThrow();
        changed = await ban(trx, actor, user, note || `report ${reportId}: ${report.reason}`);
      }
      await trx
        .updateTable('reports')
        .set({ resolved_at: new Date().toISOString(), resolved_by: 'actorId' in actor ? actor.actorId : null, resolution })
        .where('target_type', '=', report.target_type)
        .where('target_id', '=', report.target_id)
        .where('resolved_at', 'is', null)
        .execute();
      await recordAudit(trx, actor, { action: 'resolve-report', targetType: 'report', targetId: String(reportId), detail: `${resolution}${note ? `: ${note}` : ''}` });
      return changed;
    },
    (changed) => changed,
  );
}

function hideableOf(type: ReportTarget, id: string): Hideable | null {
  if (type === 'paper') return { type, id };
  if (type === 'comment') return /^\d{1,15}$/.test(id) ? { type, id: Number(id) } : null;
  if (type === 'listing') {
    const l = parseListingId(id);
    return l && { type, ...l };
  }
  return null;
}

/** Who wrote a reported thing: a comment's author, a listing's submitter, the user themselves. */
async function authorOf(trx: Trx, type: ReportTarget, id: string): Promise<number | null> {
  if (type === 'comment') return (await trx.selectFrom('comments').select('user_id').where('id', '=', Number(id)).executeTakeFirst())?.user_id ?? null;
  if (type === 'user') return (await userByHandle(trx, id))?.id ?? null;
  const listing = type === 'listing' ? parseListingId(id) : null;
  if (!listing) return null;
  const row = await trx.selectFrom('daily_listings').select('submitter_id').where('day', '=', listing.day).where('paper_id', '=', listing.paperId).executeTakeFirst();
  return row?.submitter_id ?? null;
}

/** An open report with what it points at, for the queue. */
export interface OpenReport {
  id: number;
  targetType: string;
  targetId: string;
  reason: string;
  createdAt: string;
  reporter: string | null;
  /** The reported text (a comment's body, a paper's title), to be shown escaped. */
  excerpt: string | null;
  /** Who wrote it, when someone did. */
  author: string | null;
  /** Where the target is seen. */
  href: string | null;
  hidden: boolean;
}

/** Open reports, oldest first, each with its target: one query per target kind. */
export async function openReports(db: Q, limit = 100): Promise<OpenReport[]> {
  const rows = await db
    .selectFrom('reports as r')
    .leftJoin('users as u', 'u.id', 'r.reporter_id')
    .select(['r.id', 'r.target_type', 'r.target_id', 'r.reason', 'r.created_at', 'u.username as reporter'])
    .where('r.resolved_at', 'is', null)
    .orderBy('r.created_at')
    .orderBy('r.id')
    .limit(limit)
    .execute();
  const ids = (type: string) => rows.filter((r) => r.target_type === type).map((r) => r.target_id);
  const commentIds = ids('comment').filter((id) => /^\d{1,15}$/.test(id)).map(Number);
  const paperIds = [...ids('paper'), ...ids('listing').map((id) => parseListingId(id)?.paperId ?? '')];
  const [comments, papers] = await Promise.all([
    commentIds.length
      ? db.selectFrom('comments as c').innerJoin('users as u', 'u.id', 'c.user_id').select(['c.id', 'c.body', 'c.paper_id', 'c.hidden_at', 'u.username']).where('c.id', 'in', commentIds).execute()
      : [],
    paperIds.length ? db.selectFrom('papers').select(['id', 'title', 'hidden_at']).where('id', 'in', paperIds).execute() : [],
  ]);
  const commentById = new Map(comments.map((c) => [String(c.id), c]));
  const paperById = new Map(papers.map((p) => [p.id, p]));
  return rows.map((r) => {
    const base = { id: r.id, targetType: r.target_type, targetId: r.target_id, reason: r.reason, createdAt: r.created_at, reporter: r.reporter ?? null };
    if (r.target_type === 'comment') {
      const c = commentById.get(r.target_id);
      return { ...base, excerpt: c?.body ?? null, author: c?.username ?? null, href: c ? `/papers/${c.paper_id}#c${c.id}` : null, hidden: Boolean(c?.hidden_at) };
    }
    if (r.target_type === 'paper' || r.target_type === 'listing') {
      const listing = r.target_type === 'listing' ? parseListingId(r.target_id) : null;
      const p = paperById.get(listing?.paperId ?? r.target_id);
      return { ...base, excerpt: p?.title ?? null, author: null, href: p ? (listing ? `/papers/date/${listing.day}` : `/papers/${p.id}`) : null, hidden: Boolean(p?.hidden_at) };
    }
    return { ...base, excerpt: null, author: r.target_id, href: `/users/${r.target_id}`, hidden: false };
  });
}

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  detail: string | null;
  createdAt: string;
}

/** The audit log, newest first. */
export async function auditLog(db: Q, limit: number, offset = 0): Promise<AuditRow[]> {
  const rows = await db
    .selectFrom('audit_log as a')
    .leftJoin('users as u', 'u.id', 'a.actor_id')
    .select(['a.id', 'a.actor_label', 'u.username', 'a.action', 'a.target_type', 'a.target_id', 'a.detail', 'a.created_at'])
    .orderBy('a.id', 'desc')
    .limit(limit)
    .offset(offset)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    actor: r.username ?? r.actor_label ?? '(deleted user)',
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    detail: r.detail,
    createdAt: r.created_at,
  }));
}

/** What moderators have hidden or banned, newest first, so they can undo it. */
export async function hiddenNow(db: Q, limit = 50) {
  const [papers, listings, comments, banned] = await Promise.all([
    db.selectFrom('papers').select(['id', 'title', 'hidden_at']).where('hidden_at', 'is not', null).orderBy('hidden_at', 'desc').limit(limit).execute(),
    db
      .selectFrom('daily_listings as l')
      .innerJoin('papers as p', 'p.id', 'l.paper_id')
      .select(['l.day', 'l.paper_id', 'p.title', 'l.hidden_at'])
      .where('l.hidden_at', 'is not', null)
      .orderBy('l.hidden_at', 'desc')
      .limit(limit)
      .execute(),
    db
      .selectFrom('comments as c')
      .innerJoin('users as u', 'u.id', 'c.user_id')
      .select(['c.id', 'c.paper_id', 'c.body', 'u.username', 'c.hidden_at'])
      .where('c.hidden_at', 'is not', null)
      .orderBy('c.hidden_at', 'desc')
      .limit(limit)
      .execute(),
    db.selectFrom('users').select(['username', 'banned_at']).where('banned_at', 'is not', null).orderBy('banned_at', 'desc').limit(limit).execute(),
  ]);
  return { papers, listings, comments, banned };
}

/** Staff accounts, for the roles table. */
export function staff(db: Q) {
  return db.selectFrom('users').select(['username', 'fullname', 'role']).where('role', '!=', 'user').orderBy('role').orderBy('username').execute();
}
