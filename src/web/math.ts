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
import katex from 'katex';

interface Rendered {
  html: string;
  plain: string;
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

// Titles are rendered many times per page and KaTeX is not cheap; a Map keeps insertion
// order, so re-inserting on hit and evicting the first key gives a small LRU.
const CACHE_MAX = 2000;
const cache = new Map<string, Rendered>();

function cached(text: string): Rendered {
  if (!/[$\\]/.test(text)) return { html: escapeHtml(text), plain: text, math: false, parts: [{ text }] };
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
  let buf = '';
  let math = false;
  const parts: Part[] = [];
  const flush = () => {
    html += escapeHtml(buf);
    plain += buf;
    if (buf) parts.push({ text: buf });
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
      parts.push({ html: out, tex: span.tex });
      math = true;
      i = span.end;
    } else if (span) {
      // Malformed math degrades to its source, dollars included.
      buf += text.slice(i, span.end);
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
  return { html, plain, math, parts };
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

/** KaTeX's HTML for a span, or null when KaTeX rejects it (the caller keeps the source). */
export function toHtml(span: MathSpan): string | null {
  try {
    // trust: false turns \href, \url, \includegraphics and \html* into inert text.
    return katex.renderToString(span.tex, {
      throwOnError: true,
      displayMode: span.display,
      output: 'htmlAndMathml',
      strict: 'ignore',
      trust: false,
      maxSize: 50,
      maxExpand: 1000,
    });
  } catch {
    return null;
  }
}
