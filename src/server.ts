import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { ConfigError, productionProblems, productionWarnings, type Config } from './core/config.ts';
import { assertSchemaCurrent, connectDatabase, migrateToLatest } from './db/database.ts';
import { createApp } from './app.ts';
import { seedIfEmpty } from './ingest/seed.ts';
import { scheduledJobs } from './jobs/jobs.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { createLogger } from './core/log.ts';
import { createMailer } from './mail/mailer.ts';
import { resolveKeys } from './db/secrets.ts';
import { keepSearchIndexFile, searchIndex, searchIndexWritten } from './search/search-index.ts';

/** Opens the database, brings it up to date, and serves the site (and its scheduled jobs) until stopped. */
export async function startServer(config: Config, opts: { seed: boolean; migrate: boolean }): Promise<void> {
  // In production, an unsafe setting stops the start, all of them listed (`dailypapers config --check`).
  if (config.NODE_ENV === 'production') {
    const problems = productionProblems(config);
    if (problems.length > 0) throw new ConfigError(problems, 'unsafe setting(s) for production; fix them or see `dailypapers config --check`');
  }
  const log = createLogger(config.LOG_LEVEL);
  if (config.NODE_ENV === 'production') for (const warning of productionWarnings(config)) log.warn(`config: ${warning}`);
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
  // Once, here: every request and job signs with these (src/db/secrets.ts).
  const keys = await resolveKeys(db, config);
  // Bound before the app exists, so that PORT=0 (any free port) gives links and origin checks the real one.
  const ready: { app?: ReturnType<typeof createApp> } = {};
  const server = serve({ fetch: (req, env) => (ready.app ? ready.app.fetch(req, env) : new Response('starting', { status: 503 })), port: config.PORT, hostname: config.HOST });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve((server.address() as AddressInfo).port));
  });
  config = { ...config, PORT: port };
  const stopScheduler = config.SCHEDULER_ENABLED ? startScheduler(db, scheduledJobs(db, { ...config, keys }, log), log) : async () => {};
  const mailer = createMailer(config);
  if (!config.SMTP_URL && config.NODE_ENV !== 'production') {
    log.warn(`mail: no SMTP_URL, so mails (sign-in links) go to ${mailer.target}; read them at /dev/outbox from this machine`);
  }
  ready.app = createApp({ db, config, keys, log, mailer });
  log.info({ port, database: db.dialect }, `listening on http://${config.HOST}:${port}`);
  // The search index is read from its file (or built from the database) now rather than by the first search (decisions 019, 020).
  if (config.SEARCH_INDEX_DIR !== 'off') keepSearchIndexFile(db, config.SEARCH_INDEX_DIR);
  const indexing = performance.now();
  searchIndex(db).then(
    (index) =>
      log.info(`search: ${index.source === 'file' ? 'read the index of' : 'indexed'} ${index.main.ids.length} papers in ${((performance.now() - indexing) / 1000).toFixed(1)} s`),
    (err: Error) => log.warn(`search: the index could not be built yet (${err.message}); the first search builds it`),
  );
  const stop = async () => {
    server.close();
    await stopScheduler();
    // An index file still being written after a build (seconds at 1M papers) is finished: killed, the next start builds again.
    await searchIndexWritten(db);
    mailer.close();
    await db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
