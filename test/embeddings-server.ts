// A local server speaking the OpenAI embeddings protocol (`POST /v1/embeddings`), for tests:
// deterministic vectors from the words of each input, and failures on demand.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EmbeddingsRequest {
  model: string;
  input: string[];
  authorization: string | undefined;
}

export interface EmbeddingsServer {
  /** `http://127.0.0.1:<port>`, without `/v1`. */
  url: string;
  /** Every request answered with vectors, in order. */
  requests: EmbeddingsRequest[];
  /** Answer the next `n` requests with `status` (503, 429, 500…), with a Retry-After header if given. */
  failNext(n: number, status: number, retryAfterSeconds?: number): void;
  /** Close the connection without answering the next `n` requests. */
  dropNext(n: number): void;
  /** Answer 400 to any request with an input containing `word` (case-insensitive), as a server refuses an input it cannot take. */
  refuseInputsWith(word: string | undefined): void;
  /** Hold every answer this long (to test timeouts). */
  delayMs: number;
  /** The length of the vectors it answers (change it to play a different model). */
  dimensions: number;
  /** Stop listening: requests are refused at the TCP level, as for a service that is down. */
  close(): Promise<void>;
}

/** Lower-case words of a text, the bag each vector is made from. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A vector for `text`: each word adds 1 at a hashed position (FNV-1a), normalized; texts sharing words point alike. */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of wordsOf(text)) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
    v[h % dimensions]! += 1;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

/** Starts the server on a free port of 127.0.0.1; wants `Authorization: Bearer <apiKey>` when `apiKey` is given. */
export async function startEmbeddingsServer(opts: { dimensions: number; apiKey?: string }): Promise<EmbeddingsServer> {
  const failures: { status: number; retryAfter?: number }[] = [];
  let drops = 0;
  let refused: string | undefined;
  const state: EmbeddingsServer = {
    url: '',
    requests: [],
    delayMs: 0,
    dimensions: opts.dimensions,
    failNext: (n, status, retryAfter) => failures.push(...Array.from({ length: n }, () => ({ status, retryAfter }))),
    dropNext: (n) => (drops += n),
    refuseInputsWith: (word) => (refused = word?.toLowerCase()),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        setTimeout(() => {
          res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        }, state.delayMs);
      };
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') return answer(404, { error: { message: `no route ${req.method} ${req.url}` } });
      if (drops > 0) {
        drops--;
        return req.socket.destroy();
      }
      const failure = failures.shift();
      if (failure) {
        const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'Retry-After': String(failure.retryAfter) };
        return answer(failure.status, { error: { message: `told to fail with ${failure.status}` } }, headers);
      }
      if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) return answer(401, { error: { message: 'invalid api key' } });
      let body: { model?: unknown; input?: unknown };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return answer(400, { error: { message: 'body is not JSON' } });
      }
      const input = typeof body.input === 'string' ? [body.input] : body.input;
      if (typeof body.model !== 'string' || !Array.isArray(input) || !input.every((i) => typeof i === 'string')) {
        return answer(400, { error: { message: 'want {model: string, input: string | string[]}' } });
      }
      if (refused && input.some((text) => wordsOf(text).includes(refused!))) {
        return answer(400, { error: { message: `an input contains "${refused}"` } });
      }
      state.requests.push({ model: body.model, input, authorization: req.headers.authorization });
      answer(200, {
        object: 'list',
        model: body.model,
        // Reversed, as the protocol allows: clients must place each vector by its index.
        data: input.map((text, index) => ({ object: 'embedding', index, embedding: hashedEmbedding(text, state.dimensions) })).reverse(),
        usage: { prompt_tokens: 0, total_tokens: 0 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Keep-alive sockets would hold close() open until they time out.
  const close = state.close;
  state.close = () => {
    const closed = close();
    server.closeAllConnections();
    return closed;
  };
  return state;
}
