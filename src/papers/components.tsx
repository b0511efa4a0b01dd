import { raw } from 'hono/html';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { viewsOfSummaries, type ListingSummary, type PaperView } from './read-model.ts';
import { HideButton, MathText, paperPath, ReadButton, SaveButton, UnlessHidden, Upvotes, type VoteState } from '../ui/components.tsx';
import type { PageParts } from '../ui/page-parts.ts';
import { hasMath, renderMathExcerpt } from '../ui/math.ts';
import { formatCount, formatShortDate, plural, safeHttpUrl } from '../ui/format.ts';
import { Avatar, paperPicture } from '../images/components.tsx';
import { imagePath } from '../images/store.ts';

/** A search hit's title and abstract passage: escaped HTML with the matched words in `<mark>` (search/highlight.ts). */
export interface Highlighted {
  titleHtml: string;
  snippetHtml: string;
}

/**
 * One paper on a list: votes, title, the abstract's first lines, and its meta line.
 * With `highlighted` (search results), the title and a passage show the matched words
 * marked, except where the text has math, which is typeset unmarked instead.
 */
export function PaperCard({ view, rank, votes, highlighted }: { view: PaperView; rank?: number; votes?: VoteState; highlighted?: Highlighted }) {
  const { paper, organization, submitter, authors } = view;
  const code = safeHttpUrl(paper.github_repo);
  const project = safeHttpUrl(paper.project_page);
  const picture = paperPicture(paper.id, paper.thumbnail_url ? view.images.get(paper.thumbnail_url) : undefined);
  return (
    <article class="card" aria-labelledby={`t-${rank ?? paper.id}`}>
      <Upvotes paperId={paper.id} count={paper.upvotes} votes={votes} />
      <div class="card-body">
        <h2 class="card-title" id={`t-${rank ?? paper.id}`}>
          <a href={paperPath(paper.id)}>
            {highlighted && !hasMath(paper.title) ? raw(highlighted.titleHtml) : <MathText text={paper.title} />}
          </a>
        </h2>
        {highlighted && !hasMath(highlighted.snippetHtml.replace(/<\/?mark>/g, '')) ? (
          <p class="card-abstract snippet">{raw(highlighted.snippetHtml)}</p>
        ) : (
          <p class="card-abstract">{raw(renderMathExcerpt(paper.abstract, 320))}</p>
        )}
        <div class="card-meta">
          {/* The dot belongs to what it follows, so a wrapped line never starts with it. */}
          <span class="meta-lead">
            {organization ? (
              <a class="org" href={`/organizations/${encodeURIComponent(organization.name)}`} title={organization.name}>
                <Avatar image={organization.avatar_url ? view.images.get(organization.avatar_url) : undefined} name={organization.fullname} size={16} />
                {organization.fullname}
              </a>
            ) : (
              <>
                <AuthorFaces view={view} />
                <span title={authors.map((a) => a.name).join(', ')}>
                  {highlighted && authors.length > 0 ? authorLine(authors.map((a) => a.name)) : plural(authors.length, 'author')}
                </span>
              </>
            )}
            <span aria-hidden="true" class="sep">
              {' ·'}
            </span>
          </span>
          <time datetime={paper.published_at}>{formatShortDate(paper.published_at)}</time>
          {code && (
            <a class="badge" href={code} rel="nofollow noopener">
              Code{paper.github_stars ? ` ★ ${formatCount(paper.github_stars)}` : ''}
            </a>
          )}
          {project && (
            <a class="badge" href={project} rel="nofollow noopener">
              Project page
            </a>
          )}
          <a class="badge" href={`${paperPath(paper.id)}#discussion`} title={paper.comments_source > 0 ? `${plural(paper.comments, 'comment')}, ${paper.comments_source} of them at the import source` : plural(paper.comments, 'comment')}>
            <CommentIcon /> {paper.comments}
          </a>
          {submitter && (
            <span class="submitter">
              Submitted by{' '}
              <PersonLink href={view.listing?.submitter_id != null ? `/users/${encodeURIComponent(submitter.username)}` : undefined}>
                <Avatar image={submitter.avatar_url ? view.images.get(submitter.avatar_url) : undefined} name={submitter.fullname} size={16} round />
                {submitter.fullname}
              </PersonLink>
            </span>
          )}
          <span class="card-actions">
            <SaveButton paperId={paper.id} votes={votes} />
            <ReadButton paperId={paper.id} votes={votes} />
            <HideButton paperId={paper.id} votes={votes} />
          </span>
        </div>
      </div>
      {/* The title is the link; the picture repeats it for the pointer only. */}
      <a class="card-thumb" href={paperPath(paper.id)} tabindex={-1} aria-hidden="true">
        <img src={picture.src} alt="" width={picture.width} height={picture.height} loading="lazy" decoding="async" />
      </a>
    </article>
  );
}

const FACES = 3;

