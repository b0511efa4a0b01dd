import { NumberedPager } from '../ui/components.tsx';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { AppEnv } from '../http/env.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { CardList, listingCards, summaryOfView, type ListingCard } from '../papers/components.tsx';
import { PageParts } from '../ui/page-parts.ts';
import { htmlPage } from '../http/respond.ts';
import { viewerPaperState } from '../library/viewer.ts';
import { FollowButton, templateFollowState, type FollowState } from '../ui/follow.tsx';
import { QueryError, parseQuery } from './query.ts';
import { FILTER_FIELDS, linkQuery, pageSearch, SearchParamsError, type PageSearch } from './request.ts';
import { keptSearchPage, type SearchPage } from './results.ts';
import { currentCardsVersion, currentContentVersion } from '../db/content-version.ts';
import type { SearchSort } from './types.ts';

const PAGE_SIZE = 20;

const SORTS: [SearchSort, string][] = [
  ['relevance', 'Relevance'],
  ['upvotes', 'Most upvoted'],
  ['date', 'Newest'],
];

type Raw = Record<string, string>;

/**
 * `/papers/search?q=…`: the query language plus the same filters as form fields,
 * ranked results with the matched words marked, pages of 20. Works without
 * JavaScript; static/search.js refreshes the results as one types.
 */
export async function showSearch(c: Context<AppEnv>) {
  const raw = c.req.query();
  // A reader's hidden papers leave the results unless they ask for them.
  const { hidden: includeHidden, ...pageQuery } = raw;
  let search: PageSearch;
  try {
    search = pageSearch(pageQuery, PAGE_SIZE);
  } catch (err) {
    if (err instanceof SearchParamsError) return c.html(<SearchLayout c={c} raw={raw} problem={err.details.join('; ')} />, 400);
    throw err;
  }
  const { request, params } = search;
  if (!request.q.trim() && !search.filtered) return c.html(<SearchLayout c={c} raw={raw} />);

  const db = c.get('db');
  let page: SearchPage;
  try {
    page = await keptSearchPage(db, c.get('config'), request, await currentContentVersion(db.kysely));
  } catch (err) {
    if (err instanceof QueryError) return c.html(<SearchLayout c={c} raw={raw} problem={err.message} />, 400);
    throw err;
  }
  const state = await viewerPaperState(c, page.views.map((v) => v.paper.id));
  const votes = state && includeHidden === 'include' ? { ...state, showHidden: true } : state;
  const pageIndex = params.p ?? 0;
  // A fallback to text lasts only while the embedding service is down: never kept by a cache.
  if (page.result.notice) c.header('Cache-Control', 'no-store');
  // The hits as kept cards (their highlights compared too), spliced in as bytes like a list page's.
  const cards = await listingCards(db.kysely, page.views.map(summaryOfView), { start: pageIndex * PAGE_SIZE, votes, cardsVersion: await currentCardsVersion(db.kysely), highlights: page.highlights, views: page.views });
  const parts = new PageParts();
  return htmlPage(
    c,
    <SearchLayout c={c} raw={raw} search={search}>
      <Results raw={raw} page={page} cards={cards} parts={parts} pageIndex={pageIndex} sort={request.sort ?? 'relevance'} q={request.q} follow={templateFollowState(c)} />
    </SearchLayout>,
    200,
    parts,
  );
}

/** The page around the results: the search bar, the filters, the feed links, the help. */
function SearchLayout({ c, raw, search, problem, children }: { c: Context<AppEnv>; raw: Raw; search?: PageSearch; problem?: string; children?: Child }) {
  const q = raw.q ?? '';
  const asked = search !== undefined;
  const feedQuery = asked ? linkQuery(raw, { sort: undefined }) : '';
  return (
    <Layout
      chrome={chromeOf(c)}
      title={q.trim() ? `${q.trim().slice(0, 80)} — Search` : 'Search'}
      description="Search papers by words, phrases, authors, categories, organizations and dates."
      searchBox={false}
      feeds={asked ? { path: '/feeds/search', title: `Search: ${q.trim().slice(0, 80) || 'filters'}`, query: feedQuery } : undefined}
    >
      <div class="search-page">
        <h1 class="visually-hidden">Search papers</h1>
        <form id="search-form" class="search-bar" role="search" action="/papers/search" method="get">
          <label for="search-q" class="visually-hidden">
            Search papers
          </label>
          <input
            type="search"
            id="search-q"
            name="q"
            value={q}
            placeholder='Search papers: reward model, "test-time scaling", author:Bengio'
            autocomplete="off"
            autofocus={!asked}
            aria-invalid={problem ? 'true' : undefined}
            aria-describedby={problem ? 'search-problem' : undefined}
          />
          {SORTS.some(([key]) => key !== 'relevance' && key === raw.sort) && <input type="hidden" name="sort" value={raw.sort} />}
          <button type="submit" class="button primary">
            Search
          </button>
        </form>
        {problem && (
          <p class="form-alert" id="search-problem" role="alert">
            {problem}
          </p>
        )}
        <div class="search-layout">
          <aside class="search-side">
            <Filters raw={raw} signedIn={chromeOf(c).viewer !== null} />
            {asked && <Help />}
          </aside>
          <section id="search-results" class="search-results" aria-live="polite" aria-busy="false">
            {children ?? (problem ? <HowToWrite /> : <Start />)}
          </section>
        </div>
      </div>
      <script src="/static/search.js" defer />
    </Layout>
  );
}

