import { Feed, type Item } from 'feed';
import type { PaperView } from '../papers/read-model.ts';
import { mathAsText } from '../ui/math.ts';
import { plural } from '../ui/format.ts';

export type FeedFormat = 'rss' | 'atom' | 'json';

export const FEED_FORMATS: readonly FeedFormat[] = ['rss', 'atom', 'json'];

export const FEED_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml; charset=utf-8',
  atom: 'application/atom+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

/** What a feed is about: its title and the site-relative paths of itself and of the page it mirrors. */
export interface FeedSpec {
  title: string;
  description: string;
  /** The page the feed mirrors, e.g. `/papers`. */
  page: string;
  /** The feed without its extension, e.g. `/feeds/daily`. */
  path: string;
  /** The query string the feed's own links carry, e.g. `?q=diffusion` for a search feed. */
  query?: string;
}

/** One paper of a feed, with its arXiv categories; a paper never featured (a search hit) dates from its publication. */
export interface FeedEntry {
  view: PaperView;
  categories: string[];
}

export interface RenderedFeed {
  body: string;
  /** The newest entry's date; null for an empty feed. */
  updated: Date | null;
}

// Categories end up in XML attributes, which the generator escapes only for `&` and `"`.
const CATEGORY = /^[A-Za-z-]+(?:\.[A-Za-z-]+)?$/;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** Text from records, without what XML 1.0 cannot carry (C0 controls, lone surrogates, U+FFFE/F). */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
}

/**
 * Renders papers as RSS 2.0, Atom 1.0 or JSON Feed 1.1 with the `feed` generator.
 * Nothing from a record reaches a reader as markup: item titles and summaries go out as
 * HTML-escaped text in the XML formats (Atom marks them `type="html"`, and RSS readers
 * treat titles as HTML), as plain text in JSON Feed, whose spec says so; math is shown as
 * readable Unicode (mathAsText: `\mathcal{O}` → `𝒪`, `56.0\%` → `56.0%`). The output depends only on its inputs, so equal feeds
 * have equal bytes and ETags.
 */
export function renderFeed(spec: FeedSpec, entries: FeedEntry[], format: FeedFormat, siteName: string, base: string): RenderedFeed {
  const url = (path: string) => `${base}${path}`;
  const query = spec.query ?? '';
  const text = format === 'json' ? (s: string) => s : escapeHtml;
  const items = entries.map((e) => feedItem(e, url(`/papers/${e.view.paper.id}`), text, siteName, format));
  const updated = items.length ? new Date(Math.max(...items.map((i) => i.date.getTime()))) : null;
  const feed = new Feed({
    // Names in these (an organization's) come from imports: RSS readers decode channel text as
    // HTML too, while Atom's and JSON Feed's are plain text.
    title: format === 'rss' ? escapeHtml(clean(spec.title)) : clean(spec.title),
    description: format === 'rss' ? escapeHtml(clean(spec.description)) : clean(spec.description),
    id: url(`${spec.path}.${format}${query}`),
    link: url(spec.page),
    language: 'en',
    // An empty feed has no date of its own; a fixed one keeps its bytes (and ETag) stable.
    updated: updated ?? new Date(0),
    generator: 'dailypapers',
    feedLinks: { rss: url(`${spec.path}.rss${query}`), atom: url(`${spec.path}.atom${query}`), json: url(`${spec.path}.json${query}`) },
    // Atom wants an author for entries without one.
    author: { name: clean(siteName), link: url('/papers') },
  });
  for (const item of items) feed.addItem(item);
  const body = format === 'rss' ? feed.rss2() : format === 'atom' ? feed.atom1() : jsonFeed11(feed.json1(), entries);
  return { body, updated };
}

function feedItem(entry: FeedEntry, link: string, text: (s: string) => string, siteName: string, format: FeedFormat): Item {
  const { paper, listing, authors } = entry.view;
  const title = clean(mathAsText(paper.title));
  const abstract = clean(mathAsText(paper.abstract)).trim();
  const names = authors.map((a) => clean(a.name));
  const featured = new Date(listing?.submitted_at ?? paper.published_at);
  const revised = paper.updated_at ? new Date(paper.updated_at) : featured;
  const categories = entry.categories.filter((c) => CATEGORY.test(c));
  return {
    title: text(title),
    // RSS without an id makes the link a permalink guid; Atom and JSON Feed take the same URL as id.
    ...(format === 'rss' ? {} : { id: link }),
    link,
    published: featured,
    date: revised > featured ? revised : featured,
    description: text(abstract),
    content: contentHtml({ abstract, names, link, siteName, id: paper.id, upvotes: paper.upvotes, comments: paper.comments }),
    author: format === 'rss' ? undefined : names.map((name) => ({ name })),
    category: categories.map((c) => ({ name: c, term: c })),
    // RSS's own <author> is an e-mail address; names go in Dublin Core's creator.
    extensions: format === 'rss' && names.length ? [{ name: 'dc:creator', objects: { _text: names.join(', ') } }] : undefined,
  };
}

function contentHtml(p: { abstract: string; names: string[]; link: string; siteName: string; id: string; upvotes: number; comments: number }): string {
  const e = escapeHtml;
  return [
    `<p>${e(plural(p.upvotes, 'upvote'))} · ${e(plural(p.comments, 'comment'))}</p>`,
    p.names.length ? `<p>${e(p.names.join(', '))}</p>` : '',
    `<p>${e(p.abstract)}</p>`,
    `<p><a href="${e(p.link)}">Discuss on ${e(clean(p.siteName))}</a> · <a href="https://arxiv.org/abs/${e(p.id)}">arXiv:${e(p.id)}</a></p>`,
  ].join('\n');
}

/**
 * The generator writes JSON Feed 1.0; 1.1 renames the version, replaces `author` by
 * `authors` (all of them, not just the first) and adds `language`.
 */
function jsonFeed11(json: string, entries: FeedEntry[]): string {
  const feed = JSON.parse(json) as Record<string, unknown> & { items: Record<string, unknown>[] };
  const { author, items, ...rest } = feed;
  return JSON.stringify(
    {
      ...rest,
      version: 'https://jsonfeed.org/version/1.1',
      language: 'en',
      authors: author ? [author] : undefined,
      items: items.map(({ author: _first, ...item }, i) => ({
        ...item,
        authors: entries[i]!.view.authors.map((a) => ({ name: clean(a.name) })),
      })),
    },
    null,
    2,
  );
}
