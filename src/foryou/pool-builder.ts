import { Worker, type MessagePort } from 'node:worker_threads';
import { DocumentFrequencies, grown, SurfaceWords, TermTable, TermWords, termCounts, Vocabulary, type EncodedCounts, type PackedVectors } from './text.ts';
import { postingsOf, type Postings } from './rank.ts';

/**
 * The per-version half of for-you's candidate pool (decision 031): the candidates' words counted,
 * the vocabulary, every candidate's vector and the postings, made on a thread of their own. The
 * build makes tens of megabytes of short-lived objects (every paper's words, its counts as a map)
 * and seconds of work; on the serving thread its garbage was collected during readers' pages, and
 * a major collection on one of them set for-you's p99. Here it is collected in the builder's heap,
 * and the serving thread receives typed arrays (moved, not copied) and two arrays of strings.
 * The serving thread still reads the papers from the database (the builder opens none) and keeps
 * the candidates' titles and people.
 */

/** A pool's vectors as the serving thread receives them. */
export interface BuiltVectors {
  vocab: Vocabulary;
  words: TermWords;
  vectors: PackedVectors;
  postings: Postings;
}

/** A paper of the pool as the builder asks for it: its id and when it last changed. */
export interface PoolPaper {
  id: string;
  modifiedAt: string;
  title: string;
}

/** Most terms numbered before the table starts again (a million papers' words hold about ten times fewer). */
const MAX_TERMS = 4_000_000;
/** Most stems given a word before the words start again. */
const MAX_SURFACE = 200_000;
/** Papers whose abstracts are read and sent to the builder at a time: short-lived on the serving thread. */
const CHUNK = 500;

type Request = { kind: 'begin'; ids: string[]; modified: string[] } | { kind: 'texts'; items: { i: number; title: string; abstract: string }[] } | { kind: 'end' };
type Reply = { ok: true; value: unknown } | { ok: false; error: string };
interface Sent {
  terms: string[];
  idf: Float32Array;
  maxIdf: number;
  words: { text: string; starts: Int32Array };
  vectors: PackedVectors;
  postings: Postings;
}

/**
 * The builder's side: papers' counts kept across builds (a rebuild counts the words of new or
 * changed papers only), the numbers of their terms, and a word for each stem.
 */
export class PoolBuilder {
  private texts = new TextsBuilder().build();
  private table = new TermTable();
  private surface = new SurfaceWords();
  private ids: string[] = [];
  private modified: string[] = [];
  private fresh = new Map<number, EncodedCounts>();

  /** A build of these papers (in the pool's order) starts: the places of those whose words it needs. */
  begin(ids: string[], modified: string[]): number[] {
    // The table only grows (new papers, new words): past a bound, it starts again and every paper is read again.
    if (this.table.size > MAX_TERMS) {
      this.table = new TermTable();
      this.texts = new TextsBuilder().build();
    }
    this.ids = ids;
    this.modified = modified;
    this.fresh.clear();
    const lacking: number[] = [];
    for (let i = 0; i < ids.length; i++) if (!this.texts.countsOf(ids[i]!, modified[i]!)) lacking.push(i);
    return lacking;
  }

  /** The words of papers it needs (`i`: the paper's place), in the pool's order. */
  add(items: { i: number; title: string; abstract: string }[]): void {
    for (const { i, title, abstract } of items) {
      if (this.surface.size > MAX_SURFACE) this.surface.clear();
      this.fresh.set(i, this.table.encode(termCounts(title, abstract, this.surface)));
    }
  }

  /** The vocabulary over the papers, their vectors and postings. */
  end(): BuiltVectors {
    const { ids, modified } = this;
    const texts = new TextsBuilder();
    for (let i = 0; i < ids.length; i++) {
      const counts = this.fresh.get(i) ?? this.texts.countsOf(ids[i]!, modified[i]!);
      if (!counts) throw new Error(`foryou: the words of paper ${ids[i]} were not sent`);
      texts.add(ids[i]!, modified[i]!, counts);
    }
    const kept = (this.texts = texts.build());
    this.fresh.clear();
    const df = new DocumentFrequencies(this.table);
    for (let i = 0; i < ids.length; i++) df.add(kept.counts(i));
    const vocab = df.vocabulary();
    const vectors = vocab.vectorizeAll(ids.length, (i) => kept.counts(i));
    return { vocab, words: TermWords.of(vocab.terms, this.surface), vectors, postings: postingsOf(vectors) };
  }
}

/** The builder thread's loop: one PoolBuilder, answering `begin` and `end` (src/foryou/pool-worker.js starts it). */
export function servePoolBuilder(port: MessagePort): void {
  const builder = new PoolBuilder();
  let failed: Error | undefined;
  port.on('message', (req: Request) => {
    try {
      if (req.kind === 'begin') {
        failed = undefined;
        port.postMessage({ ok: true, value: builder.begin(req.ids, req.modified) } satisfies Reply);
      } else if (req.kind === 'texts') {
        if (!failed) builder.add(req.items);
      } else {
        if (failed) throw failed;
        const { vocab, words, vectors, postings } = builder.end();
        const value: Sent = { terms: [...vocab.terms], idf: vocab.idf, maxIdf: vocab.maxIdf, words: words.parts, vectors, postings };
        const moved = [value.idf, value.words.starts, vectors.starts, vectors.ids, vectors.vals, postings.offsets, postings.postings, postings.values].map((a) => a.buffer as ArrayBuffer);
        port.postMessage({ ok: true, value } satisfies Reply, moved);
      }
    } catch (err) {
      // A failure while adding texts is told at `end`, the next question asked.
      if (req.kind === 'texts') failed = err as Error;
      else port.postMessage({ ok: false, error: (err as Error).stack ?? String(err) } satisfies Reply);
    }
  });
}

