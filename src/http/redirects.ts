import type { Context } from 'hono';
import type { AppEnv } from './env.ts';

/**
 * The one check every redirect target taken from a request goes through (`next=`, a form's
 * `next`, the `Referer`): a path on this site, or undefined. A single leading `/` (never `//host`,
 * which a browser reads as another site), no `\` anywhere (browsers read `/\host` as `//host`),
 * printable ASCII only (no control characters, tabs or newlines, which browsers strip or headers
 * split on).
 */
export function safeRedirect(target: string | undefined | null): string | undefined {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return undefined;
  if (target.includes('\\') || /[^\x21-\x7e]/.test(target)) return undefined;
  return target;
}

/**
 * The page a form was posted from, by its `Referer`, when that page is on this site (the
 * request's origin or `BASE_URL`'s), checked by `safeRedirect`; else undefined.
 */
export function refererPath(c: Context<AppEnv>): string | undefined {
  const referer = c.req.header('Referer');
  if (!referer || !URL.canParse(referer)) return undefined;
  const url = new URL(referer);
  const base = c.get('config').BASE_URL;
  const own = url.origin === new URL(c.req.url).origin || (!!base && URL.canParse(base) && url.origin === new URL(base).origin);
  return own ? safeRedirect(url.pathname + url.search) : undefined;
}
