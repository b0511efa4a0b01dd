import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { parse as parseBibtex } from '@retorquere/bibtex-parser';
import type { AppEnv } from '../http/env.ts';
import type { Db } from '../db/database.ts';
import { testApp } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { parseRis } from './import.ts';
import { hidePaper } from './collections.ts';

const DAY = '2026-11-18';
const IDS = ['2611.00401', '2611.00402', '2611.00403', 'astro-ph/0601001'];
const record = (id: string, title = `Paper ${id}`) => ({
  paper: { id, title, summary: `An abstract about ${id}.`, publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 2, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }, { _id: `b-${id}`, name: 'Émile Borel', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title,
  numComments: 0,
});

describe('collections, the library, exports and imports', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;
  let open: string;
  let secret: string;
  const get = (path: string, user: TestUser | null) => app.request(path, { headers: user ? { Cookie: user.cookie } : {} });
  const post = (path: string, user: TestUser, body: string) => app.request(path, { method: 'POST', headers: formHeaders(user), body: `_csrf=${user.csrf}&${body}` });

  beforeAll(async () => {
    // A title with TeX's special characters and math, for the exports.
    await (async () => {
      ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0', ARXIV_API_URL: 'http://127.0.0.1:9/api/query', ARXIV_MAX_RETRIES: '0' }));
      await importHfItems(db, [record(IDS[0]!, 'Rates & costs: 50% of $O(n^{2})$ {braces'), ...IDS.slice(1).map((id) => record(id))], DAY, 'test');
      await db.kysely.updateTable('papers').set({ doi: '10.1234/Example.5' }).where('id', '=', IDS[2]!).execute();
    })();
    ada = await signedInUser(db, { username: 'ada' });
    bob = await signedInUser(db, { username: 'bob' });
    let res = await post('/collections', ada, 'title=Open+reading&description=For+the+group');
    expect(res.status).toBe(303);
    open = res.headers.get('location')!;
    res = await post('/collections', ada, 'title=Secret+reading&private=1');
    secret = res.headers.get('location')!;
    for (const id of IDS.slice(0, 3)) expect((await post(`${open}/items`, ada, `paper=${encodeURIComponent(`https://arxiv.org/abs/${id}`)}&note=${encodeURIComponent(`Note on **${id}**`)}`)).status).toBe(303);
    await post(`${secret}/items`, ada, `paper=${IDS[3]}`);
  });
  afterAll(() => db.close());

  it('shows a collection with its notes; private ones to nobody but their owner, anywhere', async () => {
    expect(open).toMatch(/^\/collections\/ada\/open-reading-\d+$/);
    const html = await (await get(open, bob)).text();
    expect(html).toContain('Open reading');
    expect(html).toContain(`<strong>${IDS[0]}</strong>`);
    expect(html).not.toContain('Delete this collection');
    expect(await (await get(open, ada)).text()).toContain('Delete this collection');
    for (const path of [secret, `${secret}.bib`, `${secret}.ris`, `${secret}.csv`, `${secret}.json`]) {
      expect((await get(path, bob)).status, path).toBe(404);
      expect((await get(path, null)).status, path).toBe(404);
      expect((await get(path, ada)).status, path).toBe(200);
    }
    expect((await get(`${secret}.json`, ada)).headers.get('cache-control')).toContain('no-store');
    // The profile lists public collections to everyone, private ones to their owner only.
    const profileForBob = await (await get('/users/ada', bob)).text();
    expect(profileForBob).toContain('Open reading');
    expect(profileForBob).not.toContain('Secret reading');
    expect(await (await get('/users/ada', ada)).text()).toContain('Secret reading');
    // Search and feeds list papers, never collections: a paper only in a private collection shows no trace of it.
    expect(await (await get(`/papers/search?q=${encodeURIComponent(IDS[3]!)}`, bob)).text()).not.toContain('Secret reading');
    // Another reader cannot change it.
    expect((await post(`${open}/items`, bob, `paper=${IDS[3]}`)).status).toBe(403);
    expect((await post(`${secret}/delete`, bob, '')).status).toBe(404);
    // An old slug (after a rename) is sent to the new one.
    const id = open.split('-').at(-1);
    const moved = await get(`/collections/ada/whatever-${id}`, bob);
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe(open);
  });

  it('exports BibTeX that a real parser reads, RIS that reads back, CSV and JSON', async () => {
    const bib = await (await get(`${open}.bib`, null)).text();
    const parsed = parseBibtex(bib, { sentenceCase: false });
    expect(parsed.errors).toEqual([]);
    expect(parsed.entries.map((e) => e.fields.eprint)).toEqual(IDS.slice(0, 3));
    const first = parsed.entries[0]!;
    expect(first.fields.title).toContain('Rates & costs: 50% of');
    expect(first.fields.author?.map((a) => a.lastName)).toEqual(['Lovelace', 'Borel']);
    expect(first.fields.archiveprefix).toBe('arXiv');
    expect(parsed.entries[2]!.fields.doi).toBe('10.1234/Example.5');

    const ris = await (await get(`${open}.ris`, null)).text();
    const back = parseRis(ris);
    expect(back.errors).toEqual([]);
    expect(back.citations.map((c) => c.arxivId)).toEqual(IDS.slice(0, 3));
    expect(back.citations[2]!.doi).toBe('10.1234/example.5');

    const csv = await (await get(`${open}.csv`, null)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('arxiv_id,title,authors,published,url,doi,note,added');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('Rates & costs: 50% of $O(n^{2})$ {braces');

    const json = (await (await get(`${open}.json`, null)).json()) as { id: string; note: string }[];
    expect(json.map((r) => r.id)).toEqual(IDS.slice(0, 3));
    expect(json[0]!.note).toBe(`Note on **${IDS[0]}**`);
  });

  it('lists the library, searchable, filterable and exportable, with hidden papers and their undo', async () => {
    expect((await get('/library', null)).status).toBe(303);
    let html = await (await get('/library', ada)).text();
    for (const id of IDS) expect(html).toContain(`/papers/${id}/save`);
    html = await (await get('/library?q=Rates', ada)).text();
    expect(html).toContain(`/papers/${IDS[0]}/save`);
    expect(html).not.toContain(`/papers/${IDS[1]}/save`);
    const secretId = secret.split('-').at(-1);
    html = await (await get(`/library?collection=${secretId}`, ada)).text();
    expect(html).toContain(`/papers/${IDS[3]}/save`);
    expect(html).not.toContain(`/papers/${IDS[0]}/save`);
    expect((await get(`/library?collection=${open.split('-').at(-1)}`, bob)).status).toBe(404);
    const bib = parseBibtex(await (await get('/library.bib?q=Rates', ada)).text());
    expect(bib.entries.map((e) => e.fields.eprint)).toEqual([IDS[0]]);

    await hidePaper(db.kysely, ada.id, IDS[1]!, 'not-interested');
    html = await (await get('/library', ada)).text();
    expect(html).toContain('Hidden papers');
    expect(html).toMatch(new RegExp(`action="/papers/${IDS[1]}/hide"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="unhide"`));
  });

  it('imports BibTeX: arXiv ids and DOIs matched, the rest reported; malformed input is a report, not a crash', async () => {
    const res = await post('/collections', bob, 'title=Imported');
    const path = res.headers.get('location')!;
    const bib = [
      `@article{known, title={Known}, eprint={${IDS[0]}}, archivePrefix={arXiv}}`,
      `@misc{byurl, title={By URL}, url={https://arxiv.org/abs/${IDS[1]}v2}}`,
      '@article{bydoi, title={By DOI}, doi={https://doi.org/10.1234/EXAMPLE.5}}',
      '@book{nothing, title={A book without ids}}',
      '@article{broken, title={Unterminated',
    ].join('\n');
    const importRes = await app.request(`${path}/import`, { method: 'POST', headers: { ...formHeaders(bob), Accept: 'application/json' }, body: `_csrf=${bob.csrf}&text=${encodeURIComponent(bib)}` });
    expect(importRes.status).toBe(200);
    const report = (await importRes.json()) as { format: string; added: string[]; unmatched: { entry: string }[]; errors: string[] };
    expect(report.format).toBe('bibtex');
    expect(report.added).toEqual([IDS[0], IDS[1], IDS[2]]);
    expect(report.unmatched.map((u) => u.entry)).toContain('nothing');
    expect(report.errors.join(' ')).toContain('Unterminated');

    // An unknown arXiv id is fetched from arXiv; here arXiv cannot be reached, which the report says.
    const unknown = await app.request(`${path}/import`, { method: 'POST', headers: { ...formHeaders(bob), Accept: 'application/json' }, body: `_csrf=${bob.csrf}&text=${encodeURIComponent('TY  - JOUR\nTI  - Elsewhere\nUR  - https://arxiv.org/abs/2612.99999\nER  - \n')}` });
    const r2 = (await unknown.json()) as { format: string; unmatched: { reason: string }[]; errors: string[] };
    expect(r2.format).toBe('ris');
    expect(r2.unmatched[0]!.reason).toContain('2612.99999');

    for (const garbage of ['%%%% not a bibliography', '@article{', '[{"title": 5}, 7]', 'TY  - JOUR\nnonsense']) {
      const r = await app.request(`${path}/import`, { method: 'POST', headers: { ...formHeaders(bob), Accept: 'application/json' }, body: `_csrf=${bob.csrf}&text=${encodeURIComponent(garbage)}` });
      expect(r.status, garbage).toBe(200);
      const body = (await r.json()) as { added: string[]; errors: string[]; unmatched: unknown[] };
      expect(body.added, garbage).toEqual([]);
      expect(body.errors.length + body.unmatched.length, garbage).toBeGreaterThan(0);
    }
    // The page says the same to a reader without JavaScript.
    const page = await post(`${path}/import`, bob, `text=${encodeURIComponent(bib)}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('already there');
  });
});
