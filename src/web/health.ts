import type { Context } from 'hono';
import { sql } from 'kysely';
import type { AppEnv } from '../app.ts';
import { registry } from '../metrics.ts';

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export async function healthz(c: Context<AppEnv>) {
  try {
    await sql`select 1`.execute(c.var.db.kysely);
    return c.json({ status: 'ok', database: c.var.db.dialect });
  } catch (err) {
    return c.json({ status: 'unavailable', error: `database: ${(err as Error).message}` }, 503);
  }
}

/** `GET /metrics`: this process's metrics in Prometheus's text format. */
export async function metrics(c: Context<AppEnv>) {
  return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
}
