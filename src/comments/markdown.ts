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
//   titles (ui/math.ts: trust off, no macro definitions, nothing moved out of its box);
//   code spans stay code.
// - Bounded: a comment is typeset once, when written, and stored (comments.html); one
//   that would need more than MAX_MATH_SPANS formulas or MAX_COMMENT_HTML_BYTES of HTML
//   is refused, since 10,000 characters of `$x^2$ ` made 1.26 MB.
import MarkdownIt from 'markdown-it';
import type StateInline from 'markdown-it/lib/rules_inline/state_inline.mjs';
import { mathAt, typeset } from '../ui/math.ts';

/** The longest comment accepted, in characters. */
export const MAX_COMMENT_CHARS = 10_000;
/** The most formulas one comment may typeset. */
export const MAX_MATH_SPANS = 100;
/** The most HTML one comment may render to, in bytes (UTF-8). */
export const MAX_COMMENT_HTML_BYTES = 256 * 1024;

/** A comment rendered for storage, or why it cannot be. */
export type RenderedComment = { html: string } | { refused: string; tooLarge: boolean };

// What one rendering counts and found wrong; `strict` refuses, otherwise bad math stays text.
interface RenderEnv {
  strict: boolean;
  spans: number;
  problem?: string;
  noMath?: boolean;
}

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
  const env = state.env as RenderEnv;
  if (env.noMath) return false;
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
    // Past the cap, or once a strict rendering is refused anyway, KaTeX is not called again.
    const over = ++env.spans > MAX_MATH_SPANS || env.problem !== undefined;
    const { html, problem } = over ? { html: null, problem: undefined } : typeset(span);
    if (problem && env.strict) env.problem = `the formula $${span.tex.length > 60 ? `${span.tex.slice(0, 60)}…` : span.tex}$ has ${problem}`;
    if (html === null) {
      // KaTeX rejected it (or it is past the cap): the source stays, as text.
      state.pending += state.src.slice(state.pos, span.end);
    } else {
      state.push('math', '', 0).content = html;
    }
  }
  state.pos = span.end;
  return true;
}

/**
 * A comment's Markdown as HTML that is safe to insert into a page, for storing
 * when it is written; refused when its math breaks the rules or it renders too big.
 */
export function renderComment(body: string): RenderedComment {
  const env: RenderEnv = { strict: true, spans: 0 };
  const html = md.render(body, env);
  if (env.spans > MAX_MATH_SPANS) return { refused: `a comment may have at most ${MAX_MATH_SPANS} formulas; this one has ${env.spans.toLocaleString('en-US')}`, tooLarge: true };
  if (env.problem) return { refused: env.problem, tooLarge: false };
  const bytes = Buffer.byteLength(html);
  if (bytes > MAX_COMMENT_HTML_BYTES) return { refused: `this comment renders to ${Math.ceil(bytes / 1024).toLocaleString('en-US')} KB of HTML, more than the ${MAX_COMMENT_HTML_BYTES / 1024} KB a comment may take; use fewer or shorter formulas`, tooLarge: true };
  return { html };
}

/**
 * A stored comment written before the limits above, rendered as well as they allow:
 * math that breaks them stays TeX source, and a comment still too big loses its
 * typesetting altogether. Never refuses, so that old comments stay readable.
 */
export function renderStoredComment(body: string): string {
  const html = md.render(body, { strict: false, spans: 0 } satisfies RenderEnv);
  return Buffer.byteLength(html) <= MAX_COMMENT_HTML_BYTES ? html : md.render(body, { strict: false, spans: 0, noMath: true } satisfies RenderEnv);
}
