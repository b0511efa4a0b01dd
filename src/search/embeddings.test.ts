import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/helpers.ts';
import { hashedEmbedding, startEmbeddingsServer, type EmbeddingsServer } from '../../test/embeddings-server.ts';
import { EmbeddingError, decodeVectorInto, embedTexts, embeddingsEndpoint, encodeVector } from './embeddings.ts';

const DIM = 32;
const fast = { backoffBaseMs: 1 };

describe('the embeddings endpoint', () => {
  it('is /v1/embeddings under the base URL, whether the setting ends in /v1 or not', () => {
    expect(embeddingsEndpoint('http://127.0.0.1:11434')).toBe('http://127.0.0.1:11434/v1/embeddings');
    expect(embeddingsEndpoint('http://127.0.0.1:11434/')).toBe('http://127.0.0.1:11434/v1/embeddings');
    expect(embeddingsEndpoint('http://127.0.0.1:11434/v1')).toBe('http://127.0.0.1:11434/v1/embeddings');
    expect(embeddingsEndpoint('https://gw.example.org/openai/v1/')).toBe('https://gw.example.org/openai/v1/embeddings');
    expect(embeddingsEndpoint('https://gw.example.org/v1beta')).toBe('https://gw.example.org/v1beta/v1/embeddings');
  });
});

describe('embedTexts', () => {
  let server: EmbeddingsServer;
  beforeEach(async () => {
    server = await startEmbeddingsServer({ dimensions: DIM, apiKey: 'sk-test' });
  });
  afterEach(() => server.close());
  const config = (overrides: Record<string, string> = {}) =>
    testConfig({ EMBEDDINGS_URL: `${server.url}/v1`, EMBEDDINGS_DIMENSIONS: String(DIM), EMBEDDINGS_API_KEY: 'sk-test', EMBEDDINGS_MODEL: 'test-embed', ...overrides });

  it('returns one vector per text in input order, sending the model and the key', async () => {
    const texts = ['graph neural networks', 'protein folding', 'graph neural networks'];
    const vectors = await embedTexts(config(), texts);
    // The server answers in reverse order; each vector is placed by its index.
    expect(vectors.map((v) => Array.from(v))).toEqual(texts.map((t) => Array.from(Float32Array.from(hashedEmbedding(t, DIM)))));
    expect(server.requests).toEqual([{ model: 'test-embed', input: texts, authorization: 'Bearer sk-test' }]);
    expect(await embedTexts(config(), [])).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries 503, 429 and dropped connections with backoff, then succeeds', async () => {
    server.failNext(1, 503);
    server.failNext(1, 429, 0);
    server.dropNext(1);
    server.failNext(1, 502);
    const [vector] = await embedTexts(config(), ['retried'], { ...fast, maxRetries: 4 });
    expect(vector).toHaveLength(DIM);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after its retries, saying the service is unavailable and how often it tried', async () => {
    server.failNext(3, 503);
    const error = await embedTexts(config(), ['x'], { ...fast, maxRetries: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect(error).toMatchObject({ failure: 'unavailable' });
    expect((error as Error).message).toBe(`embeddings: ${server.url}/v1/embeddings answered 503: told to fail with 503 (after 3 attempts)`);
    // The fourth failure was never asked for: the next request succeeds.
    expect(await embedTexts(config(), ['x'])).toHaveLength(1);
  });

  it('refuses vectors of another length than EMBEDDINGS_DIMENSIONS, saying what to set', async () => {
    const error = await embedTexts(config({ EMBEDDINGS_DIMENSIONS: '768' }), ['x'], fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: 'misconfigured' });
    expect((error as Error).message).toBe(
      `embeddings: model test-embed at ${server.url}/v1/embeddings returned 32-dimensional vectors but EMBEDDINGS_DIMENSIONS is 768; set EMBEDDINGS_DIMENSIONS=32 or choose another model`,
    );
  });

  it('does not retry a wrong key or a refused input', async () => {
    const wrongKey = await embedTexts(config({ EMBEDDINGS_API_KEY: 'sk-wrong' }), ['x'], fast).catch((e: unknown) => e);
    expect(wrongKey).toMatchObject({ failure: 'misconfigured', message: `embeddings: ${server.url}/v1/embeddings answered 401: invalid api key` });
    server.refuseInputsWith('poison');
    const refused = await embedTexts(config(), ['fine', 'a poison pill'], fast).catch((e: unknown) => e);
    expect(refused).toMatchObject({ failure: 'refused', message: expect.stringContaining('answered 400: an input contains "poison"') });
    expect(server.requests).toHaveLength(0);
  });

  it('says the service is unavailable when nothing listens, or when it answers too slowly', async () => {
    // Far longer than the timeout: had the client waited for it, it would have its vectors, not a failure.
    server.delayMs = 5_000;
    const slow = await embedTexts(config(), ['x'], { timeoutMs: 100, maxRetries: 0 }).catch((e: unknown) => e);
    expect(slow).toMatchObject({ failure: 'unavailable', message: `embeddings: ${server.url}/v1/embeddings did not answer: timed out after 100 ms` });
    await server.close();
    const down = await embedTexts(config(), ['x'], { ...fast, maxRetries: 1 }).catch((e: unknown) => e);
    expect(down).toMatchObject({ failure: 'unavailable', message: `embeddings: ${server.url}/v1/embeddings did not answer: ECONNREFUSED (after 2 attempts)` });
  });
});

describe('stored vectors', () => {
  it('are float32 little-endian bytes that read back exactly', () => {
    const vector = Float32Array.from([1, -0.5, 3.25, 1e-7, -0]);
    const bytes = encodeVector(vector);
    expect(bytes.toString('hex').slice(0, 16)).toBe('0000803f000000bf');
    // At an odd offset in a larger buffer, as a driver may hand it over.
    const shifted = Buffer.concat([Buffer.from([9]), bytes]).subarray(1);
    const into = new Float32Array(7);
    decodeVectorInto(shifted, into, 2);
    expect(Array.from(into.subarray(2))).toEqual(Array.from(vector));
  });
});
