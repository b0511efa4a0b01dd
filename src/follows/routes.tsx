import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { needViewer } from '../http/guards.ts';
import { wantsJson } from '../http/authenticate.ts';
import { formBody } from '../http/forms.ts';
import { htmlPage, jsonBody, RequestError } from '../http/respond.ts';
import { refererPath } from '../http/redirects.ts';
import { DomainError } from '../core/errors.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { FollowButton, templateFollowState, type FollowState } from '../ui/follow.tsx';
import { plural } from '../ui/format.ts';
import { CardList, listingCards, PaperCard } from '../papers/components.tsx';
import { paperSummaries, paperViews } from '../papers/read-model.ts';
import { currentCardsVersion } from '../db/content-version.ts';
import { PageParts } from '../ui/page-parts.ts';
import { viewerVotes } from '../votes/queries.ts';
import { organizationByName } from '../organizations/queries.ts';
import { followSchema, normalizeTarget, type FollowKind, type FollowTarget } from './targets.ts';
import { followsOf, setFollowing } from './queries.ts';
import { followedPapers, reasonText } from './following.ts';
import { claimedAccountsOf, papersByAuthorName } from './authors.ts';
import { hiddenPaperIds } from '../library/queries.ts';

const PAGE_SIZE = 30;

/** The page of a followed thing: where a follow form without a Referer goes back to. */
export function followTargetPath(t: FollowTarget): string {
  switch (t.kind) {
    case 'author':
      return `/authors/${encodeURIComponent(t.target)}`;
    case 'organization':
      return `/organizations/${encodeURIComponent(t.target)}`;
    case 'category':
      return `/papers/search?cat=${encodeURIComponent(t.target)}`;
    case 'search':
      return `/papers/search?q=${encodeURIComponent(t.target)}`;
  }
}

/** A follow target checked and normalized; an organization must exist. */
async function checkedTarget(c: Context<AppEnv>, input: { kind: FollowKind; target: string }): Promise<FollowTarget> {
  const target = normalizeTarget(input.kind, input.target);
  if (input.kind === 'organization' && !(await organizationByName(c.get('db').kysely, target))) throw new DomainError('not-found', `no organization is named ${target}`);
  return { kind: input.kind, target };
}

const followForm = followSchema.extend({ action: z.enum(['follow', 'unfollow'], 'action must be "follow" or "unfollow"').default('follow') });

/** `POST /follows`: the follow buttons' form. Back to the page it came from, or `{ following }` for the page's script. */
export async function followAction(c: Context<AppEnv>) {
  const form = await formBody(c, followForm);
  const viewer = needViewer(c, 'write');
  const target = await checkedTarget(c, form);
  const following = form.action === 'follow';
  await setFollowing(c.get('db').kysely, viewer.id, target, following);
  if (wantsJson(c)) return c.json({ ...target, following });
  return c.redirect(refererPath(c) ?? followTargetPath(target), 303);
}

/** `GET /api/follows`: what the token's owner follows. */
export async function listFollows(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'read');
  const follows = await followsOf(c.get('db').kysely, viewer.id);
  return c.json(follows.map((f) => ({ kind: f.kind, target: f.target, createdAt: f.createdAt })));
}

/** `POST /api/follows` `{kind, target}`: follows; repeating it changes nothing. */
export async function addFollow(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const body = await jsonBody(c, followSchema, 'expected {"kind": "author" | "organization" | "category" | "search", "target": "…"}');
  const target = await checkedTarget(c, body);
  await setFollowing(c.get('db').kysely, viewer.id, target, true);
  return c.json({ ...target, following: true });
}

/** `DELETE /api/follows?kind=&target=`: unfollows; repeating it changes nothing. */
export async function removeFollow(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const parsed = followSchema.safeParse(c.req.query());
  if (!parsed.success) throw new RequestError(400, 'expected ?kind=author|organization|category|search&target=…');
  const target = { kind: parsed.data.kind, target: normalizeTarget(parsed.data.kind, parsed.data.target) };
  await setFollowing(c.get('db').kysely, viewer.id, target, false);
  return c.json({ ...target, following: false });
}

function pageParam(c: Context<AppEnv>): number {
  const p = Number(c.req.query('p') ?? 0);
  return Number.isInteger(p) && p >= 0 && p <= 10_000 ? p : 0;
}

/**
 * `/authors/{name}`: the papers that name this author, claimed or not, linked to the verified
 * account when there is one, with a follow button. Behind the page cache: signed-in readers get
 * a template whose follow button is filled in per reader.
 */
