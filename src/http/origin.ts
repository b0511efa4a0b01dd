import type { Context } from 'hono';
import type { AppEnv } from './env.ts';
import { publicOrigin } from '../digests/links.ts';

/**
 * The site's public origin, for every link in a mail, a feed or a redirect, and for the CSRF
 * check: BASE_URL (production requires it). Without it, in development, the request's own
 * origin only when its host is a loopback name or address (a browser on this machine); any
 * other Host header is the sender's to choose, so the configured HOST:PORT stands in.
 */
export function siteOrigin(c: Context<AppEnv>): string {
  const config = c.var.config;
  if (config.BASE_URL) return config.BASE_URL.replace(/\/+$/, '');
  const url = new URL(c.req.url);
  if (config.NODE_ENV !== 'production' && isLoopbackHost(url.hostname)) return url.origin;
  return publicOrigin(config);
}

/** localhost, 127.0.0.0/8 and ::1, as a URL's `hostname` spells them. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(host);
}
