import { describe, expect, it } from 'vitest';
import { ftsQuery, tsQuery } from './engine.ts';
import { highlight, matcherFor, snippet } from './highlight.ts';
import { MAX_QUERY_LENGTH, MAX_TERMS, QueryError, checkDay, hasText, parseQuery, tokensOf } from './query.ts';
import { RANKING, blendedScore, popularity, recency } from './score.ts';

const word = (w: string, extra: object = {}) => ({ tokens: [w], prefix: false, ...extra });
const refused = (q: string, message: RegExp) => {
  expect(() => parseQuery(q), q).toThrow(QueryError);
  expect(() => parseQuery(q), q).toThrow(message);
};

describe('parseQuery', () => {
  it('reads words as groups that must all match, lowercased, split at anything not a letter or digit', () => {
    expect(parseQuery('Reward MODEL')).toEqual({ must: [[word('reward')], [word('model')]], not: [], filters: {} });
    expect(parseQuery('GPT-4o').must).toEqual([[{ tokens: ['gpt', '4o'], prefix: false }]]);
    expect(tokensOf('ｆｕｌｌ ﬁne Straße e\u0301')).toEqual(['full', 'fine', 'straße', 'é']);
  });

  it('reads "phrases", and an unclosed quote as a phrase to the end', () => {
    expect(parseQuery('"test-time scaling" agents').must).toEqual([[{ tokens: ['test', 'time', 'scaling'], prefix: false }], [word('agents')]]);
    expect(parseQuery('agents "test-time sca').must).toEqual([[word('agents')], [{ tokens: ['test', 'time', 'sca'], prefix: false }]]);
    // A phrase is never a prefix, even as one types.
    expect(parseQuery('"reward mo', { prefixLast: true }).must[0]![0]!.prefix).toBe(false);
  });

  it('reads -exclusions of words and phrases; a lone or trailing - is nothing', () => {
    expect(parseQuery('diffusion -survey -"survey of"')).toEqual({
      must: [[word('diffusion')]],
      not: [word('survey'), { tokens: ['survey', 'of'], prefix: false }],
      filters: {},
    });
    for (const q of ['-', ' - ', '--', '-"', '- -']) expect(parseQuery(q), q).toEqual({ must: [], not: [], filters: {} });
    expect(parseQuery('reward -').must).toEqual([[word('reward')]]);
    expect(parseQuery('-reward')).toEqual({ must: [], not: [word('reward')], filters: {} });
  });

  it('groups words joined by OR; a stray OR, or a lowercase or, is ignored or a word', () => {
    expect(parseQuery('diffusion OR flow matching').must).toEqual([[word('diffusion'), word('flow')], [word('matching')]]);
    expect(parseQuery('a OR b OR "c d"').must).toEqual([[word('a'), word('b'), { tokens: ['c', 'd'], prefix: false }]]);
    expect(parseQuery('OR reward OR').must).toEqual([[word('reward')]]);
    expect(parseQuery('reward or policy').must).toEqual([[word('reward')], [word('or')], [word('policy')]]);
    // OR next to an exclusion does not join the exclusion.
    expect(parseQuery('a OR -b')).toMatchObject({ must: [[word('a')]], not: [word('b')] });
    expect(parseQuery('-a OR b')).toMatchObject({ must: [[word('b')]], not: [word('a')] });
  });

  it('reads title: and author: (and their short names) as field terms', () => {
    expect(parseQuery('title:agents author:"Yoshua Bengio" ti:llm AU:hinton').must).toEqual([
      [word('agents', { field: 'title' })],
      [{ tokens: ['yoshua', 'bengio'], prefix: false, field: 'author' }],
      [word('llm', { field: 'title' })],
      [word('hinton', { field: 'author' })],
    ]);
    expect(parseQuery('-title:survey').not).toEqual([word('survey', { field: 'title' })]);
  });

  it('reads an unknown name:value, or a field with nothing after it, as text', () => {
    expect(parseQuery('arXiv:2401.01234').must).toEqual([[{ tokens: ['arxiv', '2401', '01234'], prefix: false }]]);
    expect(parseQuery('3:1').must).toEqual([[{ tokens: ['3', '1'], prefix: false }]]);
    expect(parseQuery('abstract:reward').must).toEqual([[{ tokens: ['abstract', 'reward'], prefix: false }]]);
    expect(parseQuery('title:').must).toEqual([[word('title')]]);
  });

  it('matches prefixes: a word ending in *, and the last word as one types (two letters at least)', () => {
    expect(parseQuery('diffus* model').must).toEqual([[{ tokens: ['diffus'], prefix: true }], [word('model')]]);
    expect(parseQuery('title:agen**').must).toEqual([[{ tokens: ['agen'], prefix: true, field: 'title' }]]);
    expect(parseQuery('reward mo', { prefixLast: true }).must).toEqual([[word('reward')], [{ tokens: ['mo'], prefix: true }]]);
    expect(parseQuery('reward mo').must[1]![0]!.prefix).toBe(false);
    expect(parseQuery('reward m', { prefixLast: true }).must[1]![0]!.prefix).toBe(false);
    // A space after the word: the reader finished it.
    expect(parseQuery('reward mo ', { prefixLast: true }).must[1]![0]!.prefix).toBe(false);
    for (const q of ['*', '**', '"*"']) expect(hasText(parseQuery(q)), q).toBe(false);
  });

  it('reads the filters, with dates as the first day of their period', () => {
    expect(parseQuery('cat:cs.LG org:internlm after:2025-01-15 before:2025-06 has:code upvotes:>=10').filters).toEqual({
      category: 'cs.LG',
      organization: 'internlm',
      after: '2025-01-15',
      before: '2025-06-01',
      hasCode: true,
      minUpvotes: 10,
    });
    expect(parseQuery('since:2024 until:2025 category:astro-ph.GA has:CODE upvotes:3').filters).toEqual({
      after: '2024-01-01',
      before: '2025-01-01',
      category: 'astro-ph.GA',
      hasCode: true,
      minUpvotes: 3,
    });
    expect(hasText(parseQuery('cat:cs has:code'))).toBe(false);
    expect(checkDay('2024-02-29', 'after')).toBe('2024-02-29');
  });

  it('refuses filters it cannot honour with a message that says what to write', () => {
    refused('after:2025-02-30', /after: wants a date such as 2025-01-31/);
    refused('after:2025-13', /after: wants a date/);
    refused('before:25-01-01', /before: wants a date/);
    refused('after:yesterday', /"yesterday"/);
    refused('after:2023-02-29', /after: wants a date/);
    refused('cat:cs_LG', /cat: wants an arXiv category such as cs.LG/);
    refused('org:a/b', /org: wants an organization/);
    refused('has:data', /has:data is not a filter; has:code is/);
    refused('upvotes:-1', /upvotes: wants a whole number/);
    refused('upvotes:many', /upvotes: wants a whole number/);
    refused('-cat:cs.LG', /cat: cannot be excluded/);
  });

  it('refuses a query too long or with too many words, counting after control characters are dropped', () => {
    refused('x'.repeat(MAX_QUERY_LENGTH + 1), /too long: 1001 characters, at most 1000/);
    expect(parseQuery('x'.repeat(MAX_QUERY_LENGTH)).must).toHaveLength(1);
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    refused(words(MAX_TERMS + 1), /too many words: 33, at most 32/);
    expect(parseQuery(words(MAX_TERMS)).must).toHaveLength(MAX_TERMS);
    // Exclusions count too.
    refused(`${words(MAX_TERMS)} -x`, /too many words/);
    expect(parseQuery('a\u0000b\u0007c\u001b[31m').must).toEqual([[word('a')], [word('b')], [word('c')], [word('31m')]]);
    expect(parseQuery('\u0000'.repeat(5000))).toEqual({ must: [], not: [], filters: {} });
  });

  it('lets no character through that either full-text syntax reads as an operator', () => {
    const q = parseQuery(`reward" OR title:x NEAR(a b) {title}: ^start col:x * 'a':* !b & c | d <-> e \\ ; -- ' )(`);
    for (const term of [...q.must.flat(), ...q.not]) for (const token of term.tokens) expect(token, token).toMatch(/^[\p{L}\p{N}\p{M}]+$/u);
  });
});

