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
  /** A page for every reader (http/reader-template.ts): each button in both states, the reader's chosen when the page is filled in. */
  template?: boolean;
}

/**
 * The upvote count in a box you press: a form that works without JavaScript
 * (static/vote.js makes it instant). Anonymous readers' pages are shared, so
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
