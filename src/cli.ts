// The one executable's commands. Each command loads its modules when it runs, so `--help` or
// `config` does not pay for the whole application (through tsx, that is seconds on a busy machine).
import { Command, CommanderError } from 'commander';
import type { Config } from './core/config.ts';
import type { Db } from './db/database.ts';
import type { ImportSummary } from './ingest/hf-import.ts';
import { registerSearchCommands } from './search/cli.ts';
import type { CommandOutput } from './core/command-output.ts';
import { registerDigestCommands } from './digests/cli.ts';

/** What a run of the CLI reads and writes: the process's own, or a test's. */
export interface CliIo extends CommandOutput {
  /** Where settings are read from (`loadConfig`). */
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
}

/** The process's environment, streams and terminal. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdin: process.stdin,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    tty: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/**
 * Runs `dailypapers <argv>` and resolves with its exit status; a known failure (bad config,
 * unreachable database, a command's `module: …` refusal) is one line on `io.err` and status 1,
 * any other error its stack trace and status 1.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const status = { code: 0 };
  try {
    await buildProgram(io, status).parseAsync(argv, { from: 'user' });
    return status.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const { ConfigError } = await import('./core/config.ts');
    const { DatabaseError } = await import('./db/database.ts');
    const { DomainError } = await import('./core/errors.ts');
    // A refusal from the domain (no such user, not allowed, …): one line, under the command's name.
    if (err instanceof DomainError) {
      io.err(`dailypapers ${argv[0] ?? ''}: ${err.message}`);
      return 1;
    }
    if (err instanceof ConfigError || err instanceof DatabaseError || (err instanceof Error && /^[a-z]+: /.test(err.message))) {
      io.err(`dailypapers: ${err.message}`);
      return 1;
    }
    // Anything else is a bug: the whole trace, as an uncaught error would print it.
    io.err(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

/** The program, writing through `io`; a command that fails without throwing sets `status.code`. */
function buildProgram(io: CliIo, status: { code: number }): Command {
  /** Runs one command with the config and database. */
  async function withDb(action: (config: Config, db: Db, out: CommandOutput) => Promise<void>): Promise<void> {
    const { loadConfig } = await import('./core/config.ts');
    const { connectDatabase } = await import('./db/database.ts');
    const config = loadConfig(io.env);
    const db = await connectDatabase(config.DATABASE_URL);
    try {
      await action(config, db, io);
    } finally {
      await db.close();
    }
  }
  const loadConfig = async () => (await import('./core/config.ts')).loadConfig(io.env);

  function printSummary(s: ImportSummary): void {
    for (const p of s.problems) io.err(`rejected ${p.position}: ${p.reason}`);
    if (s.rejected > s.problems.length) io.err(`… and ${s.rejected - s.problems.length} more rejected`);
    io.out(`import: ${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected`);
    if (s.new + s.updated + s.unchanged === 0 && s.rejected > 0) status.code = 1;
  }

  // Set before the subcommands are added, which inherit them: commander throws instead of exiting, and writes through io.
  const program = new Command('dailypapers')
    .description('Community-curated research papers: daily feed, paper pages, API.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .showHelpAfterError();

  program
    .command('serve')
    .description('start the web server (migrates the database first)')
    .option('--seed', 'on an empty database, import recent papers (or the demo data) first')
    .option('--no-migrate', 'refuse to start on a schema that is behind instead of migrating')
    .action(async (opts: { seed?: boolean; migrate: boolean }) => {
      const { startServer } = await import('./server.ts');
      await startServer(await loadConfig(), { seed: Boolean(opts.seed), migrate: opts.migrate });
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(() =>
      withDb(async (_config, db) => {
        const { migrateToLatest } = await import('./db/database.ts');
        const applied = await migrateToLatest(db);
        io.out(applied.length ? `migrate: applied ${applied.join(', ')}` : 'migrate: schema is up to date');
      }),
    );

  program
    .command('config')
    .description('print the resolved configuration (secrets masked)')
    .option('--check', 'instead, list every setting unsafe on a public server (production); exit 1 if there is one')
    .action(async (opts: { check?: boolean }) => {
      const { describeConfig, productionProblems, productionWarnings } = await import('./core/config.ts');
      const config = await loadConfig();
      if (opts.check) {
        // The same rules `serve` enforces at start in production (src/core/config.ts).
        const problems = productionProblems(config);
        for (const p of problems) io.out(`error: ${p}`);
        for (const w of productionWarnings(config)) io.out(`warning: ${w}`);
        io.out(problems.length ? `config: ${problems.length} unsafe setting(s) for production` : 'config: safe for production');
        if (problems.length) status.code = 1;
        return;
      }
      const rows = describeConfig(config);
      const width = Math.max(...rows.map((r) => r.key.length));
      for (const r of rows) io.out(`${r.key.padEnd(width)}  ${r.value}    # ${r.help}`);
    });

  const jobsCmd = program.command('jobs').description('scheduled jobs (they also run inside `serve`)');
  jobsCmd
    .command('list')
    .description('the scheduled jobs this configuration turns on, and their last runs')
    .action(() =>
      withDb(async (config, db) => {
        const { scheduledJobs } = await import('./jobs/jobs.ts');
        const { resolveKeys } = await import('./db/secrets.ts');
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
          io.out(`${job.name}  ${schedule}  last: ${when}`);
        }
      }),
    );
  jobsCmd
    .command('run <name>')
    .description('run a job now if its current period has not run yet anywhere (for cron)')
    .action((name: string) =>
      withDb(async (config, db) => {
        const { scheduledJobs } = await import('./jobs/jobs.ts');
        const { runIfDue } = await import('./jobs/scheduler.ts');
        const { silentLogger } = await import('./core/log.ts');
        const { resolveKeys } = await import('./db/secrets.ts');
        const job = scheduledJobs(db, { ...config, keys: await resolveKeys(db, config) }).find((j) => j.name === name);
        if (!job) throw new Error(`jobs: no job named ${name} is turned on (see \`dailypapers jobs list\`)`);
        const outcome = await runIfDue(db.kysely, job, silentLogger);
        if (!outcome.ran) io.out(`jobs: ${name} already ran in this period`);
        else io.out(`jobs: ${name} ${outcome.ok ? 'ok' : 'failed'}: ${outcome.detail}`);
        if (outcome.ran && !outcome.ok) status.code = 1;
      }),
    );

  program
    .command('copy')
    .description('copy every row into another, empty database (e.g. SQLite to PostgreSQL) and verify it')
    .requiredOption('--from <url>', 'the database to copy, as a DATABASE_URL')
    .requiredOption('--to <url>', 'an empty database to copy into; migrated first')
    .action(async (opts: { from: string; to: string }) => {
      const { copyCommand } = await import('./db/copy-cli.ts');
      await copyCommand(opts.from, opts.to, io);
    });

  registerSearchCommands(program.command('search').description('the search index and semantic search'), withDb);
  registerDigestCommands(program.command('digest').description('e-mail digests: build, send, and see how delivery goes'), withDb);

  const importCmd = program.command('import').description('import papers from files');
  importCmd
    .command('hf <path>')
    .description("import Hugging Face daily-papers data: a day's JSON array, a folder of them, or a .jsonl[.gz] archive")
    .action((inputPath: string) =>
      withDb(async (_config, db) => {
        const { migrateToLatest } = await import('./db/database.ts');
        const { importHfPath } = await import('./ingest/hf-import.ts');
        await migrateToLatest(db);
        const cliProgress = io.tty ? (await import('cli-progress')).default : null;
        const bar = cliProgress
          ? new cliProgress.SingleBar(
              { format: 'import |{bar}| {percentage}% | {records} records | {rate}/s | ETA {eta}s', hideCursor: true, stream: io.tty },
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
      }),
    );

  importCmd
    .command('snapshot <file>')
    .description("import arXiv's bulk metadata snapshot: one JSON object per line, optionally gzipped (.gz)")
    .option('--batch-size <n>', 'new papers per transaction: a kill loses at most one batch; smaller batches use less memory', '5000')
    .action((file: string, opts: { batchSize: string }) =>
      withDb(async (_config, db) => {
        const batchSize = Number(opts.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new Error('import: --batch-size is a whole number from 1 to 100000');
        const { migrateToLatest } = await import('./db/database.ts');
        await migrateToLatest(db);
        const { importSnapshotFile } = await import('./ingest/arxiv-snapshot-cli.ts');
        printSummary(await importSnapshotFile(db, file, { tty: io.tty, batchSize }));
      }),
    );

  const ingestCmd = program.command('ingest').description('fetch papers from arXiv (politely: one request at a time, spaced)');
  ingestCmd
    .command('arxiv')
    .description('papers first submitted to the given categories in the last days')
    .option('--categories <list>', 'comma-separated arXiv categories', 'cs.LG,cs.CL,cs.AI')
    .option('--days <n>', 'how many days back, by first-version date', '2')
    .action((opts: { categories: string; days: string }) =>
      withDb(async (config, db) => {
        if (!(await (await import('./ingest/arxiv-cli.ts')).ingestArxivCommand(config, db, opts, io))) status.code = 1;
      }),
    );
  ingestCmd
    .command('ids <ids...>')
    .description('the given arXiv ids (e.g. 2401.01234, 2401.01234v2, astro-ph/0601001)')
    .action((ids: string[]) =>
      withDb(async (config, db) => {
        if (!(await (await import('./ingest/arxiv-cli.ts')).ingestIdsCommand(config, db, ids, io))) status.code = 1;
      }),
    );
  ingestCmd
    .command('metadata')
    .description("arXiv's categories, comments, journal reference and DOI for papers that have no categories (those imported from Hugging Face); resumes where a run stopped")
    .option('--limit <n>', 'ask for at most this many papers')
    .action((opts: { limit?: string }) =>
      withDb(async (config, db) => {
        await (await import('./ingest/arxiv-cli.ts')).ingestMetadataCommand(config, db, opts, io);
      }),
    );
  ingestCmd
    .command('oai')
    .description("harvest arXiv's OAI-PMH ListRecords page by page; an interrupted harvest resumes, a finished one continues from its last datestamp")
    .option('--set <set>', 'OAI set, e.g. cs, math, physics:hep-ex')
    .option('--from <day>', 'YYYY-MM-DD (default: the last datestamp of the previous harvest)')
    .option('--until <day>', 'YYYY-MM-DD')
    .option('--prefix <prefix>', 'metadata format: arXiv or arXivRaw', 'arXiv')
    .action((opts: { set?: string; from?: string; until?: string; prefix: string }) =>
      withDb(async (config, db) => {
        if (!(await (await import('./ingest/arxiv-oai-cli.ts')).ingestOaiCommand(config, db, opts, io))) status.code = 1;
      }),
    );

  const userCmd = program.command('user').description('accounts and roles');
  userCmd
    .command('create-admin <username> <email>')
    .description('create an admin account, or make an existing user an admin')
    .option('--password-stdin', 'read a password from the first line of stdin (else the admin signs in by e-mailed link)')
    .action((username: string, email: string, opts: { passwordStdin?: boolean }) =>
      withDb(async (_config, db) => {
        const cli = await import('./accounts/user-cli.ts');
        const password = opts.passwordStdin ? await cli.readPasswordStdin(io.stdin) : undefined;
        io.out(await cli.createAdmin(db, username, email, password));
      }),
    );
  userCmd
    .command('set-role <username> <role>')
    .description('make a user a user, moderator or admin (audited)')
    .action((username: string, role: string) => withDb(async (_config, db) => io.out(await (await import('./accounts/user-cli.ts')).setUserRole(db, username, role))));
  userCmd
    .command('link-imported <handle> <username>')
    .description('link the person a Hugging Face import names to a local account, once you know they are the same (audited)')
    .action((handle: string, username: string) => withDb(async (_config, db) => io.out(await (await import('./accounts/user-cli.ts')).linkImported(db, handle, username))));
  userCmd
    .command('token <username>')
    .description('print a new API token for the user (for bots and scripts); shown once')
    .option('--scope <scope>', 'read, or write (which also reads)', 'read')
    .option('--name <name>', 'what the token is for, as listed in /settings', 'cli')
    .action((username: string, opts: { scope: string; name: string }) =>
      withDb(async (_config, db) => io.out(await (await import('./accounts/user-cli.ts')).createUserToken(db, username, opts.scope, opts.name))),
    );
  userCmd
    .command('list')
    .description('accounts that can sign in')
    .option('--role <role>', 'only users, moderators or admins')
    .action((opts: { role?: string }) =>
      withDb(async (_config, db) => {
        for (const line of await (await import('./accounts/user-cli.ts')).listUsers(db, opts.role)) io.out(line);
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
            io.out(await visibilityCommand(db, hideableOf(kind, params.slice(0, kind === 'listing' ? 2 : 1) as string[]), hidden, opts.reason));
          }),
        );
    }
  }
  for (const ban of [true, false]) {
    moderateCmd
      .command(`${ban ? 'ban' : 'unban'} <username>`)
      .description(ban ? 'ban a user: signed out everywhere, API tokens revoked' : 'lift a ban')
      .option('--reason <text>', 'why, for the audit log')
      .action((username: string, opts: { reason?: string }) => withDb(async (_config, db) => io.out(await (await import('./moderation/cli.ts')).banCommand(db, username, ban, opts.reason))));
  }
  moderateCmd
    .command('reports')
    .description('open reports, oldest first')
    .action(() =>
      withDb(async (_config, db) => {
        for (const line of await (await import('./moderation/cli.ts')).reportsCommand(db)) io.out(line);
      }),
    );
  moderateCmd
    .command('audit')
    .description('the audit log, newest first')
    .option('--limit <n>', 'how many entries', '50')
    .action((opts: { limit: string }) =>
      withDb(async (_config, db) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new Error('moderate: --limit is a whole number from 1 to 100000');
        for (const line of await (await import('./moderation/cli.ts')).auditCommand(db, limit)) io.out(line);
      }),
    );

  const orgCmd = program.command('org').description('organizations: create them, add members, assign papers');
  orgCmd
    .command('create <name> <fullname>')
    .description('create an organization with a URL handle and a display name')
    .action((name: string, fullname: string) => withDb(async (_config, db) => io.out(await (await import('./organizations/cli.ts')).createOrganizationCommand(db, name, fullname))));
  orgCmd
    .command('add-member <org> <username>')
    .description('add a user to an organization (or change their role there)')
    .option('--role <role>', 'admin or member', 'member')
    .action((org: string, username: string, opts: { role: string }) =>
      withDb(async (_config, db) => io.out(await (await import('./organizations/cli.ts')).addMemberCommand(db, org, username, opts.role))),
    );
  orgCmd
    .command('set-paper <paperId> [org]')
    .description('assign a paper to an organization; without one, to none')
    .action((paper: string, org: string | undefined) => withDb(async (_config, db) => io.out(await (await import('./organizations/cli.ts')).setPaperCommand(db, paper, org ?? null))));

  return program;
}

/** The executable's entry (bin/dailypapers.js). */
export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), processIo());
  // A failed command may hold handles open (a pool, a half-started server): end now.
  if (code !== 0) process.exit(code);
}