describe('ftsQuery and tsQuery', () => {
  const both = (q: string, opts = {}) => {
    const parsed = parseQuery(q, opts);
    return [ftsQuery(parsed), tsQuery(parsed)];
  };

  it('compile words, phrases and prefixes', () => {
    expect(both('reward model')).toEqual(['"reward" AND "model"', "'reward' & 'model'"]);
    expect(both('"test-time scaling"')).toEqual(['"test time scaling"', "('test' <-> 'time' <-> 'scaling')"]);
    expect(both('diffus*')).toEqual(['"diffus" *', "'diffus':*"]);
    expect(both('reward mo', { prefixLast: true })).toEqual(['"reward" AND "mo" *', "'reward' & 'mo':*"]);
  });

  it('compile OR groups and exclusions', () => {
    expect(both('diffusion OR flow matching')).toEqual(['("diffusion" OR "flow") AND "matching"', "('diffusion' | 'flow') & 'matching'"]);
    expect(both('diffusion -survey -"survey of"')).toEqual(['(("diffusion") NOT "survey") NOT "survey of"', "'diffusion' & !'survey' & !('survey' <-> 'of')"]);
  });

  it('compile fields to columns and weights', () => {
    expect(both('title:agents author:"Yoshua Bengio"')).toEqual([
      '{title} : "agents" AND {author_names} : "yoshua bengio"',
      "'agents':A & ('yoshua':B <-> 'bengio':B)",
    ]);
    expect(both('title:agen*')).toEqual(['{title} : "agen" *', "'agen':*A"]);
  });

  it('quote every token, so that operators typed by the reader stay words', () => {
    expect(both('NEAR AND NOT')).toEqual(['"near" AND "and" AND "not"', "'near' & 'and' & 'not'"]);
    // A word with punctuation inside is its pieces in a row: a phrase.
    expect(both("O'Brien's \"a\\b\"")).toEqual(['"o brien s" AND "a b"', "('o' <-> 'brien' <-> 's') & ('a' <-> 'b')"]);
  });
});

