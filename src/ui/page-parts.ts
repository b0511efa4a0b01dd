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
