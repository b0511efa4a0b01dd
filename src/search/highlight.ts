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
  return { stems, prefixes };
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

function matches(word: string, m: TermMatcher): boolean {
  const lower = word.toLowerCase();
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
  let html = '';
  let last = 0;
  for (const found of text.matchAll(WORD)) {
    const word = found[0];
    if (!matches(word, m)) continue;
    html += escapeHtml(text.slice(last, found.index)) + `<mark>${escapeHtml(word)}</mark>`;
    last = found.index + word.length;
  }
  return html + escapeHtml(text.slice(last));
}

/**
 * A passage of about `words` words around the densest run of matches (the start of
 * the text when nothing matched), highlighted, with an ellipsis where it was cut.
 */
export function snippet(text: string, m: TermMatcher, words = 36): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const spans = [...flat.matchAll(WORD)];
  if (spans.length <= words) return highlight(flat, m);
  const hit = spans.map((s) => (matches(s[0], m) ? 1 : 0));
  // Sliding window: the start with the most matched words in view, earliest on ties.
  let best = 0;
  let inView = hit.slice(0, words).reduce<number>((a, b) => a + b, 0);
  let bestCount = inView;
  for (let start = 1; start + words <= spans.length; start++) {
    inView += hit[start + words - 1]! - hit[start - 1]!;
    if (inView > bestCount) [best, bestCount] = [start, inView];
  }
  // Begin a few words before the first match, so the passage reads as a sentence.
  if (bestCount > 0) best = Math.max(0, Math.min(hit.indexOf(1, best) - 4, spans.length - words));
  const from = best === 0 ? 0 : spans[best]!.index;
  const endSpan = spans[Math.min(spans.length, best + words) - 1]!;
  const to = best + words >= spans.length ? flat.length : endSpan.index + endSpan[0].length;
  return (from > 0 ? '… ' : '') + highlight(flat.slice(from, to), m) + (to < flat.length ? ' …' : '');
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}
