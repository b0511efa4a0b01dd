import { raw } from 'hono/html';
import { renderMath } from './math.ts';
import { formatCount, plural } from './format.ts';
import { ELSE, END, ifReader } from '../http/reader-template.ts';

/** Text with its LaTeX typeset; everything else escaped (see math.ts). */
export function MathText({ text }: { text: string }) {
  return <>{raw(renderMath(text))}</>;
}

/** The page path of a paper; old-style ids keep their slash. */
export function paperPath(id: string): string {
  return `/papers/${id}`;
}

/** What a page's upvote buttons need for a signed-in viewer (see votes/queries.ts viewerVotes). */
export interface VoteState {
  csrf: string;
  /** Ids of the papers on the page that the viewer upvoted. */
  voted: ReadonlySet<string>;
  /** Ids of the papers on the page in any of the viewer's collections (library/queries.ts). */
  saved?: ReadonlySet<string>;
  /** Ids of the papers on the page the viewer hid or marked "not interested": their cards are left out. */
  hidden?: ReadonlySet<string>;
  /** Ids of the papers on the page the viewer marked read. */
  read?: ReadonlySet<string>;
  /** Ids the viewer leaves out of lists that leave read papers out (`omitRead`): hidden, or read when they chose so. */
  omitted?: ReadonlySet<string>;
  /** This list leaves out what the reader read, when they chose so (the daily, weekly, monthly and trending lists). */
  omitRead?: boolean;
  /** The reader asked to see the papers they hid (a search with `hidden=include`). */
  showHidden?: boolean;
  /** A page for every reader (http/reader-template.ts): each button in both states, the reader's chosen when the page is filled in. */
  template?: boolean;
}

/**
 * The upvote count in a box you press: a form that works without JavaScript
 * (static/buttons.js makes it instant). Anonymous readers' pages are shared, so
 * theirs carries no token and leads to sign-in, then back to the paper.
 */
export function Upvotes({ paperId, count, votes, upvoted = votes?.voted.has(paperId) ?? false }: { paperId: string; count: number; votes?: VoteState; upvoted?: boolean }) {
  if (votes?.template) {
    const plain = { ...votes, template: false };
    return (
      <>
        {raw(ifReader('voted', paperId))}
        <Upvotes paperId={paperId} count={count} votes={plain} upvoted={true} />
        {raw(ELSE)}
        <Upvotes paperId={paperId} count={count} votes={plain} upvoted={false} />
        {raw(END)}
      </>
    );
  }
  const inner = (
    <>
      <span class="upvote-arrow" aria-hidden="true">
        ▲
      </span>
      <span class="upvote-count">{formatCount(count)}</span>
      <span class="visually-hidden"> upvotes</span>
    </>
  );
  if (!votes) {
    return (
      <form class="upvotes" method="get" action="/signin">
        <input type="hidden" name="next" value={paperPath(paperId)} />
        <button type="submit" class="upvote-button" title={`${plural(count, 'upvote')} · sign in to upvote`}>
          {inner}
        </button>
      </form>
    );
  }
  return (
    <form class="upvotes" method="post" action={`${paperPath(paperId)}/upvote`} data-vote="" data-count={String(count)}>
      <input type="hidden" name="_csrf" value={votes.csrf} />
      <input type="hidden" name="action" value={upvoted ? 'down' : 'up'} />
      <button type="submit" class="upvote-button" title={`${plural(count, 'upvote')} · ${upvoted ? 'withdraw your upvote' : 'upvote'}`} aria-pressed={upvoted ? 'true' : 'false'}>
        {inner}
      </button>
    </form>
  );
}

/**
 * The save button: puts the paper in the reader's library (their default collection), or takes
 * it out of every collection. A form that works without JavaScript (static/buttons.js makes it
 * instant); anonymous readers' goes to sign-in and back.
 */
export function SaveButton({ paperId, votes, saved = votes?.saved?.has(paperId) ?? false }: { paperId: string; votes?: VoteState; saved?: boolean }) {
  if (votes?.template) {
    const plain = { ...votes, template: false };
    return (
      <>
        {raw(ifReader('saved', paperId))}
        <SaveButton paperId={paperId} votes={plain} saved={true} />
        {raw(ELSE)}
        <SaveButton paperId={paperId} votes={plain} saved={false} />
        {raw(END)}
      </>
    );
  }
  if (!votes) {
    return (
      <form class="save" method="get" action="/signin">
        <input type="hidden" name="next" value={paperPath(paperId)} />
        <button type="submit" class="save-button" title="Sign in to save papers to your library">
          <span aria-hidden="true">☆</span> Save
        </button>
      </form>
    );
  }
  return (
    <>
      <form class="save" method="post" action={`${paperPath(paperId)}/save`} data-save="">
      <input type="hidden" name="_csrf" value={votes.csrf} />
      <input type="hidden" name="action" value={saved ? 'unsave' : 'save'} />
      <button type="submit" class="save-button" aria-pressed={saved ? 'true' : 'false'} title={saved ? 'Saved in your library · remove it' : 'Save to your library'}>
        <span aria-hidden="true">{saved ? '★' : '☆'}</span> <span class="save-label">{saved ? 'Saved' : 'Save'}</span>
      </button>
      </form>
      {/* The note lives in a collection: its page says which, and saves the paper if need be. */}
      <a class="note-link" href={`/library/notes/${paperId}`} title={saved ? 'Your note on this paper' : 'Save it with a note'}>
        <span aria-hidden="true">✎</span> <span class="note-label">Note</span>
      </a>
    </>
  );
}

