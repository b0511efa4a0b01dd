import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { User } from '../db/schema.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { CardList, listingCards } from '../papers/components.tsx';
import { currentCardsVersion } from '../db/content-version.ts';
import { PageParts } from '../ui/page-parts.ts';
import { formatShortDate, plural, safeHttpUrl } from '../ui/format.ts';
import { htmlPage, RequestError } from '../http/respond.ts';
import { paperSummaries } from '../papers/read-model.ts';
import { viewerPaperState } from '../library/viewer.ts';
import { collectionsOfOwner } from '../library/queries.ts';
import { CollectionList } from '../library/pages.tsx';
import { profileCounts, profilePaperIds, type ProfileTab } from './queries.ts';
import { userByHandle } from '../auth/users.ts';
import { Avatar } from '../images/components.tsx';
import { storedImages } from '../images/store.ts';

type C = Context<AppEnv>;

const TABS: [ProfileTab, string][] = [
  ['submitted', 'Submitted'],
  ['upvoted', 'Upvoted'],
  ['authored', 'Authored'],
];
const PAGE_SIZE = 30;

/** A user as anyone may see them: never the address, the password or the ban details. */
function publicUser(user: User) {
  return {
    name: user.username,
    fullname: user.fullname,
    avatarUrl: safeHttpUrl(user.avatar_url) ?? null,
    type: user.kind === 'system' ? 'system' : 'user',
    role: user.role,
    bio: user.bio,
    createdAt: user.created_at,
  };
}

/** `GET /users/:name`: who they are, and the papers they submitted, upvoted and wrote. */
export async function showProfile(c: C) {
  const db = c.get('db').kysely;
  const user = await userByHandle(db, c.req.param('name')!);
  if (!user) return c.notFound();
  const asked = TABS.find(([key]) => key === c.req.query('tab'))?.[0];
  const [counts, images] = await Promise.all([profileCounts(db, user.id), storedImages(db, [user.avatar_url])]);
  // Without a tab asked for, the first that has papers: an imported author has authored, not submitted.
  const tab = asked ?? TABS.find(([key]) => counts[key] > 0)?.[0] ?? 'submitted';
  const ids = await profilePaperIds(db, user.id, tab, PAGE_SIZE);
  const [rows, votes, version] = await Promise.all([paperSummaries(db, ids), viewerPaperState(c, ids), currentCardsVersion(db)]);
  const cards = await listingCards(db, rows, { start: 0, votes, cardsVersion: version });
  const avatar = user.avatar_url ? images.get(user.avatar_url) : undefined;
  // Accounts an import made: nobody signed up, so there is no join date to show.
  const joined = user.email !== null || user.password_hash !== null;
  const auth = c.get('auth');
  const viewer = auth.kind === 'anonymous' ? null : auth.viewer;
  const own = viewer?.id === user.id;
  // Private collections only to their owner.
  const collections = await collectionsOfOwner(db, user.id, own);
  const parts = new PageParts();
  return htmlPage(
    c,
    <Layout chrome={chromeOf(c)} title={`${user.fullname} (@${user.username})`} description={user.bio ?? `${user.fullname} on ${c.get('config').SITE_NAME}`} preview={{ image: `/images/users/${encodeURIComponent(user.username)}.png`, type: 'profile' }}>
      <header class="profile-head">
        <Avatar image={avatar} name={user.fullname} size={72} round />
        <div class="profile-id">
          <h1>
            {user.fullname}
            {user.role !== 'user' && <span class={`role-badge role-${user.role}`}>{user.role === 'admin' ? 'Admin' : 'Moderator'}</span>}
          </h1>
          <p class="muted">
            @{user.username}
            {joined && ` · joined ${formatShortDate(user.created_at)}`}
            {user.banned_at && <span class="role-badge role-banned">Suspended</span>}
          </p>
          {user.bio && <p class="profile-bio">{user.bio}</p>}
          {own && (
            <p class="small">
              <a href="/settings">Edit profile and settings</a> · <a href="/library">Your library</a>
            </p>
          )}
        </div>
      </header>
      <nav class="profile-tabs" aria-label="Papers">
        {TABS.map(([key, label]) => (
          <a href={`/users/${user.username}?tab=${key}`} class={key === tab ? 'tab active' : 'tab'} aria-current={key === tab ? 'page' : undefined}>
            {label} <span class="tab-count">{counts[key]}</span>
          </a>
        ))}
      </nav>
      {cards.length ? (
        <CardList cards={cards} parts={parts} />
      ) : (
        <p class="empty-note muted">{emptyNote(tab, own)}</p>
      )}
      {counts[tab] > PAGE_SIZE && <p class="muted small">Showing the latest {PAGE_SIZE} of {plural(counts[tab], 'paper')}.</p>}
      {(collections.length > 0 || own) && (
        <section aria-labelledby="profile-collections-h">
          <h2 id="profile-collections-h">Collections</h2>
          <CollectionList collections={collections} />
        </section>
      )}
    </Layout>,
    200,
    parts,
  );
}

/** `GET /api/users/:name`: the public profile and how many papers each list holds. */
export async function getUser(c: C) {
  const db = c.get('db').kysely;
  const user = await userByHandle(db, c.req.param('name')!);
  if (!user) throw new RequestError(404, `no user named ${c.req.param('name')}`);
  const counts = await profileCounts(db, user.id);
  return c.json({ ...publicUser(user), numSubmitted: counts.submitted, numUpvoted: counts.upvoted, numPapers: counts.authored });
}

function emptyNote(tab: ProfileTab, own: boolean): string {
  const who = own ? 'You have' : 'No papers';
  if (tab === 'submitted') return own ? `${who} not submitted a paper yet.` : 'No papers submitted yet.';
  if (tab === 'upvoted') return own ? `${who} not upvoted a paper yet.` : 'No upvoted papers yet.';
  return own ? 'No authored papers yet: claim your papers from their pages, and a moderator confirms them.' : 'No authored papers confirmed yet.';
}
