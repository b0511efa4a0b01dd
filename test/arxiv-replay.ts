/**
 * Test support for the arXiv API: a local server that replays recorded arXiv
 * responses (and scripted faults), and an independent reading of the recorded
 * XML to compare the database against.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Db } from '../src/db/database.ts';
import { FIXTURES, HF_JUNE } from './helpers.ts';
import { importHfItems } from '../src/ingest/hf-import.ts';

export const ARXIV_FIXTURES = path.join(FIXTURES, 'arxiv-api');

export function readFixture(name: string): string {
  return fs.readFileSync(path.join(ARXIV_FIXTURES, name), 'utf8');
}

/** A canned answer. `delayMs` holds the answer back; `headers` are sent as given. */
export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Sends the headers and this many bytes of the body, then resets the connection. */
  resetAfterBytes?: number;
}

export interface SeenRequest {
  at: number;
  url: URL;
  userAgent: string | undefined;
}

/**
 * Serves arXiv API requests on 127.0.0.1: first whatever is queued in `script`
 * (one reply per request), then the recording that matches the query — by
 * `id_list` when there is one, else by `start` and `max_results`.
 */
export class ReplayServer {
  readonly requests: SeenRequest[] = [];
  readonly script: Reply[] = [];
  readonly routes = new Map<string, Reply>();
  /** Answers what neither the script nor a route does (e.g. any `id_list`, from `recordedIdList`). */
  fallback?: (url: URL) => Reply | undefined;
  private server = http.createServer((req, res) => this.handle(req, res));
  private timers = new Set<NodeJS.Timeout>();
  url = '';

  static key(url: URL): string {
    const ids = url.searchParams.get('id_list');
    return ids ? `id_list=${ids}` : `start=${url.searchParams.get('start')}&max_results=${url.searchParams.get('max_results')}`;
  }