/** The filter fields, part of the search bar's form (`form=`), so one Search button applies all. */
function Filters({ raw, signedIn }: { raw: Raw; signedIn: boolean }) {
  const active = FILTER_FIELDS.some((f) => raw[f]);
  return (
    <details class="search-filters" open data-active={active ? '' : undefined}>
      <summary>Filters{active && <span class="filter-dot" aria-label="(some set)"> ●</span>}</summary>
      <div class="filter-fields">
        <div class="filter-pair">
          <label>
            From
            <input type="date" name="from" form="search-form" value={raw.from ?? ''} />
          </label>
          <label>
            To
            <input type="date" name="to" form="search-form" value={raw.to ?? ''} />
          </label>
        </div>
        <label>
          Category
          <input type="text" name="cat" form="search-form" value={raw.cat ?? ''} placeholder="cs.LG or cs" list="search-categories" spellcheck={false} />
        </label>
        <datalist id="search-categories">
          {['cs.AI', 'cs.CL', 'cs.CV', 'cs.LG', 'cs.RO', 'stat.ML', 'eess.AS', 'math.OC', 'astro-ph', 'hep-th', 'quant-ph'].map((cat) => (
            <option value={cat} />
          ))}
        </datalist>
        <label>
          Organization
          <input type="text" name="org" form="search-form" value={raw.org ?? ''} placeholder="e.g. internlm" spellcheck={false} />
        </label>
        <label>
          Minimum upvotes
          <input type="number" name="min_upvotes" form="search-form" value={raw.min_upvotes ?? ''} min="0" step="1" inputmode="numeric" placeholder="0" />
        </label>
        <label class="check">
          <input type="checkbox" name="has_code" form="search-form" value="1" checked={Boolean(raw.has_code && raw.has_code !== '0' && raw.has_code !== 'false')} />
          Has code
        </label>
        {signedIn && (
          <label class="check">
            <input type="checkbox" name="hidden" form="search-form" value="include" checked={raw.hidden === 'include'} />
            Include papers you hid
          </label>
        )}
        <div class="filter-actions">
          <button type="submit" form="search-form" class="button">
            Apply
          </button>
          {active && <a href={`/papers/search${linkQuery({ q: raw.q ?? '', sort: raw.sort ?? '' }, {})}`}>Clear filters</a>}
        </div>
      </div>
    </details>
  );
}

function Results({ raw, page, cards, parts, pageIndex, sort, q, follow }: { raw: Raw; page: SearchPage; cards: ListingCard[]; parts: PageParts; pageIndex: number; sort: SearchSort; q: string; follow: FollowState | undefined }) {
  const { result, views } = page;
  // An estimate (a broad query's count from samples of its list, or phrases checked among the best) may be high or low.
  const count = `${result.totalIsEstimate ? 'about ' : ''}${result.total.toLocaleString('en-US')} ${result.total === 1 && !result.totalIsEstimate ? 'result' : 'results'}`;
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const feed = `/feeds/search.rss${linkQuery(raw, { sort: undefined })}`;
  if (result.total === 0) return <NoResults raw={raw} q={q} />;
  return (
    <>
      <div class="results-head">
        <p class="search-count">
          <strong>{count}</strong>
          {pageIndex > 0 && <span class="muted"> · page {pageIndex + 1}</span>}
          {result.notice && <span class="muted"> · {result.notice}</span>}
        </p>
        <nav class="search-sort" aria-label="Sort">
          {SORTS.map(([key, label]) => (
            <a href={`/papers/search${linkQuery(raw, { sort: key === 'relevance' ? undefined : key })}`} aria-current={key === sort ? 'page' : undefined}>
              {label}
            </a>
          ))}
          <a class="feed-link" href={feed} title="New papers matching this search, as RSS" aria-label="Feed of this search (RSS)">
            <FeedIcon /> <span class="feed-label">Feed</span>
          </a>
        </nav>
      </div>
      <FollowThis raw={raw} state={follow} />
      {views.length === 0 ? (
        <p class="empty-note">
          No more results. <a href={`/papers/search${linkQuery(raw, {})}`}>Back to the first page</a>
        </p>
      ) : (
        <CardList cards={cards} parts={parts} />
      )}
      <Pager raw={raw} page={pageIndex} pages={pages} more={result.totalIsEstimate} />
    </>
  );
}

/** The search's pages: numbered, with `+` when more match than are counted. */
function Pager({ raw, page, pages, more }: { raw: Raw; page: number; pages: number; more: boolean }) {
  return <NumberedPager page={page} pages={pages} more={more} href={(p) => `/papers/search${linkQuery(raw, { p: p > 0 ? String(p) : undefined })}`} />;
}

