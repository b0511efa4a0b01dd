// Server-side KaTeX rendering for paper titles and abstracts.
//
// Math delimiters: `$...$`, `\(...\)` (inline) and `$$...$$`, `\[...\]` (display).
// Single dollars follow Pandoc's `tex_math_dollars` rule so prices stay text:
// - the opening `$` must be followed by a non-space character;
// - the closing `$` is the next unescaped `$`, which must be preceded by a non-space
//   character and not followed by a digit, else the opening `$` is literal;
// - the span may wrap lines but not contain a blank line;
// - a span that starts with a digit, contains whitespace and has none of `\ ^ _ { }`
//   reads as prose ("$5 million, 3x more than US$"), so it stays text too.
// `\$` is a literal dollar; anything unmatched or that KaTeX rejects is kept as escaped text.
// Outside math, TeX's escapes and text commands print what they mean (`56.0\%` → `56.0%`; tex-text.ts).
import katex, { type KatexOptions } from 'katex';
import { cleanTextEscapes, texToText } from './tex-text.ts';

interface Rendered {
  html: string;
  plain: string;
  /** Plain text with the math as Unicode (tex-text.ts): for mails and images, which cannot typeset. */
  readable: string;
  math: boolean;
  /** The text in pieces: plain runs and typeset spans, for excerpts. */
  parts: Part[];
}

type Part = { text: string } | { html: string; tex: string };

