import type { SearchFilters } from './types.ts';

/**
 * The query language, parsed into a small tree that each database compiles to its own
 * full-text syntax. Readers type words; nothing they type reaches SQL or an FTS parser
 * as syntax: every word is reduced to letters and digits before compilation, and the
 * operators are ours (docs/decisions/009-search.md).
 *
 *   reward model            both words (stemmed: `rewards` finds `reward`)
 *   "test-time scaling"     the phrase
 *   -survey  -"survey of"   excluded
 *   diffusion OR flow       either
 *   diffus*                 prefix (the last word typed is also matched as a prefix)
 *   title:agents  author:"Yoshua Bengio"
 *   cat:cs.LG  org:internlm  after:2025-01-01  before:2025-06  has:code  upvotes:10
 */

/** A word or phrase to look for, as lowercase tokens of letters and digits. */
export interface TextTerm {
  tokens: string[];
  /** Match the last token as a prefix. */
  prefix: boolean;
  /** Only in this field; otherwise in title, authors or abstract. */
  field?: 'title' | 'author';
}

export interface ParsedQuery {
  /** Every group must match; a group matches when any of its terms does. */
  must: TextTerm[][];
  /** None may match. */
  not: TextTerm[];
  filters: SearchFilters;
}

/** A query the reader must fix, with a message that says how. */
export class QueryError extends Error {}

export const MAX_QUERY_LENGTH = 1000;
export const MAX_TERMS = 32;

const FIELDS: Record<string, 'title' | 'author' | 'cat' | 'org' | 'after' | 'before' | 'has' | 'upvotes'> = {
  title: 'title',
  ti: 'title',
  author: 'author',
  au: 'author',
  cat: 'cat',
  category: 'cat',
  org: 'org',
  organization: 'org',
  after: 'after',
  since: 'after',
  before: 'before',
  until: 'before',
  has: 'has',
  upvotes: 'upvotes',
};

const TOKEN = /[\p{L}\p{N}\p{M}]+/gu;

/** The letters-and-digits words of a text, lowercased: what both databases index. */
export function tokensOf(text: string): string[] {
  return rawTokensOf(text).map((t) => t.normalize('NFC'));
}

/**
 * tokensOf before each token's own NFC step: the index builder caches its work per raw token
 * and normalizes only the ones it has not met yet.
 */
export function rawTokensOf(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

interface Lexeme {
  value: string;
  quoted: boolean;
  negated: boolean;
  field?: string;
  /** Ends with `*`. */
  star: boolean;
  /** Nothing follows it: the reader may still be typing this word. */
  last: boolean;
}

/**
 * Parses a query. Lenient where a reader's intent is clear (an unclosed quote runs to
 * the end, stray operators are ignored); throws QueryError where it is not.
 */
export function parseQuery(q: string, opts: { prefixLast?: boolean } = {}): ParsedQuery {
  // Control characters (NUL included) never mean anything in a query.
  // eslint-disable-next-line no-control-regex
  const text = q.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (text.length > MAX_QUERY_LENGTH) throw new QueryError(`the query is too long: ${text.length} characters, at most ${MAX_QUERY_LENGTH}`);

  const parsed: ParsedQuery = { must: [], not: [], filters: {} };
  const lexemes = lex(text);
  let orPending = false;
  for (const lexeme of lexemes) {
    if (!lexeme.quoted && !lexeme.field && lexeme.value === 'OR') {
      orPending = parsed.must.length > 0;
      continue;
    }
    const field = lexeme.field ? FIELDS[lexeme.field.toLowerCase()] : undefined;
    if (field && field !== 'title' && field !== 'author') {
      if (lexeme.negated) throw new QueryError(`${lexeme.field}: cannot be excluded; exclude words or phrases instead`);
      applyFilter(parsed.filters, field, lexeme.value);
      orPending = false;
      continue;
    }
    // An unknown `name:value` is text (e.g. `3:1`, `arXiv:2401.01234`).
    const raw = lexeme.field && !field ? `${lexeme.field}:${lexeme.value}` : lexeme.value;
    const tokens = tokensOf(raw);
    if (tokens.length === 0) {
      orPending = false;
      continue;
    }
    const prefix = !lexeme.quoted && (lexeme.star || (opts.prefixLast === true && lexeme.last && tokens.at(-1)!.length >= 2));
    const term: TextTerm = { tokens, prefix, ...(field ? { field } : {}) };
    if (lexeme.negated) {
      parsed.not.push(term);
      orPending = false;
    } else if (orPending) {
      parsed.must.at(-1)!.push(term);
      orPending = false;
    } else {
      parsed.must.push([term]);
    }
  }
  const terms = parsed.must.reduce((n, g) => n + g.length, 0) + parsed.not.length;
  if (terms > MAX_TERMS) throw new QueryError(`the query has too many words: ${terms}, at most ${MAX_TERMS}`);
  return parsed;
}

/** Splits a query into words, quoted phrases and `field:value` pairs, keeping `-` and `*` marks. */
function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let negated = false;
    if (text[i] === '-' && i + 1 < text.length && !/\s/.test(text[i + 1]!)) {
      negated = true;
      i++;
    }
    let field: string | undefined;
    const named = /^([A-Za-z]+):(?=\S)/.exec(text.slice(i));
    if (named && FIELDS[named[1]!.toLowerCase()]) {
      field = named[1]!;
      i += named[0].length;
    }
    let value: string;
    let quoted = false;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      value = text.slice(i + 1, close === -1 ? text.length : close);
      i = close === -1 ? text.length : close + 1;
      quoted = true;
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i]!)) i++;
      value = text.slice(start, i);
    }
    const star = !quoted && value.endsWith('*');
    out.push({ value: star ? value.replace(/\*+$/, '') : value, quoted, negated, field, star, last: i >= text.length });
  }
  return out;
}

