import type { Config } from '../core/config.ts';

/**
 * A client for the OpenAI embeddings protocol (`POST /v1/embeddings`, body
 * `{model, input: string[]}`, answer `{data: [{index, embedding}]}`), which Ollama,
 * llama.cpp's server, vLLM, LocalAI and OpenAI itself all speak.
 * https://platform.openai.com/docs/api-reference/embeddings/create
 */

/**
 * Why a request failed, which decides what the caller does next:
 * `unavailable`: no answer, a timeout, 429, or a gateway error (502/503/504): the service is
 *   down or busy, so try again later and blame no paper;
 * `refused`: the service answered 400/413/422/500 to this input: the input is at fault, so a
 *   batch is split to find the paper;
 * `misconfigured`: 401/403/404 or vectors of another length: nothing works until the settings change.
 */
export type EmbeddingFailure = 'unavailable' | 'refused' | 'misconfigured';

export class EmbeddingError extends Error {
  constructor(
    readonly failure: EmbeddingFailure,
    message: string,
  ) {
    super(`embeddings: ${message}`);
  }
}

export interface EmbedOptions {
  /** Timeout of one request (default UPSTREAM_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Retries after an `unavailable` or 500 answer (default 3). */
  maxRetries?: number;
  /** First backoff step, doubled per retry (default 1 s; tests make it small). */
  backoffBaseMs?: number;
}

/** Longest wait a `Retry-After` can ask for before the request is given up instead. */
const MAX_RETRY_AFTER_MS = 60_000;

/** `${EMBEDDINGS_URL}/v1/embeddings`, whether the setting ends in `/v1` or not. */
export function embeddingsEndpoint(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${base}/v1/embeddings`;
}

/** The vectors of `texts`, in their order, each of EMBEDDINGS_DIMENSIONS numbers; throws an EmbeddingError. */
export async function embedTexts(config: Config, texts: string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
  if (!config.EMBEDDINGS_URL) throw new EmbeddingError('misconfigured', 'EMBEDDINGS_URL is not set');
  if (texts.length === 0) return [];
  const maxRetries = opts.maxRetries ?? 3;
  const base = opts.backoffBaseMs ?? 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestEmbeddings(config, texts, opts.timeoutMs ?? config.UPSTREAM_TIMEOUT_MS);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      if (attempt >= maxRetries) {
        throw attempt === 0 ? err.final : new EmbeddingError(err.final.failure, `${err.final.message.replace(/^embeddings: /, '')} (after ${attempt + 1} attempts)`);
      }
      await sleep(err.retryAfterMs ?? backoff(base, attempt));
    }
  }
}

/** A failure worth another try; `final` is what is thrown once the retries are spent. */
class RetryableError extends Error {
  constructor(
    readonly final: EmbeddingError,
    readonly retryAfterMs?: number,
  ) {
    super(final.message);
  }
}

async function requestEmbeddings(config: Config, texts: string[], timeoutMs: number): Promise<Float32Array[]> {
  const url = embeddingsEndpoint(config.EMBEDDINGS_URL!);
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (config.EMBEDDINGS_API_KEY) headers.Authorization = `Bearer ${config.EMBEDDINGS_API_KEY}`;
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: config.EMBEDDINGS_MODEL, input: texts }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    body = await response.text();
  } catch (err) {
    const e = err as Error & { cause?: Error & { code?: string } };
    const why = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new RetryableError(new EmbeddingError('unavailable', `${url} did not answer: ${why}`));
  }

  if (!response.ok) {
    const said = errorText(body);
    const error = (failure: EmbeddingFailure) => new EmbeddingError(failure, `${url} answered ${response.status}${said ? `: ${said}` : ''}`);
    if (response.status === 429 || response.status === 502 || response.status === 503 || response.status === 504) {
      const retryAfter = Number(response.headers.get('Retry-After')) * 1000;
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
      if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) throw error('unavailable');
      throw new RetryableError(error('unavailable'), wait);
    }
    if (response.status === 401 || response.status === 403 || response.status === 404) throw error('misconfigured');
    // A 500 may be a hiccup or may be this input (e.g. too long for the model): retried, then blamed on the input.
    if (response.status >= 500) throw new RetryableError(error('refused'));
    throw error('refused');
  }
  return parseEmbeddings(config, url, body, texts.length);
}

/** The vectors of a 200 answer, ordered by `index`, checked for count, length and finiteness. */
function parseEmbeddings(config: Config, url: string, body: string, count: number): Float32Array[] {
  let data: unknown;
  try {
    data = (JSON.parse(body) as { data?: unknown }).data;
  } catch {
    throw new EmbeddingError('refused', `${url} answered 200 with a body that is not JSON`);
  }
  if (!Array.isArray(data) || data.length !== count) {
    throw new EmbeddingError('refused', `${url} answered ${Array.isArray(data) ? data.length : 'no'} embeddings for ${count} inputs`);
  }
  const vectors: Float32Array[] = new Array(count);
  for (const [position, item] of (data as { index?: unknown; embedding?: unknown }[]).entries()) {
    const index = item?.index ?? position;
    const embedding = item?.embedding;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count || vectors[index]) {
      throw new EmbeddingError('refused', `${url} answered an embedding with a bad index (${JSON.stringify(index)})`);
    }
    if (!Array.isArray(embedding)) {
      throw new EmbeddingError('refused', `${url} answered an embedding that is not an array of numbers (is encoding_format set to base64 by a proxy?)`);
    }
    if (embedding.length !== config.EMBEDDINGS_DIMENSIONS) {
      throw new EmbeddingError(
        'misconfigured',
        `model ${config.EMBEDDINGS_MODEL} at ${url} returned ${embedding.length}-dimensional vectors but EMBEDDINGS_DIMENSIONS is ${config.EMBEDDINGS_DIMENSIONS}; set EMBEDDINGS_DIMENSIONS=${embedding.length} or choose another model`,
      );
    }
    const vector = Float32Array.from(embedding as number[]);
    if (!vector.every(Number.isFinite)) throw new EmbeddingError('refused', `${url} answered an embedding with a value that is not a finite number`);
    vectors[index] = vector;
  }
  return vectors;
}

/** The error message of an OpenAI-style body (`{error: {message}}` or `{error: "…"}`), else its start. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // Not JSON: the text itself.
  }
  return body.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** Exponential backoff with jitter: between half and all of base·2^attempt. */
function backoff(baseMs: number, attempt: number): number {
  const cap = baseMs * 2 ** attempt;
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Float32 little-endian bytes, the storage form of a vector (`paper_embeddings.vector`). */
export function encodeVector(vector: Float32Array): Buffer {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes;
}

/** Reads a stored vector into `into` at `offset` (avoids an allocation per row when filling a matrix). */
export function decodeVectorInto(bytes: Uint8Array, into: Float32Array, offset: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / 4;
  for (let i = 0; i < n; i++) into[offset + i] = view.getFloat32(i * 4, true);
}

/** The text of a paper that is embedded: what a reader would skim to judge it. */
export function paperText(paper: { title: string; abstract: string }): string {
  return `${paper.title}\n\n${paper.abstract}`;
}