/**
 * "Not interested": hides the paper from the reader's lists, search and digests (undo from
 * the library, or here when it is hidden). Signed-in readers only.
 */
export function HideButton({ paperId, votes, hidden = votes?.hidden?.has(paperId) ?? false }: { paperId: string; votes?: VoteState; hidden?: boolean }) {
  if (!votes) return null;
  if (votes.template) {
    const plain = { ...votes, template: false };
    return (
      <>
        {raw(ifReader('hidden', paperId))}
        <HideButton paperId={paperId} votes={plain} hidden={true} />
        {raw(ELSE)}
        <HideButton paperId={paperId} votes={plain} hidden={false} />
        {raw(END)}
      </>
    );
  }
  return (
    <form class="hide" method="post" action={`${paperPath(paperId)}/hide`} data-hide="">
      <input type="hidden" name="_csrf" value={votes.csrf} />
      <input type="hidden" name="action" value={hidden ? 'unhide' : 'not-interested'} />
      <button type="submit" class="hide-button" aria-pressed={hidden ? 'true' : 'false'} title={hidden ? 'Hidden from your lists · show it again' : 'Not interested: hide it from your lists, search and digests'}>
        {hidden ? 'Hidden · undo' : 'Not interested'}
      </button>
    </form>
  );
}

/**
 * "Mark read": a toggle on cards and the paper page; read papers' cards are dimmed with a ✓
 * (style.css), and leave the daily lists of readers who chose so. Signed-in readers only.
 */
export function ReadButton({ paperId, votes, read = votes?.read?.has(paperId) ?? false }: { paperId: string; votes?: VoteState; read?: boolean }) {
  if (!votes) return null;
  if (votes.template) {
    const plain = { ...votes, template: false };
    return (
      <>
        {raw(ifReader('read', paperId))}
        <ReadButton paperId={paperId} votes={plain} read={true} />
        {raw(ELSE)}
        <ReadButton paperId={paperId} votes={plain} read={false} />
        {raw(END)}
      </>
    );
  }
  return (
    <form class="read" method="post" action={`${paperPath(paperId)}/read`} data-read="">
      <input type="hidden" name="_csrf" value={votes.csrf} />
      <input type="hidden" name="action" value={read ? 'unread' : 'read'} />
      <button type="submit" class="read-button" aria-pressed={read ? 'true' : 'false'} title={read ? 'You read it · mark it unread' : 'Mark read'}>
        <span aria-hidden="true">✓</span> <span class="read-label">{read ? 'Read' : 'Mark read'}</span>
      </button>
    </form>
  );
}

/** A part of a list left out for a reader who hid the paper (or read it, on lists that leave read papers out when they chose so): a template condition, or the reader's own set. */
export function UnlessHidden({ paperId, votes, children }: { paperId: string; votes?: VoteState; children: unknown }) {
  if (votes?.showHidden) return <>{children}</>;
  if (votes?.template) {
    return (
      <>
        {raw(ifReader(votes.omitRead ? 'omitted' : 'hidden', paperId))}
        {raw(ELSE)}
        {children}
        {raw(END)}
      </>
    );
  }
  return (votes?.omitRead ? votes.omitted : votes?.hidden)?.has(paperId) ? null : <>{children}</>;
}

/** Previous, next, and the page numbers around this one (the first and last always); `more`: a `+` when the count stops short. */
export function NumberedPager({ page, pages, href, more = false }: { page: number; pages: number; href: (page: number) => string; more?: boolean }) {
  if (pages <= 1) return null;
  const shown = [...new Set([0, page - 1, page, page + 1, pages - 1])].filter((p) => p >= 0 && p < pages).sort((a, b) => a - b);
  const items: (number | 'gap')[] = [];
  shown.forEach((p, i) => {
    if (i > 0 && p - shown[i - 1]! > 1) items.push('gap');
    items.push(p);
  });
  return (
    <nav class="pager search-pager" aria-label="Pages">
      {page > 0 ? (
        <a href={href(page - 1)} rel="prev">
          ← Previous
        </a>
      ) : (
        <span class="pager-edge" />
      )}
      <span class="page-numbers">
        {items.map((item) =>
          item === 'gap' ? (
            <span class="gap">…</span>
          ) : item === page ? (
            <span class="page-number current" aria-current="page">
              {item + 1}
            </span>
          ) : (
            <a class="page-number" href={href(item)} aria-label={`Page ${item + 1}`}>
              {item + 1}
            </a>
          ),
        )}
        {more && <span class="gap" title="More papers match; refine the search to see them">+</span>}
      </span>
      {page < pages - 1 ? (
        <a href={href(page + 1)} rel="next">
          Next →
        </a>
      ) : (
        <span class="pager-edge" />
      )}
    </nav>
  );
}
