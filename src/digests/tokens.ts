import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links in mails: `base64url(payload).base64url(HMAC-SHA256(payload))`. Nothing is
 * stored, so a link works from any instance; the payload names the subscription, what the
 * link may do, and when it was made. The key is the instance's mail-link key
 * (`InstanceKeys.mailLinks`, src/db/secrets.ts), never one anybody could work out.
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

/** How long each kind of link works: a confirmation is short-lived, leaving must always work. */
const LIFETIME_SECONDS: Record<TokenPurpose, number> = {
  confirm: 7 * 86_400,
  unsubscribe: 10 * 365 * 86_400,
  preferences: 10 * 365 * 86_400,
};

interface Payload {
  p: TokenPurpose;
  s: number;
  t: number;
}

export function signToken(key: string, purpose: TokenPurpose, subscriptionId: number, now = new Date()): string {
  const payload = Buffer.from(JSON.stringify({ p: purpose, s: subscriptionId, t: Math.floor(now.getTime() / 1000) } satisfies Payload)).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/** The subscription id a token signs for `purpose`, or null when it is forged, altered, expired or for another purpose. */
export function verifyToken(key: string, purpose: TokenPurpose, token: string, now = new Date()): number | null {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = Buffer.from(mac(key, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let data: Payload;
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Payload;
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || data.p !== purpose || !Number.isSafeInteger(data.s) || !Number.isSafeInteger(data.t)) return null;
  const age = now.getTime() / 1000 - data.t;
  return age >= -300 && age <= LIFETIME_SECONDS[purpose] ? data.s : null;
}

function mac(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}
