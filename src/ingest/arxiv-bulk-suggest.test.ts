import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { migrateToLatest } from '../db/database.ts';
import { buildPendingSuggestKeys, sqliteKeysByWords, sqliteKeysOf } from '../db/suggest-keys.ts';
import { createApp } from '../app.ts';
import { FIXTURES, freshDb, hasFixtures, testConfig, testDialect } from '../../test/helpers.ts';
import { bulkImportArxivRecords } from './arxiv-bulk.ts';
import { importArxivRecords } from './arxiv-import.ts';
import { parseSnapshotLine } from './arxiv-snapshot.ts';
import type { ArxivRecord } from './arxiv-record.ts';

// A bulk import skips the per-row suggest-key triggers and builds the keys set-wise at its end
// (decision 033): what it leaves in suggest_keys must be what the ordinary path's triggers write.
const ABS_RECORDS = path.join(FIXTURES, 'corpus/arxiv_browse_abs_records_with_abstracts.jsonl');

/** The real records as snapshot records: the first `n`, and later versions of a few with new titles and authors. */
function records(): { first: ArxivRecord[]; second: ArxivRecord[] } {
  const all = fs
    .readFileSync(ABS_RECORDS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { id: string; title: string; authors: string; abstract: string; categories: string[]; versions: { version: string; date: string }[] })
    .map((r) => ({ id: r.id, authors: r.authors, title: r.title, abstract: r.abstract, categories: r.categories.join(' '), versions: r.versions.map((v) => ({ version: v.version, created: v.date })) }));
  const parse = (lines: object[]) => lines.map((l, i) => parseSnapshotLine(JSON.stringify(l), `line ${i + 1}`) as ArxivRecord);
  const cut = Math.floor(all.length * 0.7);
  // The second file: the rest (new papers) and a newer version of every tenth stored one, retitled and with an author added.
  const revised = all.slice(0, cut).filter((_, i) => i % 10 === 0).map((r) => ({
    ...r,
    title: `Revisited: ${r.title}`,
    authors: `${r.authors}, Zelda Quorvath`,
    versions: [...r.versions, { version: `v${r.versions.length + 1}`, created: 'Mon, 5 Jan 2026 10:00:00 GMT' }],
  }));
  return { first: parse(all.slice(0, cut)), second: parse([...all.slice(cut), ...revised]) };
}

async function keys(db: Db): Promise<string[]> {
  const rows = await sql<{ kind: string; key: string; target: string }>`select kind, key, target from suggest_keys order by kind, key, target`.execute(db.kysely);
  return rows.rows.map((r) => `${r.kind}|${r.key}|${r.target}`);
}

const pendingCount = async (db: Db) => Number((await sql<{ n: number }>`select count(*) as n from suggest_keys_pending`.execute(db.kysely)).rows[0]!.n);

