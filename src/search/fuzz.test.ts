import fs from 'node:fs';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { createApp } from '../app.ts';
import type { Db } from '../db/database.ts';
import { HF_ARCHIVE, breathe, freshDb, hasFixtures, testConfig } from '../../test/helpers.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { searchPapers } from './engine.ts';
import { QueryError } from './query.ts';
import type { SearchRequest } from './types.ts';

/**
 * Any query a reader (or a robot) can type gets results or a QueryError (400), never
 * another error: nothing typed may reach SQL or either full-text parser as syntax.
 * The queries are generated from a seeded PRNG, so a failure names a query that fails
 * again on the next run.
 */
const QUERIES = 4_000;
const HTTP_QUERIES = 300;
const SEED = 20261126;

/** mulberry32: small, fast, and the same sequence on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['reward', 'model', 'diffusion', 'rewards', 'scaling', 'test-time', 'LLM', 'agents', 'RLHF', 'transformer', 'vision', 'Bengio', 'a', 'of', 'the', 'GPT-4', 'o1', '3D', 'ViT', 'x'];
const OPERATORS = ['OR', 'AND', 'NOT', 'NEAR', 'NEAR(reward model, 3)', 'NEAR/2', 'or', '|', '&', '!', '<->', '<2>', '+', '~', '(', ')', '()', '((', '))', '*', '**', '^', '^reward', ':', '::', '-', '--', '"', '""', '" "', "'", "''", '\\', '\\\\', '\\"', '{', '}', '{title}:', '{title abstract}:', '{author_names}', 'title:', 'abstract:', 'author_names:', 'rowid:', 'paper_search:', 'NEAR(', '*:*', ':*', "'x':*", ':A', ':*AB', '!!', '&&', '||', '(reward OR', 'OR)', 'AND AND', 'NOT NOT'];
const FILTERS = ['cat:cs.LG', 'cat:cs', 'cat:', 'cat:cs.LG.extra', 'cat:"cs.LG"', 'cat:cs_LG', 'cat:-cs', '-cat:cs.LG', 'category:astro-ph.GA', 'org:internlm', 'org:', 'org:"Hugging Face"', 'org:a/b', 'after:2025-01-01', 'after:2025-13-45', 'after:2025-02-30', 'after:2025', 'after:2025-1', 'after:99999', 'after:', 'after:yesterday', 'before:2025-06', 'before:0000-00-00', 'before:2025-06-31', 'since:1999', 'until:2030-12-31', 'has:code', 'has:CODE', 'has:data', 'has:', '-has:code', 'upvotes:10', 'upvotes:>=5', 'upvotes:-1', 'upvotes:1e9', 'upvotes:99999999', 'upvotes:', 'title:agents', 'title:"test-time scaling"', 'ti:', 'author:"Yoshua Bengio"', 'au:Bengio', 'author:', '-author:x', '-title:"survey of"', 'arXiv:2401.01234', '3:1', 'http://x.org/a?b=c', 'a:b:c', 'title:title:title'];
const INJECTIONS = ["' OR 1=1 --", "'; drop table papers; --", '" OR ""="', "1); delete from papers where (1=1", "x' union select password_hash from users --", '%', '_', '%_%', '$1', '?', '?1', ':name', '@x', "E'\\x00'", "$$ x $$", '/* */', '--', ';', 'select', 'pg_sleep(10)', "');select pg_sleep(10);--", 'match', 'MATCH \'*\'', 'bm25(', '\u0000\u0000', "'\\''"];
const SCRIPTS = ['مراجعة نماذج المكافأة', 'نموذج', 'מודל תגמול', 'שלום', 'القياس‏', '\u200f\u200e', '\u202e reversed \u202c', '扩散模型', '強化学習', '모델', '模型的*', 'e\u0301', '\u0301\u0302\u0303', 'Z\u0336a\u0337l\u0338g\u0335o', 'ｆｕｌｌｗｉｄｔｈ', 'ﬁne', 'Straße', 'İstanbul', 'ΣΊΣΥΦΟΣ', '😀', '👩‍👩‍👧‍👦', '🇺🇳', '🔥reward🔥', '\ud83d', '\udc00', '\ufeff', '\ufffd', '\u00a0', '\u2028', '\u3000', '𝔯𝔢𝔴𝔞𝔯𝔡', '①②', '١٢٣', 'Ⅻ'];
const CONTROLS = ['\u0000', '\u0001', '\u0007', '\b', '\t', '\n', '\r', '\u000b', '\f', '\u001b[31m', '\u007f', '\u0085', '\u009f'];
const NUMBERS = ['0', '1', '-1', '3.14', '1e308', '2401.01234', '2401.01234v2', 'hep-th/9901001', '00000', '9'.repeat(40), '-0', '0x1F', 'NaN', 'Infinity'];