describe('highlight and snippet', () => {
  const m = (q: string) => matcherFor(parseQuery(q));

  it('escapes the text and marks matched words by their stems, prefixes too, never excluded words', () => {
    expect(highlight('<script>alert("x")</script> Rewards & <b>models</b>', m('reward model'))).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Rewards</mark> &amp; &lt;b&gt;<mark>models</mark>&lt;/b&gt;',
    );
    expect(highlight("Rewarding rewarded REWARDS o'clock", m('reward'))).toBe("<mark>Rewarding</mark> <mark>rewarded</mark> <mark>REWARDS</mark> o&#39;clock");
    expect(highlight('diffusion diffuse diff', m('diffus*'))).toBe('<mark>diffusion</mark> <mark>diffuse</mark> diff');
    expect(highlight('a survey of surveys', m('reward -survey'))).toBe('a survey of surveys');
    expect(highlight('<mark>x</mark>', m('nothing'))).toBe('&lt;mark&gt;x&lt;/mark&gt;');
  });

  it('finds words as the pattern [\\p{L}\\p{N}\\p{M}]+ does: capitals outside ASCII, marks, astral letters, lone surrogates', () => {
    expect(highlight('ÄRGER über Ärger; İzmir', m('ärger izmir'))).toBe('<mark>ÄRGER</mark> über <mark>Ärger</mark>; İzmir');
    expect(highlight('İzmir', m('i̇zmir'))).toBe('<mark>İzmir</mark>');
    // A combining mark (q + acute has no precomposed form) is part of its word, an astral letter (U+10400,
    // lowercase U+10428) too; a lone surrogate splits words.
    expect(highlight('aq\u0301b aq b x\u{10400}y a\ud800b', m('aq\u0301b x\u{10428}y b'))).toBe(
      '<mark>aq\u0301b</mark> aq <mark>b</mark> <mark>x\u{10400}y</mark> a\ud800<mark>b</mark>',
    );
    // A stem begins with its word's first letter, though not always its second (`ays` is `ai`).
    expect(highlight('Yielding yields; lies, Lying, ays AYS', m('yield lies ays'))).toBe('<mark>Yielding</mark> <mark>yields</mark>; <mark>lies</mark>, Lying, <mark>ays</mark> <mark>AYS</mark>');
  });

  it('gives a short text whole, whitespace collapsed, and a long one cut with ellipses', () => {
    expect(snippet('short\n\n  <i>text</i>   reward', m('reward'))).toBe('short &lt;i&gt;text&lt;/i&gt; <mark>reward</mark>');
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    const start = snippet(long, m('nothing'));
    expect(start.startsWith('w0 w1 ')).toBe(true);
    expect(start.endsWith(' w35 …')).toBe(true);
    const end = snippet(long, m('w99'));
    expect(end.startsWith('… ')).toBe(true);
    expect(end.endsWith('<mark>w99</mark>')).toBe(true);
    expect(end.match(/w\d+/g)).toHaveLength(36);
  });

  it('centres the passage on the densest run of matches', () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`);
    for (const i of [120, 125, 130]) words[i] = 'reward';
    const text = snippet(words.join(' '), m('reward'));
    expect(text.match(/<mark>reward<\/mark>/g)).toHaveLength(3);
    expect(text.startsWith('… ') && text.endsWith(' …')).toBe(true);
  });

  it('begins a few words before a lone match, so the passage reads on after it', () => {
    const long = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    expect(snippet(long, m('w50')).startsWith('… w46 w47 w48 w49 <mark>w50</mark>')).toBe(true);
  });
});

describe('the ranking function', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const score = (relevance: number, upvotes: number, publishedAt: string) => blendedScore({ relevance, upvotes, publishedAt }, now);

  it('grows with relevance, upvotes and recency, each with the others held', () => {
    for (const [a, b] of [[1, 2], [2, 5], [5, 10]] as const) expect(score(b, 10, '2025-06-01')).toBeGreaterThan(score(a, 10, '2025-06-01'));
    for (const [a, b] of [[0, 1], [1, 10], [10, 100], [100, 999]] as const) expect(score(5, b, '2025-06-01')).toBeGreaterThan(score(5, a, '2025-06-01'));
    for (const [a, b] of [['2020-01-01', '2024-01-01'], ['2024-01-01', '2026-01-01'], ['2026-01-01', '2026-05-31']] as const) {
      expect(score(5, 10, b)).toBeGreaterThan(score(5, 10, a));
    }
  });

  it('saturates popularity, halves recency each year, and never lets either lift a mention over a title match', () => {
    expect(popularity(RANKING.popularitySaturation)).toBe(1);
    expect(popularity(100_000)).toBe(1);
    expect(popularity(-5)).toBe(0);
    expect(recency('2025-06-01T00:00:00Z', now)).toBeCloseTo(0.5, 2);
    expect(recency('2027-01-01T00:00:00Z', now)).toBe(1);
    expect(recency('not a date', now)).toBe(0);
    // A title match scores about ten times an abstract mention (BM25 weights 10 : 1).
    expect(score(10, 0, '2015-01-01')).toBeGreaterThan(score(1, 100_000, '2026-06-01'));
    // Between equally relevant papers, popularity and recency decide.
    expect(score(10, 500, '2026-05-01')).toBeGreaterThan(score(10, 5, '2024-05-01'));
    expect(score(0, 7, '2025-01-01')).toBeLessThan(0.3);
  });
});
