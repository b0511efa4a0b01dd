// `npm run bench:recommend` (part of `npm run bench`): an offline evaluation of for-you
// (src/foryou) on the Hugging Face archive in ../shared/fixtures. Readers are simulated from
// the archive's submitters: each one with at least 10 submissions trains on the first 80 % of
// them by date (as saves), then the papers of the days on which they submitted the rest are
// ranked, all of those days' papers together; the papers they went on to submit are the
// relevant ones. NDCG@10 and recall@50 for for-you, for popularity alone, and for
// arxiv-sanity's recipe (tf-idf + a linear SVM per reader, negatives every earlier paper,
// balanced classes); also how long for-you takes to learn one save and to rank 20,000
// candidates. Writes its section of bench/RECOMMEND.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { HF_ARCHIVE } from './corpus.ts';
import { replaceSection } from './results-file.ts';
import { dot, termCounts, Vocabulary, type SparseVector } from '../src/foryou/text.ts';
import { ReaderModel } from '../src/foryou/model.ts';
import { BLEND, CandidateSet, NOTHING_FOLLOWED, rankCandidates, reasonsFor, type Candidate } from '../src/foryou/rank.ts';

const OUT = path.resolve(import.meta.dirname, 'RECOMMEND.md');
const MIN_SUBMISSIONS = 10;
const TRAIN_SHARE = 0.8;
const log = (msg: string) => process.stderr.write(`bench:recommend: ${msg}\n`);

interface Paper {
  id: string;
  day: string;
  title: string;
  abstract: string;
  upvotes: number;
  authors: string[];
  organization: string | null;
  submitter: string | null;
  submittedAt: string;
  counts: Map<string, number>;
  vec?: SparseVector;
}

