import { stemmer } from 'stemmer';
import type { ParsedQuery } from './query.ts';

/**
 * Marks the words a query matched, for titles and snippets. Both databases stem with
 * Porter's algorithm (FTS5's `porter`, PostgreSQL's English Snowball), so comparing
 * Porter stems here marks what the index matched, give or take a rare word.
 */
export interface TermMatcher {
  stems: Set<string>;
  prefixes: string[];
  /**
   * The first UTF-16 unit of every stem and prefix. Porter's algorithm (the `stemmer` package)
   * only ever rewrites a word's ending: each step keeps a non-empty start of the word and appends
   * to it, so a word's stem begins with the word's first unit (its lowercase). A word whose first
   * unit is not here can match nothing, and is neither lowercased nor stemmed.
   */
  firsts: Set<number>;
}

export function matcherFor(query: ParsedQuery): TermMatcher {
  const stems = new Set<string>();
  const prefixes: string[] = [];
  for (const term of query.must.flat()) {
    term.tokens.forEach((token, i) => {
      if (term.prefix && i === term.tokens.length - 1) prefixes.push(token);
      else stems.add(stemmer(token));
    });
  }
  const firsts = new Set([...stems, ...prefixes].filter((s) => s.length > 0).map((s) => s.charCodeAt(0)));
  return { stems, prefixes, firsts };
}

const stems = new Map<string, string>();
/** Porter's stem, cached: a page of snippets stems thousands of words, mostly the same few hundred. */
function stemOf(lower: string): string {
  let s = stems.get(lower);
  if (s === undefined) {
    s = stemmer(lower);
    if (stems.size > 100_000) stems.clear();
    // A copy of a long word: it may be a slice that would keep its whole text alive as the key.
    stems.set(lower.length > 12 ? Buffer.from(lower).toString() : lower, s);
  }
  return s;
}

/** Whether `text` from `at` for `length` units is a word the query matched (`text` may be the word itself). */
function matchesAt(text: string, at: number, length: number, m: TermMatcher): boolean {
  const c = text.charCodeAt(at);
  // ASCII letters and digits lowercase alone; any other first unit is lowercased with its word.
  if (c < 0x80) {
    if (!m.firsts.has(c >= 65 && c <= 90 ? c | 0x20 : c)) return false;
  } else if (!m.firsts.has(text.slice(at, at + length).toLowerCase().charCodeAt(0))) {
    return false;
  }
  const lower = text.slice(at, at + length).toLowerCase();
  return m.stems.has(stemOf(lower)) || m.prefixes.some((p) => lower.startsWith(p));
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/**
 * The share of the query's required groups that the title answers (a group counts when
 * one of its terms has every token in the title): 1 when the title says all the reader asked.
 */
export function titleCoverage(title: string, query: ParsedQuery): number {
  if (query.must.length === 0) return 0;
  const words = (title.toLowerCase().match(WORD) ?? []).map((w) => stemmer(w));
  const has = (token: string, prefix: boolean) => (prefix ? words.some((w) => w.startsWith(stemmer(token)) || w.startsWith(token)) : words.includes(stemmer(token)));
  const answered = query.must.filter((group) => group.some((t) => t.tokens.every((token, i) => has(token, t.prefix && i === t.tokens.length - 1))));
  return answered.length / query.must.length;
}

/** The text as HTML, escaped, with each matched word in `<mark>`. */
export function highlight(text: string, m: TermMatcher): string {
  const w = words(text, m);
  return marked(text, w, 0, w.count, 0, text.length);
}

/** A text's words (WORD) as start and end offsets, and whether each matched. */
interface Words extends Spans {
  hit: Uint8Array;
}

/** Per BMP code point: 0 not classified yet, 1 in WORD's class, 2 not (classified on first sight). */
const WORD_UNIT = new Uint8Array(65536);
for (let c = 0; c < 128; c++) WORD_UNIT[c] = /[\p{L}\p{N}\p{M}]/u.test(String.fromCharCode(c)) ? 1 : 2;
const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;

/** Whether code point `cp` is in WORD's class (letters, digits, marks). */
function wordChar(cp: number): boolean {
  if (cp > 0xffff) return WORD_CHAR.test(String.fromCodePoint(cp));
  let k = WORD_UNIT[cp]!;
  if (k === 0) WORD_UNIT[cp] = k = WORD_CHAR.test(String.fromCharCode(cp)) ? 1 : 2;
  return k === 1;
}

/** Where a text's words (WORD) start and end, the first `count` of the arrays. */
export interface Spans {
  start: Int32Array;
  end: Int32Array;
  count: number;
}

export const newSpans = (): Spans => ({ start: new Int32Array(512), end: new Int32Array(512), count: 0 });

/**
 * The runs of WORD in `text` into `into` (its arrays reused, grown when short), found by a scan of
 * its code points: what the regular expression matches, lone surrogates outside words, at a fraction
 * of its cost on a whole abstract.
 */
export function wordSpans(text: string, into: Spans): Spans {
  into.count = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    // Past the units outside words, then to the end of the word.
    let c = text.charCodeAt(i);
    if (c < 0x80 ? WORD_UNIT[c] !== 1 : !wordChar(text.codePointAt(i)!)) {
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      continue;
    }
    const start = i;
    while (i < n) {
      c = text.charCodeAt(i);
      if (c < 0x80) {
        if (WORD_UNIT[c] !== 1) break;
        i++;
      } else {
        const cp = text.codePointAt(i)!;
        if (!wordChar(cp)) break;
        i += cp > 0xffff ? 2 : 1;
      }
    }
    if (into.count === into.start.length) {
      const start2 = new Int32Array(into.count * 2);
      const end2 = new Int32Array(into.count * 2);
      start2.set(into.start);
      end2.set(into.end);
      into.start = start2;
      into.end = end2;
    }
    into.start[into.count] = start;
    into.end[into.count++] = i;
  }
  return into;
}