function NoResults({ raw, q }: { raw: Raw; q: string }) {
  const filtered = FILTER_FIELDS.some((f) => raw[f]);
  return (
    <section class="empty search-empty">
      <h2>No papers match {q.trim() ? <>“{q.trim()}”</> : 'these filters'}</h2>
      <ul>
        {filtered && (
          <li>
            <a href={`/papers/search${linkQuery({ q: raw.q ?? '', sort: raw.sort ?? '' }, {})}`}>Search without the filters</a>
          </li>
        )}
        <li>Check the spelling, or use fewer or more general words.</li>
        <li>
          End a word with <code>*</code> to match its beginning: <code>diffus*</code>.
        </li>
      </ul>
    </section>
  );
}

/** What the page shows before anything is asked. */
function Start() {
  const examples: [string, string][] = [
    ['reward model overoptimization', 'all of these words'],
    ['"test-time scaling"', 'the exact phrase'],
    ['diffusion -survey', 'without a word'],
    ['author:"Yoshua Bengio"', 'by an author'],
    ['cat:cs.CL has:code', 'a category, with code'],
    ['agents after:2025-06-01', 'published since a day'],
  ];
  return (
    <section class="search-start">
      <h2>Find papers</h2>
      <p class="muted">Search titles, authors and abstracts. A few starting points:</p>
      <ul class="example-queries">
        {examples.map(([query, what]) => (
          <li>
            <a href={`/papers/search?q=${encodeURIComponent(query)}`}>
              <code>{query}</code>
            </a>{' '}
            <span class="muted">{what}</span>
          </li>
        ))}
      </ul>
      <h3>Search syntax</h3>
      <Syntax />
    </section>
  );
}

/** Beside a refused query: the syntax in full. */
function HowToWrite() {
  return (
    <section class="search-start">
      <h2>How to write a query</h2>
      <Syntax />
    </section>
  );
}

/** The query syntax, folded beside the results. */
function Help() {
  return (
    <details class="search-help">
      <summary>Search syntax</summary>
      <Syntax />
    </details>
  );
}

/** The query syntax, as a reader would look it up. */
function Syntax() {
  const rows: [string, string][] = [
    ['reward model', 'papers with both words; rewards finds reward too'],
    ['"exact phrase"', 'the words together, in this order'],
    ['-survey', 'leave out papers with a word or "phrase"'],
    ['diffusion OR flow', 'either word'],
    ['diffus*', 'words that begin so'],
    ['title:agents', 'only in the title'],
    ['author:"Yann LeCun"', 'by an author'],
    ['cat:cs.LG, cat:cs', 'an arXiv category or archive'],
    ['org:internlm', 'from an organization'],
    ['after:2025-01-01, before:2025-06', 'published on or after, or before, a day (or month, or year)'],
    ['has:code', 'with a code repository'],
  ];
  return (
    <dl class="syntax">
      {rows.map(([syntax, meaning]) => (
        <>
          <dt>
            <code>{syntax}</code>
          </dt>
          <dd>{meaning}</dd>
        </>
      ))}
    </dl>
  );
}

function FeedIcon() {
  return (
    <svg class="icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <circle cx="3" cy="13" r="1.8" fill="currentColor" />
      <path d="M2 7.5a6.5 6.5 0 0 1 6.5 6.5M2 2.5A11.5 11.5 0 0 1 13.5 14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

/**
 * The search as a query the Following view can run again (the filter fields written in the
 * query language, dates left out: following looks forward), or undefined when there is none.
 */
export function followableQuery(raw: Raw): string | undefined {
  const parts = [raw.q?.trim() ?? ''];
  if (raw.cat?.trim()) parts.push(`cat:${raw.cat.trim()}`);
  if (raw.org?.trim()) parts.push(`org:${raw.org.trim()}`);
  if (raw.has_code) parts.push('has:code');
  if (raw.min_upvotes?.trim()) parts.push(`upvotes:${raw.min_upvotes.trim()}`);
  const q = parts.filter(Boolean).join(' ').replace(/\s+/g, ' ');
  if (!q || q.length > 200 || /\p{Cc}/u.test(q)) return undefined;
  try {
    parseQuery(q);
    return q;
  } catch {
    return undefined;
  }
}

/** "Follow this search", and "Follow cs.LG" when the category filter is set. */
function FollowThis({ raw, state }: { raw: Raw; state: FollowState | undefined }) {
  const q = followableQuery(raw);
  const cat = raw.cat?.trim();
  const back = `/papers/search${linkQuery(raw, {})}`;
  if (!q && !cat) return null;
  return (
    <div class="follow-this">
      {q && <FollowButton kind="search" target={q} label="this search" state={state} back={back} />}
      {cat && /^[a-z][a-z-]{0,19}(\.[A-Za-z-]{1,10})?$/i.test(cat) && <FollowButton kind="category" target={cat} label={cat} state={state} back={back} />}
    </div>
  );
}
