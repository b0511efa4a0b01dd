import type { Context } from 'hono';
import { sql } from 'kysely';
import type { AppEnv } from '../http/env.ts';
import { registry } from '../core/metrics.ts';
import { fromLoopback } from '../http/origin.ts';
import { sameSecret } from '../auth/tokens.ts';
import { currentContentVersion } from '../db/content-version.ts';
import type { Db } from '../db/database.ts';

/**
 * `GET /healthz` ahead of the app: 200 as long as this process read the content version within
 * the last few milliseconds (db/content-version.ts), else after reading it; on a failed read,
 * null, and the route below answers (503).
 */
export function healthzEarly(db: Db, securityHeaders: Promise<Record<string, string>>): (req: Request) => Response | Promise<Response | null> | null {
  const body = Buffer.from(JSON.stringify({ status: 'ok', database: db.dialect }));
  let headers: Record<string, string> | undefined;
  void securityHeaders.then((h) => (headers = { ...h, 'Content-Type': 'application/json', 'Content-Length': String(body.byteLength), 'Cache-Control': 'no-store' }));
  const ok = (req: Request) => new Response(req.method === 'HEAD' ? null : (body as unknown as Uint8Array<ArrayBuffer>), { status: 200, headers });
  return (req) => {
    if (!headers) return null;
    const version = currentContentVersion(db.kysely);
    if (typeof version === 'number') return ok(req);
    return version.then(() => ok(req), () => null);
  };
}

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export async function healthz(c: Context<AppEnv>) {
  try {
    await sql`select 1`.execute(c.var.db.kysely);
    return c.json({ status: 'ok', database: c.var.db.dialect });
  } catch (err) {
    return c.json({ status: 'unavailable', error: `database: ${(err as Error).message}` }, 503);
  }
}

/**
 * `GET /metrics`: this process's metrics in Prometheus's text format. They tell more than a
 * stranger should know (versions, mail counts, job failures): with METRICS_TOKEN set, only
 * `Authorization: Bearer <METRICS_TOKEN>` gets them; without it, in production, only a client
 * on this machine does (others get 404, as if there were nothing here). docs/deploy.md.
 */
export async function metrics(c: Context<AppEnv>) {
  const { METRICS_TOKEN, NODE_ENV } = c.var.config;
  if (METRICS_TOKEN) {
    if (!sameSecret(/^Bearer (.+)$/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? '', METRICS_TOKEN)) {
      return c.text('401 Unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>', 401, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
    }
  } else if (NODE_ENV === 'production' && !fromLoopback(c)) {
    return c.notFound();
  }
  return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
}

