import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { LookupAddress } from 'node:dns';
import type { ResizeOptions } from 'sharp';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { bumpContentVersion } from '../db/content-version.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { claimNew, claimRetry, dueRetries, saveFailure, saveImage, unseenImages, type ImageKind } from './store.ts';

export interface ImageLimits {
  /** Bytes read from the source at most; a larger answer is refused. */
  maxBytes: number;
  /** Milliseconds for the whole fetch, body included. */
  timeoutMs: number;
  /** Pixels a source image may have (a small file can decode to gigabytes). */
  maxPixels: number;
  /** Fetches at once. */
  concurrency: number;
  /** Tries before a source that keeps failing for a passing reason is given up. */
  maxAttempts: number;
  /**
   * Whether an address may lead to this machine or a private network. Never in production: an
   * imported thumbnail address must not make the server read its own network (tests serve on loopback).
   */
  allowPrivateAddresses?: boolean;
}

const MAX_REDIRECTS = 3;

/** Loopback, private, shared, link-local (cloud metadata), multicast and reserved ranges. */
const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

function isPrivate(address: string, family: number): boolean {
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is checked as the IPv4 one.
  const v4 = family === 4 ? address : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return v4 ? PRIVATE.check(v4, 'ipv4') : PRIVATE.check(address, 'ipv6');
}

/**
 * The name lookup of a connection to a source: it refuses a private address when the socket is
 * about to connect, not before, so that a name answering a public address to a check and a
 * private one to the connection (DNS rebinding) reaches nothing.
 */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => isPrivate(a.address, a.family));
    if (refused) return callback(new ImageProblem(`refused: ${hostname} is a private address (${refused.address})`, false), '', 0);
    if (options.all) (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/** One GET of `url`, redirects not followed; the answer's status, headers and body stream. */
function get(url: URL, headers: Record<string, string>, signal: AbortSignal, anyAddress: boolean): Promise<http.IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address is never looked up: it is checked here.
  if (!anyAddress && isIP(host) && isPrivate(host, isIP(host))) return Promise.reject(new ImageProblem(`refused: ${host} is a private address (${host})`, false));
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).get(url, { headers, signal, lookup: anyAddress ? undefined : publicLookup }, resolve);
    request.once('error', reject);
  });
}

export const IMAGE_LIMITS: ImageLimits = { maxBytes: 8 * 1024 * 1024, timeoutMs: 15_000, maxPixels: 40_000_000, concurrency: 4, maxAttempts: 3 };

/** How big each kind is kept: thumbnails fit 640 px (twice a card's width), avatars are 128 px squares. */
const RESIZE: Record<ImageKind, ResizeOptions> = {
  thumbnail: { width: 640, height: 640, fit: 'inside', withoutEnlargement: true },
  avatar: { width: 128, height: 128, fit: 'cover' },
};
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff']);
const LEASE_MS = 5 * 60_000;
const RETRY_BASE_MS = 30 * 60_000;

/** Why a source gave no image; `passing` ones (timeouts, 5xx) are tried again later. */
class ImageProblem extends Error {
  constructor(
    message: string,
    readonly passing: boolean,
  ) {
    super(message);
  }
}

export interface ImageRun {
  stored: number;
  failed: number;
  retrying: number;
  /** Stopped at the deadline with work left. */
  more: boolean;
}

/**
 * Fetches the images pages show that this site does not keep yet, each once: a row per source
 * address is the claim, so two runs (or instances) never fetch the same one. Each is bounded in
 * size, pixels and time, checked to be an image by decoding it, resized and kept as WebP. When
 * any was kept, the content version moves so that cached pages show them.
 */
