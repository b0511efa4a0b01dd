import { XMLValidator } from 'fast-xml-parser';
import { arxivXmlParser } from './xml.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { collapseWhitespace, type ArxivRecord } from './arxiv-record.ts';
import { RecordProblem } from './summary.ts';

/** One page of the arXiv search API (`/api/query`), parsed. */
export interface AtomFeed {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  /** In feed order; an entry that cannot be read is a RecordProblem at `entry N` (1-based). */
  records: (ArxivRecord | RecordProblem)[];
}

// Namespace prefixes are dropped: the current format declares them on <feed>, the
// 2016 format on each element, and the names (arxiv:*, opensearch:*) never clash
// with Atom's own.
const ARRAYS = new Set(['entry', 'author', 'affiliation', 'category', 'link']);
const parser = arxivXmlParser(ARRAYS);

type Node = Record<string, unknown>;

/**
 * Parses an arXiv API Atom response, current or 2016 format. Throws
 * `arxiv: malformed XML: …` when the XML is broken, `arxiv: not an Atom feed` when
 * it is something else, and `arxiv: <message>` when arXiv answered with its error
 * entry (e.g. a malformed id in `id_list`).
 */
export function parseAtomFeed(xml: string): AtomFeed {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new Error(`arxiv: malformed XML: ${msg} (line ${line}${col ? `, column ${col}` : ''})`);
  }
  const doc = parser.parse(xml) as Node;
  const feed = doc.feed;
  if (!isNode(feed)) throw new Error('arxiv: not an Atom feed (no <feed> element)');

  const entries = (feed.entry as unknown[] | undefined) ?? [];
  for (const entry of entries) {
    if (!isNode(entry)) continue;
    const id = text(entry.id);
    const isError = /\/api\/errors(?:#|$)/.test(id) || (text(entry.title) === 'Error' && !/\/abs\//.test(id));
    if (isError) {
      throw new Error(`arxiv: ${text(entry.summary) || id || 'error entry without a message'}`);
    }
  }

  return {
    totalResults: integer(feed.totalResults),
    startIndex: integer(feed.startIndex),
    itemsPerPage: integer(feed.itemsPerPage),
    records: entries.map((entry, i) => readEntry(entry, `entry ${i + 1}`)),
  };
}

function readEntry(entry: unknown, position: string): ArxivRecord | RecordProblem {
  if (!isNode(entry)) return new RecordProblem(position, 'empty entry');
  const idUrl = text(entry.id);
  if (!idUrl) return new RecordProblem(position, 'no <id>');
  const where = `${position} (${idUrl})`;
  const absMatch = /^https?:\/\/(?:www\.|export\.)?arxiv\.org\/abs\/(.+)$/i.exec(idUrl);
  const parsed = absMatch ? parseArxivId(absMatch[1]!) : null;
  if (!parsed) return new RecordProblem(where, 'not an arXiv abstract URL in <id>');
  const title = text(entry.title);
  if (!title) return new RecordProblem(where, 'no <title>');
  const publishedAt = isoDate(entry.published);
  if (!publishedAt) return new RecordProblem(where, 'no valid <published> date');
  const updatedAt = isoDate(entry.updated);

  const authors = nodes(entry.author)
    .map((a) => {
      const affiliations = ((a.affiliation as unknown[] | undefined) ?? []).map(text).filter(Boolean);
      return { name: text(a.name), affiliation: affiliations.length ? affiliations.join('; ') : null };
    })
    .filter((a) => a.name !== '');

  const primaryCategory = attr(firstNode(entry.primary_category), 'term') || null;
  const categories = [...new Set([primaryCategory, ...nodes(entry.category).map((c) => attr(c, 'term'))].filter((c): c is string => Boolean(c)))];

  const pdfLink = nodes(entry.link).find((l) => attr(l, 'title') === 'pdf' || attr(l, 'type') === 'application/pdf');
  const pdfHref = pdfLink ? attr(pdfLink, 'href') : '';
  const pdfUrl = pdfHref ? pdfHref.replace(/^http:\/\/(?:export\.)?arxiv\.org\//i, 'https://arxiv.org/') : null;

  const comment = text(entry.comment) || null;
  const withdrawn = comment !== null && /^this paper has been withdrawn/i.test(comment);

  return {
    id: parsed.id,
    version: parsed.version,
    title,
    abstract: text(entry.summary),
    authors,
    categories,
    primaryCategory,
    publishedAt,
    updatedAt,
    comment,
    journalRef: text(entry.journal_ref) || null,
    doi: text(entry.doi) || null,
    pdfUrl,
    withdrawnAt: withdrawn ? (updatedAt ?? publishedAt) : null,
  };
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Element text with whitespace collapsed; an element with attributes keeps its text under `#text`. */
function text(value: unknown): string {
  if (Array.isArray(value)) return text(value[0]);
  if (typeof value === 'string' || typeof value === 'number') return collapseWhitespace(String(value));
  if (isNode(value) && value['#text'] !== undefined) return text(value['#text']);
  return '';
}

function nodes(value: unknown): Node[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(isNode);
}

function firstNode(value: unknown): Node | undefined {
  return nodes(value)[0];
}

function attr(node: Node | undefined, name: string): string {
  const value = node?.[`@_${name}`];
  return typeof value === 'string' ? value.trim() : '';
}

function integer(value: unknown): number {
  const n = Number(text(value));
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

function isoDate(value: unknown): string | null {
  const raw = text(value);
  if (!raw) return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
