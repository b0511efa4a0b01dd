import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';

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
        await this.spacing(lane);
        const response = await fetch(url, {
          headers: { 'User-Agent': this.opts.userAgent, Accept: 'application/atom+xml, application/xml, text/xml' },
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        const body = await response.text();
        // Space the next request from the end of this one: arXiv sees the full interval between them.
        lane.lastStart = Date.now();
        const disguised = response.ok ? (this.opts.isError?.(body) ?? null) : null;
        if (response.ok && !disguised) return body;
        reason = disguised ?? `answered ${response.status}`;
        const retryAfter = Number(response.headers.get('Retry-After'));
        if (!response.ok && response.status < 500 && response.status !== 429) {
          // A refusal is final; say what the server said (an Atom error entry's summary when there is one).
          const said = /<summary[^>]*>([^<]*)<\/summary>/.exec(body)?.[1] ?? body.slice(0, 200);
          throw new RefusedError(`arxiv: ${url} ${reason}: ${said.replace(/\s+/g, ' ').trim()}`);
        }
        waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff(base, attempt);
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

  private async spacing(lane: Lane): Promise<void> {
    const wait = lane.lastStart + this.opts.minIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
    lane.lastStart = Date.now();
  }
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

/** A fetcher for one of arXiv's interfaces on the configured terms (interval, retries, timeout, contact). */
export function configuredArxivFetcher(
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
    ...overrides,
  });
}
