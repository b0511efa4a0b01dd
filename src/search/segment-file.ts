import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { IdList } from './id-list.ts';
import type { CorpusStats, Segment } from './segment.ts';

/**
 * A main segment in a file (docs/decisions/020-search-index-files.md), so that a process can
 * serve search soon after it starts: a header (magic, JSON length, JSON), then each array's
 * bytes at an 8-byte boundary, read straight into typed arrays. The JSON says the format, the
 * schema it was built under, the change-log position it covers, and a CRC-32 of the bytes.
 */
const MAGIC = 'DPSEARCH';
/** Bump when the layout or the scoring changes: older files are then ignored and rebuilt. */
export const SEGMENT_FORMAT = 3;

type Arrays = Pick<Segment, 'upvotes' | 'published' | 'popularity' | 'blockUpvotes' | 'deleted' | 'postStart' | 'blockStart' | 'postings' | 'blockOffset' | 'impacts' | 'impactStep' | 'blockMax' | 'blockLast'>;
const ARRAYS = {
  upvotes: Int32Array,
  published: Float64Array,
  popularity: Float32Array,
  blockUpvotes: Int32Array,
  deleted: Uint8Array,
  postStart: Uint32Array,
  blockStart: Uint32Array,
  postings: Uint8Array,
  blockOffset: Uint32Array,
  impacts: Uint8Array,
  impactStep: Float32Array,
  blockMax: Uint16Array,
  blockLast: Uint32Array,
} as const;
const MUTABLE = new Set<keyof Arrays>(['upvotes', 'popularity', 'blockUpvotes', 'deleted']);
type Name = keyof Arrays | 'ids' | 'terms';

/** Where the file's segment stands in the database's history. */
export interface SegmentPosition {
  /** The schema it was built under (the last migration's name). */
  schema: string;
  /** The last change-log entry it reflects, and those of the re-read window it already holds. */
  lastSeq: number;
  seen: number[];
}

interface Header extends SegmentPosition {
  format: number;
  avgLength: number;
  maxUpvotes: number;
  sections: { name: Name; offset: number; length: number }[];
  crc: number;
}

const align = (n: number) => Math.ceil(n / 8) * 8;
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Strings per piece of the joined terms: the whole list's joined text (string and buffer) is never made at once. */
export const JOIN_PIECE = 1 << 16;

/** A section's bytes, in pieces made as they are written (so twice: once for the checksum). */
interface Part {
  name: Name;
  length: number;
  pieces: () => Iterable<Uint8Array>;
}

/** `list.join(separator)` as UTF-8, in pieces of JOIN_PIECE strings. */
function joinedPart(name: Name, list: string[], separator: string): Part {
  let length = Math.max(0, list.length - 1) * Buffer.byteLength(separator);
  for (const s of list) length += Buffer.byteLength(s);
  return {
    name,
    length,
    *pieces() {
      for (let i = 0; i < list.length; i += JOIN_PIECE) {
        const end = Math.min(list.length, i + JOIN_PIECE);
        yield Buffer.from(list.slice(i, end).join(separator) + (end < list.length ? separator : ''));
      }
    },
  };
}

