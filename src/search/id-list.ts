/**
 * A segment's paper ids by ordinal, as one UTF-8 text of the ids joined by '\n' (the index
 * file's `ids` section, byte for byte) and each id's end in it. A million ids take about 15 MB
 * this way, against about 40 MB of heap as a million strings, and a file's section is used as
 * read. An id is made into a string only when asked for: the walk asks only for the papers
 * that enter its top k.
 */
export class IdList {
  /** Open-addressing table of ordinal + 1 by hash of the id (0: empty), made by the first lookup. */
  private table: Int32Array | null = null;
  private readonly view: Buffer;

  constructor(
    /** The ids joined by '\n' (spare room past the last id is ignored). */
    readonly text: Uint8Array,
    /** Per ordinal, the offset just past its id. */
    private readonly ends: Uint32Array,
  ) {
    this.view = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  }

  /** The ids of the '\n'-joined `text` (an index file's section). */
  static fromJoined(text: Uint8Array): IdList {
    let n = text.length ? 1 : 0;
    for (let i = 0; i < text.length; i++) if (text[i] === 0x0a) n++;
    const ends = new Uint32Array(n);
    let d = 0;
    for (let i = 0; i < text.length; i++) if (text[i] === 0x0a) ends[d++] = i;
    if (n) ends[d] = text.length;
    return new IdList(text, ends);
  }

  get length(): number {
    return this.ends.length;
  }

  /** Bytes of the joined text (no spare room). */
  get joined(): Uint8Array {
    return this.text.subarray(0, this.length ? this.ends[this.length - 1]! : 0);
  }

  at(d: number): string {
    return this.view.toString('utf8', d === 0 ? 0 : this.ends[d - 1]! + 1, this.ends[d]!);
  }

  /** The ordinal of `id`, if the list holds it. Only applying changes asks: the table (8 MB at a million) waits for it. */
  ordinalOf(id: string): number | undefined {
    const table = (this.table ??= this.makeTable());
    const key = Buffer.from(id);
    const mask = table.length - 1;
    for (let slot = hash(key, 0, key.length) & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot]!;
      if (entry === 0) return undefined;
      const d = entry - 1;
      const start = d === 0 ? 0 : this.ends[d - 1]! + 1;
      if (this.ends[d]! - start === key.length && this.view.compare(key, 0, key.length, start, this.ends[d]!) === 0) return d;
    }
  }

  private makeTable(): Int32Array {
    let size = 16;
    while (size < this.length * 2) size *= 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let d = 0; d < this.length; d++) {
      const start = d === 0 ? 0 : this.ends[d - 1]! + 1;
      let slot = hash(this.text, start, this.ends[d]!) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = d + 1;
    }
    return table;
  }
}

/** FNV-1a over bytes [from, to). */
function hash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Collects ids in ordinal order into an IdList, growing its arrays by doubling. */
export class IdListBuilder {
  private text = new Uint8Array(1 << 12);
  private bytes = 0;
  private ends = new Uint32Array(1 << 10);
  private count = 0;
  private readonly encoder = new TextEncoder();

  get length(): number {
    return this.count;
  }

  push(id: string): void {
    const at = this.count ? this.bytes + 1 : 0;
    if (at + id.length * 3 > this.text.length) this.text = grown(this.text, at + id.length * 3, (n) => new Uint8Array(n));
    if (this.count) this.text[this.bytes] = 0x0a;
    this.bytes = at + this.encoder.encodeInto(id, this.text.subarray(at)).written;
    if (this.count === this.ends.length) this.ends = grown(this.ends, this.count + 1, (n) => new Uint32Array(n));
    this.ends[this.count++] = this.bytes;
  }

  /** The list at its length; the builder's arrays are let go. */
  finish(): IdList {
    const list = new IdList(this.text.slice(0, this.bytes), this.ends.slice(0, this.count));
    this.text = new Uint8Array(0);
    this.ends = new Uint32Array(0);
    return list;
  }
}

function grown<T extends Uint8Array | Uint32Array>(a: T, need: number, make: (n: number) => T): T {
  const next = make(Math.max(a.length * 2, need));
  next.set(a);
  return next;
}
