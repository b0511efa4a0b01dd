import pino from 'pino';
import type { Config } from '../core/config.ts';
import { migrateToLatest, type Db } from '../db/database.ts';
import { OAI_PREFIXES, harvestOai, oaiFetcher, type OaiPrefix } from './arxiv-oai.ts';
import type { CommandOutput } from '../core/command-output.ts';

const SET = /^[a-z-]+(?::[A-Za-z.-]+)?$/;

/** `dailypapers ingest oai --set cs --from 2024-01-01 [--until …] [--prefix arXiv|arXivRaw]`; false when every record was rejected. */
export async function ingestOaiCommand(
  config: Config,
  db: Db,
  opts: { set?: string; from?: string; until?: string; prefix: string },
  io: CommandOutput,
): Promise<boolean> {
  if (opts.set !== undefined && !SET.test(opts.set)) throw new Error(`ingest: not an OAI set of arXiv: ${JSON.stringify(opts.set)} (e.g. cs, math, physics:hep-ex)`);
  if (!(OAI_PREFIXES as readonly string[]).includes(opts.prefix)) {
    throw new Error(`ingest: --prefix must be ${OAI_PREFIXES.join(' or ')}, not ${JSON.stringify(opts.prefix)}`);
  }
  await migrateToLatest(db);
  // Progress and retry warnings go to stderr, so stdout carries only the summary line.
  const log = pino({ level: config.LOG_LEVEL, base: { service: 'dailypapers' } }, pino.destination({ dest: 2, sync: true }));
  const s = await harvestOai({
    db,
    fetcher: oaiFetcher(db, config, log),
    baseUrl: config.ARXIV_OAI_URL,
    set: opts.set ?? null,
    metadataPrefix: opts.prefix as OaiPrefix,
    from: opts.from ?? null,
    until: opts.until ?? null,
    log,
  });
  for (const p of s.problems) io.err(`rejected ${p.position}: ${p.reason}`);
  if (s.rejected > s.problems.length) io.err(`… and ${s.rejected - s.problems.length} more rejected`);
  io.out(`ingest: ${s.new} new, ${s.updated} updated, ${s.unchanged} unchanged, ${s.rejected} rejected (${s.pages} pages, ${s.deleted} deleted)`);
  return !(s.new + s.updated + s.unchanged === 0 && s.rejected > 0);
}
