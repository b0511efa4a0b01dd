import { publicOrigin, type Config } from '../core/config.ts';
import type { InstanceKeys } from '../db/secrets.ts';
import { signToken, type TokenPurpose } from './tokens.ts';

/** What signed links need: where the site is, and the key resolved at startup. */
export type LinkConfig = Pick<Config, 'BASE_URL' | 'HOST' | 'PORT' | 'MAIL_FROM' | 'MAIL_UNSUBSCRIBE_ADDRESS'> & { keys: Pick<InstanceKeys, 'mailLinks'> };

const PATHS: Record<TokenPurpose, string> = {
  confirm: '/subscribe/confirm',
  preferences: '/subscription',
  unsubscribe: '/unsubscribe',
};

/** A signed link of `purpose` for one subscription, at `origin` (BASE_URL's by default). */
export function signedLink(config: LinkConfig, purpose: TokenPurpose, subscriptionId: number, origin = publicOrigin(config), now = new Date()): string {
  return `${origin}${PATHS[purpose]}?token=${signToken(config.keys.mailLinks, purpose, subscriptionId, now)}`;
}

/** "Manage topics": the preferences page of one subscriber, for every digest's footer. */
export function preferencesUrl(config: LinkConfig, subscriptionId: number): string {
  return signedLink(config, 'preferences', subscriptionId);
}

/** The unsubscribe page, and the RFC 8058 one-click POST target. */
export function unsubscribeUrl(config: LinkConfig, subscriptionId: number): string {
  return signedLink(config, 'unsubscribe', subscriptionId);
}

/** The address `List-Unsubscribe`'s mailto names: MAIL_UNSUBSCRIBE_ADDRESS, else MAIL_FROM's address. */
export function unsubscribeAddress(config: Pick<Config, 'MAIL_FROM' | 'MAIL_UNSUBSCRIBE_ADDRESS'>): string {
  if (config.MAIL_UNSUBSCRIBE_ADDRESS) return config.MAIL_UNSUBSCRIBE_ADDRESS;
  // `Name <address>` or a bare address.
  return (/<([^<>\s]+)>\s*$/.exec(config.MAIL_FROM)?.[1] ?? config.MAIL_FROM).trim();
}

/**
 * The headers that make every digest one click to leave (RFC 2369, RFC 8058): mail clients
 * show an "Unsubscribe" button that POSTs `List-Unsubscribe=One-Click` to the https URL.
 */
export function unsubscribeHeaders(config: LinkConfig, subscriptionId: number): { 'List-Unsubscribe': string; 'List-Unsubscribe-Post': string } {
  const mailto = `mailto:${unsubscribeAddress(config)}?subject=unsubscribe`;
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(config, subscriptionId)}>, <${mailto}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
