import { hkdfSync, randomBytes } from 'node:crypto';
import type { Config } from '../core/config.ts';
import type { Db } from './database.ts';

/**
 * The instance's keys, each derived from one root secret for one purpose, so that a key
 * leaked or misused in one place signs nothing in another. Resolved once at startup
 * (`resolveKeys`) and handed to whatever signs.
 */
export interface InstanceKeys {
  /** For what a session relies on (sessions themselves are random tokens stored hashed). */
  sessions: string;
  /** Signs the confirm, preferences and unsubscribe links in mails (src/digests/tokens.ts). */
  mailLinks: string;
}

/** The instance_settings row that holds the development root secret. */
const ROOT_SECRET = 'root_secret';

/** HKDF-SHA256 of the root secret, one label per purpose (RFC 5869). */
export function deriveKeys(root: string): InstanceKeys {
  const derive = (label: string) => Buffer.from(hkdfSync('sha256', root, 'dailypapers', label, 32)).toString('hex');
  return { sessions: derive('sessions v1'), mailLinks: derive('mail links v1') };
}

/**
 * The keys of this instance: from SESSION_SECRET when it is set (production requires it),
 * else from a random secret made on the first start and kept in the database, so that links
 * outlive restarts and every instance on one database agrees.
 */
export async function resolveKeys(db: Db, config: Pick<Config, 'NODE_ENV' | 'SESSION_SECRET'>): Promise<InstanceKeys> {
  if (config.SESSION_SECRET) return deriveKeys(config.SESSION_SECRET);
  if (config.NODE_ENV === 'production') {
    throw new Error('config: SESSION_SECRET is not set; production needs it (make one with `openssl rand -hex 32`)');
  }
  return deriveKeys(await storedRootSecret(db));
}

/** The kept root secret, made now if there is none; two first starts at once both read the one that was inserted first. */
async function storedRootSecret(db: Db): Promise<string> {
  await db.kysely
    .insertInto('instance_settings')
    .values({ name: ROOT_SECRET, value: randomBytes(32).toString('hex') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db.kysely.selectFrom('instance_settings').select('value').where('name', '=', ROOT_SECRET).executeTakeFirstOrThrow();
  return row.value;
}

/** A configuration with the keys resolved from it: what scheduled jobs and CLI commands that sign links take. */
export type KeyedConfig = Config & { keys: InstanceKeys };
