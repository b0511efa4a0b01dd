import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { needAdmin, needModerator, needViewer } from '../http/guards.ts';
import { wantsJson } from '../http/authenticate.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import type { Viewer } from '../auth/sessions.ts';
import { arxivIdFromInput } from '../core/arxiv-id.ts';
import { parseDay } from '../core/periods.ts';
import { pendingClaims, decideClaim } from '../claims/queries.ts';
import { setPaperOrganization } from '../organizations/queries.ts';
import { ROLES, withArticle } from '../auth/users.ts';
import { formBody } from '../http/forms.ts';
import { idParam, paperIdParam, rowId } from '../http/params.ts';
import { chromeOf } from '../ui/layout.tsx';
import { auditLog, banUser, hiddenNow, openReports, resolveReport, setRole, setVisibility, staff, unbanUser, type Hideable } from './queries.ts';
import { createReport } from '../audit/reports.ts';
import { type Actor } from '../audit/audit.ts';
import { AdminPage, AuditPage } from './admin.tsx';

const AUDIT_PAGE = 100;

export const actorOf = (viewer: Viewer): Actor => ({ actorId: viewer.id, role: viewer.role });

/** Back to the moderation page, saying what happened. */
const done = (c: Context<AppEnv>, notice: string) => c.redirect(`/admin?notice=${encodeURIComponent(notice)}`, 303);

const reason = z.string().trim().max(500).optional();
const paperId = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const id = arxivIdFromInput(s)?.id;
    if (!id) ctx.addIssue({ code: 'custom', message: 'not an arXiv id' });
    return id ?? '';
  });
const username = z.string().trim().min(1, 'give a username').max(100);

/** `/admin`: open reports, pending claims, forms, what is hidden, recent actions. */
export async function showAdmin(c: Context<AppEnv>) {
  const viewer = needModerator(c);
  const db = c.get('db').kysely;
  const [reports, claims, hidden, recent, staffList] = await Promise.all([openReports(db), pendingClaims(db), hiddenNow(db), auditLog(db, 20), staff(db)]);
  const notice = c.req.query('notice')?.slice(0, 300);
  return c.html(<AdminPage chrome={chromeOf(c)} isAdmin={viewer.role === 'admin'} {...{ reports, claims, hidden, recent, staff: staffList, notice }} />);
}

/** `/admin/audit?p=`: every moderation action, newest first. */
export async function showAuditLog(c: Context<AppEnv>) {
  needModerator(c);
  const page = Math.min(Number(/^\d{1,6}$/.exec(c.req.query('p') ?? '')?.[0] ?? 0), 100_000);
  const rows = await auditLog(c.get('db').kysely, AUDIT_PAGE + 1, page * AUDIT_PAGE);
  return c.html(<AuditPage chrome={chromeOf(c)} rows={rows.slice(0, AUDIT_PAGE)} page={page} hasMore={rows.length > AUDIT_PAGE} />);
}

type TargetForm = z.ZodType<{ target: Hideable; reason?: string }>;

const targetForms: Record<Hideable['type'], TargetForm> = {
  paper: z.object({ paper: paperId, reason }).transform((f) => ({ target: { type: 'paper' as const, id: f.paper }, reason: f.reason })),
  listing: z
    .object({ day: z.string().trim().refine((s) => parseDay(s) !== null, 'day must be YYYY-MM-DD'), paper: paperId, reason })
    .transform((f) => ({ target: { type: 'listing' as const, day: parseDay(f.day)!, paperId: f.paper }, reason: f.reason })),
  comment: z
    .object({ comment: rowId, reason })
    .transform((f) => ({ target: { type: 'comment' as const, id: f.comment }, reason: f.reason })),
};

const describe = (t: Hideable) => (t.type === 'listing' ? `the listing of ${t.paperId} on ${t.day}` : `${t.type} ${t.id}`);