function generator(random: () => number) {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const randomUnicode = () => {
    let s = '';
    for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
      const range = pick([0x80, 0x800, 0x10000, 0x110000]);
      s += String.fromCodePoint(Math.floor(random() * range));
    }
    return s;
  };
  const piece = (): string => {
    const kind = random();
    if (kind < 0.25) return pick(WORDS);
    if (kind < 0.45) return pick(OPERATORS);
    if (kind < 0.58) return pick(FILTERS);
    if (kind < 0.64) return pick(INJECTIONS);
    if (kind < 0.74) return pick(SCRIPTS);
    if (kind < 0.79) return pick(CONTROLS);
    if (kind < 0.84) return pick(NUMBERS);
    if (kind < 0.92) return randomUnicode();
    // Glue: operators stuck to words, as readers type them.
    return pick(['-', '"', '(', '*', '^', "'", '!']) + pick(WORDS) + pick(['', '*', '"', ')', ':', "'", '^2', ':*']);
  };
  return (): SearchRequest => {
    const shape = random();
    let q: string;
    if (shape < 0.01) q = pick(WORDS).repeat(10_000).slice(0, 10_000);
    else if (shape < 0.02) q = Array.from({ length: 2000 }, () => pick(WORDS)).join(' ').slice(0, 10_000);
    else if (shape < 0.03) q = randomUnicode().repeat(3000);
    else if (shape < 0.04) q = `${pick(WORDS)} `.repeat(40);
    else if (shape < 0.05) q = pick(['', ' ', '-', '"', '*', 'OR', '\u0000', '()', "'", '\\', ':', '^']);
    else {
      const parts = Array.from({ length: 1 + Math.floor(random() * 7) }, piece);
      q = parts.map((p, i) => (i === 0 ? p : pick([' ', ' ', ' ', '', '  ', '\t', '"', '-']) + p)).join('');
    }
    return {
      q,
      prefixLast: random() < 0.5,
      sort: pick(['relevance', 'relevance', 'upvotes', 'date'] as const),
      limit: pick([undefined, 1, 5, 20, 100]),
      offset: pick([undefined, 0, 0, 3, 50]),
      now: new Date('2026-08-21T00:00:00Z'),
    };
  };
}

/** The first `days` days of the Hugging Face archive: a few hundred real papers. */
async function archiveSlice(days: number): Promise<{ date: string; items: unknown[] }[]> {
  const lines = readline.createInterface({ input: fs.createReadStream(HF_ARCHIVE).pipe(createGunzip()) });
  const out: { date: string; items: unknown[] }[] = [];
  for await (const line of lines) {
    if (!line.trim()) continue;
    out.push(JSON.parse(line) as { date: string; items: unknown[] });
    if (out.length >= days) break;
  }
  lines.close();
  return out;
}

const describeQuery = (req: SearchRequest) => JSON.stringify(req.q.length > 200 ? `${req.q.slice(0, 200)}… (${req.q.length} chars)` : req.q);

// Needs ../shared/fixtures (the real Hugging Face archive); skips itself where it is absent.
describe.skipIf(!hasFixtures)('search fuzz', () => {
  let db: Db;
  let app: Hono<AppEnv>;

  beforeAll(async () => {
    db = await freshDb();
    for (const day of await archiveSlice(40)) await importHfItems(db, day.items, day.date, `fuzz ${day.date}`);
    app = createApp({ db, config: testConfig({ RATE_LIMIT_SCALE: '0' }) });
  }, 300_000);
  afterAll(() => db.close());

  it('has a few hundred real papers to search', async () => {
    const row = await db.kysely.selectFrom('papers').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(row.n)).toBeGreaterThan(200);
  });

  it(`answers ${QUERIES} generated queries with results or a QueryError, nothing else`, async () => {
    const next = generator(prng(SEED));
    const failures: string[] = [];
    let answered = 0;
    let refused = 0;
    let found = 0;
    for (let i = 0; i < QUERIES; i++) {
      if (i % 250 === 0) await breathe();
      const req = next();
      try {
        const result = await searchPapers(db, req);
        if (!Array.isArray(result.hits) || !Number.isFinite(result.total)) failures.push(`#${i} ${describeQuery(req)}: malformed result`);
        for (const hit of result.hits) if (/<(?!\/?mark>)/.test(hit.titleHtml + hit.snippetHtml)) failures.push(`#${i} ${describeQuery(req)}: unescaped HTML in ${hit.paperId}`);
        answered++;
        if (result.hits.length > 0) found++;
      } catch (err) {
        if (err instanceof QueryError) {
          refused++;
          if (!err.message || /sqlite|fts5|syntax error|tsquery|SQL/i.test(err.message)) failures.push(`#${i} ${describeQuery(req)}: QueryError leaks the database: ${err.message}`);
        } else {
          failures.push(`#${i} ${describeQuery(req)}: ${(err as Error).constructor.name}: ${(err as Error).message}`);
        }
      }
    }
    expect(failures, failures.slice(0, 30).join('\n')).toEqual([]);
    expect(answered + refused).toBe(QUERIES);
    // The generator reaches both outcomes, and many queries find papers: it exercises the engine, not just the parser.
    expect(refused).toBeGreaterThan(QUERIES / 50);
    expect(found).toBeGreaterThan(QUERIES / 10);
  }, 600_000);

  it(`answers ${HTTP_QUERIES} of them over HTTP with 200 or 400, on the page and in the API`, async () => {
    const next = generator(prng(SEED + 1));
    const failures: string[] = [];
    for (let i = 0; i < HTTP_QUERIES; i++) {
      const req = next();
      // URLSearchParams sends a lone surrogate as U+FFFD, as a browser would.
      const query = new URLSearchParams({ q: req.q }).toString();
      for (const path of [`/papers/search?${query}`, `/api/papers/search?${query}`]) {
        const res = await app.request(path);
        const body = await res.text();
        if (res.status !== 200 && res.status !== 400) failures.push(`${path.slice(0, 120)}: ${res.status} ${body.slice(0, 200)}`);
        if (/sqlite|fts5|syntax error|tsquery/i.test(body) && res.status === 400) failures.push(`${path.slice(0, 120)}: the database leaks into the 400: ${body.slice(0, 200)}`);
      }
    }
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
  }, 600_000);
});
