import { serve } from '@hono/node-server';
import type { Config } from './config.ts';
import { assertSchemaCurrent, connectDatabase, migrateToLatest } from './db/database.ts';
import { createApp } from './app.ts';
import { seedIfEmpty } from './ingest/seed.ts';
import { scheduledJobs } from './jobs/jobs.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { createLogger } from './log.ts';
import { createMailer } from './mail/mailer.ts';

/** Opens the database, brings it up to date, and serves the site (and its scheduled jobs) until stopped. */
export async function startServer(config: Config, opts: { seed: boolean; migrate: boolean }): Promise<void> {
  const log = createLogger(config.LOG_LEVEL);
  const db = await connectDatabase(config.DATABASE_URL);
  if (opts.migrate) {
    const applied = await migrateToLatest(db);
    if (applied.length > 0) log.info({ applied }, 'migrated');
  }
  await assertSchemaCurrent(db);
  if (opts.seed) {
    const outcome = await seedIfEmpty(db, config);
    if (outcome) log.info(`seed: ${outcome}`);
  }
  const stopScheduler = config.SCHEDULER_ENABLED ? startScheduler(db, scheduledJobs(db, config, log), log) : async () => {};
  const mailer = createMailer(config);
  if (!config.SMTP_URL) {
    const where = config.NODE_ENV === 'production' ? 'nobody can read them: set SMTP_URL' : 'read them at /dev/outbox from this machine';
    log.warn(`mail: no SMTP_URL, so mails (sign-in links) go to ${mailer.target}; ${where}`);
  }
  const app = createApp({ db, config, log, mailer });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    log.info({ port: info.port, database: db.dialect }, `listening on http://${config.HOST}:${info.port}`);
  });
  const stop = async () => {
    server.close();
    await stopScheduler();
    mailer.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
