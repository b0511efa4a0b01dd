// Comments' Markdown: CommonMark through markdown-it, with everything a stranger's
// text could use against readers taken out.
// - No raw HTML (`html: false` prints tags as text).
// - Links only to http(s), mailto, or this site (relative paths), checked the way a
//   browser will read the href (WHATWG URL parsing drops tabs and newlines, decodes
//   nothing in the scheme); every link gets rel="nofollow ugc noopener", no target.
// - Images become links: an <img> would fetch from a stranger's server and leak
//   every reader's address.
// - Headings step down three levels (# → h4) so a comment cannot shout over the page.
// - Math: `$…$`, `$$…$$`, `\(…\)`, `\[…\]` under the same rules and KaTeX settings as
//   titles (web/math.ts: trust off, bounded expansion); code spans stay code.
import MarkdownIt from 'markdown-it';
import type StateInline from 'markdown-it/lib/rules_inline/state_inline.mjs';
import { mathAt, toHtml } from '../web/math.ts';

/** The longest comment accepted, in characters. */
export const MAX_COMMENT_CHARS = 10_000;

const LINK_REL = 'nofollow ugc noopener';
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false });
md.validateLink = safeLink;
md.inline.ruler.before('escape', 'math', math);

md.renderer.rules.math = (tokens, idx) => tokens[idx]!.content;

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  const token = tokens[idx]!;
  token.attrSet('rel', LINK_REL);
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const href = md.utils.escapeHtml(token.attrGet('src') ?? '');
  const alt = md.utils.escapeHtml(self.renderInlineAsText(token.children ?? [], options, env)) || 'image';
  return `<a href="${href}" rel="${LINK_REL}" class="image-link">🖼 ${alt}</a>`;
};

const demote = (tag: string): string => `h${Math.min(6, Number(tag.slice(1)) + 3)}`;
md.renderer.rules.heading_open = (tokens, idx, options, _env, self) => {
  tokens[idx]!.tag = demote(tokens[idx]!.tag);
  return self.renderToken(tokens, idx, options);
};
md.renderer.rules.heading_close = md.renderer.rules.heading_open;

/** Whether a link may be rendered: absolute http(s)/mailto, or a path on this site. */
export function safeLink(url: string): boolean {
  let parsed: URL;
  try {
    // A base the link cannot name: relative links resolve onto it, absolute ones ignore it.
    parsed = new URL(url, 'https://comment.invalid/');
  } catch {
    return false;
  }
  return SAFE_PROTOCOLS.has(parsed.protocol);
}

function math(state: StateInline, silent: boolean): boolean {
  const ch = state.src[state.pos];
  if (ch !== '$' && ch !== '\\') return false;
  const span = mathAt(state.src, state.pos);
  if (!span) {
    // An unclosed `$$` is text as a whole, so its second `$` cannot open a span (as in titles).
    if (!state.src.startsWith('$$', state.pos)) return false;
    if (!silent) state.pending += '$$';
    state.pos += 2;
    return true;
  }
  if (!silent) {
    const html = toHtml(span);
    if (html === null) {
      // KaTeX rejected it: the source stays, as text.
      state.pending += state.src.slice(state.pos, span.end);
    } else {
      state.push('math', '', 0).content = html;
    }
  }
  state.pos = span.end;
  return true;
}

// Rendering is not free (KaTeX) and a thread renders on every signed-in view; keep a small LRU.
const CACHE_MAX = 500;
const cache = new Map<string, string>();

/** A comment's Markdown as HTML that is safe to insert into a page. */
export function renderMarkdown(body: string): string {
  let html = cache.get(body);
  if (html !== undefined) {
    cache.delete(body);
  } else {
    html = md.render(body);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  cache.set(body, html);
  return html;
}