/** Writes the segment to `file` atomically: a temporary file beside it, then a rename. */
export async function writeSegmentFile(file: string, seg: Segment, position: SegmentPosition): Promise<void> {
  const parts: Part[] = [
    { name: 'ids', length: seg.ids.joined.byteLength, pieces: () => [seg.ids.joined] },
    joinedPart('terms', seg.terms, '\0'),
    // Votes and hides change the per-document arrays in place: written as they are now.
    ...(Object.keys(ARRAYS) as (keyof Arrays)[]).map((name) => {
      const bytes = bytesOf(MUTABLE.has(name) ? seg[name].slice() : seg[name]);
      return { name, length: bytes.byteLength, pieces: () => [bytes] };
    }),
  ];
  let offset = 0;
  let crc = 0;
  const sections = parts.map((p) => {
    const s = { name: p.name, offset, length: p.length };
    offset = align(offset + p.length);
    for (const piece of p.pieces()) crc = crc32(piece, crc);
    return s;
  });
  const header: Header = { format: SEGMENT_FORMAT, ...position, avgLength: seg.avgLength, maxUpvotes: seg.maxUpvotes, sections, crc };
  const json = Buffer.from(JSON.stringify(header));
  const head = Buffer.alloc(align(MAGIC.length + 4 + json.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(json.length, MAGIC.length);
  json.copy(head, MAGIC.length + 4);

  await removeAbandoned(file);
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fs.promises.open(tmp, 'w');
  try {
    await handle.write(head);
    let at = head.length;
    for (const [i, p] of parts.entries()) {
      const start = head.length + sections[i]!.offset;
      if (start > at) await handle.write(Buffer.alloc(start - at));
      at = start;
      for (const piece of p.pieces()) {
        // In slices: one write of a very large view can be refused by the OS.
        for (let j = 0; j < piece.byteLength; j += 1 << 26) await handle.write(piece.subarray(j, j + (1 << 26)));
        at += piece.byteLength;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(tmp, file);
}

/** A temporary file not written to for this long, whose writer is not running here, is abandoned. */
const ABANDONED_MS = 10 * 60_000;

/**
 * Removes the temporary files of writers that died mid-write (`kill -9`, a crash): each is as
 * large as the index, and nothing else would remove it. A live writer's file is left alone, and
 * so is one written to lately: on a folder several machines share, its PID is another host's.
 */
async function removeAbandoned(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  for (const name of await fs.promises.readdir(dir).catch(() => [])) {
    const middle = name.startsWith(prefix) && name.endsWith('.tmp') ? name.slice(prefix.length, -'.tmp'.length) : '';
    const pid = /^\d+$/.test(middle) ? Number(middle) : 0;
    if (!pid || pid === process.pid || alive(pid)) continue;
    const stale = path.join(dir, name);
    const written = await fs.promises.stat(stale).then((st) => st.mtimeMs, () => Date.now());
    if (Date.now() - written > ABANDONED_MS) await fs.promises.rm(stale, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process: alive
  }
}

/**
 * The CRC-32 of `ranges` of `file` (offset, length), in a worker thread: a cold start reads the
 * arrays meanwhile instead of after (decision 038). Eval'd CommonJS, so that it runs alike from
 * the sources and from dist/.
 */
function crcInWorker(file: string, ranges: [number, number][]): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const { crc32 } = require('node:zlib');
    const fd = fs.openSync(workerData.file, 'r');
    const buf = Buffer.allocUnsafe(1 << 24);
    let crc = 0;
    for (const [start, length] of workerData.ranges) {
      for (let got = 0; got < length; ) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, length - got), start + got);
        if (n === 0) throw new Error('file ends early');
        crc = crc32(buf.subarray(0, n), crc);
        got += n;
      }
    }
    fs.closeSync(fd);
    parentPort.postMessage(crc);`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { file, ranges } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`checksum worker exited ${code}`)));
  });
}

/**
 * The segment of `file` and its position, or why it cannot be used (missing, another format or
 * schema, damaged): the caller then builds from the database. The arrays are read on libuv's
 * threads while a worker checks the bytes; nothing is used before the checksum matches.
 */
export async function readSegmentFile(file: string, schema: string): Promise<{ seg: Segment; position: SegmentPosition } | { unusable: string }> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch {
    return { unusable: 'no file' };
  }
  let checked: Promise<number> | undefined;
  try {
    const start = Buffer.alloc(MAGIC.length + 4);
    if ((await handle.read(start, 0, start.length, 0)).bytesRead < start.length || start.toString('latin1', 0, MAGIC.length) !== MAGIC) return { unusable: 'not a search index file' };
    const jsonLength = start.readUInt32LE(MAGIC.length);
    const json = Buffer.alloc(jsonLength);
    await handle.read(json, 0, jsonLength, start.length);
    const header = JSON.parse(json.toString()) as Header;
    if (header.format !== SEGMENT_FORMAT) return { unusable: `format ${header.format}, not ${SEGMENT_FORMAT}` };
    if (header.schema !== schema) return { unusable: `built under schema ${header.schema}, not ${schema}` };
    const base = align(start.length + jsonLength);
    // The sections in the order the writer summed them.
    checked = crcInWorker(file, header.sections.map((s) => [base + s.offset, s.length]));
    // Awaited after the reads; until then a failure must not count as an unhandled rejection.
    checked.catch(() => undefined);
    const read = async <T extends ArrayBufferView>(name: Name, make: (bytes: number) => T): Promise<T> => {
      const s = header.sections.find((x) => x.name === name);
      if (!s) throw new Error(`no section ${name}`);
      const out = make(s.length);
      const bytes = bytesOf(out);
      for (let got = 0; got < s.length; ) {
        const { bytesRead } = await handle.read(bytes, got, Math.min(s.length - got, 1 << 26), base + s.offset + got);
        if (bytesRead === 0) throw new Error('file ends early');
        got += bytesRead;
      }
      return out;
    };
    const [idBytes, termBytes, ...arrayList] = await Promise.all([
      read('ids', (n) => Buffer.alloc(n)),
      read('terms', (n) => Buffer.alloc(n)),
      ...(Object.entries(ARRAYS) as [keyof Arrays, (typeof ARRAYS)[keyof Arrays]][]).map(([name, Type]) => read(name, (n) => new Type(n / Type.BYTES_PER_ELEMENT))),
    ]);
    const arrays = Object.fromEntries(Object.keys(ARRAYS).map((name, i) => [name, arrayList[i]])) as unknown as Arrays;
    const crc = await checked;
    if (crc !== header.crc) return { unusable: 'checksum does not match' };
    const ids = IdList.fromJoined(idBytes!);
    if (ids.length !== arrays.upvotes.length) return { unusable: `${ids.length} ids for ${arrays.upvotes.length} papers` };
    const terms = termBytes!.toString();
    const termList = terms ? terms.split('\0') : [];
    // Filled by loops: `new Map(list.map((x, i) => [x, i]))` made a pair array per entry (a million at 1M papers) first.
    const termIndex = new Map<string, number>();
    for (let i = 0; i < termList.length; i++) termIndex.set(termList[i]!, i);

    const df = (term: string) => {
      const t = termIndex.get(term);
      return t === undefined ? 0 : arrays.postStart[t + 1]! - arrays.postStart[t]!;
    };
    const stats: CorpusStats = { docs: ids.length, avgLength: header.avgLength, df };
    const seg: Segment = {
      ...arrays,
      ids,
      maxUpvotes: header.maxUpvotes,
      terms: termList,
      termIndex,
      avgLength: header.avgLength,
      stats,
    };
    return { seg, position: { schema: header.schema, lastSeq: header.lastSeq, seen: header.seen } };
  } catch (err) {
    return { unusable: `unreadable: ${(err as Error).message}` };
  } finally {
    // A read that failed early leaves the worker's answer unread: it must not become an unhandled rejection.
    await checked?.catch(() => undefined);
    await handle.close();
  }
}