/** words()'s arrays, reused call after call (read before the next call: highlight and snippet use them at once). */
const scratch: Words = { ...newSpans(), hit: new Uint8Array(512) };

/** A text's words and whether each matched. */
function words(text: string, m: TermMatcher): Words {
  wordSpans(text, scratch);
  if (scratch.hit.length < scratch.start.length) scratch.hit = new Uint8Array(scratch.start.length);
  for (let k = 0; k < scratch.count; k++) scratch.hit[k] = matchesAt(text, scratch.start[k]!, scratch.end[k]! - scratch.start[k]!, m) ? 1 : 0;
  return scratch;
}

/** text[from, to) as HTML with words [first, last) of `w` (all inside it) marked where they matched. */
function marked(text: string, w: Words, first: number, last: number, from: number, to: number): string {
  let html = '';
  let at = from;
  for (let i = first; i < last; i++) {
    if (!w.hit[i]) continue;
    html += escapeHtml(text.slice(at, w.start[i])) + `<mark>${escapeHtml(text.slice(w.start[i], w.end[i]))}</mark>`;
    at = w.end[i]!;
  }
  return html + escapeHtml(text.slice(at, to));
}

/**
 * A passage of about `count` words around the densest run of matches (the start of
 * the text when nothing matched), highlighted, with an ellipsis where it was cut.
 */
export function snippet(text: string, m: TermMatcher, count = 36): string {
  const flat = /\s\s|[^\S ]/.test(text) ? text.replace(/\s+/g, ' ').trim() : text.trim();
  const w = words(flat, m);
  const n = w.count;
  if (n <= count) return marked(flat, w, 0, n, 0, flat.length);
  const hit = w.hit;
  // Sliding window: the start with the most matched words in view, earliest on ties.
  let best = 0;
  let inView = 0;
  for (let i = 0; i < count; i++) inView += hit[i]!;
  let bestCount = inView;
  for (let start = 1; start + count <= n; start++) {
    inView += hit[start + count - 1]! - hit[start - 1]!;
    if (inView > bestCount) [best, bestCount] = [start, inView];
  }
  // Begin a few words before the first match, so the passage reads as a sentence.
  if (bestCount > 0) best = Math.max(0, Math.min(hit.indexOf(1, best) - 4, n - count));
  const from = best === 0 ? 0 : w.start[best]!;
  const lastWord = Math.min(n, best + count);
  const to = best + count >= n ? flat.length : w.end[lastWord - 1]!;
  return (from > 0 ? '… ' : '') + marked(flat, w, best, lastWord, from, to) + (to < flat.length ? ' …' : '');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;

function escapeHtml(text: string): string {
  return SPECIAL.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : text;
}