export async function fetchImages(
  db: Kysely<Database>,
  opts: { deadline: number; limits?: Partial<ImageLimits>; log?: Logger; userAgent?: string },
): Promise<ImageRun> {
  const limits = { ...IMAGE_LIMITS, ...opts.limits };
  const log = opts.log ?? silentLogger;
  const run: ImageRun = { stored: 0, failed: 0, retrying: 0, more: false };
  const one = async (url: string, kind: ImageKind, attempt: number) => {
    try {
      const image = await fetchImage(url, kind, limits, opts.userAgent);
      await saveImage(db, url, image);
      run.stored++;
    } catch (err) {
      const problem = err instanceof ImageProblem ? err : new ImageProblem((err as Error).message, false);
      const retry = problem.passing && attempt < limits.maxAttempts;
      await saveFailure(db, url, problem.message, retry ? new Date(Date.now() + RETRY_BASE_MS * 4 ** (attempt - 1)) : null);
      if (retry) run.retrying++;
      else run.failed++;
      log.info({ url, attempt, error: problem.message, retry }, 'images: no image');
    }
  };
  const work = async function* (): AsyncGenerator<() => Promise<void>> {
    for (const row of await dueRetries(db, new Date(), 100)) {
      if (await claimRetry(db, row, new Date(Date.now() + LEASE_MS))) yield () => one(row.source_url, row.kind as ImageKind, row.attempts + 1);
    }
    for (;;) {
      const batch = await unseenImages(db, 100);
      if (batch.length === 0) return;
      let claimed = 0;
      for (const { url, kind } of batch) {
        if (!(await claimNew(db, url, kind, new Date(Date.now() + LEASE_MS)))) continue;
        claimed++;
        yield () => one(url, kind, 1);
      }
      // Everything in this batch was claimed by another run meanwhile: let it work.
      if (claimed === 0) return;
    }
  };
  const queue = work();
  const worker = async () => {
    for (;;) {
      if (Date.now() >= opts.deadline) {
        run.more = true;
        return;
      }
      // One generator shared by the workers: each next() hands out one claimed address.
      const next = await queue.next();
      if (next.done) return;
      await next.value();
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, worker));
  if (run.stored > 0) await bumpContentVersion(db);
  return run;
}

/** One source image, fetched within the limits, decoded and resized; throws ImageProblem saying why not. */
export async function fetchImage(url: string, kind: ImageKind, limits: ImageLimits, userAgent = 'dailypapers images'): Promise<{ data: Buffer; contentType: string; width: number; height: number }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ImageProblem('not an address', false);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ImageProblem(`not http(s): ${parsed.protocol}`, false);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let res: http.IncomingMessage;
  // Redirects followed by hand, so that each hop's host is checked like the first.
  for (let hops = 0; ; hops++) {
    try {
      res = await get(parsed, { Accept: 'image/*', 'User-Agent': userAgent }, signal, limits.allowPrivateAddresses === true);
    } catch (err) {
      if (err instanceof ImageProblem) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new ImageProblem(`unknown host ${parsed.hostname}: ${(err as Error).message}`, true);
      throw new ImageProblem(signal.aborted ? `no answer within ${limits.timeoutMs} ms` : `unreachable: ${(err as Error).message}`, true);
    }
    const status = res.statusCode ?? 0;
    const location = status >= 300 && status < 400 ? (res.headers.location ?? null) : null;
    if (location === null) break;
    res.destroy();
    if (hops === MAX_REDIRECTS) throw new ImageProblem(`more than ${MAX_REDIRECTS} redirects`, false);
    parsed = new URL(location, parsed);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new ImageProblem(`redirected to ${parsed.protocol}`, false);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    res.destroy();
    throw new ImageProblem(`answered ${status}`, status >= 500 || status === 408 || status === 429);
  }
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > limits.maxBytes) {
    res.destroy();
    throw new ImageProblem(`too large: ${declared} bytes (at most ${limits.maxBytes})`, false);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > limits.maxBytes) throw new ImageProblem(`too large: over ${limits.maxBytes} bytes`, false);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof ImageProblem) throw err;
    throw new ImageProblem(signal.aborted ? `no answer within ${limits.timeoutMs} ms` : `cut off: ${(err as Error).message}`, true);
  }
  const source = Buffer.concat(chunks);
  // Loaded by the first image: 0.3 s of CPU that a start need not pay (decision 038).
  const { default: sharp } = await import('sharp');
  try {
    const input = sharp(source, { limitInputPixels: limits.maxPixels, failOn: 'error' });
    const meta = await input.metadata();
    if (!meta.format || !FORMATS.has(meta.format)) throw new ImageProblem(`not an image we take (${meta.format ?? 'unknown'})`, false);
    const { data, info } = await input.rotate().resize(RESIZE[kind]).webp({ quality: kind === 'thumbnail' ? 78 : 82 }).toBuffer({ resolveWithObject: true });
    return { data, contentType: 'image/webp', width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof ImageProblem) throw err;
    throw new ImageProblem(`not an image: ${(err as Error).message.split('\n')[0]}`, false);
  }
}
