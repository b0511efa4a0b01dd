import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';

/**
 * Every setting the product reads, in one typed table over the environment.
 * `describe()` is the help text `dailypapers config` prints beside each value.
 */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development').describe('Runtime mode'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Interface the server listens on'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).describe('TCP port of the web server'),
  BASE_URL: z.url({ protocol: /^https?$/ }).optional().describe('Public URL of the site (links in feeds and mails)'),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:|postgresql:|file:|\.|\/)/, 'must be sqlite:<path>, a file path, or postgres://…')
    .default('sqlite:./data/dailypapers.db')
    .describe('sqlite:<path> (embedded, default) or postgres://… '),
  SITE_NAME: z.string().min(1).max(60).default('Daily Papers').describe('Name shown in the header and titles'),
  HF_API_URL: z.url({ protocol: /^https?$/ }).default('https://huggingface.co').describe('Hugging Face base URL for the first-start import'),
  SEED_DAYS: z.coerce.number().int().min(0).max(60).default(7).describe('Days imported from HF on first start (0: demo data only)'),
  HF_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(7 * 86_400).default(3600).describe('Period of the scheduled import of the latest HF days (0: off)'),
  IMAGES_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300).describe('Period of the job that fetches papers\' thumbnails and avatars once, to serve them from this site (0: off)'),
  HF_SYNC_DAYS: z.coerce.number().int().min(1).max(14).default(2).describe('Days (today backwards) each scheduled HF import asks for'),
  SCHEDULER_ENABLED: z.stringbool().default(true).describe('Run scheduled jobs in this process (each runs once per period across instances)'),
  ARXIV_API_URL: z.url({ protocol: /^https?$/ }).default('http://export.arxiv.org/api/query').describe('arXiv search API (Atom)'),
  ARXIV_OAI_URL: z.url({ protocol: /^https?$/ }).default('http://export.arxiv.org/oai2').describe('arXiv OAI-PMH endpoint'),
  ARXIV_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(3000).describe('Least time between two requests to arXiv (its terms: 3 s)'),
  ARXIV_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(5).describe('Retries of a failed arXiv request before giving up'),
  ARXIV_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000).describe('Timeout of one arXiv request'),
  CONTACT_EMAIL: z.email().optional().describe("Operator's contact, sent in the User-Agent to arXiv"),
  ARXIV_METADATA_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(7 * 86_400).default(3600).describe("Period of the job that asks arXiv for the categories of papers that have none, e.g. imported from HF (0: off)"),
  ARXIV_INGEST_CATEGORIES: z.string().regex(/^[a-zA-Z.\-, ]*$/, 'must be a comma-separated list of arXiv categories').default('').describe('Categories the scheduled arXiv ingest asks for (empty: off), e.g. cs.LG,cs.CL'),
  ARXIV_INGEST_CRON: z.string().default('30 20 * * 0-4').describe("When the scheduled arXiv ingest runs (cron), by default after arXiv's announcement"),
  ARXIV_INGEST_TZ: z.string().default('America/New_York').describe('Time zone of ARXIV_INGEST_CRON'),
  ARXIV_OAI_SET: z.string().regex(/^[a-z-]*(:[a-z-]+)?(:[A-Z]{2})?$/i, 'must be an OAI set such as cs or physics:hep-ex').default('').describe('OAI-PMH set harvested incrementally on ARXIV_INGEST_CRON (empty: off); the first run starts 7 days back'),
  FEATURE_CATEGORIES: z.string().default('').describe('Newly ingested papers in these categories are featured automatically (comma-separated)'),
  FEATURE_KEYWORDS: z.string().default('').describe('…or whose title or abstract contains one of these words or phrases (comma-separated)'),
  FEATURE_MAX_PER_DAY: z.coerce.number().int().min(0).max(1000).default(30).describe('Most papers the featuring rules add to one day'),
  EMBEDDINGS_URL: z.url({ protocol: /^https?$/ }).optional().describe('OpenAI-compatible embedding server for semantic search, e.g. http://127.0.0.1:11434 (unset: text search only)'),
  EMBEDDINGS_MODEL: z.string().min(1).max(200).default('nomic-embed-text').describe('Embedding model the server is asked for; changing it re-embeds every paper'),
  EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(1).max(16_384).default(768).describe("Length of the model's vectors; a server answering another length is refused"),
  EMBEDDINGS_API_KEY: z.string().min(1).optional().describe('Sent as Authorization: Bearer to EMBEDDINGS_URL, when the server wants one'),
  EMBEDDINGS_BATCH: z.coerce.number().int().min(1).max(2048).default(64).describe('Papers embedded per request'),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000).describe('Timeout of every request to an upstream'),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional().describe('Root secret for signed links in mails (required in production; development keeps a random one in the database)'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be smtp://… or smtps://…').optional().describe('Mail server, e.g. smtp://user:pass@mail.example.org:587 (unset: mails go to MAIL_OUTBOX_DIR)'),
  MAIL_FROM: z.string().min(3).default('Daily Papers <no-reply@localhost>').describe('Sender of every mail'),
  MAIL_UNSUBSCRIBE_ADDRESS: z.email().optional().describe("Address in digests' List-Unsubscribe mailto (unset: MAIL_FROM's address)"),
  MAIL_OUTBOX_DIR: z.string().min(1).default('./data/outbox').describe('Where mails are written when SMTP_URL is unset (development)'),
  DIGEST_HOUR: z.coerce.number().int().min(0).max(23).default(8).describe('Hour (in DIGEST_TZ) at which digests go out: daily ones on weekdays, weekly ones on DIGEST_WEEKDAY'),
  DIGEST_TZ: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris').default('UTC').describe('Time zone of DIGEST_HOUR'),
  DIGEST_WEEKDAY: z.coerce.number().int().min(0).max(6).default(1).describe('Day the weekly digest goes out (0 = Sunday, 1 = Monday, … 6 = Saturday)'),
  DIGEST_SEND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5).describe('Pooled SMTP connections, and digests in flight at once'),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional().describe('Bearer token /metrics asks for (unset: in production, /metrics answers only this machine)'),
  TRUST_PROXY: z.stringbool().default(false).describe('Trust X-Forwarded-For and X-Forwarded-Proto (behind a load balancer)'),
  RATE_LIMIT_SCALE: z.coerce.number().min(0).max(1000).default(1).describe('Multiplies every rate limit (0: no limits, for load tests)'),
  SUBMISSIONS_PER_DAY: z.coerce.number().int().min(0).max(1000).default(10).describe('Papers one user may submit per day'),
  RELEASE_ID: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, dots and dashes').optional().describe('Names the deployed release (e.g. the commit) so instances share ETags'),
  SEARCH_INDEX_DIR: z.string().min(1).optional().describe("Folder of the search index's file, read at start (unset: next to a SQLite database, none for PostgreSQL; off: none)"),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log verbosity'),
});