describe.skipIf(!hasFixtures)('suggest keys of a bulk import', () => {
  let bulk: Db;
  let ordinary: Db;
  let input: ReturnType<typeof records>;

  beforeAll(async () => {
    [bulk, ordinary] = [await freshDb(), await freshDb()];
    input = records();
    // Batches of 200: several transactions, each skipping the triggers and noting its papers.
    await bulkImportArxivRecords(bulk, input.first, 'snapshot', undefined, 200);
    await bulkImportArxivRecords(bulk, input.second, 'snapshot', undefined, 200);
    await importArxivRecords(ordinary, input.first, 'snapshot');
    await importArxivRecords(ordinary, input.second, 'snapshot');
  });
  afterAll(async () => {
    await bulk.close();
    await ordinary.close();
  });

  it('equal the keys the per-row triggers write for the same records, new papers and revised ones', async () => {
    const [a, b] = [await keys(bulk), await keys(ordinary)];
    expect(a.length).toBeGreaterThan(input.first.length * 10);
    expect(a.some((k) => k.startsWith('paper|revisited: '))).toBe(true);
    expect(a).toContain('author|zelda quorvath|Zelda Quorvath');
    expect(a).toEqual(b);
    expect(await pendingCount(bulk)).toBe(0);
  });

  it('leaves the per-row triggers in place for the ordinary writes after it', async () => {
    const id = input.first[3]!.id;
    for (const db of [bulk, ordinary]) {
      await db.kysely.updateTable('papers').set({ title: 'Xylophonic Grating Spectra' }).where('id', '=', id).execute();
      await db.kysely.insertInto('paper_authors').values({ paper_id: id, position: 99, name: 'Ynez Brastow', affiliation: null, hidden: 0 }).execute();
    }
    const a = await keys(bulk);
    expect(a).toContain(`paper|xylophonic grating spectra|${id}`);
    expect(a).toContain('author|brastow|Ynez Brastow');
    expect(a).toEqual(await keys(ordinary));
  });

  it('are found by /api/suggest: bulk-imported papers and authors', async () => {
    const app = createApp({ db: bulk, config: testConfig() });
    const ask = async (q: string) => (await (await app.request(`/api/suggest?q=${encodeURIComponent(q)}`)).json()) as { papers: { id: string }[]; authors: { name: string }[] };
    const last = input.second[0]!;
    const word = last.title.split(' ').find((w) => w.length > 6)!;
    expect((await ask(word.toLowerCase())).papers.map((p) => p.id)).toContain(last.id);
    const author = last.authors.at(-1)!.name;
    expect((await ask(author.split(' ').at(-1)!)).authors.map((a) => a.name)).toContain(author);
  });

  it.runIf(testDialect === 'postgres')('PostgreSQL: suggest_keys_of by offsets (031) gives the keys of the character scan it replaced (025)', async () => {
    // 025's function, inline: every one of the first 256 characters that starts a word.
    const scan = sql`select distinct left(substr(s, n), 48) from (select btrim(regexp_replace(lower(x.t), '\\s+', ' ', 'g')) as s) y, generate_series(1, least(length(s), 256)) n
      where (n = 1 or substr(s, n - 1, 1) = ' ') and substr(s, n, 1) <> ' '`;
    const texts = sql`(select title as t from papers union all select distinct name from paper_authors
      union all values (''), ('  a  b	c\n d '), (repeat('word ', 80)), (repeat('x', 300) || ' tail'), (repeat('ab ', 120) || 'end of a long text'))`;
    const { rows } = await sql<{ texts: number; differ: number }>`select count(*) as texts, count(*) filter (where
        array(select distinct k from suggest_keys_of(x.t) k order by 1) is distinct from array(select * from (${scan}) z order by 1)) as differ
      from ${texts} x`.execute(bulk.kysely);
    expect(Number(rows[0]!.texts)).toBeGreaterThan(input.first.length);
    expect(Number(rows[0]!.differ)).toBe(0);
  });

  it.runIf(testDialect === 'sqlite')('SQLite: the set-wise keys by words are the triggers\' keys by offsets', async () => {
    const edges = ["''", "'  a  b' || char(9) || 'c' || char(10) || ' d '", "'a' || printf('%.20c', ' ') || 'b  c'", "replace(printf('%.80c', 'w'), 'w', 'word ')",
      "printf('%.300c', 'x') || ' tail'", "replace(printf('%.120c', 'w'), 'w', 'ab ') || 'end of a long text'", "'   '", "'Émile Zola — un très long titre ' || printf('%.60c', 'x') || ' fin'"];
    const from = `from (select title as t from papers union all select distinct name from paper_authors union all ${edges.map((e) => `select ${e}`).join(' union all ')})`;
    const [offsets, words] = [sqliteKeysOf('t', 't', from), `select * from (${sqliteKeysByWords('t', 't', from)})`];
    const count = async (q: string) => Number((await sql<{ n: number }>`select count(*) as n from (${sql.raw(q)})`.execute(bulk.kysely)).rows[0]!.n);
    expect(await count(offsets)).toBeGreaterThan(input.first.length * 10);
    expect(await count(`${offsets} except ${words}`)).toBe(0);
    expect(await count(`${words} except ${offsets}`)).toBe(0);
  });

  it('a note left by a killed import is finished by the next migrate, into the same keys', async () => {
    const db = await freshDb();
    try {
      await bulkImportArxivRecords(db, input.first, 'snapshot', undefined, 200);
      const complete = await keys(db);
      // What a kill between the last batch and the set-wise build leaves: papers noted, their keys not written.
      await sql`insert into suggest_keys_pending (paper_id) select id from papers`.execute(db.kysely);
      await sql`delete from suggest_keys where kind in ('paper', 'author')`.execute(db.kysely);
      expect((await keys(db)).length).toBeLessThan(complete.length);
      await migrateToLatest(db);
      expect(await pendingCount(db)).toBe(0);
      expect(await keys(db)).toEqual(complete);
      expect(await buildPendingSuggestKeys(db.kysely, db.dialect)).toBe(0);
    } finally {
      await db.close();
    }
  });
});