/**
 * The serving thread's side: starts the builder thread on first use, keeps it between builds (it
 * keeps the papers' counts) without keeping the process alive, and starts another if it dies.
 */
export class PoolBuilderClient {
  private worker?: Worker;
  private waiting?: { resolve: (value: unknown) => void; reject: (err: Error) => void };

  /**
   * The vectors of these papers (the pool, in order); `abstractsOf` reads the abstracts of those
   * whose words the builder lacks (new or changed papers), a chunk at a time.
   */
  async build(papers: readonly PoolPaper[], abstractsOf: (ids: string[]) => Promise<Map<string, string>>): Promise<BuiltVectors> {
    const worker = this.start();
    worker.ref();
    try {
      const lacking = (await this.ask(worker, { kind: 'begin', ids: papers.map((p) => p.id), modified: papers.map((p) => p.modifiedAt) })) as number[];
      for (let from = 0; from < lacking.length; from += CHUNK) {
        const chunk = lacking.slice(from, from + CHUNK);
        const abstracts = await abstractsOf(chunk.map((i) => papers[i]!.id));
        const items = chunk.map((i) => ({ i, title: papers[i]!.title, abstract: abstracts.get(papers[i]!.id) ?? '' }));
        worker.postMessage({ kind: 'texts', items } satisfies Request);
      }
      const sent = (await this.ask(worker, { kind: 'end' })) as Sent;
      // The serving thread numbers no terms: its vocabulary vectorizes counts by term only.
      const vocab = new Vocabulary(sent.terms, sent.idf, sent.maxIdf, new Int32Array(0));
      return { vocab, words: new TermWords(sent.words.text, sent.words.starts), vectors: sent.vectors, postings: sent.postings };
    } finally {
      worker.unref();
    }
  }

  /** Ends the builder thread (a later build starts another). */
  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // No flags of this process (--import tsx, or a test runner's): the entry registers TypeScript itself.
    const worker = new Worker(new URL('./pool-worker.js', import.meta.url), { execArgv: [] });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(err);
    };
    worker.on('message', (reply: Reply) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(new Error(`foryou: the pool's builder failed: ${reply.error}`));
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(new Error(`foryou: the pool's builder stopped (exit code ${code})`)));
    worker.unref();
    return (this.worker = worker);
  }

  private ask(worker: Worker, req: Request): Promise<unknown> {
    if (this.worker !== worker) return Promise.reject(new Error("foryou: the pool's builder stopped"));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      worker.postMessage(req);
    });
  }
}

/**
 * Papers' term counts end to end (paper i's: `terms/tf[starts[i]..starts[i + 1])`), found by
 * paper id: four typed arrays for a pool's 20,000 papers rather than two each (decision 028).
 */
class Texts {
  constructor(
    private readonly at: Map<string, number>,
    private readonly modified: string[],
    private readonly starts: Int32Array,
    private readonly terms: Int32Array,
    private readonly tf: Uint16Array,
  ) {}

  /** Paper i's counts (views: read, not kept). */
  counts(i: number): EncodedCounts {
    return { terms: this.terms.subarray(this.starts[i]!, this.starts[i + 1]!), tf: this.tf.subarray(this.starts[i]!, this.starts[i + 1]!) };
  }

  /** The counts of this paper as it was when last modified at `modifiedAt`, if kept. */
  countsOf(id: string, modifiedAt: string): EncodedCounts | undefined {
    const i = this.at.get(id);
    return i === undefined || this.modified[i] !== modifiedAt ? undefined : this.counts(i);
  }
}

class TextsBuilder {
  private readonly at = new Map<string, number>();
  private readonly modified: string[] = [];
  private starts: Int32Array = new Int32Array(1024);
  private terms: Int32Array = new Int32Array(1 << 16);
  private tf: Uint16Array = new Uint16Array(1 << 16);

  add(id: string, modifiedAt: string, doc: EncodedCounts): void {
    const i = this.modified.length;
    this.at.set(id, i);
    this.modified.push(modifiedAt);
    if (this.starts.length < i + 2) this.starts = grown(this.starts, 2 * this.starts.length);
    const from = this.starts[i]!;
    const to = from + doc.terms.length;
    if (this.terms.length < to) {
      this.terms = grown(this.terms, Math.max(to, 2 * this.terms.length));
      this.tf = grown(this.tf, this.terms.length);
    }
    this.terms.set(doc.terms, from);
    this.tf.set(doc.tf, from);
    this.starts[i + 1] = to;
  }

  build(): Texts {
    const n = this.modified.length;
    const end = this.starts[n]!;
    return new Texts(this.at, this.modified, this.starts.slice(0, n + 1), this.terms.slice(0, end), this.tf.slice(0, end));
  }
}