export type Config = z.infer<typeof schema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks across fields: the cron expression must parse in its time zone. */
function crossCheck(config: Config): string[] {
  try {
    CronExpressionParser.parse(config.ARXIV_INGEST_CRON, { tz: config.ARXIV_INGEST_TZ }).next();
    return [];
  } catch (err) {
    return [`ARXIV_INGEST_CRON/ARXIV_INGEST_TZ: ${(err as Error).message}`];
  }
}

/** Names of settings whose values are never printed. */
const SECRET_KEYS = new Set<keyof Config>(['SESSION_SECRET', 'SMTP_URL', 'EMBEDDINGS_API_KEY', 'METRICS_TOKEN']);

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    what = 'invalid setting(s)',
  ) {
    super(`config: ${problems.length} ${what}:\n  ${problems.join('\n  ')}`);
  }
}

/** Reads and validates the configuration, listing every bad field at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const problems = crossCheck(result.data);
  if (problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/** The resolved configuration as printable rows, secrets masked. */
export function describeConfig(config: Config): { key: string; value: string; help: string }[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const value = config[key as keyof Config];
    const shown =
      value === undefined ? '(unset)' : SECRET_KEYS.has(key as keyof Config) ? '********' : maskUrl(String(value));
    return { key, value: shown, help: field.description ?? '' };
  });
}

