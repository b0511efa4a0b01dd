import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArxivId } from '../core/arxiv-id.ts';
import { openInputFile } from './input-file.ts';
import { collapseWhitespace, splitAuthors, type ArxivRecord } from './arxiv-record.ts';
import { RecordProblem } from './summary.ts';

/**
 * arXiv's public metadata snapshot (the bulk `arxiv-metadata-oai-snapshot.json`):
 * one JSON object per line. Only the fields read here are listed.
 */
export interface SnapshotLine {
  id?: unknown;
  submitter?: unknown;
  authors?: unknown;
  /** `[[last, first, suffix], …]`, sometimes with an affiliation as a fourth element. */
  authors_parsed?: unknown;
  title?: unknown;
  comments?: unknown;
  'journal-ref'?: unknown;
  license?: unknown;
  doi?: unknown;
  /** Space-separated, primary first. */
  categories?: unknown;
  abstract?: unknown;
  /** `[{version: "v1", created: "Mon, 2 Apr 2007 19:18:42 GMT"}, …]`. */
  versions?: unknown;
  update_date?: unknown;
}

export interface SnapshotOptions {
  /** Called as the file is read, with the bytes read from disk so far (compressed bytes for `.gz`). */
  onBytes?: (bytesRead: number) => void;
}

/**
 * Reads a snapshot file line by line, in constant memory, plain or gzipped (by the
 * `.gz` extension), yielding a record per good line and a problem, with its
 * `file:line` position, per bad one.
 */
export async function* readArxivSnapshot(file: string, opts: SnapshotOptions = {}): AsyncGenerator<ArxivRecord | RecordProblem> {
  const name = path.basename(file);
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch {
    throw new Error(`import: cannot read ${file}`);
  }
  const stream = openInputFile(file, opts.onBytes);
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      yield parseSnapshotLine(line, `${name}:${lineNo}`);
    }
  } catch (err) {
    yield new RecordProblem(`${name}:${lineNo + 1}`, `unreadable: ${(err as Error).message}`);
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Maps one snapshot line to a record, or says why it cannot. */
export function parseSnapshotLine(line: string, position: string): ArxivRecord | RecordProblem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    return new RecordProblem(position, `invalid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return new RecordProblem(position, 'expected a JSON object');
  }
  return mapSnapshotRecord(parsed as SnapshotLine, position);
}


// arXiv's withdrawal notes open the latest version's comments: "This paper has been withdrawn …",
// "withdrawn by arXiv administrators …", "paper withdrawn by author", "This has been withdrawn …".
const WITHDRAWN =
  /^\W*(?:(?:this|the)\s+)?(?:(?:paper|papers|article|submission|manuscript|preprint|work|note|version|e-?print)\s+)?(?:(?:has|have|is|was)\s+)?(?:been\s+)?withdrawn\b/i;

/** Maps one parsed snapshot object to a record, or says why it cannot. */
export function mapSnapshotRecord(o: SnapshotLine, position: string): ArxivRecord | RecordProblem {
  const parsedId = typeof o.id === 'string' ? parseArxivId(o.id) : null;
  if (!parsedId) return new RecordProblem(position, `not an arXiv id: ${JSON.stringify(o.id ?? null)}`);
  const id = parsedId.id;
  const title = typeof o.title === 'string' ? collapseWhitespace(o.title) : '';
  if (!title) return new RecordProblem(position, `${id}: no title`);

  const versions = readVersions(o.versions);
  if (typeof versions === 'string') return new RecordProblem(position, `${id}: ${versions}`);
  const first = versions[0]!;
  const last = versions[versions.length - 1]!;

  const categories = readCategories(o.categories);
  const comment = optionalText(o.comments);
  const updatedAt = last.created;
  return {
    id,
    version: last.number,
    title,
    abstract: typeof o.abstract === 'string' ? collapseWhitespace(o.abstract) : '',
    authors: readAuthors(o.authors_parsed, o.authors),
    categories,
    primaryCategory: categories[0] ?? null,
    publishedAt: first.created,
    updatedAt,
    comment,
    journalRef: optionalText(o['journal-ref']),
    license: optionalText(o.license),
    doi: optionalText(o.doi),
    pdfUrl: `https://arxiv.org/pdf/${id}v${last.number}`,
    withdrawnAt: comment !== null && WITHDRAWN.test(comment) ? updatedAt : null,
  };
}

/** The versions in order, each with its ISO date; or what is wrong with them. */
function readVersions(value: unknown): { number: number; created: string }[] | string {
  if (!Array.isArray(value) || value.length === 0) return 'no versions';
  const out: { number: number; created: string }[] = [];
  for (const v of value as unknown[]) {
    const { version, created } = (v ?? {}) as { version?: unknown; created?: unknown };
    const match = typeof version === 'string' ? /^v(\d+)$/.exec(version.trim()) : null;
    if (!match) return `bad version ${JSON.stringify(version ?? null)}`;
    const time = typeof created === 'string' ? Date.parse(created) : NaN;
    if (Number.isNaN(time)) return `bad date for ${version}: ${JSON.stringify(created ?? null)}`;
    out.push({ number: Number(match[1]), created: new Date(time).toISOString() });
  }
  // arXiv lists them in order; sort anyway so "first" and "last" mean v1 and the newest.
  for (let i = 1; i < out.length; i++) {
    if (out[i]!.number < out[i - 1]!.number) return out.sort((a, b) => a.number - b.number);
  }
  return out;
}

/** Categories, primary first, without repeats. Accepts the snapshot's string or an array. */
function readCategories(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string') : [];
  return [...new Set(list.map((c) => c.trim()).filter(Boolean))];
}

function optionalText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = collapseWhitespace(value);
  return text === '' ? null : text;
}

/** Authors as "First Last Suffix", from `authors_parsed`, or from the `authors` string when it is missing. */
function readAuthors(parsed: unknown, text: unknown): ArxivRecord['authors'] {
  if (Array.isArray(parsed)) {
    const out: ArxivRecord['authors'] = [];
    for (const entry of parsed as unknown[]) {
      if (!Array.isArray(entry)) continue;
      const [last, first, suffix, ...rest] = entry.map((part) => (typeof part === 'string' ? collapseWhitespace(part) : ''));
      const name = [first, last, suffix].filter(Boolean).join(' ');
      if (!name) continue;
      const affiliation = rest.filter(Boolean).join(', ');
      out.push({ name, affiliation: affiliation || null });
    }
    return out;
  }
  return typeof text === 'string' ? splitAuthors(text) : [];
}