/** The first authors' pictures (or initials), each linked to their profile: the account that claimed it, else the author's page. */
function AuthorFaces({ view }: { view: PaperView }) {
  const shown = view.authors.slice(0, FACES);
  if (shown.length === 0) return null;
  return (
    <span class="faces">
      {shown.map((a) => {
        const face = faceOf(view, a);
        return (
          <a href={face.href} title={a.name}>
            <Avatar image={face.picture ? view.images.get(face.picture) : undefined} name={a.name} size={20} round />
            <span class="visually-hidden">{a.name}</span>
          </a>
        );
      })}
    </span>
  );
}

/** Where an author's face links (the account that claimed the authorship, else the author's page) and its picture's address. */
function faceOf(view: PaperView, author: PaperView['authors'][number]): { href: string; picture: string | null } {
  const user = author.user_id !== null ? view.authorUsers.get(author.user_id) : undefined;
  const identity = author.imported_user_id !== null ? view.importedAuthors.get(author.imported_user_id) : undefined;
  return {
    href: user ? `/users/${encodeURIComponent(user.username)}` : `/authors/${encodeURIComponent(author.name)}`,
    picture: user?.avatar_url ?? identity?.avatar_url ?? null,
  };
}

function PersonLink({ href, children }: { href?: string; children: unknown }) {
  return href ? (
    <a class="person" href={href}>
      {children}
    </a>
  ) : (
    <span class="person">{children}</span>
  );
}

/** A paper's link-preview picture: its kept thumbnail, else its typographic card as PNG (crawlers take no SVG). */
export function previewImage(view: PaperView): string {
  const thumbnail = view.paper.thumbnail_url ? view.images.get(view.paper.thumbnail_url) : undefined;
  return thumbnail ? imagePath(thumbnail) : `/images/papers/${view.paper.id}.png`;
}

