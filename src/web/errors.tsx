import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../app.ts';
import { jsonError } from './respond.ts';
import { Layout, chromeOf } from './layout.tsx';

const wantsJson = (c: Context) => c.req.path.startsWith('/api/');

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

/** Known HTTP errors keep their status; anything else is logged and becomes a plain 500. */
export function serverError(err: Error, c: Context<AppEnv>) {
  if (err instanceof HTTPException) {
    const status = err.status;
    // A response built by the thrower (guards' JSON failures, 429s) is the answer as is.
    if (err.res) return err.getResponse();
    if (wantsJson(c)) return c.json({ error: err.message || 'request failed' }, status);
    return err.getResponse();
  }
  c.var.log?.error({ err, path: c.req.path }, 'request failed');
  if (wantsJson(c)) return jsonError(c, 500, 'internal error');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Something went wrong">
      <section class="empty">
        <h1>Something went wrong</h1>
        <p>The error was logged (request {c.var.requestId}). Please try again.</p>
      </section>
    </Layout>,
    500,
  );
}