export async function showAuthor(c: Context<AppEnv>) {
  const db = c.get('db').kysely;
  const name = (c.req.param('name') ?? '').trim();
  if (name.length < 2 || name.length > 100) return c.notFound();
  const page = pageParam(c);
  const [{ ids, total }, accounts] = await Promise.all([papersByAuthorName(db, name, PAGE_SIZE + 1, page * PAGE_SIZE), claimedAccountsOf(db, name)]);
  if (total === 0) return c.notFound();
  const shownIds = ids.slice(0, PAGE_SIZE);
  const [rows, votes, version] = await Promise.all([paperSummaries(db, shownIds), viewerVotes(c, shownIds), currentCardsVersion(db)]);
  const cards = await listingCards(db, rows, { start: page * PAGE_SIZE, votes, cardsVersion: version });
  const base = `/authors/${encodeURIComponent(name)}`;
  const parts = new PageParts();
  return htmlPage(
    c,
    <Layout chrome={chromeOf(c)} title={name} description={`Papers by ${name}`}>
      <header class="org-head author-head">
        <div>
          <h1>{name}</h1>
          <p class="muted">
            {plural(total, 'paper')}
            {accounts.map((a) => (
              <>
                {' · '}
                <a href={`/users/${encodeURIComponent(a.username)}`} rel="author">
                  {a.fullname} (@{a.username})
                </a>
                <span class="verified" title="verified author" aria-label="verified author">
                  {' '}✓
                </span>
              </>
            ))}
          </p>
        </div>
        <FollowButton kind="author" target={name} label={name} state={templateFollowState(c)} back={base} />
      </header>
      <CardList cards={cards} parts={parts} />
      {(page > 0 || ids.length > PAGE_SIZE) && (
        <nav class="pager" aria-label="Pages">
          {page > 0 ? <a href={`${base}${page > 1 ? `?p=${page - 1}` : ''}`}>← Newer papers</a> : <span />}
          {ids.length > PAGE_SIZE && <a href={`${base}?p=${page + 1}`}>Older papers →</a>}
        </nav>
      )}
    </Layout>,
    200,
    parts,
  );
}

/** What a follow is called in a button's accessible name: `the author Ada Lovelace`, `the search “diffusion”`. */
const followLabel = (f: { kind: FollowKind; target: string }) => (f.kind === 'search' ? `the search “${f.target}”` : `the ${f.kind} ${f.target}`);

const KIND_LABEL: Record<FollowKind, string> = { author: 'Authors', organization: 'Organizations', category: 'Categories', search: 'Searches' };

/** `/following`: new papers from what the reader follows, newest first, each with why it is there. One reader's page: never cached. */
export async function showFollowing(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'read');
  const follows = await followsOf(c.get('db').kysely, viewer.id);
  const found = await followedPapers(c.get('db'), follows, { exclude: await hiddenPaperIds(c.get('db').kysely, viewer.id) });
  const views = await paperViews(c.get('db').kysely, found.map((f) => f.paperId));
  const votes = await viewerVotes(c, views.map((v) => v.paper.id));
  const reasons = new Map(found.map((f) => [f.paperId, f.reasons]));
  const followed = new Set(follows.map((f) => `${f.kind}\n${f.target}`));
  const state: FollowState = { csrf: votes?.csrf ?? '', template: false, following: (kind, target) => followed.has(`${kind}\n${target}`) };
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Following">
      <h1>Following</h1>
      {follows.length === 0 ? (
        <p class="muted">
          You follow nothing yet. Follow authors from their pages (every author's name on a paper leads to one), organizations from theirs, a category or a
          search from <a href="/papers/search">search</a>.
        </p>
      ) : (
        <details class="following-list">
          <summary>What you follow ({follows.length})</summary>
          {(Object.keys(KIND_LABEL) as FollowKind[]).map((kind) => {
            const of = follows.filter((f) => f.kind === kind);
            return of.length === 0 ? null : (
              <section>
                <h2 class="small">{KIND_LABEL[kind]}</h2>
                <ul class="follow-list">
                  {of.map((f) => (
                    <li>
                      <a href={followTargetPath(f)}>{f.target}</a> <FollowButton kind={f.kind} target={f.target} label={followLabel(f)} state={state} back="/following" short />
                    </li>
                  ))}
                </ul>
              </section>
            );
          })}
        </details>
      )}
      {follows.length > 0 && views.length === 0 && <p class="muted">Nothing new from what you follow in the last weeks.</p>}
      <ol class="cards">
        {views.map((view) => (
          <li>
            <PaperCard view={view} votes={votes} />
            <p class="follow-reasons">{(reasons.get(view.paper.id) ?? []).map(reasonText).join(' · ')}</p>
          </li>
        ))}
      </ol>
    </Layout>,
  );
}
