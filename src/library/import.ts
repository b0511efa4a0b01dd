import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import { arxivIdFromInput, parseArxivId } from '../core/arxiv-id.ts';
import { fetchArxivIds } from '../ingest/arxiv-api.ts';
import { importArxivRecords } from '../ingest/arxiv-import.ts';
import type { PoliteFetcher } from '../ingest/polite-fetch.ts';
import { addItem, type Collection } from './collections.ts';
import * as q from './queries.ts';

/** At most this many entries are read from one file, and this many unknown papers fetched from arXiv. */
export const MAX_ENTRIES = 1000;
export const MAX_FETCHED = 100;
export const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/** A reference as read from a file: how to name it in the report, and the ids that can match it. */
export interface Citation {
  label: string;
  arxivId: string | null;
  doi: string | null;
}

/** What an import did, entry by entry: nothing is left out silently. */
export interface ImportReport {
  format: 'bibtex' | 'ris' | 'csl-json' | 'unknown';
  added: string[];
  alreadyThere: string[];
  /** Papers that were not here and were fetched from arXiv. */
  fetched: string[];
  unmatched: { entry: string; reason: string }[];
  /** Problems reading the file itself (a broken entry, an unterminated brace). */
  errors: string[];
}

const DOI_ARXIV = /^10\.48550\/arxiv\.(.+)$/i;

/** The arXiv id in a field's text: an id, `arXiv:…`, an arxiv.org URL, or arXiv's own DOI. */
function arxivIn(text: string | undefined | null): string | null {
  if (!text) return null;
  const doi = DOI_ARXIV.exec(text.trim());
  if (doi) return parseArxivId(doi[1]!)?.id ?? null;
  const direct = arxivIdFromInput(text);
  if (direct) return direct.id;
  const found = /arxiv(?:\.org\/(?:abs|pdf)\/|:\s*)([a-z-]+(?:\.[A-Z]{2})?\/\d{7}|\d{4}\.\d{4,5})(v\d+)?/i.exec(text);
  return found ? (parseArxivId(found[1]!)?.id ?? null) : null;
}

