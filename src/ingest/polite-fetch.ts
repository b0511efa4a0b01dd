import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Db } from '../db/database.ts';
import { databaseLane, type UpstreamLane } from './upstream-lane.ts';

/**
 * HTTP GETs to arXiv on arXiv's terms (https://info.arxiv.org/help/api/tou.html):
 * one request at a time, at least `minIntervalMs` apart, a descriptive
 * User-Agent with the operator's contact, a timeout on every request, `503` +
 * `Retry-After` honoured, and other transient failures retried with exponential
 * backoff and jitter up to a limit. Bodies that are errors in disguise (arXiv's
 * plain "Rate exceeded." with status 200) are caught by `isError` and retried too.
 */
export interface PoliteFetchOptions {
  minIntervalMs: number;
  maxRetries: number;
  timeoutMs: number;
  userAgent: string;
  log: Logger;
  /** Recognises a 200 answer that is really an error; returns why, or null. */
  isError?: (body: string) => string | null;
  /** First backoff step, doubled per retry (tests make it small). */
  backoffBaseMs?: number;
  /** The turn shared with other processes (ingest/upstream-lane.ts); without it, this process keeps the pace alone. */
  upstream?: UpstreamLane;
}

export class UpstreamError extends Error {}

/** arXiv answered the request itself with a refusal (a 4xx other than 429): asking again will not help. */
export class RefusedError extends UpstreamError {}

/**
 * One lane per upstream origin for the whole process: every fetcher of this process that talks
 * to arXiv (the jobs, a submission, an import) waits its turn in it, so together they keep
 * arXiv's pace, not each on its own.
 */
interface Lane {
  queue: Promise<unknown>;
  lastStart: number;
}
const lanes = new Map<string, Lane>();

function laneFor(url: string): Lane {
  const origin = new URL(url).origin;
  let lane = lanes.get(origin);
  if (!lane) lanes.set(origin, (lane = { queue: Promise.resolve(), lastStart: 0 }));
  return lane;
}

export class PoliteFetcher {
  constructor(private readonly opts: PoliteFetchOptions) {}

  /** GETs `url` and returns its body as text, or throws an UpstreamError once retries are spent. */
  get(url: string): Promise<string> {
    const lane = laneFor(url);
    const run = lane.queue.then(() => this.getWithRetries(url, lane));
    lane.queue = run.catch(() => {});
    return run;
  }

  private async getWithRetries(url: string, lane: Lane): Promise<string> {
    const { maxRetries, log } = this.opts;
    const base = this.opts.backoffBaseMs ?? 2000;
    for (let attempt = 0; ; attempt++) {
      let waitMs: number;
      let reason: string;
      try {
        const { response, body } = await this.fetchInTurn(url, lane);
        const disguised = response.ok ? (this.opts.isError?.(body) ?? null) : null;
        if (response.ok && !disguised) return body;
        reason = disguised ?? `answered ${response.status}`;
        const retryAfter = retryAfterMs(response);
        if (!response.ok && response.status < 500 && response.status !== 429) {
          // A refusal is final; say what the server said (an Atom error entry's summary when there is one).
          const said = /<summary[^>]*>([^<]*)<\/summary>/.exec(body)?.[1] ?? body.slice(0, 200);
          throw new RefusedError(`arxiv: ${url} ${reason}: ${said.replace(/\s+/g, ' ').trim()}`);
        }
        waitMs = retryAfter ?? backoff(base, attempt);
      } catch (err) {
        if (err instanceof UpstreamError) throw err;
        reason = (err as Error).name === 'TimeoutError' ? `timed out after ${this.opts.timeoutMs} ms` : (err as Error).message;
        waitMs = backoff(base, attempt);
      }
      if (attempt >= maxRetries) throw new UpstreamError(`arxiv: ${url} failed after ${attempt + 1} attempt(s): ${reason}`);
      log.warn({ url, attempt: attempt + 1, reason, retryInMs: waitMs }, 'arxiv: request failed, retrying');
      await sleep(waitMs);
    }
  }

  /** One request, in this process's turn and in the site's (the shared lane), each kept for its whole length. */
  private async fetchInTurn(url: string, lane: Lane): Promise<{ response: Response; body: string }> {
    const wait = lane.lastStart + this.opts.minIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    const { upstream, minIntervalMs, timeoutMs } = this.opts;
    const origin = new URL(url).origin;
    const turn = await upstream?.take(origin);
    let restMs = minIntervalMs;
    try {
      const response = await fetch(url, {
        headers: { 'User-Agent': this.opts.userAgent, Accept: 'application/atom+xml, application/xml, text/xml' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await response.text();
      // A Retry-After is for everyone who asks: the other processes wait it out too.
      restMs = Math.max(restMs, retryAfterMs(response) ?? 0);
      return { response, body };
    } finally {
      // Space the next request from the end of this one: arXiv sees the full interval between them.
      lane.lastStart = Date.now();
      await turn?.end(restMs);
    }
  }
}

/** A `Retry-After` in seconds, as milliseconds; undefined when absent or not a number. */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('Retry-After'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** Exponential backoff with full jitter: a random wait up to base·2^attempt, at least base/2. */
function backoff(baseMs: number, attempt: number): number {
  const cap = baseMs * 2 ** attempt;
  return Math.max(baseMs / 2, Math.round(Math.random() * cap));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The User-Agent arXiv asks for: who we are and how to reach the operator. */
export function arxivUserAgent(contact: string | undefined): string {
  return `dailypapers/0.1 (self-hosted research paper feed${contact ? `; mailto:${contact}` : ''})`;
}

/** A fetcher for one of arXiv's interfaces on the configured terms (interval, retries, timeout, contact), sharing its turn with every process on `db`. */
export function configuredArxivFetcher(
  db: Db,
  config: Config,
  log: Logger,
  isError: (body: string) => string | null,
  overrides: Partial<PoliteFetchOptions> = {},
): PoliteFetcher {
  return new PoliteFetcher({
    minIntervalMs: config.ARXIV_MIN_INTERVAL_MS,
    maxRetries: config.ARXIV_MAX_RETRIES,
    timeoutMs: config.ARXIV_TIMEOUT_MS,
    userAgent: arxivUserAgent(config.CONTACT_EMAIL),
    log,
    isError,
    upstream: databaseLane(db),
    ...overrides,
  });
}