async function readArchive(): Promise<Paper[]> {
  const out: Paper[] = [];
  const seen = new Set<string>();
  const lines = readline.createInterface({ input: fs.createReadStream(HF_ARCHIVE).pipe(zlib.createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const { date, items } = JSON.parse(line) as { date: string; items: { paper: Record<string, unknown> }[] };
    for (const { paper: p } of items) {
      const id = String(p.id);
      if (seen.has(id)) continue;
      seen.add(id);
      const by = p.submittedOnDailyBy as { user?: string } | undefined;
      const org = p.organization as { name?: string } | undefined;
      const title = String(p.title ?? '');
      const abstract = String(p.summary ?? '');
      out.push({
        id,
        day: date,
        title,
        abstract,
        upvotes: Number(p.upvotes ?? 0),
        authors: ((p.authors as { name?: string; hidden?: boolean }[] | undefined) ?? []).filter((a) => !a.hidden && a.name).map((a) => a.name!),
        organization: org?.name ?? null,
        submitter: by?.user ?? null,
        submittedAt: String(p.submittedOnDailyAt ?? `${date}T00:00:00.000Z`),
        counts: termCounts(title, abstract),
      });
    }
  }
  return out;
}

/** nDCG@k with binary gains. */
function ndcg(ranked: string[], relevant: Set<string>, k = 10): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => (dcg += relevant.has(id) ? 1 / Math.log2(i + 2) : 0));
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

function recall(ranked: string[], relevant: Set<string>, k = 50): number {
  return ranked.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}

/**
 * arxiv-sanity's classifier: a linear SVM (hinge loss, L2), classes balanced, trained here by
 * Pegasos-style SGD over shuffled passes since scikit-learn is not at hand.
 */
function trainSvm(pos: SparseVector[], neg: SparseVector[], dims: number, lambda = 1e-4, epochs = 20): Float64Array {
  const w = new Float64Array(dims);
  const examples = [...pos.map((v) => ({ v, y: 1, c: (pos.length + neg.length) / (2 * pos.length) })), ...neg.map((v) => ({ v, y: -1, c: (pos.length + neg.length) / (2 * neg.length) }))];
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  let t = 1;
  let scale = 1;
  for (let e = 0; e < epochs; e++) {
    for (let i = examples.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [examples[i], examples[j]] = [examples[j]!, examples[i]!];
    }
    for (const { v, y, c } of examples) {
      const eta = 1 / (lambda * (t + 1000));
      const margin = y * dot(v, w) * scale;
      scale *= 1 - eta * lambda;
      if (margin < 1) for (let k = 0; k < v.ids.length; k++) w[v.ids[k]!]! += (eta * c * y * v.vals[k]!) / scale;
      t++;
      if (scale < 1e-6) {
        for (let k = 0; k < w.length; k++) w[k]! *= scale;
        scale = 1;
      }
    }
  }
  for (let k = 0; k < w.length; k++) w[k]! *= scale;
  return w;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};

async function main() {
  const started = performance.now();
  const papers = await readArchive();
  log(`${papers.length} papers read`);
  const vocab = Vocabulary.fit(papers.map((p) => p.counts));
  for (const p of papers) p.vec = vocab.vectorize(p.counts);
  const candidateOf = (p: Paper): Candidate => ({ id: p.id, title: p.title, publishedAt: p.submittedAt, upvotes: p.upvotes, authors: p.authors, organization: p.organization, categories: [] });
  const byDay = new Map<string, Paper[]>();
  for (const p of papers) byDay.set(p.day, [...(byDay.get(p.day) ?? []), p]);

  const bySubmitter = new Map<string, Paper[]>();
  for (const p of papers) if (p.submitter) bySubmitter.set(p.submitter, [...(bySubmitter.get(p.submitter) ?? []), p]);
  const readers = [...bySubmitter].filter(([, subs]) => subs.length >= MIN_SUBMISSIONS);

  type Method = 'for-you' | 'for-you, text only' | 'popularity' | 'tf-idf + SVM (arxiv-sanity)';
  const scores: Record<Method, { ndcg: number[]; recall: number[] }> = {
    'for-you': { ndcg: [], recall: [] },
    'for-you, text only': { ndcg: [], recall: [] },
    popularity: { ndcg: [], recall: [] },
    'tf-idf + SVM (arxiv-sanity)': { ndcg: [], recall: [] },
  };
  const learnMs: number[] = [];
  let evaluated = 0;
  let candidatesTotal = 0;
  for (const [name, subs] of readers) {
    subs.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt) || a.id.localeCompare(b.id));
    const cut = Math.floor(subs.length * TRAIN_SHARE);
    const train = subs.slice(0, cut);
    const cutoffDay = train[train.length - 1]!.day;
    const test = subs.slice(cut).filter((p) => p.day > cutoffDay);
    if (test.length === 0) continue;
    const days = [...new Set(test.map((p) => p.day))];
    const candidates = days.flatMap((d) => byDay.get(d) ?? []);
    const relevant = new Set(test.map((p) => p.id));
    evaluated++;
    candidatesTotal += candidates.length;

    const model = new ReaderModel();
    for (const p of train) {
      const t0 = performance.now();
      model.learn({ kind: 'save', paperId: p.id, title: p.title, counts: p.counts, authors: p.authors, organization: p.organization }, vocab);
      learnMs.push(performance.now() - t0);
    }
    const weights = model.weights(vocab);
    const pool = new CandidateSet(candidates.map(candidateOf), candidates.map((p) => p.vec!));
    const record = (m: Method, ranked: string[]) => {
      scores[m].ndcg.push(ndcg(ranked, relevant));
      scores[m].recall.push(recall(ranked, relevant));
    };
    record('for-you', rankCandidates(pool, model, weights, NOTHING_FOLLOWED).map((r) => r.candidate.id));
    record('for-you, text only', rankCandidates(pool, model, weights, NOTHING_FOLLOWED, { blend: { text: 1, author: 0, organization: 0, follow: 0, popularity: 0 } }).map((r) => r.candidate.id));
    record('popularity', [...candidates].sort((a, b) => b.upvotes - a.upvotes || a.id.localeCompare(b.id)).map((p) => p.id));
    const trainIds = new Set(train.map((p) => p.id));
    const negatives = papers.filter((p) => p.day <= cutoffDay && !trainIds.has(p.id)).map((p) => p.vec!);
    const w = trainSvm(train.map((p) => p.vec!), negatives, vocab.size);
    record('tf-idf + SVM (arxiv-sanity)', [...candidates].sort((a, b) => dot(b.vec!, w) - dot(a.vec!, w)).map((p) => p.id));
    log(`${name}: ${train.length} train, ${test.length} test over ${days.length} days, ${candidates.length} candidates`);
  }

  // Ranking one page for a reader among 20,000 candidates (for-you's bound): the whole archive, twice over.
  const twice = [...papers, ...papers].slice(0, 20_000);
  const big = new CandidateSet(twice.map((p, i) => ({ ...candidateOf(p), id: `${p.id}#${i}` })), twice.map((p) => p.vec!));
  const reader = new ReaderModel();
  for (const p of readers[1]?.[1].slice(0, 50) ?? []) reader.learn({ kind: 'save', paperId: p.id, title: p.title, counts: p.counts, authors: p.authors, organization: p.organization }, vocab);
  const rankMs: number[] = [];
  const rankCpuMs: number[] = [];
  const denseMs: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    // Every other run as after a new save (weights made again), the rest as a page view (weights kept).
    const w = reader.weights(vocab);
    const t1 = performance.now();
    const cpu = process.cpuUsage();
    const top = rankCandidates(big, reader, w, NOTHING_FOLLOWED, { limit: 40 });
    for (const r of top.slice(0, 20)) reasonsFor(r.candidate, big.vectorOf(r.candidate.id)!, reader, vocab, w, NOTHING_FOLLOWED);
    rankMs.push(performance.now() - t1);
    const used = process.cpuUsage(cpu);
    rankCpuMs.push((used.user + used.system) / 1000);
    denseMs.push(t1 - t0);
  }

  const rows = (Object.keys(scores) as Method[]).map((m) => `| ${m} | ${mean(scores[m].ndcg).toFixed(3)} | ${mean(scores[m].recall).toFixed(3)} |`);
  const text = `## Offline evaluation

Written by \`npm run bench:recommend\` (bench/recommend.ts) on ${new Date().toISOString().slice(0, 10)}, in ${((performance.now() - started) / 1000).toFixed(0)} s.

Readers simulated from the Hugging Face archive (${papers.length.toLocaleString('en-US')} papers, ${path.basename(HF_ARCHIVE)}): each of the
${readers.length} submitters with at least ${MIN_SUBMISSIONS} submissions trains on the first ${TRAIN_SHARE * 100} % of them by date (each a save);
the papers of the days on which they submitted the rest are ranked together, and the papers they went on
to submit are the relevant ones. ${evaluated} readers had submissions after their training days; ${(candidatesTotal / Math.max(1, evaluated)).toFixed(0)} candidates per
reader on average. Means over readers, binary relevance.

| method | NDCG@10 | recall@50 |
|---|---|---|
${rows.join('\n')}

- **for-you**: src/foryou/rank.ts as served (BLEND ${JSON.stringify(BLEND)}), no follows (the archive has none).
- **for-you, text only**: its tf-idf linear model (a Rocchio centroid of the saves) alone.
- **popularity**: the candidates by upvotes. The archive's upvote counts are final, so popularity (and the
  popularity part of for-you) knows more than it would on the day: an upper bound for both.
- **tf-idf + SVM**: arxiv-sanity's recipe, the same tf-idf features, a linear SVM per reader (hinge loss,
  L2, balanced classes, SGD), every paper listed up to the reader's last training day a negative.

Time (this machine, one process):
- learning one new save (its vector added to the reader's model): p50 ${quantile(learnMs, 0.5).toFixed(2)} ms, p99 ${quantile(learnMs, 0.99).toFixed(2)} ms, max ${Math.max(...learnMs).toFixed(2)} ms over ${learnMs.length} saves (goal ≤ 50 ms);
- ranking 20,000 candidates (for-you's bound on recent papers, whatever the corpus size) and the reasons of a page of 20:
  p50 ${quantile(rankMs, 0.5).toFixed(1)} ms, p99 ${quantile(rankMs, 0.99).toFixed(1)} ms over ${rankMs.length} runs (CPU time of the process: p50 ${quantile(rankCpuMs, 0.5).toFixed(1)} ms, p99 ${quantile(rankCpuMs, 0.99).toFixed(1)} ms); the reader's dense weights, made again after
  a change to their model (kept otherwise): p50 ${quantile(denseMs, 0.5).toFixed(1)} ms, p99 ${quantile(denseMs, 0.99).toFixed(1)} ms (${vocab.size.toLocaleString('en-US')} terms). A served
  page adds the reader's signals and follows (indexed queries), one visibility check and the cards' hydration.
- Load average during the run: ${os.loadavg().map((l) => l.toFixed(1)).join(', ')} on ${os.cpus().length} cores (other work shares the machine; times are upper bounds).
`;
  // Its own section: the at-scale one (bench/foryou-scale.ts) and the notes below it stay.
  if (!fs.existsSync(OUT)) fs.writeFileSync(OUT, '# For-you\n');
  replaceSection(OUT, 'Offline evaluation', text);
  process.stdout.write(text);
}

await main();