const cleanDoi = (text: string | undefined | null) => text?.trim().replace(/^https?:\/\/(dx\.)?doi\.org\//i, '').toLowerCase() || null;

type Parsed = { format: ImportReport['format']; citations: Citation[]; errors: string[] };

/** Reads BibTeX, RIS or CSL JSON (Zotero's exports), whichever the text is; broken parts become errors, never exceptions. */
export async function parseCitations(text: string): Promise<Parsed> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseCslJson(trimmed);
  if (/^TY {2}- /m.test(text)) return parseRis(text);
  if (/@\w+\s*[{(]/.test(text)) return parseBib(text);
  return { format: 'unknown', citations: [], errors: ['not BibTeX, RIS or CSL JSON: no entry found'] };
}

async function parseBib(text: string): Promise<Parsed> {
  // Loaded by the first BibTeX file: its modules are 0.3 s of CPU that a start need not pay (decision 038).
  const { parse: parseBibtex } = await import('@retorquere/bibtex-parser');
  let library;
  try {
    library = parseBibtex(text, { sentenceCase: false, english: false });
  } catch (err) {
    return { format: 'bibtex', citations: [], errors: [`the BibTeX could not be read: ${(err as Error).message.slice(0, 200)}`] };
  }
  const citations = library.entries.slice(0, MAX_ENTRIES).map((e) => {
    const f = e.fields as Record<string, unknown>;
    const str = (name: string) => (typeof f[name] === 'string' ? (f[name] as string) : undefined);
    const prefix = str('archiveprefix') ?? str('eprinttype');
    const eprint = str('eprint');
    const arxivId = (eprint && (!prefix || /arxiv/i.test(prefix)) ? arxivIn(eprint) : null) ?? arxivIn(str('url')) ?? arxivIn(str('journal')) ?? arxivIn(str('note')) ?? arxivIn(str('howpublished')) ?? arxivIn(str('doi'));
    return { label: e.key || str('title') || '(an entry without key)', arxivId, doi: cleanDoi(str('doi')) };
  });
  return { format: 'bibtex', citations, errors: library.errors.map((e) => e.error.slice(0, 300)) };
}

/** RIS: `TAG  - value` lines, `ER  -` ends a record (https://en.wikipedia.org/wiki/RIS_(file_format)). */
export function parseRis(text: string): Parsed {
  const citations: Citation[] = [];
  const errors: string[] = [];
  let fields: Record<string, string[]> | null = null;
  const finish = () => {
    if (!fields) return;
    const one = (tag: string) => fields![tag]?.[0];
    const all = (tag: string) => fields![tag] ?? [];
    const arxivId = [...all('M1'), ...all('UR'), ...all('DO'), ...all('N1'), ...all('JO'), ...all('T2'), ...all('AN')].map(arxivIn).find((id) => id) ?? null;
    citations.push({ label: one('TI') ?? one('T1') ?? one('ID') ?? '(a record without title)', arxivId, doi: cleanDoi(one('DO')) });
    fields = null;
  };
  for (const [n, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/^\uFEFF/, '');
    if (!line.trim()) continue;
    const m = /^([A-Z][A-Z0-9]) {2}-(?: (.*))?$/.exec(line);
    if (!m) {
      if (!fields) errors.push(`line ${n + 1}: not a RIS tag line: ${line.slice(0, 80)}`);
      continue;
    }
    const [, tag, value = ''] = m;
    if (tag === 'TY') {
      if (fields) errors.push(`line ${n + 1}: a record began before the last one ended (ER)`);
      finish();
      fields = {};
    } else if (tag === 'ER') finish();
    else if (!fields) errors.push(`line ${n + 1}: ${tag} outside a record`);
    else (fields[tag!] ??= []).push(value.trim());
    if (citations.length >= MAX_ENTRIES) break;
  }
  if (fields) {
    errors.push('the last record has no ER line');
    finish();
  }
  return { format: 'ris', citations, errors };
}

function parseCslJson(text: string): Parsed {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { format: 'csl-json', citations: [], errors: [`not valid JSON: ${(err as Error).message.slice(0, 200)}`] };
  }
  const items = Array.isArray(data) ? data : [data];
  const citations: Citation[] = [];
  const errors: string[] = [];
  for (const [i, item] of items.slice(0, MAX_ENTRIES).entries()) {
    if (!item || typeof item !== 'object') {
      errors.push(`item ${i + 1}: not an object`);
      continue;
    }
    const o = item as Record<string, unknown>;
    const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    const arxivId = arxivIn(s('arxiv_id')) ?? (s('id') && /^\d{4}\.\d{4,5}$|\//.test(s('id')!) ? arxivIn(s('id')) : null) ?? arxivIn(s('URL') ?? s('url')) ?? arxivIn(s('number')) ?? arxivIn(s('DOI') ?? s('doi')) ?? arxivIn(s('note'));
    citations.push({ label: s('title') ?? s('id') ?? `item ${i + 1}`, arxivId, doi: cleanDoi(s('DOI') ?? s('doi')) });
  }
  return { format: 'csl-json', citations, errors };
}

export interface ImportDeps {
  db: Db;
  /** The arXiv client, for papers not here yet; without it they are reported unmatched. */
  arxiv?: { fetcher: PoliteFetcher; apiUrl: string };
}

/** Imports a file's references into a collection: arXiv ids and DOIs matched to papers, unknown arXiv ids fetched. */
export async function importIntoCollection(deps: ImportDeps, collection: Collection, text: string): Promise<ImportReport> {
  const { format, citations, errors } = await parseCitations(text);
  const report: ImportReport = { format, added: [], alreadyThere: [], fetched: [], unmatched: [], errors };
  const db = deps.db.kysely;
  const doiMatches = await papersByDoi(db, citations.flatMap((c) => (c.arxivId || !c.doi ? [] : [c.doi])));
  const wanted = citations.map((c) => ({ c, id: c.arxivId ?? (c.doi ? (doiMatches.get(c.doi) ?? null) : null) }));
  const ids = [...new Set(wanted.flatMap((w) => (w.id ? [w.id] : [])))];
  const known = await q.visiblePaperIds(db, ids);
  const missing = ids.filter((id) => !known.has(id)).slice(0, MAX_FETCHED);
  if (missing.length > 0 && deps.arxiv) {
    const { fetcher, apiUrl } = deps.arxiv;
    try {
      await importArxivRecords(deps.db, fetchArxivIds(fetcher, apiUrl, missing), 'library-import');
    } catch (err) {
      report.errors.push(`arXiv could not be reached: ${(err as Error).message.slice(0, 200)}`);
    }
    for (const id of await q.visiblePaperIds(db, missing)) {
      known.add(id);
      report.fetched.push(id);
    }
  }
  const seen = new Set<string>();
  for (const { c, id } of wanted) {
    if (!id) {
      report.unmatched.push({ entry: c.label, reason: c.doi ? `no paper here has the DOI ${c.doi}, and it names no arXiv id` : 'no arXiv id or DOI' });
      continue;
    }
    if (!known.has(id)) {
      report.unmatched.push({ entry: c.label, reason: deps.arxiv ? `arXiv does not know ${id}` : `${id} is not here` });
      continue;
    }
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      await addItem(db, collection, id);
      report.added.push(id);
    } catch (err) {
      if ((err as { kind?: string }).kind === 'conflict' && /already/.test((err as Error).message)) report.alreadyThere.push(id);
      else report.unmatched.push({ entry: c.label, reason: (err as Error).message });
    }
  }
  return report;
}

async function papersByDoi(db: Kysely<Database>, dois: string[]): Promise<Map<string, string>> {
  return q.paperIdsByDoi(db, [...new Set(dois)]);
}
