import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { bumpContentVersion } from '../db/content-version.ts';
import { FIXTURES, emptyDatabaseUrl, freshDb, hasFixtures } from '../../test/helpers.ts';
import { cli } from '../../test/run-cli.ts';
import { bulkImportArxivRecords } from './arxiv-bulk.ts';
import { importArxivRecords } from './arxiv-import.ts';
import { parseSnapshotLine, readArxivSnapshot } from './arxiv-snapshot.ts';
import { searchPapers } from '../search/engine.ts';
import { splitAuthors, type ArxivRecord } from './arxiv-record.ts';
import type { ImportSummary } from './summary.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dailypapers-snapshot-'));
const ABS_RECORDS = path.join(FIXTURES, 'corpus/arxiv_browse_abs_records_with_abstracts.jsonl');

type Json = Record<string, any>;

function writeLines(name: string, lines: (Json | string)[], gzip = false): string {
  const file = path.join(tmp, name);
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  fs.writeFileSync(file, gzip ? gzipSync(text) : text);
  return file;
}

const importFile = (db: Db, file: string): Promise<ImportSummary> => bulkImportArxivRecords(db, readArxivSnapshot(file), 'snapshot');

async function paper(db: Db, id: string) {
  return db.kysely.selectFrom('papers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function authorsOf(db: Db, id: string): Promise<[string, string | null][]> {
  const rows = await db.kysely.selectFrom('paper_authors').select(['name', 'affiliation']).where('paper_id', '=', id).orderBy('position').execute();
  return rows.map((r) => [r.name, r.affiliation]);
}

async function categoriesOf(db: Db, id: string): Promise<string[]> {
  const rows = await db.kysely.selectFrom('paper_categories').select('category').where('paper_id', '=', id).orderBy('category').execute();
  return rows.map((r) => r.category);
}

/**
 * One of arXiv's own records (the `.abs`-derived corpus) in the snapshot's format:
 * categories as one string, `journal-ref`, versions with `created`, and
 * `authors_parsed` as `[last, first, suffix]`, except where the author line carries
 * affiliations in parentheses: those lines keep only `authors`, as the snapshot's
 * oldest records do, so the fallback is exercised on real author lines.
 */
function toSnapshot(r: Json): Json {
  const line: Json = {
    id: r.id,
    submitter: r.submitter ?? null,
    authors: r.authors,
    title: r.title,
    comments: r.comments ?? null,
    'journal-ref': r.journal_ref ?? null,
    doi: r.doi ?? null,
    'report-no': r.report_no ?? null,
    categories: (r.categories as string[]).join(' '),
    license: r.license ?? null,
    abstract: r.abstract,
    versions: (r.versions as Json[]).map((v) => ({ version: v.version, created: v.date })),
    update_date: '2020-01-01',
  };
  if (!(r.authors as string).includes('(')) {
    line.authors_parsed = (r.authors as string)
      .split(/,\s*|\s+and\s+/)
      .map((name) => name.trim().replace(/\s+/g, ' '))
      .filter(Boolean)
      .map((name) => {
        const cut = name.lastIndexOf(' ');
        return cut < 0 ? [name, '', ''] : [name.slice(cut + 1), name.slice(0, cut), ''];
      });
  }
  return line;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
const iso = (rfc: string) => new Date(rfc).toISOString();

// Needs ../shared/fixtures (1,130 real arXiv records with abstracts); skips itself where it is absent.
describe.skipIf(!hasFixtures)('importing an arXiv metadata snapshot built from real records', () => {
  let db: Db;
  let source: Json[];
  let plain: string;
  let gzipped: string;

  beforeAll(async () => {
    db = await freshDb();
    source = fs
      .readFileSync(ABS_RECORDS, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Json);
    const lines = source.map(toSnapshot);
    plain = writeLines('arxiv-metadata-snapshot.json', lines);
    gzipped = writeLines('arxiv-metadata-snapshot.json.gz', lines, true);
  });
  afterAll(() => db.close());

  it('imports every record of the gzipped copy, field for field', async () => {
    expect(await importFile(db, gzipped)).toMatchObject({ new: source.length, updated: 0, unchanged: 0, rejected: 0 });

    const stored = new Map((await db.kysely.selectFrom('papers').selectAll().execute()).map((p) => [p.id, p]));
    expect(stored.size).toBe(source.length);
    for (const r of source) {
      const p = stored.get(r.id)!;
      const last = r.versions[r.versions.length - 1];
      expect(p, r.id).toMatchObject({
        version: Number(last.version.slice(1)),
        title: collapse(r.title),
        abstract: collapse(r.abstract),
        primary_category: r.categories[0],
        published_at: iso(r.versions[0].date),
        updated_at: iso(last.date),
        comment: r.comments ? collapse(r.comments) : null,
        journal_ref: r.journal_ref ? collapse(r.journal_ref) : null,
        doi: r.doi ? collapse(r.doi) : null,
        pdf_url: `https://arxiv.org/pdf/${r.id}${last.version}`,
        license: r.license ?? null,
      });
    }
  });

  it('stores the details of a few known papers', async () => {
    expect(await paper(db, '0704.0001')).toMatchObject({
      version: 2,
      title: 'Calculation of prompt diphoton production cross sections at Tevatron and LHC energies',
      primary_category: 'hep-ph',
      published_at: '2007-04-02T19:18:42.000Z',
      updated_at: '2007-07-24T20:10:27.000Z',
      comment: '37 pages, 15 figures; published version',
      journal_ref: 'Phys.Rev.D76:013009,2007',
      doi: '10.1103/PhysRevD.76.013009',
      pdf_url: 'https://arxiv.org/pdf/0704.0001v2',
      withdrawn_at: null,
    });
    const abstract = (await paper(db, '0704.0001')).abstract;
    expect(abstract).toMatch(/^A fully differential calculation in perturbative quantum chromodynamics is presented for the production/);
    expect(abstract).not.toMatch(/\n|\s{2}/);
    // `authors_parsed` is [last, first, suffix]; names are stored first name first, in order.
    expect(await authorsOf(db, '0704.0001')).toEqual([
      ["C. Bal\\'azs", null],
      ['E. L. Berger', null],
      ['P. M. Nadolsky', null],
      ['C.-P. Yuan', null],
    ]);

    expect(await paper(db, '0704.0075')).toMatchObject({
      version: 3,
      primary_category: 'hep-ph',
      published_at: '2007-04-01T09:45:55.000Z',
      updated_at: '2007-04-20T16:20:10.000Z',
      comment: '13 pages, 9 figures, 9 tables. Some descriptions changed. Published version in PRD',
    });
    expect(await categoriesOf(db, '0704.0075')).toEqual(['hep-ex', 'hep-ph', 'nucl-ex']);
    expect((await authorsOf(db, '0704.0075')).map(([name]) => name)).toEqual([
      'Chong Chen',
      'Xiao-Lin Chen',
      'Xiang Liu',
      'Wei-Zhen Deng',
      'Shi-Lin Zhu',
    ]);

    // No `authors_parsed` on this line: the author line is split, its parenthesised affiliation kept.
    expect(await paper(db, 'acc-phys/9411002')).toMatchObject({
      title: 'Order $\\hbar$ Corrections to the Classical Dynamics of a Particle with Intrinsic Spin Moving in a Constant Magnetic Field',
      primary_category: 'acc-phys',
      pdf_url: 'https://arxiv.org/pdf/acc-phys/9411002v1',
    });
    expect(await authorsOf(db, 'acc-phys/9411002')).toEqual([['Patrick L. Nash', 'University of Texas at San Antonio']]);
    expect(await categoriesOf(db, 'acc-phys/9411002')).toEqual(['acc-phys', 'physics.acc-ph']);

    // Withdrawn by its latest version: "This paper has been withdrawn by the authors. …"
    expect(await paper(db, '0704.0156')).toMatchObject({ version: 2, withdrawn_at: '2008-03-05T04:28:27.000Z', updated_at: '2008-03-05T04:28:27.000Z' });
    expect(await paper(db, '0704.0213')).toMatchObject({ withdrawn_at: '2012-09-27T15:23:39.000Z' });
    // Every withdrawal arXiv marks (an empty latest version, `0kb,I`) whose comments say so, and nothing else.
    const withdrawn = await db.kysely.selectFrom('papers').select('id').where('withdrawn_at', 'is not', null).orderBy('id').execute();
    const marked = source.filter((r) => r.comments && /,I$/.test(r.versions[r.versions.length - 1].size)).map((r) => r.id as string);
    expect(marked).toHaveLength(10);
    expect(withdrawn.map((p) => p.id).sort()).toEqual(marked.sort());
  });

  it('changes nothing on a second import, plain or gzipped', async () => {
    const before = await db.kysely.selectFrom('papers').select(['id', 'modified_at']).orderBy('id').execute();
    expect(await importFile(db, plain)).toMatchObject({ new: 0, updated: 0, unchanged: source.length, rejected: 0 });
    expect(await importFile(db, gzipped)).toMatchObject({ new: 0, updated: 0, unchanged: source.length, rejected: 0 });
    expect(await db.kysely.selectFrom('papers').select(['id', 'modified_at']).orderBy('id').execute()).toEqual(before);
  });

  it('ignores an older snapshot line of a paper (fewer versions)', async () => {
    const r = source.find((s) => s.id === '0704.0001')!;
    const before = await paper(db, '0704.0001');
    const older = { ...toSnapshot(r), title: 'An older title', versions: [{ version: 'v1', created: r.versions[0].date }] };
    expect(await importFile(db, writeLines('older.json', [older]))).toMatchObject({ new: 0, updated: 0, unchanged: 1, rejected: 0 });
    expect(await paper(db, '0704.0001')).toEqual(before);
  });

  it('rejects bad lines with their file:line positions and imports the rest', async () => {
    const [a, b, c, d] = source.slice(0, 4).map(toSnapshot) as [Json, Json, Json, Json];
    const fresh = await freshDb();
    try {
      const file = writeLines('bad-lines.json.gz', [
        a,
        '{"id": "0704.0002", "title": "cut off',
        { ...b, id: 'not-an-id' },
        '',
        { ...c, title: undefined },
        { ...c, title: '   ' },
        d,
        { ...c, versions: [] },
        '[1, 2]',
      ], true);
      const summary = await importFile(fresh, file);
      expect(summary).toMatchObject({ new: 2, updated: 0, unchanged: 0, rejected: 6 });
      expect(summary.problems).toEqual([
        { position: 'bad-lines.json.gz:2', reason: expect.stringMatching(/^invalid JSON/) },
        { position: 'bad-lines.json.gz:3', reason: 'not an arXiv id: "not-an-id"' },
        { position: 'bad-lines.json.gz:5', reason: `${c.id}: no title` },
        { position: 'bad-lines.json.gz:6', reason: `${c.id}: no title` },
        { position: 'bad-lines.json.gz:8', reason: `${c.id}: no versions` },
        { position: 'bad-lines.json.gz:9', reason: 'expected a JSON object' },
      ]);
      const ids = await fresh.kysely.selectFrom('papers').select('id').orderBy('id').execute();
      expect(ids.map((p) => p.id)).toEqual([a.id, d.id].sort());
    } finally {
      await fresh.close();
    }
  });
});

describe('importing snapshot lines', () => {
  // Written for this project: a withdrawn paper, old-style ids (with and without a subject class), a suffix.
  const lines = [
    {
      id: 'hep-th/9901001',
      submitter: 'Edward Witten',
      authors: 'Edward Witten, John Smith Jr',
      authors_parsed: [
        ['Witten', 'Edward', ''],
        ['Smith', 'John', 'Jr'],
      ],
      title: 'A   test\n  of withdrawal',
      comments: 'This paper has been withdrawn by the author due to a crucial error in\n  equation 4',
      'journal-ref': null,
      doi: null,
      categories: 'hep-th math-ph math.MP',
      abstract: '  Nothing to\nsee.\n',
      versions: [
        { version: 'v1', created: 'Fri, 1 Jan 1999 10:00:00 GMT' },
        { version: 'v2', created: 'Tue, 2 Mar 1999 11:30:00 GMT' },
      ],
      update_date: '1999-03-02',
    },
    {
      id: 'math.GT/0309136',
      submitter: 'A. Author',
      authors: 'A. One, B. Two and C. Three',
      title: 'Knots',
      comments: '12 pages; the claim of v1 is withdrawn',
      'journal-ref': 'Geom. Topol. 8 (2004)\n  1-20',
      doi: '10.2140/gt.2004.8.1',
      categories: 'math.GT',
      abstract: 'Knots.',
      versions: [{ version: 'v1', created: 'Wed, 10 Sep 2003 08:00:00 GMT' }],
      update_date: '2003-09-10',
    },
  ];

  it('maps a withdrawn paper, old-style ids and the author fallback', async () => {
    const db = await freshDb();
    try {
      expect(await importFile(db, writeLines('inline.json', lines))).toMatchObject({ new: 2, rejected: 0 });
      expect(await paper(db, 'hep-th/9901001')).toMatchObject({
        version: 2,
        title: 'A test of withdrawal',
        abstract: 'Nothing to see.',
        primary_category: 'hep-th',
        published_at: '1999-01-01T10:00:00.000Z',
        updated_at: '1999-03-02T11:30:00.000Z',
        withdrawn_at: '1999-03-02T11:30:00.000Z',
        comment: 'This paper has been withdrawn by the author due to a crucial error in equation 4',
        pdf_url: 'https://arxiv.org/pdf/hep-th/9901001v2',
      });
      expect(await authorsOf(db, 'hep-th/9901001')).toEqual([
        ['Edward Witten', null],
        ['John Smith Jr', null],
      ]);
      expect(await categoriesOf(db, 'hep-th/9901001')).toEqual(['hep-th', 'math-ph', 'math.MP']);

      expect(await paper(db, 'math.GT/0309136')).toMatchObject({
        version: 1,
        withdrawn_at: null,
        journal_ref: 'Geom. Topol. 8 (2004) 1-20',
        doi: '10.2140/gt.2004.8.1',
        pdf_url: 'https://arxiv.org/pdf/math.GT/0309136v1',
      });
      expect((await authorsOf(db, 'math.GT/0309136')).map(([name]) => name)).toEqual(['A. One', 'B. Two', 'C. Three']);
    } finally {
      await db.close();
    }
  });

  it('splits author lines outside parentheses', () => {
    expect(splitAuthors('G.J. Qiao, R.X. Xu, J.L. Han, B. Zhang (CAS-PKU BAC &\n  Astronomy Department, PKU)')).toEqual([
      { name: 'G.J. Qiao', affiliation: null },
      { name: 'R.X. Xu', affiliation: null },
      { name: 'J.L. Han', affiliation: null },
      { name: 'B. Zhang', affiliation: 'CAS-PKU BAC & Astronomy Department, PKU' },
    ]);
    expect(splitAuthors('A. One (1), B. Two (2) and C. Three ((1) Univ. X, (2) Univ. Y)').map((a) => a.name)).toEqual(['A. One', 'B. Two', 'C. Three']);
  });

  it('keeps what it read of a truncated gzip file and reports where it broke off', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ ...lines[1]!, id: `0704.${String(i + 1).padStart(4, '0')}`, abstract: `Abstract ${i} `.repeat(40) }));
    const whole = gzipSync(many.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const file = path.join(tmp, 'truncated.json.gz');
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const db = await freshDb();
    try {
      const summary = await importFile(db, file);
      expect(summary.new).toBeGreaterThan(100);
      expect(summary.new).toBeLessThan(2000);
      expect(summary).toMatchObject({ rejected: 1, problems: [{ position: `truncated.json.gz:${summary.new + 1}`, reason: expect.stringMatching(/^unreadable: /) }] });
    } finally {
      await db.close();
    }
  });

  it('leaves the search index to the triggers for the ordinary writes after it: a new paper, a new title, a hidden paper', async () => {
    const db = await freshDb();
    const found = async (q: string) => (await searchPapers(db, { q })).hits.map((h) => h.paperId);
    try {
      await importFile(db, writeLines('bulk.json', lines));
      expect(await found('knots')).toEqual(['math.GT/0309136']);
      const day = { ...lines[1]!, id: '2401.00001', title: 'Braids and knots', abstract: 'Nothing more.', versions: [{ version: 'v1', created: 'Mon, 1 Jan 2024 10:00:00 GMT' }] };
      const record = parseSnapshotLine(JSON.stringify(day), 'day');
      expect(await importArxivRecords(db, [record], 'arxiv-api')).toMatchObject({ new: 1 });
      expect(await found('braids')).toEqual(['2401.00001']);
      expect(await importArxivRecords(db, [{ ...(record as ArxivRecord), version: 2, title: 'Tangles' }], 'arxiv-api')).toMatchObject({ updated: 1 });
      expect(await found('braids')).toEqual([]);
      expect(await found('tangles')).toEqual(['2401.00001']);
      // Hidden as moderation hides: with the content version, which search follows.
      await db.kysely.transaction().execute(async (trx) => {
        await trx.updateTable('papers').set({ hidden_at: '2024-01-02T00:00:00.000Z' }).where('id', '=', 'math.GT/0309136').execute();
        await bumpContentVersion(trx);
      });
      expect(await found('knots')).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('says which file it cannot read', async () => {
    const db = await freshDb();
    try {
      await expect(importFile(db, path.join(tmp, 'missing.json.gz'))).rejects.toThrow(/^import: cannot read /);
    } finally {
      await db.close();
    }
  });

  it('runs as `dailypapers import snapshot` with a summary line and positions', async () => {
    const file = writeLines('cli.json', [lines[0]!, '{oops', lines[1]!]);
    const { stdout, stderr } = await cli(['import', 'snapshot', file], { DATABASE_URL: await emptyDatabaseUrl() });
    expect(stdout).toContain('import: 2 new, 0 updated, 0 unchanged, 1 rejected');
    expect(stderr).toMatch(/rejected cli\.json:2: invalid JSON/);
  });

  it('takes a batch size, and refuses one that is not a whole number of records', async () => {
    const file = writeLines('batches.json', [1, 2, 3, 4, 5].map((n) => ({ ...(lines[0] as Json), id: `2001.0000${n}` })));
    const url = await emptyDatabaseUrl();
    expect((await cli(['import', 'snapshot', file, '--batch-size', '2'], { DATABASE_URL: url })).stdout).toContain('import: 5 new, 0 updated, 0 unchanged, 0 rejected');
    for (const bad of ['0', 'many', '2.5']) {
      const refused = await cli(['import', 'snapshot', file, '--batch-size', bad], { DATABASE_URL: url });
      expect(refused.code, bad).toBe(1);
      expect(refused.stderr).toContain('--batch-size is a whole number');
    }
  });
});
