import type { Config } from '../core/config.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../core/log.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { InstanceKeys } from '../db/secrets.ts';
import type { Auth } from './authenticate.ts';

/**
 * What every handler can reach through `c.get(name)`: not `c.var`, which copies every variable
 * into a new object on each read (Hono's getter; decision 029).
 */
export interface AppEnv {
  Variables: { db: Db; config: Config; keys: InstanceKeys; requestId: string; log: Logger; mailer: Mailer; auth: Auth };
}
