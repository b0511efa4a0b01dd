import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { CardList, listingCards } from '../papers/components.tsx';
import { paperSummaries } from '../papers/read-model.ts';
import { currentCardsVersion } from '../db/content-version.ts';
import { PageParts } from '../ui/page-parts.ts';
import { plural, safeHttpUrl } from '../ui/format.ts';
import { htmlPage, RequestError } from '../http/respond.ts';
import { viewerPaperState } from '../library/viewer.ts';
import { FollowButton, templateFollowState } from '../ui/follow.tsx';
import { Avatar } from '../images/components.tsx';
import { storedImages } from '../images/store.ts';
import { countOrganizationPapers, membersOf, organizationByName, organizationPaperIds, organizationPapers, type Member } from './queries.ts';

const PAGE_SIZE = 30;

type Sort = 'upvotes' | 'newest';

function listQuery(c: Context<AppEnv>): { sort: Sort; page: number } {
  const p = Number(c.req.query('p') ?? 0);
  return { sort: c.req.query('sort') === 'newest' ? 'newest' : 'upvotes', page: Number.isInteger(p) && p >= 0 && p <= 10_000 ? p : 0 };
}

/** `/organizations/{name}`: who they are, their members, their papers. */
export async function showOrganization(c: Context<AppEnv>) {
  const db = c.get('db').kysely;
  const org = await organizationByName(db, c.req.param('name') ?? '');
  if (!org) return c.notFound();
  const { sort, page } = listQuery(c);
  const [members, total, ids, images, version] = await Promise.all([
    membersOf(db, org.id),
    countOrganizationPapers(db, org.id),
    organizationPaperIds(db, org.id, sort, PAGE_SIZE + 1, page * PAGE_SIZE),
    storedImages(db, [org.avatar_url]),
    currentCardsVersion(db),
  ]);
  const avatar = org.avatar_url ? images.get(org.avatar_url) : undefined;
  const shownIds = ids.slice(0, PAGE_SIZE);
  const [rows, votes] = await Promise.all([paperSummaries(db, shownIds), viewerPaperState(c, shownIds)]);
  const cards = await listingCards(db, rows, { start: page * PAGE_SIZE, votes, cardsVersion: version });
  const base = `/organizations/${encodeURIComponent(org.name)}`;
  const href = (s: Sort, p = 0) => `${base}?sort=${s}${p > 0 ? `&p=${p}` : ''}`;
  const parts = new PageParts();
  return htmlPage(
    c,
    <Layout chrome={chromeOf(c)} title={org.fullname} description={`Papers by ${org.fullname}`} feeds={{ path: `/feeds/organization/${encodeURIComponent(org.name)}`, title: `Papers by ${org.fullname}` }} preview={{ image: `/images/organizations/${encodeURIComponent(org.name)}.png`, type: 'profile' }}>
      <header class="org-head">
        <Avatar image={avatar} name={org.fullname} size={64} />
        <div>
          <h1>{org.fullname}</h1>
          <p class="muted">
            {org.name} · {plural(total, 'paper')} · {plural(members.length, 'member')}
          </p>
        </div>
        <FollowButton kind="organization" target={org.name} label={org.fullname} state={templateFollowState(c)} back={base} />
      </header>
      <div class="org-layout">
        <section aria-labelledby="org-papers-h">
          <div class="org-papers-head">
            <h2 id="org-papers-h">Papers</h2>
            <nav class="org-sort" aria-label="Sort">
              <a href={href('upvotes')} aria-current={sort === 'upvotes' ? 'page' : undefined}>
                Most upvoted
              </a>
              <a href={href('newest')} aria-current={sort === 'newest' ? 'page' : undefined}>
                Newest
              </a>
            </nav>
          </div>
          {cards.length === 0 ? <p class="muted">No papers yet.</p> : <CardList cards={cards} parts={parts} />}
          {(page > 0 || ids.length > PAGE_SIZE) && (
            <nav class="pager" aria-label="Pages">
              {page > 0 ? <a href={href(sort, page - 1)}>← Previous page</a> : <span />}
              {ids.length > PAGE_SIZE && <a href={href(sort, page + 1)}>Next page →</a>}
            </nav>
          )}
        </section>
        <aside class="org-members" aria-labelledby="org-members-h">
          <h2 id="org-members-h">Members</h2>
          {members.length === 0 ? <p class="muted small">No members here yet.</p> : <MemberList members={members} />}
        </aside>
      </div>
    </Layout>,
    200,
    parts,
  );
}


function MemberList({ members }: { members: Member[] }) {
  return (
    <ul class="member-list">
      {members.map((m) => (
        <li>
          <a href={`/users/${encodeURIComponent(m.username)}`}>{m.fullname}</a> <span class="muted small">@{m.username}</span>
          {m.role === 'admin' && <span class="badge">admin</span>}
        </li>
      ))}
    </ul>
  );
}

/** `GET /api/organizations/{name}`: the organization, its members, and a page of its papers. */
export async function getOrganization(c: Context<AppEnv>) {
  const db = c.get('db').kysely;
  const org = await organizationByName(db, c.req.param('name') ?? '');
  if (!org) throw new RequestError(404, `organization not found: ${(c.req.param('name') ?? '').slice(0, 100)}`);
  const { sort, page } = listQuery(c);
  const [members, total, views] = await Promise.all([membersOf(db, org.id), countOrganizationPapers(db, org.id), organizationPapers(db, org.id, sort, PAGE_SIZE, page * PAGE_SIZE)]);
  return c.json({
    name: org.name,
    fullname: org.fullname,
    avatarUrl: safeHttpUrl(org.avatar_url) ?? null,
    numPapers: total,
    members: members.map((m) => ({ user: m.username, fullname: m.fullname, role: m.role })),
    papers: views.map(({ paper }) => ({ id: paper.id, title: paper.title, upvotes: paper.upvotes, numComments: paper.comments, publishedAt: paper.published_at })),
  });
}
