import { randomBytes } from 'node:crypto';
import { raw } from 'hono/html';

/**
 * A marker no text can forge: user text (a title, a comment) cannot hold this process's nonce.
 * \u0002, where reader templates use \u0001 (http/reader-template.ts), so neither reads the other's.
 */
const NONCE = randomBytes(9).toString('base64url');
const OPEN = `\u0002${NONCE}:`;
const CLOSE = '\u0002';

/**
 * Stands for the page's own path (and query string) in a kept frame (`KeptFrames`): the only
 * part of a list page's frame that differs between two addresses of the same page, where the
 * look-preference forms lead back to. Rendered inside an attribute value, where escaping leaves it as it is.
 */
export const PATH_SLOT = `${OPEN}path${CLOSE}`;
const PATH_AT = -1;

/**
 * Parts of a page already encoded (kept cards): the page's HTML holds a marker for each, and
 * `encode` turns the rest into bytes around them. Encoding a rendered page to UTF-8 was the
 * largest cost of rendering the busiest day from nothing (docs/decisions/021-rendering-cpu.md);
 * this way only the page's frame is encoded, and the cards' bytes are copied once.
 */
export class PageParts {
  readonly #parts: Buffer[][] = [];

  /** A marker standing for `bytes`, in order, where the page's HTML puts it. */
  add(bytes: Buffer[]): ReturnType<typeof raw> {
    this.#parts.push(bytes);
    return raw(`${OPEN}${this.#parts.length - 1}${CLOSE}`);
  }

  /** The parts, by the index their markers name (`KeptFrames` puts a kept frame's markers back). */
  get parts(): readonly Buffer[][] {
    return this.#parts;
  }

  /** The page's bytes: `html` encoded, each marker replaced by its parts. */
  encode(html: string): Buffer {
    if (this.#parts.length === 0) return Buffer.from(html);
    const out: Buffer[] = [];
    let last = 0;
    for (let at = html.indexOf(OPEN); at !== -1; at = html.indexOf(OPEN, last)) {
      const end = html.indexOf(CLOSE, at + OPEN.length);
      out.push(Buffer.from(html.slice(last, at)), ...this.#parts[Number(html.slice(at + OPEN.length, end))]!);
      last = end + CLOSE.length;
    }
    out.push(Buffer.from(html.slice(last)));
    return Buffer.concat(out);
  }
}

/**
 * A page's frame as bytes: encoded text, and where the parts (by index) and the path go.
 * (Buffer | index | PATH_AT)
 */
type Frame = (Buffer | number)[];

/** A frame's text split at its markers: the encoded text between them, each marker's part index, PATH_AT for the path. */
function frameOf(html: string): Frame {
  const out: Frame = [];
  let last = 0;
  for (let at = html.indexOf(OPEN); at !== -1; at = html.indexOf(OPEN, last)) {
    const end = html.indexOf(CLOSE, at + OPEN.length);
    const name = html.slice(at + OPEN.length, end);
    out.push(Buffer.from(html.slice(last, at)), name === 'path' ? PATH_AT : Number(name));
    last = end + CLOSE.length;
  }
  out.push(Buffer.from(html.slice(last)));
  return out;
}

const ESCAPED: Record<string, string> = { '"': '&quot;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * List pages' frames (head, header, navigation, date bar, footer: everything but the cards) kept as
 * bytes by everything they show but the cards and the page's path, which are put in per page. A
 * page rendered anew after a vote encodes nothing of its own: its frame is the one before the vote
 * (the same day, count and neighbours), and its cards are kept (papers/components.tsx). Rendering
 * and encoding the frame's JSX was the largest part of such a page left (decision 024).
 */
export class KeptFrames {
  readonly #frames = new Map<string, Frame>();
  constructor(private readonly max: number) {}

  /** Whether a frame is kept under `key`: a page whose frame needs reads of its own makes them only when it is not. */
  has(key: string): boolean {
    return this.#frames.has(key);
  }

  /**
   * The page's bytes: the frame kept under `key`, else `render()`'s (its HTML, with `PATH_SLOT` for
   * the path and `parts`' markers for what they hold) kept; `path` escaped where the slot is.
   * `key` must name everything the frame shows but the path and the parts; `addParts` adds to
   * `parts` what `render` would (it is called instead of it).
   */
  async page(key: string, path: string, parts: PageParts, render: () => unknown, addParts: () => void): Promise<Buffer> {
    let frame = this.#frames.get(key);
    // Kept: the parts the render would have added, added as it would have.
    if (frame) addParts();
    else {
      frame = frameOf(await (render() as { toString(): string | Promise<string> }).toString());
      this.#frames.set(key, frame);
      if (this.#frames.size > this.max) this.#frames.delete(this.#frames.keys().next().value!);
    }
    const escapedPath = Buffer.from(path.replace(/["'&<>]/g, (ch) => ESCAPED[ch]!));
    const out: Buffer[] = [];
    for (const piece of frame) {
      if (Buffer.isBuffer(piece)) out.push(piece);
      else if (piece === PATH_AT) out.push(escapedPath);
      else out.push(...parts.parts[piece]!);
    }
    return Buffer.concat(out);
  }
}
