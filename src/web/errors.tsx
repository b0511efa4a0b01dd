import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../http/env.ts';
import { DomainError } from '../core/errors.ts';
import { FAILURE_STATUS, RequestError, jsonError } from '../http/respond.ts';
import { siteOrigin } from '../http/origin.ts';
import { wantsJson } from '../http/authenticate.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';


/** A 404 that helps: what was asked for and where to go instead. */
export function notFound(c: Context<AppEnv>) {
  if (wantsJson(c)) return jsonError(c, 404, `no such endpoint: ${c.req.method} ${c.req.path}`);
  return c.html(
    <Layout chrome={chromeOf(c)} title="Not found">
      <section class="empty">
        <h1>Nothing here</h1>
        <p>
          There is no page at <code>{c.req.path}</code>.
        </p>
        <p>
          Try <a href="/papers">today's papers</a>, the <a href="/papers/trending">trending list</a>, or open a paper
          by its arXiv id at <code>/papers/2401.01234</code>.
        </p>
      </section>
    </Layout>,
    404,
  );
}

/** 409 for a unique-constraint violation, 400 for a value PostgreSQL cannot store, else null. */
function databaseConflict(err: Error): 400 | 409 | null {
  const code = String((err as { code?: unknown }).code ?? '');
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 409;
  if (/^22[0-9A-Z]{3}$/.test(code)) return 400;
  return null;
}

/** Refusals and known HTTP errors keep their status; anything else is logged and becomes a plain 500. */
export function serverError(err: Error, c: Context<AppEnv>) {
  if (err instanceof DomainError) {
    const { link, retryAfter } = err.more;
    err = new RequestError(FAILURE_STATUS[err.kind], err.message, link ? [`see ${siteOrigin(c)}${link}`] : undefined, retryAfter ? { 'Retry-After': String(retryAfter) } : {});
  }
  if (err instanceof RequestError) {
    const { status, message, details, headers } = err;
    if (wantsJson(c)) return c.json(details ? { error: message, details } : { error: message }, status, headers);
    return c.text(`${status}: ${message}`, status, headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    // A response built by the thrower (guards' JSON failures, 429s) is the answer as is.
    if (err.res) return err.getResponse();
    if (wantsJson(c)) return c.json({ error: err.message || 'request failed' }, status);
    return err.getResponse();
  }
  // Two requests racing for the same row, or a value the database cannot hold (an id past 2^31
  // on PostgreSQL): the request's fault or bad luck, never a 500. Handlers check first; this is the net.
  const conflict = databaseConflict(err);
  if (conflict) {
    c.get('log')?.warn({ err, path: c.req.path }, 'request refused by the database');
    const message = conflict === 409 ? 'that was just done by another request; reload and try again' : 'a value in the request is malformed or out of range';
    return wantsJson(c) ? c.json({ error: message }, conflict) : c.text(`${conflict}: ${message}`, conflict);
  }
  c.get('log')?.error({ err, path: c.req.path }, 'request failed');
  if (wantsJson(c)) return jsonError(c, 500, 'internal error');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Something went wrong">
      <section class="empty">
        <h1>Something went wrong</h1>
        <p>The error was logged (request {c.get('requestId')}). Please try again.</p>
      </section>
    </Layout>,
    500,
  );
}