/** A math span found at some position: its TeX, whether it is display math, and where it ends. */
export interface MathSpan {
  tex: string;
  display: boolean;
  end: number;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** Renders plain text with LaTeX math into HTML that is safe to insert into a page. */
export function renderMath(text: string): string {
  return cached(text).html;
}

/** Whether renderMath renders at least one math span in `text`. */
export function hasMath(text: string): boolean {
  return cached(text).math;
}

/**
 * The first `maxChars` (as plain text) of `text`, rendered like renderMath and cut
 * at a word boundary between math spans, never inside one; `…` marks the cut.
 */
export function renderMathExcerpt(text: string, maxChars: number): string {
  const { parts, plain, html } = cached(text);
  if (plain.length <= maxChars) return html;
  let out = '';
  let used = 0;
  for (const part of parts) {
    if ('html' in part) {
      if (used + part.tex.length > maxChars) break;
      out += part.html;
      used += part.tex.length;
      continue;
    }
    if (used + part.text.length <= maxChars) {
      out += escapeHtml(part.text);
      used += part.text.length;
      continue;
    }
    const room = part.text.slice(0, maxChars - used);
    const cut = room.lastIndexOf(' ');
    out += escapeHtml(cut > 0 ? room.slice(0, cut) : room);
    break;
  }
  return `${out.trimEnd()}…`;
}

/** Plain text for <title>, feeds and meta tags: math delimiters dropped, TeX source kept. */
export function stripMath(text: string): string {
  return cached(text).plain;
}

/** Plain text with the math written in Unicode (`\mathcal{O}(n \log n)` → `𝒪(n log n)`): what a mail or an image shows. */
export function mathAsText(text: string): string {
  return cached(text).readable;
}

// Titles are rendered many times per page and KaTeX is not cheap; a Map keeps insertion
// order, so re-inserting on hit and evicting the first key gives a small LRU.
const CACHE_MAX = 2000;
const cache = new Map<string, Rendered>();

function cached(text: string): Rendered {
  if (!/[$\\]/.test(text)) return { html: escapeHtml(text), plain: text, readable: text, math: false, parts: [{ text }] };
  let hit = cache.get(text);
  if (hit) {
    cache.delete(text);
  } else {
    hit = render(text);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  cache.set(text, hit);
  return hit;
}

function render(text: string): Rendered {
  let html = '';
  let plain = '';
  let readable = '';
  let buf = '';
  let math = false;
  const parts: Part[] = [];
  const flush = () => {
    const text = cleanTextEscapes(buf);
    html += escapeHtml(text);
    plain += text;
    readable += text;
    if (text) parts.push({ text });
    buf = '';
  };
  let i = 0;
  while (i < text.length) {
    const span = mathAt(text, i);
    const out = span && toHtml(span);
    if (span && out !== null) {
      flush();
      html += out;
      plain += span.tex;
      readable += texToText(span.tex);
      parts.push({ html: out, tex: span.tex });
      math = true;
      i = span.end;
    } else if (span) {
      // Malformed math degrades to its source, dollars included (not cleaned as prose).
      flush();
      const source = text.slice(i, span.end);
      html += escapeHtml(source);
      plain += source;
      readable += source;
      parts.push({ text: source });
      i = span.end;
    } else if (text.startsWith('\\$', i)) {
      buf += '$';
      i += 2;
    } else if (text[i] === '\\' || text.startsWith('$$', i)) {
      // Consume both characters so `\\$x$` or an unclosed `$$` can't open a span halfway.
      buf += text.slice(i, i + 2);
      i += 2;
    } else {
      buf += text[i];
      i++;
    }
  }
  flush();
  return { html, plain, readable, math, parts };
}

/** The math span that opens at `text[i]` under the rules above, or null (comments' Markdown reuses them). */
export function mathAt(text: string, i: number): MathSpan | null {
  if (text.startsWith('$$', i)) return delimited(text, i + 2, '$$', true);
  if (text.startsWith('\\[', i)) return delimited(text, i + 2, '\\]', true);
  if (text.startsWith('\\(', i)) return delimited(text, i + 2, '\\)', false);
  if (text[i] === '$') return inlineDollar(text, i);
  return null;
}

function delimited(text: string, start: number, close: string, display: boolean): MathSpan | null {
  const j = findClose(text, start, close);
  if (j < 0) return null;
  const tex = text.slice(start, j);
  return tex.trim() ? { tex, display, end: j + close.length } : null;
}

function inlineDollar(text: string, i: number): MathSpan | null {
  const j = findClose(text, i + 1, '$');
  if (j < 0) return null;
  const tex = text.slice(i + 1, j);
  if (/^\s|\s$/.test(tex) || /\d/.test(text[j + 1] ?? '')) return null;
  if (/\n[ \t]*\n/.test(tex)) return null;
  if (/^\d/.test(tex) && /\s/.test(tex) && !/[\\^_{}]/.test(tex)) return null;
  return { tex, display: false, end: j + 1 };
}

// Skips backslash pairs so `\$` or `\\` inside math never ends the span.
function findClose(text: string, start: number, close: string): number {
  return closers(text, close)[start] ?? -1;
}

// The scan from any position is a function of that position alone: the closer it
// finds is `next[j]`, computed once per text and delimiter from the end, so that
// many unclosed openers (`\(\(\(…`) cost linear time, not a rescan each.
let closersOf: string | undefined;
const closersMemo = new Map<string, Int32Array>();

/** Exported for tests: for each position, where findClose from there ends (-1: nowhere). */
export function closers(text: string, close: string): Int32Array {
  if (text !== closersOf) {
    closersOf = text;
    closersMemo.clear();
  }
  let next = closersMemo.get(close);
  if (!next) {
    next = new Int32Array(text.length + 2).fill(-1);
    for (let j = text.length - 1; j >= 0; j--) {
      next[j] = text.startsWith(close, j) ? j : text[j] === '\\' ? next[j + 2]! : next[j + 1]!;
    }
    closersMemo.set(close, next);
  }
  return next;
}

/** KaTeX's HTML for a span, or null when KaTeX rejects it or it breaks the layout rules below (the caller keeps the source). */
export function toHtml(span: MathSpan): string | null {
  return typeset(span).html;
}

/** KaTeX's settings for every span: trust off turns \href, \url, \includegraphics and \html* into inert text. */
const KATEX_OPTIONS: KatexOptions = { throwOnError: true, output: 'htmlAndMathml', strict: 'ignore', trust: false, maxSize: 50, maxExpand: 1000 };

// maxExpand bounds how many macros expand, not how much each brings: 200 uses of a
// 9,000-character \def take KaTeX minutes. Without definitions only KaTeX's own
// macros expand, and those are short.
const MACRO_DEFINITION = /\\(?:[gex]?def|(?:re)?newcommand|providecommand|(?:future)?let|global)(?![A-Za-z])/;

// KaTeX's parser, exported (as `__parse`) but not typed: the tree renderToString would typeset.
const parseTex = (katex as unknown as { __parse(tex: string, options: KatexOptions): unknown }).__parse;

/**
 * A span typeset: its HTML, or null with, when the TeX is valid but would draw
 * outside its place, the reason (`problem`) that a writer can be told.
 */
export function typeset(span: MathSpan): { html: string | null; problem?: string } {
  const options = { ...KATEX_OPTIONS, displayMode: span.display };
  const definition = MACRO_DEFINITION.exec(span.tex);
  if (definition) return { html: null, problem: `a macro definition (${definition[0]}); write the formula out` };
  try {
    const problem = layoutProblem(parseTex(span.tex, options));
    if (problem) return { html: null, problem };
    return { html: katex.renderToString(span.tex, options) };
  } catch {
    return { html: null };
  }
}

// Math may nudge, never move: TeX's negative kerns (`\!`, `\kern-…`, `\hspace{-…}`) and
// raised boxes (`\raisebox`, `\rule[shift]`) would otherwise carry ink out of the
// formula's box and over the page around it. The rules read KaTeX's parse tree, after
// macro expansion, so `\def\k{\kern}\k{-9em}` is seen for what it is.
/** The most any one negative kern may pull back, and all of a span's together, in em. */
export const MAX_NEGATIVE_KERN_EM = 1;
export const MAX_NEGATIVE_KERNS_EM = 3;
/** The most a box may be raised or lowered, in em. */
export const MAX_SHIFT_EM = 1;

// TeX units in em at KaTeX's base size (10pt per em; https://katex.org/docs/supported#units).
const EM_PER_UNIT: Record<string, number> = {
  em: 1, ex: 0.431, mu: 1 / 18, pt: 0.1, px: 0.1, bp: 0.1004, pc: 1.2, dd: 0.107, cc: 1.284, nd: 0.107, nc: 1.284, mm: 0.2845, cm: 2.845, in: 7.227, sp: 0.1 / 65536,
};

interface Dimension {
  number: number;
  unit: string;
}

const inEm = (d: Dimension): number => d.number * (EM_PER_UNIT[d.unit] ?? Infinity);

/** Why a parse tree would draw outside its box, or null when it stays in place. */
function layoutProblem(tree: unknown): string | null {
  let pulled = 0;
  const visit = (node: unknown): string | null => {
    if (Array.isArray(node)) {
      for (const child of node) {
        const found = visit(child);
        if (found) return found;
      }
      return null;
    }
    if (!node || typeof node !== 'object') return null;
    const n = node as { type?: string; dimension?: Dimension; dy?: Dimension; shift?: Dimension | null };
    if (n.type === 'kern' && n.dimension && n.dimension.number < 0) {
      const em = -inEm(n.dimension);
      pulled += em;
      if (em > MAX_NEGATIVE_KERN_EM) return `a negative space of ${n.dimension.number}${n.dimension.unit}, which could move it out of its place (at most ${MAX_NEGATIVE_KERN_EM}em back)`;
      if (pulled > MAX_NEGATIVE_KERNS_EM) return `negative spaces of more than ${MAX_NEGATIVE_KERNS_EM}em in all, which could move it out of its place`;
    }
    const shift = n.type === 'raisebox' ? n.dy : n.type === 'rule' ? n.shift : null;
    if (shift && Math.abs(inEm(shift)) > MAX_SHIFT_EM) return `a box raised by ${shift.number}${shift.unit}, which could move it out of its place (at most ${MAX_SHIFT_EM}em up or down)`;
    for (const value of Object.values(node)) {
      if (value && typeof value === 'object') {
        const found = visit(value);
        if (found) return found;
      }
    }
    return null;
  };
  return visit(tree);
}
