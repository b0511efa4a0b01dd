import { serve } from '@hono/node-server';
import type { Config } from './config.ts';
import { assertSchemaCurrent, connectDatabase, migrateToLatest } from './db/database.ts';
import { createApp } from './app.ts';
import { seedIfEmpty } from './ingest/seed.ts';

/** Opens the database, brings it up to date, and serves the site until stopped. */
export async function startServer(config: Config, opts: { seed: boolean; migrate: boolean }): Promise<void> {
  const db = await connectDatabase(config.DATABASE_URL);
  if (opts.migrate) await migrateToLatest(db);
  await assertSchemaCurrent(db);
  if (opts.seed) {
    const outcome = await seedIfEmpty(db, config);
    if (outcome) console.log(`seed: ${outcome}`);
  }
  const app = createApp({ db, config });
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    console.log(`dailypapers: listening on http://${config.HOST}:${info.port}`);
  });
  const stop = () => {
    server.close();
    void db.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
