import type { Context } from 'hono';
import { sql } from 'kysely';
import type { AppEnv } from '../http/env.ts';
import { registry } from '../core/metrics.ts';
import { fromLoopback } from '../http/origin.ts';
import { sameSecret } from '../auth/tokens.ts';
import { heldContentVersion } from '../db/content-version.ts';
import type { Db } from '../db/database.ts';

/**
 * How old a successful read of the database /healthz may answer from. Within it, /healthz does
 * not wait for the database: it answers from the last read and starts the next one (one shared
 * probe, at most every VERSION_TTL_MS), so a PostgreSQL round trip under load no longer stalls
 * every health check behind it (docs/decisions/024-render-frame-and-health.md).
 */
export const HEALTH_MAX_AGE_MS = 1000;

/**
 * `GET /healthz` ahead of the app: 200 with the age of the last successful read of the database
 * (the content version, db/content-version.ts) while that read is under HEALTH_MAX_AGE_MS old and
 * the latest read did not fail; else after reading it afresh; on a failed read, null, and the route
 * below answers (503).
 */
export function healthzEarly(db: Db, securityHeaders: Promise<Record<string, string>>): (req: Request) => Response | Promise<Response | null> | null {
  let headers: Record<string, string> | undefined;
  void securityHeaders.then((h) => (headers = { ...h, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }));
  // The body's length varies only with the age's digits: one headers object per length, not one per request.
  const byLength = new Map<number, Record<string, string>>();
  const ok = (req: Request, ageMs: number) => {
    const body = Buffer.from(`{"status":"ok","database":"${db.dialect}","checkedMsAgo":${Math.floor(ageMs)}}`);
    let sent = byLength.get(body.byteLength);
    if (!sent) byLength.set(body.byteLength, (sent = { 'Content-Length': String(body.byteLength), ...headers }));
    return new Response(req.method === 'HEAD' ? null : (body as unknown as Uint8Array<ArrayBuffer>), { status: 200, headers: sent });
  };
  return (req) => {
    if (!headers) return null;
    const held = heldContentVersion(db.kysely, HEALTH_MAX_AGE_MS);
    if (!(held instanceof Promise)) return ok(req, held.ageMs);
    return held.then((h) => ok(req, h.ageMs), () => null);
  };
}

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export async function healthz(c: Context<AppEnv>) {
  try {
    await sql`select 1`.execute(c.get('db').kysely);
    return c.json({ status: 'ok', database: c.get('db').dialect, checkedMsAgo: 0 });
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
  const { METRICS_TOKEN, NODE_ENV } = c.get('config');
  if (METRICS_TOKEN) {
    if (!sameSecret(/^Bearer (.+)$/i.exec(c.req.header('Authorization') ?? '')?.[1] ?? '', METRICS_TOKEN)) {
      return c.text('401 Unauthorized: /metrics needs Authorization: Bearer <METRICS_TOKEN>', 401, { 'WWW-Authenticate': 'Bearer realm="metrics"' });
    }
  } else if (NODE_ENV === 'production' && !fromLoopback(c)) {
    return c.notFound();
  }
  return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
}

