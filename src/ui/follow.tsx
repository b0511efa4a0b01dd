import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, renderingTemplate, viewerOf } from '../http/authenticate.ts';
import { ELSE, END, followKey, ifReader } from '../http/reader-template.ts';

/**
 * What a page's follow buttons need: nothing for anonymous readers (their pages are shared),
 * the form's token and, unless the page is a reader template (where the state is filled in per
 * reader, http/reader-template.ts), whether this reader follows.
 */
export type FollowState = { csrf: string; template: true } | { csrf: string; template: false; following: (kind: string, target: string) => boolean };

/**
 * The follow state of a page rendered as a reader template: the only kind a page with follow
 * buttons behind the page cache is rendered as when someone is signed in. Pages rendered for
 * one reader (author pages, /following) build theirs from the reader's follows.
 */
export function templateFollowState(c: Context<AppEnv>): FollowState | undefined {
  if (!viewerOf(c)) return undefined;
  if (renderingTemplate(c)) return { csrf: csrfToken(c), template: true };
  // A signed-in page outside the cache (an API token's HTML request): no button state to trust, so none is shown.
  return { csrf: csrfToken(c), template: false, following: () => false };
}

/**
 * A follow button: a plain form (follow or unfollow, back to this page) that static/buttons.js
 * makes instant. For anonymous readers it leads to sign-in and back.
 */
export function FollowButton({ kind, target, label, state, back, short = false }: { kind: string; target: string; label: string; state: FollowState | undefined; back: string; short?: boolean }) {
  if (!state) {
    return (
      <form class="follow" method="get" action="/signin">
        <input type="hidden" name="next" value={back} />
        <button type="submit" class="button follow-button" title={`Sign in to follow ${label}`}>
          Follow {label}
        </button>
      </form>
    );
  }
  if (state.template) {
    const plain = { csrf: state.csrf, template: false as const, following: () => false };
    return (
      <>
        {raw(ifReader('follows', followKey(kind, target)))}
        <FollowForm kind={kind} target={target} label={label} csrf={plain.csrf} following={true} short={short} />
        {raw(ELSE)}
        <FollowForm kind={kind} target={target} label={label} csrf={plain.csrf} following={false} short={short} />
        {raw(END)}
      </>
    );
  }
  return <FollowForm kind={kind} target={target} label={label} csrf={state.csrf} following={state.following(kind, target)} short={short} />;
}

/**
 * `short`: a button beside what it names (the list in /following), whose visible text is the
 * action ("Unfollow", "Follow again") and whose accessible name adds the label.
 */
function FollowForm({ kind, target, label, csrf, following, short = false }: { kind: string; target: string; label: string; csrf: string; following: boolean; short?: boolean }) {
  if (short) {
    return (
      <form class="follow" method="post" action="/follows" data-follow="" data-label={label} data-short="">
        <input type="hidden" name="_csrf" value={csrf} />
        <input type="hidden" name="kind" value={kind} />
        <input type="hidden" name="target" value={target} />
        <input type="hidden" name="action" value={following ? 'unfollow' : 'follow'} />
        <button type="submit" class={following ? 'button follow-button following' : 'button follow-button'} aria-label={`${following ? 'Unfollow' : 'Follow'} ${label}`}>
          {following ? 'Unfollow' : 'Follow again'}
        </button>
      </form>
    );
  }
  return (
    <form class="follow" method="post" action="/follows" data-follow="" data-label={label}>
      <input type="hidden" name="_csrf" value={csrf} />
      <input type="hidden" name="kind" value={kind} />
      <input type="hidden" name="target" value={target} />
      <input type="hidden" name="action" value={following ? 'unfollow' : 'follow'} />
      <button type="submit" class={following ? 'button follow-button following' : 'button follow-button'} aria-pressed={following ? 'true' : 'false'}>
        {following ? `Following ${label}` : `Follow ${label}`}
      </button>
    </form>
  );
}
