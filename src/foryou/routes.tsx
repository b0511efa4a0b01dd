import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { needViewer } from '../http/guards.ts';
import { RequestError, zodDetails } from '../http/respond.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { PaperCard } from '../papers/components.tsx';
import { paperViews } from '../papers/read-model.ts';
import { viewerVotes } from '../votes/queries.ts';
import { forYou } from './service.ts';
import { reasonText } from './rank.ts';
import { createFeedToken, hasFeedToken, revokeFeedTokens } from './feed-tokens.ts';
import { csrfToken } from '../http/authenticate.ts';
import { siteOrigin } from '../http/origin.ts';
import { CsrfField } from '../ui/forms.tsx';
import { LibraryImport } from '../library/pages.tsx';
import type { Chrome } from '../ui/layout.tsx';

const PAGE_SIZE = 20;

const listParams = z.object({
  limit: z.coerce.number('limit must be a number').int('limit must be a whole number').min(1, 'limit is at least 1').max(50, 'limit is at most 50').default(PAGE_SIZE),
  offset: z.coerce.number('offset must be a number').int('offset must be a whole number').min(0, 'offset is at least 0').max(1000, 'offset is at most 1000').default(0),
});

function params(c: Context<AppEnv>) {
  const parsed = listParams.safeParse(c.req.query());
  if (!parsed.success) throw new RequestError(400, 'bad parameters', zodDetails(parsed.error));
  return parsed.data;
}

/** `GET /api/for-you`: recent papers ranked for the token's owner, each with its reasons. */
export async function getForYou(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'read');
  const { limit, offset } = params(c);
  const result = await forYou(c.get('db'), viewer.id, { limit, offset, config: c.get('config') });
  const views = new Map((await paperViews(c.get('db').kysely, result.items.map((i) => i.paperId))).map((v) => [v.paper.id, v]));
  c.header('Cache-Control', 'private, no-store');
  return c.json({
    seeded: result.seeded,
    papers: result.items.flatMap((i) => {
      const v = views.get(i.paperId);
      if (!v) return [];
      return [{ id: v.paper.id, title: v.paper.title, publishedAt: v.paper.published_at, upvotes: v.paper.upvotes, authors: v.authors.map((a) => a.name), score: Number(i.score.toFixed(4)), reasons: i.reasons.map(reasonText) }];
    }),
  });
}

/** `/for-you`: the same ranking as a page of cards, each with why it is there. One reader's page: never cached. */
export async function showForYou(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'read');
  const { offset } = params(c);
  const [result, feed] = await Promise.all([forYou(c.get('db'), viewer.id, { limit: PAGE_SIZE, offset, config: c.get('config') }), hasFeedToken(c.get('db').kysely, viewer.id)]);
  const views = await paperViews(c.get('db').kysely, result.items.map((i) => i.paperId));
  const votes = await viewerVotes(c, views.map((v) => v.paper.id));
  const reasons = new Map(result.items.map((i) => [i.paperId, i.reasons]));
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title="For you">
      <h1>For you</h1>
      <FeedControls chrome={chromeOf(c)} hasFeed={feed} />
      {result.seeded && (
        <section class="foryou-start" aria-labelledby="start-h">
          <h2 id="start-h" class="small">Start from what you read</h2>
          <p class="muted">
            Popular recent papers to start with. Upvote, save or hide papers, and follow authors, organizations, categories or searches: this list learns from
            them. Or bring your reading list: the papers of a BibTeX, RIS or Zotero file become your saved papers, and this list learns from them at once.
          </p>
          <LibraryImport csrf={csrfToken(c)} heading="Import a BibTeX, RIS or Zotero (CSL JSON) file" />
        </section>
      )}
      <ol class="cards">
        {views.map((view) => (
          <li>
            <PaperCard view={view} votes={votes} />
            <p class="follow-reasons">{(reasons.get(view.paper.id) ?? []).map(reasonText).join(' · ')}</p>
          </li>
        ))}
      </ol>
      {views.length === 0 && <p class="muted">No recent papers to recommend yet.</p>}
      {(offset > 0 || views.length === PAGE_SIZE) && (
        <nav class="pager" aria-label="Pages">
          {offset > 0 ? <a href={`/for-you${offset > PAGE_SIZE ? `?offset=${offset - PAGE_SIZE}` : ''}`}>← Previous</a> : <span />}
          {views.length === PAGE_SIZE && offset + PAGE_SIZE <= 1000 && <a href={`/for-you?offset=${offset + PAGE_SIZE}`}>More →</a>}
        </nav>
      )}
    </Layout>,
  );
}

/** The private feed's link: make one (which revokes the last), or revoke it. */
function FeedControls({ chrome, hasFeed }: { chrome: Chrome; hasFeed: boolean }) {
  return (
    <div class="feed-controls small">
      <form method="post" action="/for-you/feed" class="inline-form">
        <CsrfField token={chrome.csrf} />
        <button type="submit" class="link-button">{hasFeed ? 'New private feed link' : 'Get this list as a private feed (RSS)'}</button>
      </form>
      {hasFeed && (
        <form method="post" action="/for-you/feed/revoke" class="inline-form">
          {' · '}
          <CsrfField token={chrome.csrf} />
          <button type="submit" class="link-button">Revoke the feed link</button>
        </form>
      )}
    </div>
  );
}

/** `POST /for-you/feed`: a new private feed link (the last one stops working), shown once. */
export async function createFeedLink(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  const token = await createFeedToken(c.get('db').kysely, viewer.id);
  const url = `${siteOrigin(c)}/feeds/for-you.rss?token=${token}`;
  c.header('Cache-Control', 'private, no-store');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Your private feed">
      <h1>Your private feed</h1>
      <p>Paste this link into your feed reader. It opens your for-you list and nothing else; keep it to yourself. It is shown only now: make a new one any time, which stops this one.</p>
      <p>
        <input type="text" readonly value={url} aria-label="Feed link" class="feed-token-url" size={90} />
      </p>
      <p>
        Also as <code>.atom</code> or <code>.json</code> in place of <code>.rss</code>. <a href="/for-you">Back to For you</a>
      </p>
      <form method="post" action="/for-you/feed/revoke">
        <CsrfField token={csrfToken(c)} />
        <button type="submit" class="button">Revoke it</button>
      </form>
    </Layout>,
  );
}

/** `POST /for-you/feed/revoke`: every feed link of the reader stops working. */
export async function revokeFeedLink(c: Context<AppEnv>) {
  const viewer = needViewer(c, 'write');
  await revokeFeedTokens(c.get('db').kysely, viewer.id);
  return c.redirect('/for-you', 303);
}
