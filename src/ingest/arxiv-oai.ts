import { XMLValidator } from 'fast-xml-parser';
import { arxivXmlParser } from './xml.ts';
import type { Config } from '../core/config.ts';
import { anyChanged, writeContent } from '../db/content-version.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../core/log.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { saveArxivRecords } from './save.ts';
import { collapseWhitespace, splitAuthors, type ArxivRecord } from './arxiv-record.ts';
import { configuredArxivFetcher, type PoliteFetcher, type PoliteFetchOptions } from './polite-fetch.ts';
import { RecordProblem, count, emptySummary, reject, type ImportSummary } from './summary.ts';

/**
 * arXiv's OAI-PMH interface (https://info.arxiv.org/help/oa/index.html): the
 * `arXiv` and `arXivRaw` metadata formats parsed into ArxivRecords, and a
 * harvester that pages through ListRecords with resumption tokens, storing each
 * page together with its checkpoint so an interrupted harvest resumes where it
 * stopped.
 */

/** The metadata formats this parser maps onto ArxivRecord. */
export const OAI_PREFIXES = ['arXiv', 'arXivRaw'] as const;
export type OaiPrefix = (typeof OAI_PREFIXES)[number];

export interface OaiHeader {
  /** `oai:arXiv.org:1412.8544`. */
  identifier: string;
  /** `YYYY-MM-DD` on arXiv (day granularity). */
  datestamp: string;
  setSpecs: string[];
  deleted: boolean;
}

export interface OaiEntry {
  header: OaiHeader;
  /** The mapped record; absent for deleted records and for those that cannot be read. */
  record?: ArxivRecord;
  /** Why the record could not be read. */
  problem?: RecordProblem;
  /** The metadata's `<license>` (the papers table has no column for it). */
  license?: string | null;
}

export interface OaiResumption {
  /** null when the list is complete (an empty or self-closing token). */
  token: string | null;
  cursor: number | null;
  completeListSize: number | null;
}

/** One ListRecords, ListIdentifiers or GetRecord response, parsed. */
export interface OaiPage {
  verb: string;
  responseDate: string | null;
  /** In document order, deleted records included. */
  entries: OaiEntry[];
  /** The records that mapped. */
  records: ArxivRecord[];
  problems: RecordProblem[];
  deleted: number;
  /** Absent when the response has no `<resumptionToken>` (a list in one response). */
  resumption: OaiResumption | null;
  /** The largest header datestamp on the page, deleted records included. */
  maxDatestamp: string | null;
}

export interface OaiIdentify {
  repositoryName: string;
  baseUrl: string | null;
  protocolVersion: string | null;
  adminEmails: string[];
  earliestDatestamp: string;
  deletedRecord: string | null;
  granularity: string;
}

const ARRAYS = new Set(['record', 'header', 'author', 'version', 'setSpec', 'adminEmail', 'description', 'error']);
const parser = arxivXmlParser(ARRAYS);

type Node = Record<string, unknown>;

