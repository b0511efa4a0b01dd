import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../http/env.ts';
import type { Logger } from '../core/log.ts';
import { httpRequestDuration } from '../core/metrics.ts';

/**
 * Gives each request a logger that stamps its id on every line, logs the request
 * when it ends, and records its latency under the route pattern (not the raw
 * path, which would make one time series per paper).
 */
export function observe(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestLog = log.child({ requestId: c.get('requestId') });
    c.set('log', requestLog);
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeOf(c);
    httpRequestDuration.observe({ method: c.req.method, route, status: String(c.res.status) }, seconds);
    requestLog.info(
      { method: c.req.method, path: c.req.path, route, status: c.res.status, ms: Math.round(seconds * 10_000) / 10 },
      'request',
    );
  };
}

function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  // The first route handler matching is the one that answers (or would have, on a cache hit).
  const handler = matchedRoutes(c).find((r) => r.method !== 'ALL');
  if (handler) return handler.path;
  return c.req.path.startsWith('/static/') ? '/static/*' : 'unmatched';
}
