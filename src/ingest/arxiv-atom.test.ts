import { describe, expect, it } from 'vitest';
import { expectedFromXml, readFixture, storedPapers } from '../../test/arxiv-replay.ts';
import { freshDb, hasFixtures } from '../../test/helpers.ts';
import { parseAtomFeed } from './arxiv-atom.ts';
import { importArxivRecords } from './arxiv-import.ts';
import type { ArxivRecord } from './arxiv-record.ts';
import { RecordProblem } from './summary.ts';

const feed = (entries: string, ns = 'xmlns:arxiv="http://arxiv.org/schemas/atom"') => `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" ${ns}>
  <opensearch:totalResults>3</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>3</opensearch:itemsPerPage>
  ${entries}
</feed>`;

const records = (xml: string) => parseAtomFeed(xml).records.filter((r): r is ArxivRecord => !(r instanceof RecordProblem));

describe('parseAtomFeed (constructed feeds)', () => {
  it('joins several affiliations, keeps author order, puts the primary category first once, and makes the PDF link https', () => {
    const [rec] = records(
      feed(`<entry>
        <id>http://arxiv.org/abs/2401.01234v3</id>
        <title>  A   wrapped
           title &#233;&#x3b1; &amp; more</title>
        <summary>Line one
          line two</summary>
        <published>2024-01-02T03:04:05Z</published>
        <updated>2024-02-03T04:05:06-05:00</updated>
        <author><name>Ada Lovelace</name><arxiv:affiliation>Analytical Engines</arxiv:affiliation><arxiv:affiliation>Royal Society</arxiv:affiliation></author>
        <author><name>Alan Turing</name></author>
        <category term="stat.ML"/><category term="cs.LG"/><category term="stat.ML"/>
        <arxiv:primary_category term="cs.LG"/>
        <link href="http://arxiv.org/abs/2401.01234v3" rel="alternate" type="text/html"/>
        <link title="pdf" href="http://arxiv.org/pdf/2401.01234v3" rel="related" type="application/pdf"/>
      </entry>`),
    );
    expect(rec).toEqual({
      id: '2401.01234',
      version: 3,
      title: 'A wrapped title éα & more',
      abstract: 'Line one line two',
      authors: [
        { name: 'Ada Lovelace', affiliation: 'Analytical Engines; Royal Society' },
        { name: 'Alan Turing', affiliation: null },
      ],
      categories: ['cs.LG', 'stat.ML'],
      primaryCategory: 'cs.LG',
      publishedAt: '2024-01-02T03:04:05.000Z',
      updatedAt: '2024-02-03T09:05:06.000Z',
      comment: null,
      journalRef: null,
      doi: null,
      pdfUrl: 'https://arxiv.org/pdf/2401.01234v3',
      withdrawnAt: null,
    });
  });

  it('marks a withdrawal comment as withdrawn at the update date', () => {
    const [rec] = records(
      feed(`<entry><id>https://arxiv.org/abs/hep-th/9901001v2</id><title>T</title><summary>S</summary>
        <published>1999-01-01T00:00:00Z</published><updated>1999-03-01T00:00:00Z</updated>
        <arxiv:comment>This paper has been withdrawn by the author due to an error in eq. 3</arxiv:comment></entry>`),
    );
    expect(rec).toMatchObject({ id: 'hep-th/9901001', version: 2, withdrawnAt: '1999-03-01T00:00:00.000Z', comment: expect.stringMatching(/^This paper has been withdrawn/) });
  });

  it('reports an entry without id or title by its position and reads the others', () => {
    const parsed = parseAtomFeed(
      feed(`<entry><title>No id</title><published>2024-01-01T00:00:00Z</published></entry>
        <entry><id>http://arxiv.org/abs/2401.00002v1</id><published>2024-01-01T00:00:00Z</published></entry>
        <entry><id>http://arxiv.org/abs/2401.00003v1</id><title>Fine</title><summary>S</summary><published>2024-01-01T00:00:00Z</published></entry>`),
    );
    expect(parsed).toMatchObject({ totalResults: 3, startIndex: 0, itemsPerPage: 3 });
    expect(parsed.records[0]).toEqual(new RecordProblem('entry 1', 'no <id>'));
    expect(parsed.records[1]).toBeInstanceOf(RecordProblem);
    expect((parsed.records[1] as RecordProblem).position).toMatch(/^entry 2\b/);
    expect((parsed.records[1] as RecordProblem).reason).toBe('no <title>');
    expect(parsed.records[2]).toMatchObject({ id: '2401.00003', title: 'Fine' });
  });

  it('throws on malformed XML, on something that is not a feed, and on an error entry', () => {
    expect(() => parseAtomFeed('<feed><entry><id>x</id></feed>')).toThrow(/^arxiv: malformed XML: /);
    expect(() => parseAtomFeed(feed('<entry><id>http://arxiv.org/abs/2401.00001v1</id>').replace('</feed>', ''))).toThrow(/^arxiv: malformed XML: /);
    expect(() => parseAtomFeed('Rate exceeded.')).toThrow(/^arxiv: malformed XML: /);
    expect(() => parseAtomFeed('<html><body>Oops</body></html>')).toThrow(/^arxiv: not an Atom feed/);
    expect(() =>
      parseAtomFeed(feed('<entry><id>http://arxiv.org/api/errors#bad_query</id><title>Error</title><summary>bad query syntax</summary></entry>')),
    ).toThrow(/^arxiv: bad query syntax$/);
  });
});