/** Hides a password inside a connection URL. */
export function maskUrl(value: string): string {
  return value.replace(/^([a-z]+:\/\/[^:/@]+):[^@]*@/i, '$1:********@');
}

/** The SESSION_SECRET placeholder in `.env.example`: long enough, and known to everyone. */
export const EXAMPLE_SECRET = 'replace-me-with-the-output-of-openssl-rand-hex-32';

/** Why a secret (SESSION_SECRET, METRICS_TOKEN) is too weak to guard a public site, or null when it will do. */
export function secretWeakness(value: string | undefined): string | null {
  if (value === undefined) return 'is not set';
  if (value.length < 32) return 'must be at least 32 characters';
  if (value === EXAMPLE_SECRET) return "is the placeholder from .env.example";
  // 'x' × 40, 'abab…', '1234…': long but guessable. `openssl rand -hex 32` has 16 distinct characters.
  if (new Set(value).size < 10) return 'is too simple (fewer than 10 distinct characters)';
  return null;
}

const MAKE_SECRET = 'make one with `openssl rand -hex 32`';

/**
 * What makes this configuration unsafe on a public server: `serve` refuses to start in
 * production while any remain, and `dailypapers config --check` lists them.
 */
export function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.NODE_ENV !== 'production') {
    problems.push(`NODE_ENV: is ${config.NODE_ENV}; a public server runs with NODE_ENV=production (which enforces the checks below)`);
  }
  const secret = secretWeakness(config.SESSION_SECRET);
  if (secret) problems.push(`SESSION_SECRET: ${secret}; it signs the links in mails, ${MAKE_SECRET}`);
  if (!config.BASE_URL) {
    problems.push('BASE_URL: is not set; links in mails and feeds need the public URL (e.g. https://papers.example.org), never the request\'s Host header');
  } else if (new URL(config.BASE_URL).protocol !== 'https:') {
    // Sign-in links are bearer credentials, and session cookies are sent with every request.
    problems.push(`BASE_URL: ${config.BASE_URL} is not https; sign-in links and session cookies would cross the network in clear`);
  }
  if (config.METRICS_TOKEN !== undefined) {
    const token = secretWeakness(config.METRICS_TOKEN);
    if (token) problems.push(`METRICS_TOKEN: ${token}; ${MAKE_SECRET} (or unset it: /metrics then answers only this machine)`);
  }
  return problems;
}

/** Settings that are safe but probably not what a public server wants: listed by `config --check` and logged by `serve`. */
export function productionWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.SMTP_URL) warnings.push(`SMTP_URL: is not set; mails (sign-in links, digests) go to ${config.MAIL_OUTBOX_DIR}, where nobody reads them`);
  const publicInterface = config.HOST === '0.0.0.0' || config.HOST === '::';
  if (config.TRUST_PROXY && publicInterface) {
    warnings.push(`TRUST_PROXY: is true while HOST=${config.HOST} listens on every interface; a client reaching the server directly can forge X-Forwarded-For (rate limits) unless only the proxy can connect`);
  }
  if (!config.TRUST_PROXY && config.BASE_URL?.startsWith('https:')) {
    warnings.push('TRUST_PROXY: is false; behind a proxy every client has the proxy\'s address, so all of them share one rate limit (set it when a proxy you run is the only way in)');
  }
  return warnings;
}

/** The site's public origin for links in mails: BASE_URL, else this server's own address (development). */
export function publicOrigin(config: Pick<Config, 'BASE_URL' | 'HOST' | 'PORT'>): string {
  if (config.BASE_URL) return config.BASE_URL.replace(/\/+$/, '');
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}`;
}