function applyFilter(filters: SearchFilters, field: 'cat' | 'org' | 'after' | 'before' | 'has' | 'upvotes', value: string): void {
  switch (field) {
    case 'cat':
      filters.category = checkCategory(value);
      return;
    case 'org':
      filters.organization = checkOrganization(value);
      return;
    case 'after':
      filters.after = checkDay(value, 'after');
      return;
    case 'before':
      filters.before = checkDay(value, 'before');
      return;
    case 'has':
      if (value.toLowerCase() !== 'code') throw new QueryError(`has:${value} is not a filter; has:code is`);
      filters.hasCode = true;
      return;
    case 'upvotes':
      filters.minUpvotes = checkUpvotes(value.replace(/^>=?/, ''));
      return;
  }
}

/** `cs.LG`, `astro-ph.GA`, `hep-th` or an archive such as `cs`. */
export function checkCategory(value: string): string {
  if (!/^[a-z][a-z-]{0,19}(\.[A-Za-z-]{1,10})?$/i.test(value)) throw new QueryError(`cat: wants an arXiv category such as cs.LG, not "${value.slice(0, 40)}"`);
  return value;
}

export function checkOrganization(value: string): string {
  if (!/^[\w.-]{1,100}$/.test(value)) throw new QueryError(`org: wants an organization's name such as internlm, not "${value.slice(0, 40)}"`);
  return value;
}

/**
 * `2025-01-01`, `2025-01` or `2025`, as the first day of that period: `after:` keeps papers
 * published on or after it, `before:` those published before it (`before:2025` ends with 2024).
 */
export function checkDay(value: string, which: 'after' | 'before'): string {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  const day = m && `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}`;
  if (!day || Number.isNaN(Date.parse(day)) || new Date(day).toISOString().slice(0, 10) !== day) {
    throw new QueryError(`${which}: wants a date such as 2025-01-31, 2025-01 or 2025, not "${value.slice(0, 40)}"`);
  }
  return day;
}

export function checkUpvotes(value: string): number {
  if (!/^\d{1,7}$/.test(value)) throw new QueryError(`upvotes: wants a whole number such as 10, not "${value.slice(0, 40)}"`);
  return Number(value);
}

/** True when the query looks for text (not only filters). */
export function hasText(q: ParsedQuery): boolean {
  return q.must.length > 0;
}