// The recorded responses live in ../shared/fixtures; without them only these tests are skipped.
describe.skipIf(!hasFixtures)('parseAtomFeed on recorded arXiv responses (needs ../shared/fixtures)', () => {
  const FEEDS = [
    ['arxivpy_query_testing_start0_max10.xml', 214881],
    ['arxivpy_query_testing_start10_max10.xml', 214881],
    ['arxivpy_query_testing_100.xml', 214881],
    ['arxivpy_idlist_two.xml', 1],
    ['arxivpy_oldstyle_id_astro-ph_0601001.xml', 1],
    ['arxivpy_2016_search_au_del_maestro.xml', 31],
    ['arxivpy_2016_idlist_1111.2011v2.xml', 1],
  ] as const;

  it.each(FEEDS)('%s: every field of every entry arrives in the database', async (file, total) => {
    const xml = readFixture(file);
    const expected = expectedFromXml(xml);
    expect(expected.length).toBeGreaterThan(0);
    const parsed = parseAtomFeed(xml);
    expect(parsed.totalResults).toBe(total);
    expect(parsed.records).toHaveLength(expected.length);
    // Categories keep arXiv's order with the primary first; the database keeps them as a set.
    for (const [i, rec] of parsed.records.entries()) {
      expect(rec).not.toBeInstanceOf(RecordProblem);
      const r = rec as ArxivRecord;
      expect(r.categories[0]).toBe(r.primaryCategory);
      expect([...r.categories].sort()).toEqual(expected[i]!.categories);
    }

    const db = await freshDb();
    try {
      const summary = await importArxivRecords(db, parsed.records, 'test');
      const unique = new Set(expected.map((e) => e.id)).size;
      expect(summary).toMatchObject({ new: unique, rejected: 0 });
      expect(
        await storedPapers(
          db,
          expected.map((e) => e.id),
        ),
      ).toEqual(expected);
      // Idempotent: the same page again changes nothing.
      expect(await importArxivRecords(db, parseAtomFeed(xml).records, 'test')).toMatchObject({ new: 0, updated: 0, unchanged: expected.length });
    } finally {
      await db.close();
    }
  });

  it('covers every optional field somewhere in the recordings (so the comparison above means something)', () => {
    const all = FEEDS.flatMap(([file]) => expectedFromXml(readFixture(file)));
    expect(all.filter((p) => p.authors.some(([, aff]) => aff !== null)).length).toBeGreaterThan(1);
    for (const key of ['comment', 'journalRef', 'doi', 'pdfUrl', 'updatedAt'] as const) {
      expect(all.filter((p) => p[key] !== null).length, key).toBeGreaterThan(1);
    }
    expect(all.some((p) => p.version! > 1)).toBe(true);
    expect(all.some((p) => p.id.includes('/'))).toBe(true);
    expect(all.some((p) => p.categories.length > 1)).toBe(true);
  });

  it('reads the details the fixtures are known for', () => {
    const current = records(readFixture('arxivpy_query_testing_start0_max10.xml'));
    expect(current[0]).toMatchObject({
      id: '2202.12139',
      version: 1,
      primaryCategory: 'cs.SE',
      categories: ['cs.SE', 'cs.LG'],
      doi: '10.1109/ICSTW55395.2022.00035',
      pdfUrl: 'https://arxiv.org/pdf/2202.12139v1',
      authors: [
        { name: 'Mohit Kumar Ahuja', affiliation: null },
        { name: 'Arnaud Gotlieb', affiliation: null },
        { name: 'Helge Spieker', affiliation: null },
      ],
    });
    const old = records(readFixture('arxivpy_oldstyle_id_astro-ph_0601001.xml'))[0]!;
    expect(old).toMatchObject({ id: 'astro-ph/0601001', version: 1, journalRef: 'ActaAstron.56:1-50,2006', primaryCategory: 'astro-ph' });
    expect(old.authors[2]).toEqual({ name: 'B. Scott Gaudi', affiliation: 'CfA' });
    expect(old.abstract).toMatch(/^We derive .* V_max<17\.5\. /);

    const v2016 = records(readFixture('arxivpy_2016_idlist_1111.2011v2.xml'))[0]!;
    expect(v2016).toMatchObject({
      id: '1111.2011',
      version: 2,
      title: 'Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit',
      primaryCategory: 'cond-mat.str-el',
      categories: ['cond-mat.str-el', 'cond-mat.stat-mech'],
      doi: '10.1103/PhysRevB.85.115117',
      journalRef: 'Phys. Rev. B 85, 115117 (2012)',
      comment: '8 pages, 3 figures. Published version',
      publishedAt: '2011-11-08T18:48:36.000Z',
      updatedAt: '2012-04-02T12:38:54.000Z',
      pdfUrl: 'https://arxiv.org/pdf/1111.2011v2',
    });
    const search2016 = parseAtomFeed(readFixture('arxivpy_2016_search_au_del_maestro.xml'));
    expect(search2016).toMatchObject({ totalResults: 31, startIndex: 0, itemsPerPage: 10 });
    expect(search2016.records.map((r) => (r as ArxivRecord).id)).toContain('cond-mat/0412498');
  });

  it('reads the empty result and throws on the error entry', () => {
    expect(parseAtomFeed(readFixture('arxivpy_empty_id_0000.0000.xml'))).toEqual({ totalResults: 0, startIndex: 0, itemsPerPage: 100, records: [] });
    expect(() => parseAtomFeed(readFixture('arxivpy_error_bad_id_abc.xml'))).toThrow(/^arxiv: incorrect id format for abc$/);
  });
});
