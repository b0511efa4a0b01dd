import type { Context } from 'hono';
import type { z, ZodError } from 'zod';
import type { FailureKind } from '../core/errors.ts';

/** The statuses a refused request ends with (401 is the guards' own, with `WWW-Authenticate`). */
export type RefusalStatus = 400 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 502;

/** The status each kind of domain failure (core/errors.ts) answers with: the one place they meet HTTP. */
export const FAILURE_STATUS: Record<FailureKind, RefusalStatus> = {
  invalid: 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'too-large': 413,
  unprocessable: 422,
  'rate-limited': 429,
  upstream: 502,
};

/**
 * A request refused for a reason the client can fix or should know. Handlers and the
 * HTTP kit throw it (domain code throws `DomainError`); the app's error handler answers `{"error", "details"?}` to the API
 * and scripts, `<status>: <message>` as text to browsers.
 */
export class RequestError extends Error {
  constructor(
    readonly status: RefusalStatus,
    message: string,
    readonly details?: string[],
    /** Headers the answer carries, e.g. `Retry-After` on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * An HTML page, sent as bytes: a string body costs undici a scan for lone surrogates
 * (toUSVString) on every response, about 2.5 ms for the busiest day's 100 KB, more than its cards.
 * `parts`: the bytes the page's markers stand for (ui/page-parts.ts PageParts); `page` may be the bytes already.
 */
export async function htmlPage(c: Context, page: unknown, status: 200 | 404 = 200, parts?: { encode(html: string): Buffer }): Promise<Response> {
  // Already bytes: a kept frame filled in (ui/page-parts.ts KeptFrames).
  const body = Buffer.isBuffer(page) ? page : await encodedPage(page, parts);
  const res = c.body(body as unknown as Uint8Array<ArrayBuffer>, status, { 'Content-Type': 'text/html; charset=UTF-8' });
  pageBytes.set(res, body);
  return res;
}

async function encodedPage(page: unknown, parts?: { encode(html: string): Buffer }): Promise<Buffer> {
  const html = await (page as { toString(): string | Promise<string> }).toString();
  return parts ? parts.encode(html) : Buffer.from(html);
}

const pageBytes = new WeakMap<Response, Buffer>();

/** The bytes `htmlPage` put in `res`, for the page cache to keep without reading the body back; undefined for any other answer. */
export function bytesOfPage(res: Response): Buffer | undefined {
  return pageBytes.get(res);
}

/** A JSON error body that says what is wrong: `{"error": "...", "details": [...]}`. */
export function jsonError(c: Context, status: 400 | 404 | 405 | 413 | 429 | 500, error: string, details?: string[]) {
  return c.json(details ? { error, details } : { error }, status);
}

/** Turns a zod failure into `field: problem` lines. */
export function zodDetails(error: ZodError): string[] {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
}

/** The request's JSON body checked by `schema`; else a 400 saying what was `expected`, with zod's details. */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>, expected: string): Promise<T> {
  const raw: unknown = await c.req.json().catch(() => undefined);
  if (raw === undefined) throw new RequestError(400, expected, ['body: not JSON']);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new RequestError(400, expected, zodDetails(parsed.error));
  return parsed.data;
}