/** `Ada Lovelace, Alan Turing, Grace Hopper et al.`: who wrote it, as search results name them. */
function authorLine(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} et al.`;
}

function CommentIcon() {
  return (
    <svg class="icon" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">
      <path d="M2 3.5A1.5 1.5 0 0 1 3.5 2h9A1.5 1.5 0 0 1 14 3.5v6a1.5 1.5 0 0 1-1.5 1.5H7l-3 3v-3h-.5A1.5 1.5 0 0 1 2 9.5z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" />
    </svg>
  );
}

/** Cards rendered as they are: a reader's own lists (library, following) and search results; shared lists use `listingCards` and `CardList`. */
export function PaperList({ views, start = 0, votes, highlights }: { views: PaperView[]; start?: number; votes?: VoteState; highlights?: Map<string, Highlighted> }) {
  return (
    <ol class="cards" id="papers" tabindex={-1}>
      {views.map((view, i) => (
        <UnlessHidden paperId={view.paper.id} votes={votes}>
          <li>
            <PaperCard view={view} rank={start + i + 1} votes={votes} highlighted={highlights?.get(view.paper.id)} />
          </li>
        </UnlessHidden>
      ))}
    </ol>
  );
}

/**
 * Cards as `listingCards` makes them, in order, put in the page as the bytes they are kept as
 * (`parts`: htmlPage splices them in), so a page rendered anew encodes only its own frame;
 * `switchable`: a grid of pictures on wide screens unless the reader chose the list (ui/layout.tsx ViewSwitch).
 */
export function CardList({ cards, parts, switchable = false }: { cards: ListingCard[]; parts: PageParts; switchable?: boolean }) {
  return (
    <ol class={switchable ? 'cards switchable' : 'cards'} id="papers" tabindex={-1}>
      {parts.add(cards.map((card) => card.bytes))}
    </ol>
  );
}

/** A list page's card as its `<li>` (in its reader condition on a template), encoded, with its paper's link-preview picture. */
export interface ListingCard {
  paperId: string;
  bytes: Buffer;
  preview: string;
}

/**
 * The cards of a shared list page from its rows as first read (summaries: the listing's and
 * paper's ids and the paper's votes, comments and modified_at, papers/read-model.ts
 * summaryColumns): a card kept for the same rank, kind of page, row (and search highlights) at the
 * current `cardsVersion` is taken as it is; only the others are loaded in full (one hydration for
 * all of them) and rendered. Votes and comments change the row (and bump the content version
 * without cards_version); every other content write (authors, organizations, names, pictures,
 * imports) bumps cards_version, which drops them all (db/content-version.ts).
 * Busiest day: 50 cards, nothing loaded but the summaries.
 */
export async function listingCards(
  db: Kysely<Database>,
  rows: ListingSummary[],
  opts: { start: number; votes?: VoteState; cardsVersion: number; highlights?: Map<string, Highlighted>; views?: PaperView[] },
): Promise<ListingCard[]> {
  const { votes, highlights } = opts;
  const render = (view: PaperView, rank: number): ListingCard => {
    const html = String(
      <UnlessHidden paperId={view.paper.id} votes={votes}>
        <li>
          <PaperCard view={view} rank={rank} votes={votes} highlighted={highlights?.get(view.paper.id)} />
        </li>
      </UnlessHidden>,
    );
    return { paperId: view.paper.id, bytes: Buffer.from(html), preview: previewImage(view) };
  };
  // A page filled for one reader (an API token's, a profile seen signed in) is rendered as it is.
  // The rows' full views when the caller has them (search results), else read for the cards not kept.
  const viewsOf = (wanted: ListingSummary[]) => opts.views ?? viewsOfSummaries(db, wanted);
  if (votes && !votes.template) return (await viewsOf(rows)).map((view, i) => render(view, opts.start + i + 1));
  const kind = votes ? `template${votes.omitRead ? ' omit' : ''}${votes.showHidden ? ' all' : ''}` : 'anonymous';
  let kept = keptCardsOf.get(db);
  if (!kept) keptCardsOf.set(db, (kept = new KeptCards()));
  const out: (ListingCard | undefined)[] = [];
  const missing: { at: number; rank: number; row: ListingSummary; marked?: Highlighted }[] = [];
  rows.forEach((row, i) => {
    const rank = opts.start + i + 1;
    const marked = highlights?.get(row.p_id);
    const card = kept.card(kind, rank, row, opts.cardsVersion, marked);
    out.push(card);
    if (!card) missing.push({ at: i, rank, row, marked });
  });
  if (missing.length > 0) {
    const views = new Map((await viewsOf(missing.map((m) => m.row))).map((v) => [v.paper.id, v]));
    for (const m of missing) {
      const view = views.get(m.row.p_id);
      if (!view) continue;
      const card = render(view, m.rank);
      out[m.at] = card;
      kept.keep(kind, m.rank, m.row, opts.cardsVersion, m.marked, card);
    }
  }
  // A paper gone since its row was read has no card.
  return out.filter((card): card is ListingCard => card !== undefined);
}

/** A kept card and what it was rendered from: its page's kind, its rank, its row and search highlights, the cards version. */
interface KeptCard {
  kind: string;
  rank: number;
  cardsVersion: number;
  row: ListingSummary;
  marked: Highlighted | undefined;
  card: ListingCard;
}

/**
 * Cards kept by paper, then by kind of page and rank, checked field by field against the row read
 * now: no key or fingerprint string is made per row (those were a fifth of what rendering the
 * busiest day from nothing allocated, decision 029). At most MAX_KEPT_CARDS, the papers least
 * recently rendered anew dropped first.
 */
class KeptCards {
  readonly #byPaper = new Map<string, KeptCard[]>();
  #size = 0;

  /** The card kept for `row` at `rank` on a page of `kind`, if what it shows is what `row` says. */
  card(kind: string, rank: number, row: ListingSummary, cardsVersion: number, marked: Highlighted | undefined): ListingCard | undefined {
    const kept = this.#byPaper.get(row.p_id);
    if (!kept) return undefined;
    for (const k of kept) {
      if (k.kind !== kind || k.rank !== rank) continue;
      const r = k.row;
      const same =
        k.cardsVersion === cardsVersion &&
        r.l_id === row.l_id &&
        r.p_upvotes === row.p_upvotes &&
        r.p_comments === row.p_comments &&
        r.p_comments_source === row.p_comments_source &&
        r.p_modified_at === row.p_modified_at &&
        k.marked?.titleHtml === marked?.titleHtml &&
        k.marked?.snippetHtml === marked?.snippetHtml;
      return same ? k.card : undefined;
    }
    return undefined;
  }

  keep(kind: string, rank: number, row: ListingSummary, cardsVersion: number, marked: Highlighted | undefined, card: ListingCard): void {
    const kept = this.#byPaper.get(row.p_id) ?? [];
    const at = kept.findIndex((k) => k.kind === kind && k.rank === rank);
    const entry = { kind, rank, cardsVersion, row, marked, card };
    if (at === -1) {
      kept.push(entry);
      this.#size++;
    } else kept[at] = entry;
    this.#byPaper.delete(row.p_id);
    this.#byPaper.set(row.p_id, kept);
    while (this.#size > MAX_KEPT_CARDS) {
      const [oldest, cards] = this.#byPaper.entries().next().value!;
      this.#byPaper.delete(oldest);
      this.#size -= cards.length;
    }
  }
}

/** A full view as the row a shared list reads (`summaryColumns`): search results' views checked against kept cards. */
export function summaryOfView(view: PaperView): ListingSummary {
  const { paper } = view;
  return { l_id: view.listing?.id ?? null, p_id: paper.id, p_upvotes: paper.upvotes, p_comments: paper.comments, p_comments_source: paper.comments_source, p_modified_at: paper.modified_at };
}

/** Cards kept rendered, at most: about 2.5 KB each. */
const MAX_KEPT_CARDS = 5000;
/** Per database: two databases served by one process (tests, `dailypapers copy` checks) can hold equal rows and versions with different cards. */
const keptCardsOf = new WeakMap<Kysely<Database>, KeptCards>();
