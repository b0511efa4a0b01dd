import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, freshDatabaseUrl, freshDb, hasFixtures } from '../../test/helpers.ts';
import { connectDatabase, type Db } from '../db/database.ts';
import { silentLogger } from '../core/log.ts';
import { importArxivRecords } from './arxiv-import.ts';
import { getRecord, harvestKey, harvestOai, identify, oaiBodyError, parseOaiPage, type OaiPrefix } from './arxiv-oai.ts';
import { PoliteFetcher } from './polite-fetch.ts';

const REAL = path.join(FIXTURES, 'oai-pmh');
const OURS = path.resolve(import.meta.dirname, '../../test/fixtures/oai-pmh');
const BIN = path.resolve(import.meta.dirname, '../../bin/dailypapers.js');
const real = (name: string) => fs.readFileSync(path.join(REAL, name), 'utf8');
const page = (n: number) => fs.readFileSync(path.join(OURS, `arXivRaw-cs-page${n}.xml`), 'utf8');

// --- a local OAI-PMH endpoint replaying files ---

type Handler = (url: URL, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function oaiServer(handler: Handler) {
  const requests: URL[] = [];
  const state = { handler };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url);
    state.handler(url, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}/oai2`, requests, setHandler: (h: Handler) => (state.handler = h) };
}

function send(res: http.ServerResponse, body: string, status = 200, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', ...headers });
  res.end(body);
}

const fetcher = () =>
  new PoliteFetcher({ minIntervalMs: 1, maxRetries: 3, timeoutMs: 10_000, userAgent: 'dailypapers-test', log: silentLogger, isError: oaiBodyError, backoffBaseMs: 5 });

function harvest(db: Db, base: string, metadataPrefix: OaiPrefix, set: string | null, from?: string) {
  return harvestOai({ db, fetcher: fetcher(), baseUrl: base, set, metadataPrefix, from, log: silentLogger });
}

/** Serves the project-made 3-page arXivRaw harvest: page 2 and 3 for their tokens. */
const threePages: Handler = (url, res) => {
  const token = url.searchParams.get('resumptionToken');
  if (token === '7000001|3') return send(res, page(2));
  if (token === '7000001|5') return send(res, page(3));
  if (url.searchParams.get('verb') === 'ListRecords' && url.searchParams.get('metadataPrefix') === 'arXivRaw') return send(res, page(1));
  send(res, oaiError('badArgument', 'unexpected request'));
};

const oaiError = (code: string, text: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-20T10:00:00Z</responseDate>` +
  `<request verb="ListRecords">http://export.arxiv.org/oai2</request><error code="${code}">${text}</error></OAI-PMH>\n`;

// --- what the XML says, read independently of the parser under test ---

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
const decode = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
function tag(block: string, name: string): string | null {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(block);
  return m ? collapse(decode(m[1]!)) : null;
}
const day = (d: string) => `${d}T00:00:00.000Z`;

/** Each `<arXiv>` metadata block of a file as the database should hold it. */
function expectedArxivRecords(xml: string) {
  return [...xml.matchAll(/<arXiv[\s>][\s\S]*?<\/arXiv>/g)].map(([block]) => {
    const categories = tag(block, 'categories')!.split(' ');
    const created = tag(block, 'created')!;
    return {
      paper: {
        id: tag(block, 'id')!,
        version: null,
        title: tag(block, 'title')!,
        abstract: tag(block, 'abstract')!,
        primary_category: categories[0],
        published_at: day(created),
        updated_at: day(tag(block, 'updated') ?? created),
        comment: tag(block, 'comments'),
        journal_ref: tag(block, 'journal-ref'),
        doi: tag(block, 'doi'),
        pdf_url: `https://arxiv.org/pdf/${tag(block, 'id')}`,
        withdrawn_at: null,
      },
      license: tag(block, 'license'),
      categories: [...categories].sort(),
      authors: [...block.matchAll(/<author>([\s\S]*?)<\/author>/g)].map(([, a]) => ({
        name: [tag(a!, 'forenames'), tag(a!, 'keyname'), tag(a!, 'suffix')].filter(Boolean).join(' '),
        affiliation: tag(a!, 'affiliation'),
      })),
    };
  });
}

async function expectStored(db: Db, expected: ReturnType<typeof expectedArxivRecords>) {
  for (const e of expected) {
    const paper = await db.kysely.selectFrom('papers').selectAll().where('id', '=', e.paper.id).executeTakeFirstOrThrow();
    expect(paper).toMatchObject(e.paper);
    const authors = await db.kysely.selectFrom('paper_authors').select(['name', 'affiliation']).where('paper_id', '=', e.paper.id).orderBy('position').execute();
    expect(authors).toEqual(e.authors);
    const cats = await db.kysely.selectFrom('paper_categories').select('category').where('paper_id', '=', e.paper.id).execute();
    expect(cats.map((c) => c.category).sort()).toEqual(e.categories);
  }
}

// --- the real arXiv responses ---

describe.skipIf(!hasFixtures)('OAI-PMH against real arXiv responses', () => {
  const LIST_FILES = [
    ['paperhive_arxiv_ListRecords_arXiv_2015-01-01_2015-01-03.xml', null],
    ['hepcrawl_arxiv_ListRecords_arXiv_set-physics-hep-ex_from-2017-12-14.xml', 'physics:hep-ex'],
  ] as const;
  const GET_FILES = [
    ['paperhive_arxiv_GetRecord_arXiv_1412.8544.xml', '1412.8544'],
    ['hepcrawl_arxiv_GetRecord_arXiv_1601.03238.xml', '1601.03238'],
    ['hepcrawl_arxiv_GetRecord_arXiv_1603.05976.xml', '1603.05976'],
  ] as const;

  it('stores every field of every arXiv-format record (ListRecords and GetRecord) as the XML has it', async () => {
    const db = await freshDb();
    try {
      let total = 0;
      for (const [file, set] of LIST_FILES) {
        const { base, requests } = await oaiServer((_url, res) => send(res, real(file)));
        const summary = await harvest(db, base, 'arXiv', set, '2015-01-01');
        const expected = expectedArxivRecords(real(file));
        total += expected.length;
        expect(summary).toMatchObject({ new: expected.length, rejected: 0, pages: 1, deleted: 0 });
        expect(Object.fromEntries(requests[0]!.searchParams)).toEqual({ verb: 'ListRecords', metadataPrefix: 'arXiv', from: '2015-01-01', ...(set ? { set } : {}) });
        await expectStored(db, expected);
        for (const e of expected) {
          const { license } = await db.kysely.selectFrom('papers').select('license').where('id', '=', e.paper.id).executeTakeFirstOrThrow();
          expect(license, e.paper.id).toBe(e.license);
        }
      }
      for (const [file, id] of GET_FILES) {
        const { base, requests } = await oaiServer((_url, res) => send(res, real(file)));
        const entry = await getRecord(fetcher(), base, id);
        expect(Object.fromEntries(requests[0]!.searchParams)).toEqual({ verb: 'GetRecord', identifier: `oai:arXiv.org:${id}`, metadataPrefix: 'arXiv' });
        expect(entry?.header).toMatchObject({ identifier: `oai:arXiv.org:${id}`, datestamp: tag(real(file), 'datestamp') });
        await importArxivRecords(db, [entry!.record!], 'arxiv-oai');
        await expectStored(db, expectedArxivRecords(real(file)));
      }
      const count = await db.kysely.selectFrom('papers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(total + GET_FILES.length - 1); // 1412.8544 is in a list and a GetRecord
      // Spot checks that the independent reading above is itself right.
      const bicep = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '1603.05976').orderBy('position').execute();
      expect(bicep.find((a) => a.name === 'R. W. IV')).toBeDefined();
      const westerbaan = await db.kysely.selectFrom('paper_authors').selectAll().where('paper_id', '=', '1412.8544').orderBy('position').execute();
      expect(westerbaan[1]).toMatchObject({ name: 'Bas Westerbaan', affiliation: 'Radboud Universiteit' });
      const hep = await db.kysely.selectFrom('papers').selectAll().where('id', '=', 'hep-th/9504118').executeTakeFirstOrThrow();
      expect(hep.abstract).toContain('the "strength" of the bonds');
    } finally {
      await db.close();
    }
  });

  it('reads Identify', async () => {
    const { base, requests } = await oaiServer((_url, res) => send(res, real('paperhive_arxiv_Identify.xml')));
    expect(await identify(fetcher(), base)).toMatchObject({
      repositoryName: 'arXiv',
      baseUrl: 'http://export.arxiv.org/oai2',
      earliestDatestamp: '2007-05-23',
      granularity: 'YYYY-MM-DD',
      deletedRecord: 'persistent',
    });
    expect(requests[0]!.searchParams.get('verb')).toBe('Identify');
  });

  it("retries arXiv's real 503 after its Retry-After", async () => {
    const db = await freshDb();
    try {
      let calls = 0;
      const { base, requests } = await oaiServer((_url, res) => {
        if (calls++ === 0) {
          res.writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': '1' });
          return res.end(real('paperhive_arxiv_503_retry_after.html'));
        }
        send(res, real('paperhive_arxiv_ListRecords_arXiv_2015-01-01_2015-01-03.xml'));
      });
      const started = Date.now();
      const summary = await harvest(db, base, 'arXiv', null, '2015-01-01');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(requests).toHaveLength(2);
      expect(requests[1]!.href).toBe(requests[0]!.href);
      expect(summary).toMatchObject({ new: 2, pages: 1 });
    } finally {
      await db.close();
    }
  });

  it('reads real resumption tokens: a text token with cursor and size, and a self-closing last one', () => {
    const first = parseOaiPage(real('atomiklabs_arxiv_ListRecords_oai_dc_set-cs_from-2024-01-25_trimmed_with_resumptionToken.xml'));
    expect(first.resumption).toEqual({ token: '6960524|1001', cursor: 0, completeListSize: 1162 });
    // oai_dc is not mapped: each record is a problem, not a silent drop.
    expect(first.problems).toHaveLength(5);
    const p1 = parseOaiPage(real('paperhive_NON-ARXIV_gulbenkian_ListIdentifiers_oai_dc_page1.xml'));
    expect(p1.resumption).toEqual({ token: 'oai_dc/2016-01-01T00:00:00Z/2017-01-01T00:00:00Z//100', cursor: 0, completeListSize: 154 });
    expect(p1.entries).toHaveLength(100);
    const p2 = parseOaiPage(real('paperhive_NON-ARXIV_gulbenkian_ListIdentifiers_oai_dc_page2_last_selfclosing_token.xml'));
    expect(p2.resumption).toEqual({ token: null, cursor: 1, completeListSize: 154 });
    const ids = parseOaiPage(real('paperhive_arxiv_ListIdentifiers_arXiv_2009-01-01_2009-01-02.xml'));
    expect(ids.entries).toHaveLength(86);
    expect(ids.entries.every((e) => /^\d{4}-\d{2}-\d{2}$/.test(e.header.datestamp))).toBe(true);
  });
});

// --- paging, checkpoints and failures, on the project-made arXivRaw pages ---

describe('OAI-PMH harvest', () => {
  it('pages through resumption tokens, stores every page, and leaves a completed checkpoint', async () => {
    const db = await freshDb();
    try {
      const { base, requests } = await oaiServer(threePages);
      const summary = await harvest(db, base, 'arXivRaw', 'cs', '2024-01-01');
      expect(summary).toMatchObject({ new: 4, updated: 1, unchanged: 0, rejected: 0, pages: 3, deleted: 1, resumed: false });
      expect(requests.map((u) => Object.fromEntries(u.searchParams))).toEqual([
        { verb: 'ListRecords', metadataPrefix: 'arXivRaw', set: 'cs', from: '2024-01-01' },
        { verb: 'ListRecords', resumptionToken: '7000001|3' },
        { verb: 'ListRecords', resumptionToken: '7000001|5' },
      ]);
      const papers = await db.kysely.selectFrom('papers').selectAll().orderBy('id').execute();
      expect(papers.map((p) => p.id)).toEqual(['2401.00001', '2401.00003', '2401.00004', 'cs/0101001']);
      expect(papers[0]).toMatchObject({
        version: 2,
        title: 'A Made-Up Study of Paging in Harvesters (revised)',
        abstract: 'We page through lists. Tokens $x < y$ resume, revised.',
        primary_category: 'cs.DL',
        published_at: '2024-01-01T18:00:01.000Z',
        updated_at: '2024-01-05T08:15:00.000Z',
        comment: '13 pages, 3 figures; v2 revised',
        pdf_url: 'https://arxiv.org/pdf/2401.00001',
        withdrawn_at: null,
      });
      expect(papers[2]).toMatchObject({ withdrawn_at: '2024-01-07T12:00:00.000Z', version: 2 });
      expect(papers[3]).toMatchObject({
        version: 2,
        published_at: '2001-01-02T10:00:00.000Z',
        updated_at: '2024-01-03T11:30:00.000Z',
        journal_ref: 'J. Testing 1 (2001) 1-2',
        doi: '10.0000/test.1',
        primary_category: 'cs.LG',
      });
      const authors = await db.kysely.selectFrom('paper_authors').select(['name', 'affiliation']).where('paper_id', '=', '2401.00001').orderBy('position').execute();
      expect(authors).toEqual([
        { name: 'Ada One', affiliation: null },
        { name: 'Bob Two', affiliation: 'Example University' },
        { name: 'Cy Three', affiliation: null },
        { name: 'Dee Four', affiliation: null },
      ]);
      const cats = await db.kysely.selectFrom('paper_categories').select('category').where('paper_id', '=', '2401.00001').orderBy('category').execute();
      expect(cats.map((c) => c.category)).toEqual(['cs.DL', 'cs.IR', 'cs.LG']);
      const state = await db.kysely.selectFrom('harvest_state').selectAll().executeTakeFirstOrThrow();
      expect(state).toMatchObject({
        key: harvestKey(base, 'arXivRaw', 'cs'),
        resumption_token: null,
        from_date: '2024-01-01',
        until_date: null,
        last_datestamp: '2024-01-07',
      });
      expect(state.completed_at).toEqual(expect.any(String));
    } finally {
      await db.close();
    }
  });

  it('asks from the last datestamp on the next run without --from; noRecordsMatch is an empty, complete list', async () => {
    const db = await freshDb();
    try {
      const { base, requests, setHandler } = await oaiServer(threePages);
      await harvest(db, base, 'arXivRaw', 'cs', '2024-01-01');
      setHandler((_url, res) => send(res, oaiError('noRecordsMatch', 'The combination of the values of the from, until, set and metadataPrefix arguments results in an empty list.')));
      const again = await harvest(db, base, 'arXivRaw', 'cs');
      expect(Object.fromEntries(requests.at(-1)!.searchParams)).toEqual({ verb: 'ListRecords', metadataPrefix: 'arXivRaw', set: 'cs', from: '2024-01-07' });
      expect(again).toMatchObject({ new: 0, updated: 0, unchanged: 0, pages: 1, deleted: 0, from: '2024-01-07' });
      const state = await db.kysely.selectFrom('harvest_state').selectAll().executeTakeFirstOrThrow();
      expect(state).toMatchObject({ resumption_token: null, from_date: '2024-01-07', last_datestamp: '2024-01-07' });
    } finally {
      await db.close();
    }
  });

  it('throws other OAI errors as oai: <code>: <text>', async () => {
    const db = await freshDb();
    try {
      const { base } = await oaiServer((_url, res) => send(res, oaiError('badArgument', 'Illegal set value')));
      await expect(harvest(db, base, 'arXiv', 'nope', '2024-01-01')).rejects.toThrow('oai: badArgument: Illegal set value');
      expect(await db.kysely.selectFrom('harvest_state').selectAll().execute()).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('fails cleanly on malformed XML: nothing of that page stored, the checkpoint not advanced; the next run resumes', async () => {
    const db = await freshDb();
    try {
      const broken = page(2).replace('</title>', '');
      const { base, requests, setHandler } = await oaiServer((url, res) =>
        url.searchParams.get('resumptionToken') === '7000001|3' ? send(res, broken) : threePages(url, res),
      );
      await expect(harvest(db, base, 'arXivRaw', 'cs', '2024-01-01')).rejects.toThrow(/^oai: malformed XML/);
      const ids = (await db.kysely.selectFrom('papers').select(['id', 'version']).orderBy('id').execute()).map((p) => `${p.id}v${p.version}`);
      expect(ids).toEqual(['2401.00001v1', 'cs/0101001v2']);
      const state = await db.kysely.selectFrom('harvest_state').selectAll().executeTakeFirstOrThrow();
      expect(state).toMatchObject({ resumption_token: '7000001|3', completed_at: null, last_datestamp: '2024-01-03' });

      setHandler(threePages);
      const before = requests.length;
      const resumed = await harvest(db, base, 'arXivRaw', 'cs');
      expect(resumed).toMatchObject({ resumed: true, pages: 2, new: 2, updated: 1 });
      expect(requests[before]!.searchParams.get('resumptionToken')).toBe('7000001|3');
      expect(await db.kysely.selectFrom('harvest_state').selectAll().executeTakeFirstOrThrow()).toMatchObject({
        resumption_token: null,
        from_date: '2024-01-01',
        last_datestamp: '2024-01-07',
      });
    } finally {
      await db.close();
    }
  });

  it('survives SIGKILL between pages: the resumed harvest leaves the same database as an uninterrupted one', async () => {
    let stalled: http.ServerResponse | undefined;
    let onStall: () => void = () => {};
    const stall = new Promise<void>((resolve) => (onStall = resolve));
    let answerPage3 = false;
    const { base } = await oaiServer((url, res) => {
      if (url.searchParams.get('resumptionToken') === '7000001|5' && !answerPage3) {
        stalled = res; // never answered
        onStall();
        return;
      }
      threePages(url, res);
    });
    const args = ['ingest', 'oai', '--set', 'cs', '--from', '2024-01-01', '--prefix', 'arXivRaw'];

    const crashed = await freshDatabaseUrl();
    const child = startCli(args, crashed, base);
    await Promise.race([stall, exited(child).then((r) => Promise.reject(new Error(`the harvest ended early: ${JSON.stringify(r)}`)))]);
    // Page 2 is stored before page 3 is asked for.
    const mid = await dump(crashed);
    expect(mid.harvest_state).toEqual([
      { key: harvestKey(base, 'arXivRaw', 'cs'), resumption_token: '7000001|5', from_date: '2024-01-01', until_date: null, last_datestamp: '2024-01-05', completed: false },
    ]);
    expect(mid.papers.map((p) => p.id)).toEqual(['2401.00001', '2401.00003', 'cs/0101001']);
    const killed = exited(child);
    child.kill('SIGKILL');
    expect((await killed).signal).toBe('SIGKILL');
    stalled?.destroy();

    answerPage3 = true;
    const second = await exited(startCli(args, crashed, base));
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain('ingest: 1 new, 0 updated, 0 unchanged, 0 rejected (1 pages, 0 deleted)');

    const clean = await freshDatabaseUrl();
    const whole = await exited(startCli(args, clean, base));
    expect(whole.stdout).toContain('ingest: 4 new, 1 updated, 0 unchanged, 0 rejected (3 pages, 1 deleted)');

    const [a, b] = [await dump(crashed), await dump(clean)];
    expect(a.papers).toHaveLength(4);
    expect(a.harvest_state[0]).toMatchObject({ resumption_token: null, completed: true, last_datestamp: '2024-01-07' });
    expect(a).toEqual(b);
  });
});

function startCli(args: string[], databaseUrl: string, oaiUrl: string): ChildProcess {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    ARXIV_OAI_URL: oaiUrl,
    ARXIV_MIN_INTERVAL_MS: '0',
    ARXIV_MAX_RETRIES: '0',
    ARXIV_TIMEOUT_MS: '600000',
  };
  return spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** What a harvest leaves: papers, authors, categories, checkpoint; write timestamps left out. */
async function dump(url: string) {
  const db = await connectDatabase(url);
  try {
    const papers = (await db.kysely.selectFrom('papers').selectAll().orderBy('id').execute()).map(({ created_at: _c, modified_at: _m, ...rest }) => rest);
    const authors = await db.kysely.selectFrom('paper_authors').selectAll().orderBy('paper_id').orderBy('position').execute();
    const categories = await db.kysely.selectFrom('paper_categories').selectAll().orderBy('paper_id').orderBy('category').execute();
    const harvest_state = (await db.kysely.selectFrom('harvest_state').selectAll().orderBy('key').execute()).map(
      ({ updated_at: _u, completed_at, ...rest }) => ({ ...rest, completed: completed_at !== null }),
    );
    return { papers, authors, categories, harvest_state };
  } finally {
    await db.close();
  }
}
