import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Db } from '../db/database.ts';
import { ImportCache, saveImportedListings } from './save.ts';
import { anyChanged, writeContent } from '../db/content-version.ts';
import { openInputFile } from './input-file.ts';
import { RecordProblem, count, emptySummary, note, refreshStatistics, reject, type ImportSummary } from './summary.ts';
import { parseDay } from '../core/periods.ts';
import { mapHfEnvelope, RecordError, type ImportedListing } from './hf-record.ts';

/** One raw envelope and where it came from. */
export interface SourceItem {
  /** Human-readable position for error reports: `file.jsonl.gz:12 #3`. */
  position: string;
  /** The featured day the container states, if any. */
  day: string | null;
  raw: unknown;
}

export interface ImportProgress {
  records: number;
  /** Share of the input read, 0..1. */
  fraction: number;
}

const BATCH = 500;

export type { ImportSummary };

/**
 * Imports Hugging Face daily-papers data from a file or folder: the JSON array
 * one `GET /api/daily_papers` returns, a folder of such files named by day, or
 * the JSON-lines archive (`{"date", "items"}` per line, optionally gzipped).
 */
export async function importHfPath(
  db: Db,
  inputPath: string,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportSummary> {
  const files = listInputFiles(inputPath);
  const totalBytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0) || 1;
  let doneBytes = 0;
  const summary = emptySummary();
  const reader = async function* (): AsyncGenerator<SourceItem | RecordProblem> {
    for (const file of files) {
      const base = doneBytes;
      yield* readFile(file, (bytes) => (doneBytes = base + bytes));
      doneBytes = base + fs.statSync(file).size;
    }
  };
  await importItems(db, reader(), summary, (records) => onProgress?.({ records, fraction: doneBytes / totalBytes }));
  return summary;
}

/** Imports envelopes already in memory (one day's API answer, the demo data). */
export async function importHfItems(db: Db, items: unknown[], day: string | null, label: string): Promise<ImportSummary> {
  const summary = emptySummary();
  const source = async function* (): AsyncGenerator<SourceItem> {
    for (const [i, raw] of items.entries()) yield { position: `${label} #${i}`, day, raw };
  };
  await importItems(db, source(), summary);
  return summary;
}

async function importItems(
  db: Db,
  items: AsyncIterable<SourceItem | RecordProblem>,
  summary: ImportSummary,
  onBatch?: (records: number) => void,
): Promise<void> {
  const cache = new ImportCache();
  let batch: ImportedListing[] = [];
  let seen = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const records = batch;
    batch = [];
    const now = new Date().toISOString();
    // One transaction per batch: a crash loses at most the batch in flight, never half a record.
    const outcomes = await writeContent(db.kysely, (trx) => saveImportedListings(trx, records, cache, now), anyChanged);
    for (const o of outcomes) count(summary, 'hf', o);
    onBatch?.(seen);
  };
  for await (const item of items) {
    seen++;
    if (item instanceof RecordProblem) {
      reject(summary, 'hf', item.position, item.reason);
      continue;
    }
    let listing: ImportedListing;
    try {
      listing = mapHfEnvelope(item.raw, item.day);
    } catch (err) {
      if (!(err instanceof RecordError)) throw err;
      reject(summary, 'hf', item.position, err.message);
      continue;
    }
    for (const handle of listing.invalidUsers) note(summary, item.position, `user ${JSON.stringify(handle.slice(0, 60))} is not a valid username: left out, the record kept`);
    batch.push(listing);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await refreshStatistics(db, summary);
}

function listInputFiles(inputPath: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(inputPath);
  } catch {
    throw new Error(`import: no such file or folder: ${inputPath}`);
  }
  if (!stat.isDirectory()) return [inputPath];
  const files = fs
    .readdirSync(inputPath)
    .filter((name) => /\.(json|jsonl|jsonl\.gz|json\.gz)$/.test(name))
    .sort()
    .map((name) => path.join(inputPath, name));
  if (files.length === 0) throw new Error(`import: no .json or .jsonl files in ${inputPath}`);
  return files;
}

async function* readFile(file: string, onBytes: (n: number) => void): AsyncGenerator<SourceItem | RecordProblem> {
  const name = path.basename(file);
  const stream = openInputFile(file, onBytes);
  if (/\.jsonl(\.gz)?$/.test(name)) {
    yield* readJsonLines(stream, name);
    return;
  }
  // A day's API answer: one JSON array of bounded size, its day in the file name.
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  } catch (err) {
    yield new RecordProblem(name, `unreadable: ${(err as Error).message}`);
    return;
  }
  let items: unknown;
  try {
    items = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    yield new RecordProblem(name, `invalid JSON: ${(err as Error).message}`);
    return;
  }
  if (!Array.isArray(items)) {
    yield new RecordProblem(name, 'expected a JSON array of daily-paper records');
    return;
  }
  const day = parseDay(/(\d{4}-\d{2}-\d{2})/.exec(name)?.[1] ?? '');
  for (const [i, item] of items.entries()) yield { position: `${name} #${i}`, day, raw: item };
}

async function* readJsonLines(stream: NodeJS.ReadableStream, name: string): AsyncGenerator<SourceItem | RecordProblem> {
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      const where = `${name}:${lineNo}`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        yield new RecordProblem(where, `invalid JSON: ${(err as Error).message}`);
        continue;
      }
      const { date, items } = (parsed ?? {}) as { date?: unknown; items?: unknown };
      const day = typeof date === 'string' ? parseDay(date) : null;
      if (!day || !Array.isArray(items)) {
        yield new RecordProblem(where, 'expected {"date": "YYYY-MM-DD", "items": [...]}');
        continue;
      }
      for (const [i, item] of items.entries()) yield { position: `${where} #${i}`, day, raw: item };
    }
  } catch (err) {
    yield new RecordProblem(`${name}:${lineNo + 1}`, `unreadable: ${(err as Error).message}`);
  }
}
