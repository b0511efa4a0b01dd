import type { Context } from 'hono';
import type { AppEnv } from './env.ts';
import { publicOrigin } from '../core/config.ts';

/**
 * The site's public origin, for every link in a mail, a feed or a redirect, and for the CSRF
 * check: BASE_URL (production requires it). Without it, in development, the request's own
 * origin only when its host is a loopback name or address (a browser on this machine); any
 * other Host header is the sender's to choose, so the configured HOST:PORT stands in.
 */
export function siteOrigin(c: Context<AppEnv>): string {
  const config = c.get('config');
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

/** The address of the TCP peer (the proxy, when there is one); undefined outside a real server. */
export function socketAddress(c: Context<AppEnv>): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

/** Whether the request comes straight from this machine, not through a proxy. */
export function fromLoopback(c: Context<AppEnv>): boolean {
  const address = socketAddress(c);
  const loopback = address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
  return loopback && !c.req.header('X-Forwarded-For') && !c.req.header('Forwarded');
}

/**
 * The outbox holds sign-in links, so it is for development only: without a mail
 * server, never in production, and only to a browser on this machine.
 */
export function outboxOpen(c: Context<AppEnv>): boolean {
  return !c.get('config').SMTP_URL && c.get('config').NODE_ENV !== 'production' && fromLoopback(c);
}