/** The OAI-PMH root of a response; throws on broken XML, a non-OAI body, or an OAI `<error>` other than noRecordsMatch. */
function parseRoot(xml: string): { root: Node; noRecords: boolean } {
  const body = xml.replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new Error(`oai: malformed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const doc = parser.parse(body) as Node;
  const root = doc['OAI-PMH'];
  if (!isNode(root)) throw new Error('oai: not an OAI-PMH response');
  const errors = Array.isArray(root.error) ? (root.error as unknown[]) : [];
  const noRecords = errors.length > 0 && errors.every((e) => attr(e, 'code') === 'noRecordsMatch');
  if (errors.length > 0 && !noRecords) {
    const e = errors.find((x) => attr(x, 'code') !== 'noRecordsMatch');
    throw new Error(`oai: ${attr(e, 'code') || 'error'}: ${collapseWhitespace(text(e))}`);
  }
  return { root, noRecords };
}

/**
 * Parses a ListRecords, ListIdentifiers or GetRecord response. `noRecordsMatch`
 * is an empty, complete page; any other OAI error throws `oai: <code>: <text>`.
 */
export function parseOaiPage(xml: string): OaiPage {
  const { root, noRecords } = parseRoot(xml);
  const verb = ['ListRecords', 'ListIdentifiers', 'GetRecord'].find((v) => v in root) ?? attr(root.request, 'verb');
  const page: OaiPage = {
    verb,
    responseDate: text(root.responseDate) || null,
    entries: [],
    records: [],
    problems: [],
    deleted: 0,
    resumption: null,
    maxDatestamp: null,
  };
  if (noRecords) return page;
  const container = root[verb];
  if (!isNode(container)) {
    if (container === undefined || container === '') {
      if (verb === 'GetRecord' || verb === 'ListRecords' || verb === 'ListIdentifiers') return page;
    }
    throw new Error(`oai: no <${verb}> in the response`);
  }
  const items: { header: unknown; metadata?: unknown }[] =
    verb === 'ListIdentifiers'
      ? arr(container.header).map((header) => ({ header }))
      : arr(container.record).map((r) => ({ header: arr(isNode(r) ? r.header : undefined)[0], metadata: isNode(r) ? r.metadata : undefined }));
  for (const [i, item] of items.entries()) {
    const header = readHeader(item.header);
    const entry: OaiEntry = { header };
    if (header.datestamp && (!page.maxDatestamp || header.datestamp > page.maxDatestamp)) page.maxDatestamp = header.datestamp;
    if (header.deleted) {
      page.deleted++;
    } else if (verb !== 'ListIdentifiers') {
      const where = `record ${i + 1} (${header.identifier || 'no identifier'})`;
      const mapped = mapMetadata(item.metadata, where);
      if (mapped instanceof RecordProblem) {
        entry.problem = mapped;
        page.problems.push(mapped);
      } else {
        entry.record = mapped.record;
        entry.license = mapped.license;
        page.records.push({ ...mapped.record, license: mapped.license });
      }
    }
    page.entries.push(entry);
  }
  if ('resumptionToken' in container) {
    const t = container.resumptionToken;
    const token = collapseWhitespace(text(t));
    page.resumption = { token: token || null, cursor: num(attr(t, 'cursor')), completeListSize: num(attr(t, 'completeListSize')) };
  }
  return page;
}

/** Parses an Identify response. */
export function parseIdentify(xml: string): OaiIdentify {
  const { root } = parseRoot(xml);
  const id = root.Identify;
  if (!isNode(id)) throw new Error('oai: no <Identify> in the response');
  return {
    repositoryName: text(id.repositoryName),
    baseUrl: text(id.baseURL) || null,
    protocolVersion: text(id.protocolVersion) || null,
    adminEmails: arr(id.adminEmail).map(text).filter(Boolean),
    earliestDatestamp: text(id.earliestDatestamp),
    deletedRecord: text(id.deletedRecord) || null,
    granularity: text(id.granularity),
  };
}

function readHeader(node: unknown): OaiHeader {
  const h = isNode(node) ? node : {};
  return {
    identifier: text(h.identifier),
    datestamp: text(h.datestamp),
    setSpecs: arr(h.setSpec).map(text).filter(Boolean),
    deleted: attr(node, 'status') === 'deleted',
  };
}

const WITHDRAWN = /^\W*(?:(?:this|the)\s+(?:paper|article|submission|manuscript|preprint|work|note)\s+(?:has\s+been|is|was)\s+)?withdrawn/i;

function mapMetadata(metadata: unknown, where: string): { record: ArxivRecord; license: string | null } | RecordProblem {
  if (!isNode(metadata)) return new RecordProblem(where, 'no <metadata>');
  if (isNode(metadata.arXiv)) return mapArxiv(metadata.arXiv, where);
  if (isNode(metadata.arXivRaw)) return mapArxivRaw(metadata.arXivRaw, where);
  const format = Object.keys(metadata).find((k) => !k.startsWith('@_') && k !== '#text');
  return new RecordProblem(where, `unsupported metadata format <${format ?? '?'}> (use arXiv or arXivRaw)`);
}

/** The `arXiv` format: structured authors, `created`/`updated` days, no versions. */
function mapArxiv(m: Node, where: string): { record: ArxivRecord; license: string | null } | RecordProblem {
  const common = commonFields(m, where);
  if (common instanceof RecordProblem) return common;
  const publishedAt = isoDate(text(m.created));
  if (!publishedAt) return new RecordProblem(where, `${common.id}: no valid <created> date`);
  const updatedRaw = text(m.updated);
  const updatedAt = updatedRaw ? isoDate(updatedRaw) : publishedAt;
  if (!updatedAt) return new RecordProblem(where, `${common.id}: bad <updated> date ${JSON.stringify(updatedRaw)}`);
  const authorsNode = m.authors;
  const authors = arr(isNode(authorsNode) ? authorsNode.author : undefined).flatMap((a) => {
    if (!isNode(a)) return [];
    const name = [a.forenames, a.keyname, a.suffix].map((p) => collapseWhitespace(text(p))).filter(Boolean).join(' ');
    const affiliations = arr(a.affiliation).map((x) => collapseWhitespace(text(x))).filter(Boolean);
    return name ? [{ name, affiliation: affiliations.length ? affiliations.join('; ') : null }] : [];
  });
  return finish(common, { version: null, authors, publishedAt, updatedAt });
}

/** The `arXivRaw` format: every version with its date, authors as arXiv's one string. */
function mapArxivRaw(m: Node, where: string): { record: ArxivRecord; license: string | null } | RecordProblem {
  const common = commonFields(m, where);
  if (common instanceof RecordProblem) return common;
  const versions: { number: number; date: string }[] = [];
  for (const v of arr(m.version)) {
    const label = attr(v, 'version');
    const match = /^v(\d+)$/.exec(label.trim());
    const date = isoDate(text(isNode(v) ? v.date : undefined));
    if (!match || !date) return new RecordProblem(where, `${common.id}: bad version ${JSON.stringify(label)}`);
    versions.push({ number: Number(match[1]), date });
  }
  if (versions.length === 0) return new RecordProblem(where, `${common.id}: no versions`);
  versions.sort((a, b) => a.number - b.number);
  const first = versions[0]!;
  const last = versions[versions.length - 1]!;
  return finish(common, {
    version: last.number,
    authors: splitAuthors(text(m.authors)),
    publishedAt: first.date,
    updatedAt: last.date,
  });
}

interface Common {
  id: string;
  title: string;
  abstract: string;
  categories: string[];
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  license: string | null;
}

function commonFields(m: Node, where: string): Common | RecordProblem {
  const rawId = collapseWhitespace(text(m.id));
  const parsed = parseArxivId(rawId);
  if (!parsed) return new RecordProblem(where, `not an arXiv id: ${JSON.stringify(rawId)}`);
  const title = collapseWhitespace(text(m.title));
  if (!title) return new RecordProblem(where, `${parsed.id}: no title`);
  return {
    id: parsed.id,
    title,
    abstract: collapseWhitespace(text(m.abstract)),
    categories: [...new Set(collapseWhitespace(text(m.categories)).split(' ').filter(Boolean))],
    comment: optional(m.comments),
    journalRef: optional(m['journal-ref']),
    doi: optional(m.doi),
    license: optional(m.license),
  };
}

function finish(
  c: Common,
  rest: Pick<ArxivRecord, 'version' | 'authors' | 'publishedAt' | 'updatedAt'>,
): { record: ArxivRecord; license: string | null } {
  return {
    record: {
      id: c.id,
      version: rest.version,
      title: c.title,
      abstract: c.abstract,
      authors: rest.authors,
      categories: c.categories,
      primaryCategory: c.categories[0] ?? null,
      publishedAt: rest.publishedAt,
      updatedAt: rest.updatedAt,
      comment: c.comment,
      journalRef: c.journalRef,
      doi: c.doi,
      pdfUrl: `https://arxiv.org/pdf/${c.id}`,
      withdrawnAt: c.comment !== null && WITHDRAWN.test(c.comment) ? (rest.updatedAt ?? rest.publishedAt) : null,
    },
    license: c.license,
  };
}


