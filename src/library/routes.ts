import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { wantsJson } from '../http/authenticate.ts';
import { needViewer } from '../http/guards.ts';
import { formBody } from '../http/forms.ts';
import { refererPath } from '../http/redirects.ts';
import { paperIdParam } from '../http/params.ts';
import { RequestError, zodDetails } from '../http/respond.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { paperPath } from '../ui/components.tsx';
import { hidePaper, markRead, savePaper, unhidePaper, unsavePaper, type HideReason } from './collections.ts';

const saveForm = z.object({ action: z.enum(['save', 'unsave'], 'must be "save" or "unsave"') });
const hideForm = z.object({ action: z.enum(['hide', 'not-interested', 'unhide'], 'must be "hide", "not-interested" or "unhide"') });
const readForm = z.object({ action: z.enum(['read', 'unread'], 'must be "read" or "unread"') });
const hideBody = z.object({ reason: z.enum(['hidden', 'not-interested'], 'must be "hidden" or "not-interested"').optional() }).strict();

/** The same-site page the form was on, else the paper's page. */
const backTo = (c: Context<AppEnv>) => refererPath(c) ?? paperPath(paperIdParam(c));

/** `POST /papers/{id}/save`: the save button (`action` = save | unsave); back to the page, or `{ saved }` for its script. */
export async function savePaperForm(c: Context<AppEnv>) {
  const { action } = await formBody(c, saveForm);
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'library');
  const db = c.get('db').kysely;
  const result = action === 'save' ? await savePaper(db, viewer.id, paperIdParam(c)) : await unsavePaper(db, viewer.id, paperIdParam(c));
  return wantsJson(c) ? c.json(result) : c.redirect(backTo(c), 303);
}

/** `POST /papers/{id}/hide`: "not interested" (or hide, or undo); back to the page, or `{ hidden }` for its script. */
export async function hidePaperForm(c: Context<AppEnv>) {
  const { action } = await formBody(c, hideForm);
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'library');
  const db = c.get('db').kysely;
  const result = action === 'unhide' ? await unhidePaper(db, viewer.id, paperIdParam(c)) : await hidePaper(db, viewer.id, paperIdParam(c), action === 'hide' ? 'hidden' : 'not-interested');
  return wantsJson(c) ? c.json(result) : c.redirect(backTo(c), 303);
}

/** `POST /papers/{id}/read`: "mark read" (`action` = read | unread); back to the page, or `{ read }` for its script. */
export async function readPaperForm(c: Context<AppEnv>) {
  const { action } = await formBody(c, readForm);
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'library');
  const result = await markRead(c.get('db').kysely, viewer.id, paperIdParam(c), action === 'read');
  return wantsJson(c) ? c.json(result) : c.redirect(backTo(c), 303);
}

/** `POST /api/papers/{id}/save`: into the reader's default collection; repeating it changes nothing. */
export async function savePaperApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'library');
  return c.json(await savePaper(c.get('db').kysely, viewer.id, paperIdParam(c)));
}

/** `DELETE /api/papers/{id}/save`: out of every collection of the reader's. */
export async function unsavePaperApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  return c.json(await unsavePaper(c.get('db').kysely, viewer.id, paperIdParam(c)));
}

/** `POST /api/papers/{id}/hide` with an optional `{"reason": "hidden" | "not-interested"}`. */
export async function hidePaperApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'library');
  const text = await c.req.text();
  const body = text.trim() ? parseHideBody(text) : {};
  return c.json(await hidePaper(c.get('db').kysely, viewer.id, paperIdParam(c), (body.reason ?? 'hidden') as HideReason));
}

/** `POST /api/papers/{id}/unhide` and `DELETE /api/papers/{id}/hide`. */
export async function unhidePaperApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  return c.json(await unhidePaper(c.get('db').kysely, viewer.id, paperIdParam(c)));
}

/** `POST`/`DELETE /api/papers/{id}/read`: marks the paper read, or not. */
export async function markReadApi(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  return c.json(await markRead(c.get('db').kysely, viewer.id, paperIdParam(c), c.req.method === 'POST'));
}

const HIDE_EXPECTED = 'expected {"reason": "hidden" | "not-interested"} or no body';
function parseHideBody(text: string): z.infer<typeof hideBody> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RequestError(400, HIDE_EXPECTED, ['body: not JSON']);
  }
  const parsed = hideBody.safeParse(raw);
  if (!parsed.success) throw new RequestError(400, HIDE_EXPECTED, zodDetails(parsed.error));
  return parsed.data;
}
