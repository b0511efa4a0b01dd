import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError, describeConfig, loadConfig, productionProblems, productionWarnings, type Config } from './config.ts';
import { DatabaseError, connectDatabase, migrateToLatest, type Db } from './db/database.ts';
import { importHfPath, type ImportSummary } from './ingest/hf-import.ts';
import { startServer } from './server.ts';
import { scheduledJobs } from './jobs/jobs.ts';
import { runIfDue } from './jobs/scheduler.ts';
import { silentLogger } from './log.ts';
import { registerSearchCommands } from './search/cli.ts';
import { registerDigestCommands } from './digests/cli.ts';
import { resolveKeys } from './secrets.ts';

/** Runs one command with the config and database, turning known failures into one clear line. */
async function withDb(action: (config: Config, db: Db) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const db = await connectDatabase(config.DATABASE_URL);
  try {
    await action(config, db);
  } finally {
    await db.close();
  }
}

function printSummary(s: ImportSummary): void {
  for (const p of s.problems) console.error(`rejected ${p.position}: ${p.reason}`);
  if (s.rejected > s.problems.length) console.error(`… and ${s.rejected - s.problems.length} more rejected`);
  console.log(`import: ${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`);
}

const program = new Command('dailypapers')
  .description('Community-curated research papers: daily feed, paper pages, API.')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the web server (migrates the database first)')
  .option('--seed', 'on an empty database, import recent papers (or the demo data) first')
  .option('--no-migrate', 'refuse to start on a schema that is behind instead of migrating')
  .action(async (opts: { seed?: boolean; migrate: boolean }) => {
    await startServer(loadConfig(), { seed: Boolean(opts.seed), migrate: opts.migrate });
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(() =>
    withDb(async (_config, db) => {
      const applied = await migrateToLatest(db);
      console.log(applied.length ? `migrate: applied ${applied.join(', ')}` : 'migrate: schema is up to date');
    }),
  );

program
  .command('config')
  .description('print the resolved configuration (secrets masked)')
  .option('--check', 'instead, list every setting unsafe on a public server (production); exit 1 if there is one')
  .action((opts: { check?: boolean }) => {
    const config = loadConfig();
    if (opts.check) {
      // The same rules `serve` enforces at start in production (src/config.ts).
      const problems = productionProblems(config);
      for (const p of problems) console.log(`error: ${p}`);
      for (const w of productionWarnings(config)) console.log(`warning: ${w}`);
      console.log(problems.length ? `config: ${problems.length} unsafe setting(s) for production` : 'config: safe for production');
      if (problems.length) process.exitCode = 1;
      return;
    }
    const rows = describeConfig(config);
    const width = Math.max(...rows.map((r) => r.key.length));
    for (const r of rows) console.log(`${r.key.padEnd(width)}  ${r.value}    # ${r.help}`);
  });

const jobsCmd = program.command('jobs').description('scheduled jobs (they also run inside `serve`)');
jobsCmd
  .command('list')
  .description('the scheduled jobs this configuration turns on, and their last runs')
  .action(() =>
    withDb(async (config, db) => {
      for (const job of scheduledJobs(db, { ...config, keys: await resolveKeys(db, config) })) {
        const last = await db.kysely
          .selectFrom('job_runs')
          .selectAll()
          .where('job', '=', job.name)
          .orderBy('period_start', 'desc')
          .limit(1)
          .executeTakeFirst();
        const when = last ? `${last.outcome} at ${last.started_at} on ${last.instance}: ${last.detail ?? ''}` : 'never ran';
        const schedule = 'everyMs' in job.schedule ? `every ${job.schedule.everyMs / 1000}s` : `at "${job.schedule.cron}" ${job.schedule.tz}`;
        console.log(`${job.name}  ${schedule}  last: ${when}`);
      }
    }),
  );
jobsCmd
  .command('run <name>')
  .description('run a job now if its current period has not run yet anywhere (for cron)')
  .action((name: string) =>
    withDb(async (config, db) => {
      const job = scheduledJobs(db, { ...config, keys: await resolveKeys(db, config) }).find((j) => j.name === name);
      if (!job) throw new Error(`jobs: no job named ${name} is turned on (see \`dailypapers jobs list\`)`);
      const outcome = await runIfDue(db.kysely, job, silentLogger);
      if (!outcome.ran) console.log(`jobs: ${name} already ran in this period`);
      else console.log(`jobs: ${name} ${outcome.ok ? 'ok' : 'failed'}: ${outcome.detail}`);
      if (outcome.ran && !outcome.ok) process.exitCode = 1;
    }),
  );

program
  .command('copy')
  .description('copy every row into another, empty database (e.g. SQLite to PostgreSQL) and verify it')
  .requiredOption('--from <url>', 'the database to copy, as a DATABASE_URL')
  .requiredOption('--to <url>', 'an empty database to copy into; migrated first')
  .action(async (opts: { from: string; to: string }) => {
    // Loaded on use, so this block is the whole of the command's footprint here.
    const { copyCommand } = await import('./db/copy-cli.ts');
    await copyCommand(opts.from, opts.to);
  });

registerSearchCommands(program.command('search').description('the search index and semantic search'), withDb);
registerDigestCommands(program.command('digest').description('e-mail digests: build, send, and see how delivery goes'), withDb);

const importCmd = program.command('import').description('import papers from files');
importCmd
  .command('hf <path>')
  .description("import Hugging Face daily-papers data: a day's JSON array, a folder of them, or a .jsonl[.gz] archive")
  .action((inputPath: string) =>
    withDb(async (_config, db) => {
      await migrateToLatest(db);
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'import |{bar}| {percentage}% | {records} records | {rate}/s | ETA {eta}s', hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      const started = Date.now();
      bar?.start(100, 0, { records: 0, rate: 0 });
      const summary = await importHfPath(db, inputPath, ({ records, fraction }) => {
        const rate = Math.round(records / Math.max((Date.now() - started) / 1000, 0.001));
        bar?.update(Math.round(fraction * 100), { records, rate });
      });
      bar?.update(100);
      bar?.stop();
      printSummary(summary);
      if (summary.new + summary.updated + summary.unchanged === 0 && summary.rejected > 0) process.exitCode = 1;
    }),
  );

importCmd
  .command('snapshot <file>')
  .description("import arXiv's bulk metadata snapshot: one JSON object per line, optionally gzipped (.gz)")
  .action((file: string) =>
    withDb(async (_config, db) => {
      await migrateToLatest(db);
      // Loaded on use, so this block is the whole of the command's footprint here.
      const { importSnapshotFile } = await import('./ingest/arxiv-snapshot-cli.ts');
      const summary = await importSnapshotFile(db, file);
      printSummary(summary);
      if (summary.new + summary.updated + summary.unchanged === 0 && summary.rejected > 0) process.exitCode = 1;
    }),
  );

const ingestCmd = program.command('ingest').description('fetch papers from arXiv (politely: one request at a time, spaced)');
ingestCmd
  .command('arxiv')
  .description('papers first submitted to the given categories in the last days')
  .option('--categories <list>', 'comma-separated arXiv categories', 'cs.LG,cs.CL,cs.AI')
  .option('--days <n>', 'how many days back, by first-version date', '2')
  .action((opts: { categories: string; days: string }) =>
    withDb(async (config, db) => (await import('./ingest/arxiv-cli.ts')).ingestArxivCommand(config, db, opts)),
  );
ingestCmd
  .command('ids <ids...>')
  .description('the given arXiv ids (e.g. 2401.01234, 2401.01234v2, astro-ph/0601001)')
  .action((ids: string[]) => withDb(async (config, db) => (await import('./ingest/arxiv-cli.ts')).ingestIdsCommand(config, db, ids)));
ingestCmd
  .command('oai')
  .description("harvest arXiv's OAI-PMH ListRecords page by page; an interrupted harvest resumes, a finished one continues from its last datestamp")
  .option('--set <set>', 'OAI set, e.g. cs, math, physics:hep-ex')
  .option('--from <day>', 'YYYY-MM-DD (default: the last datestamp of the previous harvest)')
  .option('--until <day>', 'YYYY-MM-DD')
  .option('--prefix <prefix>', 'metadata format: arXiv or arXivRaw', 'arXiv')
  .action((opts: { set?: string; from?: string; until?: string; prefix: string }) =>
    withDb(async (config, db) => (await import('./ingest/arxiv-oai-cli.ts')).ingestOaiCommand(config, db, opts)),
  );

const userCmd = program.command('user').description('accounts and roles');
userCmd
  .command('create-admin <username> <email>')
  .description('create an admin account, or make an existing user an admin')
  .option('--password-stdin', 'read a password from the first line of stdin (else the admin signs in by e-mailed link)')
  .action((username: string, email: string, opts: { passwordStdin?: boolean }) =>
    withDb(async (_config, db) => {
      const cli = await import('./accounts/user-cli.ts');
      const password = opts.passwordStdin ? await cli.readPasswordStdin() : undefined;
      console.log(await cli.createAdmin(db, username, email, password));
    }),
  );
userCmd
  .command('set-role <username> <role>')
  .description('make a user a user, moderator or admin (audited)')
  .action((username: string, role: string) =>
    withDb(async (_config, db) => console.log(await (await import('./accounts/user-cli.ts')).setUserRole(db, username, role))),
  );
userCmd
  .command('link-imported <handle> <username>')
  .description('link the person a Hugging Face import names to a local account, once you know they are the same (audited)')
  .action((handle: string, username: string) =>
    withDb(async (_config, db) => console.log(await (await import('./accounts/user-cli.ts')).linkImported(db, handle, username))),
  );
userCmd
  .command('list')
  .description('accounts that can sign in')
  .option('--role <role>', 'only users, moderators or admins')
  .action((opts: { role?: string }) =>
    withDb(async (_config, db) => {
      for (const line of await (await import('./accounts/user-cli.ts')).listUsers(db, opts.role)) console.log(line);
    }),
  );

const moderateCmd = program.command('moderate').description('hide, ban and review reports; every action goes into the audit log as cli:<os user>');
for (const [kind, args] of [['paper', '<id>'], ['listing', '<day> <id>'], ['comment', '<id>']] as const) {
  for (const hidden of [true, false]) {
    moderateCmd
      .command(`${hidden ? 'hide' : 'unhide'}-${kind} ${args}`)
      .description(`${hidden ? 'hide' : 'show again'} a ${kind === 'listing' ? 'paper on one day' : kind}`)
      .option('--reason <text>', 'why, for the audit log')
      .action((...params: unknown[]) =>
        withDb(async (_config, db) => {
          const { hideableOf, visibilityCommand } = await import('./moderation/cli.ts');
          const opts = params[kind === 'listing' ? 2 : 1] as { reason?: string };
          await visibilityCommand(db, hideableOf(kind, params.slice(0, kind === 'listing' ? 2 : 1) as string[]), hidden, opts.reason);
        }),
      );
  }
}
for (const ban of [true, false]) {
  moderateCmd
    .command(`${ban ? 'ban' : 'unban'} <username>`)
    .description(ban ? 'ban a user: signed out everywhere, API tokens revoked' : 'lift a ban')
    .option('--reason <text>', 'why, for the audit log')
    .action((username: string, opts: { reason?: string }) => withDb(async (_config, db) => (await import('./moderation/cli.ts')).banCommand(db, username, ban, opts.reason)));
}
moderateCmd
  .command('reports')
  .description('open reports, oldest first')
  .action(() => withDb(async (_config, db) => (await import('./moderation/cli.ts')).reportsCommand(db)));
moderateCmd
  .command('audit')
  .description('the audit log, newest first')
  .option('--limit <n>', 'how many entries', '50')
  .action((opts: { limit: string }) =>
    withDb(async (_config, db) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new Error('moderate: --limit is a whole number from 1 to 100000');
      await (await import('./moderation/cli.ts')).auditCommand(db, limit);
    }),
  );

const orgCmd = program.command('org').description('organizations: create them, add members, assign papers');
orgCmd
  .command('create <name> <fullname>')
  .description('create an organization with a URL handle and a display name')
  .action((name: string, fullname: string) => withDb(async (_config, db) => (await import('./organizations/cli.ts')).createOrganizationCommand(db, name, fullname)));
orgCmd
  .command('add-member <org> <username>')
  .description("add a user to an organization (or change their role there)")
  .option('--role <role>', 'admin or member', 'member')
  .action((org: string, username: string, opts: { role: string }) =>
    withDb(async (_config, db) => (await import('./organizations/cli.ts')).addMemberCommand(db, org, username, opts.role)),
  );
orgCmd
  .command('set-paper <paperId> [org]')
  .description('assign a paper to an organization; without one, to none')
  .action((paper: string, org: string | undefined) => withDb(async (_config, db) => (await import('./organizations/cli.ts')).setPaperCommand(db, paper, org ?? null)));

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof ConfigError || err instanceof DatabaseError || (err instanceof Error && /^[a-z]+: /.test(err.message))) {
    console.error(`dailypapers: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