// --- small readers over fast-xml-parser's output ---

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return text(v[0]);
  if (isNode(v)) return text(v['#text'] ?? '');
  return '';
}

function attr(v: unknown, name: string): string {
  if (Array.isArray(v)) return attr(v[0], name);
  const a = isNode(v) ? v[`@_${name}`] : undefined;
  return typeof a === 'string' ? a : '';
}

function num(s: string): number | null {
  return s !== '' && Number.isFinite(Number(s)) ? Number(s) : null;
}

function optional(v: unknown): string | null {
  const t = collapseWhitespace(text(v));
  return t === '' ? null : t;
}

/** `2014-12-29` (a day, taken as UTC midnight) or an RFC 2822 / ISO date, as ISO-8601 UTC. */
function isoDate(s: string): string | null {
  const t = s.trim();
  if (!t) return null;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(t) ? Date.parse(`${t}T00:00:00Z`) : Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

// --- fetching ---

/**
 * Recognises a 200 answer that is not a usable OAI-PMH response: arXiv's plain
 * `Rate exceeded.`, an HTML page, or a response cut short. The fetcher retries these.
 */
export function oaiBodyError(body: string): string | null {
  const trimmed = body.replace(/^\uFEFF/, '').trim();
  if (/^rate exceeded/i.test(trimmed)) return 'rate exceeded';
  if (!trimmed.startsWith('<')) return `not XML: ${JSON.stringify(trimmed.slice(0, 80))}`;
  if (!/<OAI-PMH[\s>]/.test(trimmed)) return 'not an OAI-PMH response';
  if (!/<\/OAI-PMH>$/.test(trimmed)) return 'truncated response (no closing </OAI-PMH>)';
  return null;
}

/** The fetcher for arXiv's OAI-PMH endpoint, on the configured terms. */
export function oaiFetcher(db: Db, config: Config, log: Logger, overrides: Partial<PoliteFetchOptions> = {}): PoliteFetcher {
  return configuredArxivFetcher(db, config, log, oaiBodyError, overrides);
}

function oaiUrl(baseUrl: string, params: Record<string, string | null | undefined>): string {
  const url = new URL(baseUrl);
  for (const [k, v] of Object.entries(params)) if (v) url.searchParams.set(k, v);
  return url.href;
}

/** `verb=Identify`. */
export async function identify(fetcher: PoliteFetcher, baseUrl: string): Promise<OaiIdentify> {
  return parseIdentify(await fetcher.get(oaiUrl(baseUrl, { verb: 'Identify' })));
}

/** `verb=GetRecord` for one arXiv id; null when the record is deleted. */
export async function getRecord(fetcher: PoliteFetcher, baseUrl: string, id: string, metadataPrefix: OaiPrefix = 'arXiv'): Promise<OaiEntry | null> {
  const parsed = parseArxivId(id);
  if (!parsed) throw new Error(`oai: not an arXiv id: ${JSON.stringify(id)}`);
  const page = parseOaiPage(await fetcher.get(oaiUrl(baseUrl, { verb: 'GetRecord', identifier: `oai:arXiv.org:${parsed.id}`, metadataPrefix })));
  return page.entries[0] ?? null;
}

// --- harvesting ---

export interface HarvestOptions {
  db: Db;
  fetcher: PoliteFetcher;
  baseUrl: string;
  /** OAI set, e.g. `cs` or `physics:hep-ex`; empty for the whole repository. */
  set?: string | null;
  metadataPrefix: OaiPrefix;
  /** `YYYY-MM-DD`; without it, the day of the last datestamp a previous harvest of the same key saw. */
  from?: string | null;
  /** Where a harvest of a key never harvested before starts, when `from` is not given. */
  firstFrom?: string | null;
  until?: string | null;
  log: Logger;
  /** Called after each page is stored. */
  onPage?: (p: { pages: number; summary: HarvestSummary; resumption: OaiResumption | null }) => void;
}

export interface HarvestSummary extends ImportSummary {
  pages: number;
  deleted: number;
  /** The `from` the list was asked with (null: from the beginning). */
  from: string | null;
  /** Whether this run continued an interrupted harvest from its stored token. */
  resumed: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The checkpoint key of a harvest. */
export function harvestKey(baseUrl: string, metadataPrefix: string, set: string | null | undefined): string {
  return `${baseUrl}|${metadataPrefix}|${set ?? ''}`;
}

/**
 * Harvests `ListRecords` page by page. Each page is stored in one transaction
 * together with the checkpoint (`harvest_state`): its records, and the
 * resumption token for the next page. An interrupted harvest therefore resumes
 * from the page after the last one stored; a completed one clears the token and
 * keeps the last datestamp, from which the next run continues incrementally.
 */
export async function harvestOai(opts: HarvestOptions): Promise<HarvestSummary> {
  const { db, fetcher, baseUrl, metadataPrefix, log } = opts;
  const set = opts.set || null;
  for (const [name, value] of [['from', opts.from], ['until', opts.until]] as const) {
    if (value && !DAY.test(value)) throw new Error(`oai: --${name} must be a day as YYYY-MM-DD, not ${JSON.stringify(value)}`);
  }
  if (!OAI_PREFIXES.includes(metadataPrefix)) throw new Error(`oai: unsupported metadata prefix ${JSON.stringify(metadataPrefix)} (arXiv or arXivRaw)`);
  const key = harvestKey(baseUrl, metadataPrefix, set);
  const state = await db.kysely.selectFrom('harvest_state').selectAll().where('key', '=', key).executeTakeFirst();

  let fromDate: string | null;
  let untilDate: string | null = opts.until || null;
  let token: string | null = null;
  const sameWindow = (!opts.from || opts.from === state?.from_date) && (!opts.until || opts.until === state?.until_date);
  if (state?.resumption_token && !state.completed_at && sameWindow) {
    token = state.resumption_token;
    fromDate = state.from_date;
    untilDate = state.until_date;
    log.info({ key, token }, 'oai: resuming an interrupted harvest');
  } else {
    fromDate = opts.from || (state?.last_datestamp ? state.last_datestamp.slice(0, 10) : (opts.firstFrom ?? null));
  }

  const summary: HarvestSummary = { ...emptySummary(), pages: 0, deleted: 0, from: fromDate, resumed: token !== null };
  const firstUrl = () => oaiUrl(baseUrl, { verb: 'ListRecords', metadataPrefix, set, from: fromDate, until: untilDate });
  let url = token ? oaiUrl(baseUrl, { verb: 'ListRecords', resumptionToken: token }) : firstUrl();
  for (;;) {
    let page: OaiPage;
    try {
      page = parseOaiPage(await fetcher.get(url));
    } catch (err) {
      // arXiv's tokens expire; an interrupted harvest starts its list again (storing is idempotent).
      if (token && summary.pages === 0 && /^oai: badResumptionToken/.test((err as Error).message)) {
        log.warn({ key, token }, 'oai: the stored resumption token expired; starting the list again');
        token = null;
        summary.resumed = false;
        url = firstUrl();
        continue;
      }
      throw err;
    }
    const next = page.resumption?.token ?? null;
    const now = new Date().toISOString();
    // The page's records and the checkpoint that moves past them commit together.
    const outcomes = await writeContent(db.kysely, async (trx) => {
      const out = page.records.length ? await saveArxivRecords(trx, page.records, now) : [];
      const stored = await trx.selectFrom('harvest_state').select('last_datestamp').where('key', '=', key).executeTakeFirst();
      const last = [stored?.last_datestamp ?? null, page.maxDatestamp].filter((d): d is string => Boolean(d)).sort().at(-1) ?? null;
      const row = {
        resumption_token: next,
        from_date: fromDate,
        until_date: untilDate,
        last_datestamp: last,
        completed_at: next ? null : now,
        updated_at: now,
      };
      await trx
        .insertInto('harvest_state')
        .values({ key, ...row })
        .onConflict((oc) => oc.column('key').doUpdateSet(row))
        .execute();
      return out;
    }, anyChanged);
    summary.pages++;
    summary.deleted += page.deleted;
    for (const o of outcomes) count(summary, 'arxiv-oai', o);
    for (const p of page.problems) reject(summary, 'arxiv-oai', `page ${summary.pages} ${p.position}`, p.reason);
    log.info({ key, page: summary.pages, records: page.records.length, deleted: page.deleted, resumption: page.resumption }, 'oai: page stored');
    opts.onPage?.({ pages: summary.pages, summary, resumption: page.resumption });
    if (!next) return summary;
    token = next;
    url = oaiUrl(baseUrl, { verb: 'ListRecords', resumptionToken: next });
  }
}