/** A handler hiding (or showing again) one kind of thing from its form. */
function visibilityAction(type: Hideable['type'], hidden: boolean) {
  return async (c: Context<AppEnv>) => {
    const viewer = needModerator(c);
    const { target, reason } = await formBody(c, targetForms[type]);
    const changed = await setVisibility(c.get('db').kysely, actorOf(viewer), target, hidden, reason);
    const what = describe(target);
    return done(c, changed ? `${hidden ? 'Hid' : 'Showed again'} ${what}.` : `Nothing to do: ${what} was already ${hidden ? 'hidden' : 'visible'}.`);
  };
}

export const hidePaper = visibilityAction('paper', true);
export const unhidePaper = visibilityAction('paper', false);
export const hideListing = visibilityAction('listing', true);
export const unhideListing = visibilityAction('listing', false);
export const hideComment = visibilityAction('comment', true);
export const unhideComment = visibilityAction('comment', false);

const userForm = z.object({ username, reason });

export async function banUserAction(c: Context<AppEnv>) {
  const viewer = needModerator(c);
  const form = await formBody(c, userForm);
  const changed = await banUser(c.get('db').kysely, actorOf(viewer), form.username, form.reason);
  return done(c, changed ? `Banned ${form.username}.` : `${form.username} was already banned.`);
}

export async function unbanUserAction(c: Context<AppEnv>) {
  const viewer = needModerator(c);
  const form = await formBody(c, userForm);
  const changed = await unbanUser(c.get('db').kysely, actorOf(viewer), form.username, form.reason);
  return done(c, changed ? `Lifted the ban on ${form.username}.` : `${form.username} was not banned.`);
}

/** `POST /admin/users/role`: admins only. */
export async function setRoleAction(c: Context<AppEnv>) {
  const viewer = needAdmin(c);
  const form = await formBody(c, z.object({ username, role: z.enum(ROLES) }));
  const was = await setRole(c.get('db').kysely, actorOf(viewer), form.username, form.role);
  return done(c, was ? `${form.username} is now ${withArticle(form.role)}.` : `${form.username} already was ${withArticle(form.role)}.`);
}

/** `POST /admin/reports/:report/resolve`: dismiss, hide the target, or ban its author. */
export async function resolveReportAction(c: Context<AppEnv>) {
  const viewer = needModerator(c);
  const id = idParam(c, 'report');
  const form = await formBody(c, z.object({ resolution: z.enum(['dismiss', 'hide', 'ban']), note: reason }));
  await resolveReport(c.get('db').kysely, actorOf(viewer), id, form.resolution, form.note);
  return done(c, `Report ${id}: ${form.resolution === 'dismiss' ? 'dismissed' : form.resolution === 'hide' ? 'hidden' : 'author banned'}.`);
}

/** `POST /admin/claims/:claim/approve` and `/reject`. */
function decideClaimAction(approve: boolean) {
  return async (c: Context<AppEnv>) => {
    const viewer = needModerator(c);
    const id = idParam(c, 'claim');
    await decideClaim(c.get('db').kysely, actorOf(viewer), id, approve);
    return done(c, `Claim ${id} ${approve ? 'approved' : 'rejected'}.`);
  };
}

export const approveClaim = decideClaimAction(true);
export const rejectClaim = decideClaimAction(false);

/** `POST /admin/organizations/assign`: a paper joins an organization (an empty name takes it out). */
export async function assignPaperAction(c: Context<AppEnv>) {
  const viewer = needModerator(c);
  const form = await formBody(c, z.object({ paper: paperId, organization: z.string().trim().max(100).default('') }));
  await setPaperOrganization(c.get('db').kysely, actorOf(viewer), form.paper, form.organization || null);
  return done(c, form.organization ? `${form.paper} now belongs to ${form.organization}.` : `${form.paper} belongs to no organization now.`);
}

/** `POST /papers/:id/report`: a signed-in reader flags a paper for moderators. */
export async function reportPaper(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const id = paperIdParam(c);
  const form = await formBody(c, z.object({ reason: z.string().trim().min(3, 'say why, in a few words').max(500) }));
  await enforceLimit(c, 'report');
  const reportId = await createReport(c.get('db').kysely, viewer.id, 'paper', id, form.reason);
  if (wantsJson(c)) return c.json({ id: reportId }, 201);
  return c.redirect(`/papers/${id}#report-sent`, 303);
}