  /** Adds every `*.recorded.json` in the fixtures, with its recorded status. */
  loadRecordings(): this {
    for (const file of fs.readdirSync(ARXIV_FIXTURES).filter((f) => f.endsWith('.recorded.json'))) {
      const rec = JSON.parse(fs.readFileSync(path.join(ARXIV_FIXTURES, file), 'utf8')) as { url: string; status_code: number; body: string };
      this.routes.set(ReplayServer.key(new URL(rec.url)), { status: rec.status_code, body: rec.body, headers: { 'Content-Type': 'application/atom+xml; charset=utf-8' } });
    }
    return this;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/query`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.requests.push({ at: Date.now(), url, userAgent: req.headers['user-agent'] });
    const reply = this.script.shift() ??
      this.routes.get(ReplayServer.key(url)) ??
      this.fallback?.(url) ?? { status: 404, body: `no recording for ${ReplayServer.key(url)}` };
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(reply.status, reply.headers ?? { 'Content-Type': 'application/atom+xml; charset=utf-8' });
      if (reply.resetAfterBytes !== undefined) {
        // Chunked, so the client cannot know the body is short until the connection dies.
        res.write(reply.body.slice(0, reply.resetAfterBytes), () => res.socket?.resetAndDestroy());
        return;
      }
      res.end(reply.body);
    };
    if (!reply.delayMs) return send();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, reply.delayMs);
    this.timers.add(timer);
  }
}

/** Every entry of the recorded current-format answers, verbatim, by arXiv id (without version). */
export function recordedEntries(): Map<string, string> {
  const entries = new Map<string, string>();
  for (const file of fs.readdirSync(ARXIV_FIXTURES).filter((f) => f.endsWith('.xml') && !f.startsWith('arxivpy_2016'))) {
    for (const m of readFixture(file).matchAll(/ {2}<entry>[\s\S]*?<\/entry>\n/g)) {
      const id = /<id>https?:\/\/arxiv\.org\/abs\/(.+?)v\d+<\/id>/.exec(m[0]);
      if (id) entries.set(id[1]!, m[0]);
    }
  }
  return entries;
}

/**
 * arXiv's answer to an `id_list` request, made of the recorded entries: those of the ids it
 * knows, in the order asked, the others left out without a word (as arXiv does), inside the
 * head of a recorded `id_list` answer.
 */
export function recordedIdList(entries: Map<string, string>, url: URL): Reply | undefined {
  const ids = url.searchParams.get('id_list')?.split(',');
  if (!ids) return undefined;
  const found = ids.flatMap((id) => (entries.has(id) ? [entries.get(id)!] : []));
  const recorded = readFixture('arxivpy_idlist_two.xml');
  const head = recorded
    .slice(0, recorded.indexOf('  <entry>'))
    .replace(/<opensearch:totalResults>\d+</, `<opensearch:totalResults>${found.length}<`);
  return { status: 200, body: `${head}${found.join('')}</feed>\n`, headers: { 'Content-Type': 'application/atom+xml; charset=utf-8' } };
}

/** A small, valid feed in the current format, for tests that need no recording. */
export function syntheticFeed(ids: string[], opts: { totalResults?: number; published?: string } = {}): string {
  const entries = ids
    .map(
      (id) => `
  <entry>
    <id>http://arxiv.org/abs/${id}v1</id>
    <title>Paper ${id}</title>
    <updated>2026-01-02T00:00:00Z</updated>
    <link href="https://arxiv.org/pdf/${id}v1" rel="related" type="application/pdf" title="pdf"/>
    <summary>Abstract of ${id}.</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <published>${opts.published ?? '2026-01-02T00:00:00Z'}</published>
    <arxiv:primary_category term="cs.LG"/>
    <author><name>Ada Lovelace</name></author>
  </entry>`,
    )
    .join('');
  return `<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/synthetic</id>
  <title>arXiv Query</title>
  <updated>2026-01-02T00:00:00Z</updated>
  <opensearch:itemsPerPage>${ids.length}</opensearch:itemsPerPage>
  <opensearch:totalResults>${opts.totalResults ?? ids.length}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>${entries}
</feed>
`;
}

/** What a paper looks like in the database, in the shape `expectedFromXml` gives. */
export interface StoredPaper {
  id: string;
  version: number | null;
  title: string;
  abstract: string;
  authors: [string, string | null][];
  /** Sorted: the database keeps no order. */
  categories: string[];
  primaryCategory: string | null;
  publishedAt: string;
  updatedAt: string | null;
  comment: string | null;
  journalRef: string | null;
  doi: string | null;
  pdfUrl: string | null;
  withdrawnAt: string | null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? all),
  );
const squash = (s: string) => decode(s).replace(/\s+/g, ' ').trim();
const iso = (s: string) => new Date(s.trim()).toISOString();

function element(block: string, tag: string): string | null {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(block);
  return m ? squash(m[1]!) : null;
}

function elements(block: string, tag: string): string[] {
  return [...block.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!);
}

/**
 * The papers in a recorded arXiv response, read straight from the XML text with
 * regular expressions (deliberately not through the code under test).
 */
export function expectedFromXml(xml: string): StoredPaper[] {
  return elements(xml, 'entry').map((entry) => {
    const idUrl = element(entry, 'id')!;
    const m = /\/abs\/(.+)v(\d+)$/.exec(idUrl)!;
    const primary = /<arxiv:primary_category\b[^>]*\bterm="([^"]+)"/.exec(entry)![1]!;
    const categories = [...entry.matchAll(/<category\b[^>]*\bterm="([^"]+)"/g)].map((c) => c[1]!);
    const pdf = /<link\b(?=[^>]*\btitle="pdf")[^>]*\bhref="([^"]+)"/.exec(entry);
    const comment = element(entry, 'arxiv:comment');
    const updatedAt = iso(element(entry, 'updated')!);
    return {
      id: m[1]!,
      version: Number(m[2]),
      title: element(entry, 'title')!,
      abstract: element(entry, 'summary')!,
      authors: elements(entry, 'author').map((a): [string, string | null] => {
        const affs = elements(a, 'arxiv:affiliation').map(squash);
        return [element(a, 'name')!, affs.length ? affs.join('; ') : null];
      }),
      categories: [...new Set([primary, ...categories])].sort(),
      primaryCategory: primary,
      publishedAt: iso(element(entry, 'published')!),
      updatedAt,
      comment,
      journalRef: element(entry, 'arxiv:journal_ref'),
      doi: element(entry, 'arxiv:doi'),
      pdfUrl: pdf ? decode(pdf[1]!).replace(/^http:/, 'https:') : null,
      withdrawnAt: comment?.startsWith('This paper has been withdrawn') ? updatedAt : null,
    };
  });
}

/** The stored papers with these ids, in the given order, read from every table they live in. */
export async function storedPapers(db: Db, ids: string[]): Promise<StoredPaper[]> {
  if (ids.length === 0) return [];
  const rows = await db.kysely.selectFrom('papers').selectAll().where('id', 'in', ids).execute();
  const authors = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', 'in', ids).orderBy('paper_id').orderBy('position').execute();
  const cats = await db.kysely.selectFrom('paper_categories').selectAll().where('paper_id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = byId.get(id);
    if (!r) throw new Error(`paper ${id} is not in the database`);
    return {
      id: r.id,
      version: r.version === null ? null : Number(r.version),
      title: r.title,
      abstract: r.abstract,
      authors: authors.filter((a) => a.paper_id === id).map((a): [string, string | null] => [a.name, a.affiliation]),
      categories: cats
        .filter((c) => c.paper_id === id)
        .map((c) => c.category)
        .sort(),
      primaryCategory: r.primary_category,
      publishedAt: r.published_at,
      updatedAt: r.updated_at,
      comment: r.comment,
      journalRef: r.journal_ref,
      doi: r.doi,
      pdfUrl: r.pdf_url,
      withdrawnAt: r.withdrawn_at,
    };
  });
}

/**
 * Papers as the Hugging Face import stores them (no categories, no comment, journal reference
 * or DOI): real items of the June 2026 archive, each put under one of `ids` (the recorded
 * arXiv answers' ids), imported through the HF importer. Returns the ids in the order given.
 */
export async function importHfPapersAs(db: Db, ids: string[]): Promise<string[]> {
  let next = 0;
  for (const file of fs.readdirSync(HF_JUNE).sort()) {
    if (next >= ids.length) break;
    const items = (JSON.parse(fs.readFileSync(path.join(HF_JUNE, file), 'utf8')) as { paper: { id: string } }[]).slice(0, ids.length - next);
    for (const item of items) item.paper.id = ids[next++]!;
    const summary = await importHfItems(db, items, file.replace(/\.json$/, ''), file);
    if (summary.rejected > 0) throw new Error(`importHfPapersAs: ${JSON.stringify(summary.problems)}`);
  }
  if (next < ids.length) throw new Error(`importHfPapersAs: only ${next} items in ${HF_JUNE}`);
  return ids;
}
