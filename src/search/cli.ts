import type { Command } from 'commander';
import type { Config } from '../core/config.ts';
import type { Db, WithDb } from '../db/database.ts';
import type { CommandOutput } from '../core/command-output.ts';

/** Adds the `search …` subcommands to their group; each loads its module on use. */
export function registerSearchCommands(group: Command, withDb: WithDb): void {
  group
    .command('reindex')
    .description('rebuild the full-text index from the papers (the database keeps it in step on every write; for restores and hand edits)')
    .action(() => withDb((_config, db, io) => reindexCommand(db, io)));
  group
    .command('embed')
    .description('embed papers that have no vector for EMBEDDINGS_MODEL yet (the scheduled job does this too)')
    .option('--limit <n>', 'embed at most this many papers')
    .action((opts: { limit?: string }) => withDb((config, db, io) => embedCommand(config, db, opts, io)));
  group
    .command('related')
    .description('compute the related papers of every paper that needs them (new, reworded, or near a newer paper; the scheduled job does this too)')
    .option('--limit <n>', 'at most this many papers')
    .action((opts: { limit?: string }) => withDb((_config, db, io) => relatedCommand(db, opts, io)));
}

async function relatedCommand(db: Db, opts: { limit?: string }, io: CommandOutput): Promise<void> {
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error('search: --limit is a whole number of at least 1');
  const { assertSchemaCurrent } = await import('../db/database.ts');
  await assertSchemaCurrent(db);
  const { describeRelatedRun, relatedBacklog } = await import('./related.ts');
  const started = Date.now();
  const tty = io.tty;
  const summary = await relatedBacklog(db, { limit, onProgress: tty ? (n) => tty.write(`\rsearch: related papers of ${n} paper(s) computed`) : undefined });
  tty?.write('\n');
  io.out(`search: ${describeRelatedRun(summary)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function reindexCommand(db: Db, io: CommandOutput): Promise<void> {
  const { assertSchemaCurrent } = await import('../db/database.ts');
  await assertSchemaCurrent(db);
  const { reindex } = await import('./reindex.ts');
  const report = await reindex(db);
  io.out(`search: indexed ${report.indexed} of ${report.papers} papers (the rest are hidden) in ${(report.ms / 1000).toFixed(1)} s`);
}

async function embedCommand(config: Config, db: Db, opts: { limit?: string }, io: CommandOutput): Promise<void> {
  const limit = opts.limit === undefined ? undefined : Number(opts.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new Error('search: --limit is a whole number of at least 1');
  if (!config.EMBEDDINGS_URL) throw new Error('search: EMBEDDINGS_URL is not set; point it at an OpenAI-compatible embedding server (see .env.example)');
  const { assertSchemaCurrent } = await import('../db/database.ts');
  await assertSchemaCurrent(db);
  const { describeEmbedRun, embedBacklog } = await import('./backlog.ts');
  const started = Date.now();
  const tty = io.tty;
  const progress = tty ? ({ embedded, failed }: { embedded: number; failed: number }) => tty.write(`\rsearch: ${embedded} embedded, ${failed} refused`) : undefined;
  const summary = await embedBacklog(db, config, { limit, onProgress: progress });
  tty?.write('\n');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.out(`search: ${describeEmbedRun({ ...summary, stopped: undefined })} in ${seconds} s`);
  if (summary.stopped) throw new Error(`search: stopped early: ${summary.stopped}`);
}
