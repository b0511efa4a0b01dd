// The benches' corpus: the real records in ../shared/fixtures, read once, and a seeded
// generator that replicates them to any size under synthesised ids, dates and upvotes.
// bench/snapshot.ts writes it as arXiv's snapshot format; bench/search.ts loads it into
// the databases and the peer engines.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { createGunzip } from 'node:zlib';
import { collapseWhitespace, splitAuthors, type ArxivRecord } from '../src/ingest/arxiv-record.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
export const FIXTURES = path.resolve(repoRoot, '../shared/fixtures');
export const WITH_ABSTRACTS = path.join(FIXTURES, 'corpus/arxiv_browse_abs_records_with_abstracts.jsonl');
export const LISTINGS = path.join(FIXTURES, 'corpus/arxiv_browse_astro-ph_listings_1992-2020.jsonl.gz');
export const HF_ARCHIVE = path.join(FIXTURES, 'hf-api/hf_daily_papers_2024-05-27_to_2026-08-20.by_date.jsonl.gz');

/** A record of arXiv's corpus files (the `.abs`-derived records and the astro-ph listings). */
export interface CorpusRecord {
  id: string;
  submitter?: string;
  title: string;
  authors: string;
  categories: string[];
  comments?: string;
  journal_ref?: string;
  doi?: string;
  report_no?: string;
  license?: string;
  abstract?: string;
  versions: { version: string; date: string }[];
}

async function* jsonLines<T>(file: string): AsyncGenerator<T> {
  const input = file.endsWith('.gz') ? fs.createReadStream(file).pipe(createGunzip()) : fs.createReadStream(file);
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim()) yield JSON.parse(line) as T;
  }
}

/** Both arXiv corpus files: 1,130 records with abstracts, then 136k astro-ph listings without. */
export async function readArxivCorpus(): Promise<CorpusRecord[]> {
  const out: CorpusRecord[] = [];
  for (const file of [WITH_ABSTRACTS, LISTINGS]) for await (const r of jsonLines<CorpusRecord>(file)) out.push(r);
  return out;
}

/** A small seeded generator (mulberry32), so every run builds the same corpus. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(list: T[], rnd: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const pad = (n: number) => String(n).padStart(2, '0');

// ---------------------------------------------------------------- the search corpus

/** A paper of the search bench: what the databases store and the peer engines index. */
export interface BenchPaper {
  id: string;
  title: string;
  authors: string[];
  abstract: string;
  categories: string[];
  /** ISO-8601 UTC. */
  publishedAt: string;
  upvotes: number;
  githubRepo: string | null;
}

interface HfEnvelope {
  paper?: { id?: string; title?: string; summary?: string; authors?: { name?: string }[]; publishedAt?: string; upvotes?: number; githubRepo?: string | null };
}

/** The Hugging Face archive's papers (9,534 ML papers with abstracts and upvotes; no arXiv categories), each once. */
async function readHfPapers(): Promise<BenchPaper[]> {
  const byId = new Map<string, BenchPaper>();
  for await (const day of jsonLines<{ items: HfEnvelope[] }>(HF_ARCHIVE)) {
    for (const item of day.items) {
      const p = item.paper;
      if (!p?.id || !p.title || !p.publishedAt) continue;
      byId.set(p.id, {
        id: p.id,
        title: collapseWhitespace(p.title),
        authors: (p.authors ?? []).map((a) => a.name ?? '').filter(Boolean),
        abstract: collapseWhitespace(p.summary ?? ''),
        categories: [],
        publishedAt: new Date(p.publishedAt).toISOString(),
        upvotes: p.upvotes ?? 0,
        githubRepo: p.githubRepo || null,
      });
    }
  }
  return [...byId.values()];
}

/**
 * The real papers of all three files, each once under its own id: the Hugging Face
 * archive, the `.abs` records, and the astro-ph listings, which have no abstracts and
 * borrow one (seeded) from the `.abs` records of astro-ph, so that their text stays
 * astrophysics.
 */
export async function readBasePapers(): Promise<BenchPaper[]> {
  const hf = await readHfPapers();
  const arxiv = await readArxivCorpus();
  const astroAbstracts = arxiv.filter((r) => r.abstract && r.categories.some((c) => c.startsWith('astro-ph'))).map((r) => collapseWhitespace(r.abstract!));
  const rnd = random(6);
  const seen = new Set(hf.map((p) => p.id));
  const out = [...hf];
  for (const r of arxiv) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    out.push({
      id: r.id,
      title: collapseWhitespace(r.title),
      authors: splitAuthors(r.authors).map((a) => a.name),
      abstract: r.abstract ? collapseWhitespace(r.abstract) : astroAbstracts[Math.floor(rnd() * astroAbstracts.length)]!,
      categories: r.categories,
      publishedAt: new Date(Date.parse(r.versions[0]?.date ?? '') || Date.UTC(2007, 3, 2)).toISOString(),
      upvotes: 0,
      githubRepo: null,
    });
  }
  return out;
}

const NEW_STYLE_FROM = Date.UTC(2007, 3, 1);
const CORPUS_END = Date.UTC(2026, 7, 31);

/**
 * `count` papers: the base papers under their own ids first (in a seeded shuffle, so that
 * a corpus of any size mixes the three sources in proportion), then copies under
 * synthesised new-style ids (`YYMM.NNNNN`, numbered within the month of the copy's
 * date), with a date drawn anew (Hugging Face copies within 2023–2026, the rest
 * within 2007–2026), shuffled authors and categories, and upvotes varied around the
 * original's. Seeded: every run yields the same papers.
 */
export function* benchPapers(papers: BenchPaper[], count: number): Generator<BenchPaper> {
  const rnd = random(2026);
  const base = shuffled(papers, rnd);
  const used = new Set(base.map((p) => p.id));
  const perMonth = new Map<string, number>();
  const HF_FROM = Date.UTC(2023, 0, 1);
  for (let i = 0; i < count; i++) {
    const p = base[i % base.length]!;
    const copy = Math.floor(i / base.length);
    if (copy === 0) {
      yield p;
      continue;
    }
    const from = p.upvotes > 0 || p.githubRepo ? HF_FROM : NEW_STYLE_FROM;
    const date = new Date(from + Math.floor(rnd() * (CORPUS_END - from)));
    const month = `${pad(date.getUTCFullYear() % 100)}${pad(date.getUTCMonth() + 1)}`;
    let id: string;
    do {
      const n = perMonth.get(month) ?? 10_000;
      perMonth.set(month, n + 1);
      id = `${month}.${n}`;
    } while (used.has(id));
    used.add(id);
    yield {
      id,
      title: p.title,
      authors: shuffled(p.authors, rnd),
      abstract: p.abstract,
      categories: shuffled(p.categories, rnd),
      publishedAt: date.toISOString(),
      upvotes: p.upvotes > 0 ? Math.round(p.upvotes * (0.2 + rnd() * 1.8)) : 0,
      githubRepo: p.githubRepo,
    };
  }
}

/** A bench paper as the arXiv parsers hand records to `saveArxivRecords`. */
export function toArxivRecord(p: BenchPaper): ArxivRecord {
  return {
    id: p.id,
    version: 1,
    title: p.title,
    abstract: p.abstract,
    authors: p.authors.map((name) => ({ name, affiliation: null })),
    categories: p.categories,
    primaryCategory: p.categories[0] ?? null,
    publishedAt: p.publishedAt,
    updatedAt: p.publishedAt,
    comment: null,
    journalRef: null,
    doi: null,
    pdfUrl: null,
    withdrawnAt: null,
  };
}
