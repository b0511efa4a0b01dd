import type { Child } from 'hono/jsx';
import type { PendingClaim } from '../claims/queries.ts';
import { Layout, type Chrome } from '../ui/layout.tsx';
import { stripMath } from '../ui/math.ts';
import { ROLES } from '../auth/users.ts';
import type { AuditRow, OpenReport, hiddenNow } from './queries.ts';

type Hidden = Awaited<ReturnType<typeof hiddenNow>>;

interface AdminProps {
  chrome: Chrome;
  isAdmin: boolean;
  reports: OpenReport[];
  claims: PendingClaim[];
  hidden: Hidden;
  recent: AuditRow[];
  staff: { username: string; fullname: string; role: string }[];
  notice?: string;
}

const excerpt = (text: string, max = 280) => (text.length > max ? `${text.slice(0, max)}…` : text);
const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** A POST form carrying the CSRF token. */
function Post({ action, csrf, class: cls = 'admin-form', children }: { action: string; csrf: string; class?: string; children: Child }) {
  return (
    <form method="post" action={action} class={cls}>
      <input type="hidden" name="_csrf" value={csrf} />
      {children}
    </form>
  );
}

/** `/admin`: everything a moderator works on, on one page. */
export function AdminPage({ chrome, isAdmin, reports, claims, hidden, recent, staff, notice }: AdminProps) {
  const csrf = chrome.csrf;
  return (
    <Layout chrome={chrome} title="Moderation">
      <div class="admin">
        <header class="admin-head">
          <h1>Moderation</h1>
          <nav class="admin-nav">
            <a href="#reports">Reports ({reports.length})</a>
            <a href="#claims">Claims ({claims.length})</a>
            <a href="#act">Act</a>
            <a href="#hidden">Hidden</a>
            <a href="/admin/audit">Audit log</a>
          </nav>
        </header>
        {notice && (
          <p class="admin-notice" role="status">
            {notice}
          </p>
        )}

        <Section id="reports" title="Open reports">
          <AdminTable
            headers={['Reported', 'Content', 'Reason', 'Resolve']}
            rows={reports}
            empty="No open reports."
            row={(r) => (
              <>
                <td class="nowrap">
                  <strong>{r.targetType}</strong> {r.href ? <a href={r.href}>{r.targetId}</a> : r.targetId}
                  <div class="muted small">
                    {when(r.createdAt)} by {r.reporter ?? '(deleted)'}
                  </div>
                </td>
                <td>
                  {r.hidden && <span class="badge">hidden</span>}
                  {r.excerpt !== null ? <blockquote class="reported">{excerpt(r.targetType === 'comment' ? r.excerpt : stripMath(r.excerpt))}</blockquote> : r.targetType !== 'user' && <span class="muted">(gone)</span>}
                  {r.author && <div class="muted small">by {r.author}</div>}
                </td>
                <td class="reason">{r.reason}</td>
                <td>
                  <Post action={`/admin/reports/${r.id}/resolve`} csrf={csrf} class="admin-form resolve">
                    <input type="text" name="note" maxlength={500} placeholder="note (optional)" aria-label="Note" />
                    <button type="submit" name="resolution" value="dismiss">
                      Dismiss
                    </button>
                    {r.targetType !== 'user' && (
                      <button type="submit" name="resolution" value="hide">
                        Hide
                      </button>
                    )}
                    {r.targetType !== 'paper' && (
                      <button type="submit" name="resolution" value="ban" class="danger">
                        Ban {r.targetType === 'user' ? 'user' : 'author'}
                      </button>
                    )}
                  </Post>
                </td>
              </>
            )}
          />
        </Section>

        <Section id="claims" title="Authorship claims">
          <AdminTable
            headers={['User', 'Claims to be', 'On paper', 'Decide']}
            rows={claims}
            empty="No pending claims."
            row={(cl) => (
              <>
                <td class="nowrap">
                  <a href={`/users/${encodeURIComponent(cl.username)}`}>{cl.username}</a>
                  <div class="muted small">{cl.fullname}</div>
                </td>
                <td>
                  {cl.authorName} <span class="muted small">(author {cl.position + 1})</span>
                </td>
                <td>
                  <a href={`/papers/${cl.paperId}`}>{excerpt(stripMath(cl.paperTitle), 120)}</a>
                  <div class="muted small">
                    {cl.paperId} · {when(cl.createdAt)}
                  </div>
                </td>
                <td class="nowrap">
                  <Post action={`/admin/claims/${cl.id}/approve`} csrf={csrf} class="inline-form">
                    <button type="submit">Approve</button>
                  </Post>{' '}
                  <Post action={`/admin/claims/${cl.id}/reject`} csrf={csrf} class="inline-form">
                    <button type="submit" class="danger">
                      Reject
                    </button>
                  </Post>
                </td>
              </>
            )}
          />
        </Section>

        <Section id="act" title="Act">
          <div class="admin-grid">
            <HideForm kind="papers" title="Paper" csrf={csrf}>
              <input type="text" name="paper" required placeholder="arXiv id" aria-label="arXiv id" />
            </HideForm>
            <HideForm kind="listings" title="Listing (a paper on one day)" csrf={csrf}>
              <input type="date" name="day" required aria-label="Day" />
              <input type="text" name="paper" required placeholder="arXiv id" aria-label="arXiv id" />
            </HideForm>
            <HideForm kind="comments" title="Comment" csrf={csrf}>
              <input type="text" name="comment" required inputmode="numeric" placeholder="comment number" aria-label="Comment number" />
            </HideForm>
            <Post action="/admin/users/ban" csrf={csrf}>
              <h3>User</h3>
              <input type="text" name="username" required placeholder="username" aria-label="Username" />
              <input type="text" name="reason" maxlength={500} placeholder="reason (kept in the audit log)" aria-label="Reason" />
              <div class="buttons">
                <button type="submit" class="danger">
                  Ban
                </button>
                <button type="submit" formaction="/admin/users/unban">
                  Unban
                </button>
              </div>
            </Post>
            <Post action="/admin/organizations/assign" csrf={csrf}>
              <h3>Paper's organization</h3>
              <input type="text" name="paper" required placeholder="arXiv id" aria-label="arXiv id" />
              <input type="text" name="organization" placeholder="organization handle (empty: none)" aria-label="Organization" />
              <div class="buttons">
                <button type="submit">Assign</button>
              </div>
            </Post>
            {isAdmin && (
              <Post action="/admin/users/role" csrf={csrf}>
                <h3>Role (admins only)</h3>
                <input type="text" name="username" required placeholder="username" aria-label="Username" />
                <select name="role" aria-label="Role">
                  {ROLES.map((r) => (
                    <option value={r}>{r}</option>
                  ))}
                </select>
                <div class="buttons">
                  <button type="submit">Set role</button>
                </div>
                <p class="muted small">Staff: {staff.map((s) => `${s.username} (${s.role})`).join(', ') || 'none'}</p>
              </Post>
            )}
          </div>
        </Section>

        <Section id="hidden" title="Hidden now">
          <div class="admin-grid">
            <HiddenList title="Papers" empty="No hidden papers.">
              {hidden.papers.map((p) => (
                <li>
                  <Unhide action="/admin/papers/unhide" csrf={csrf} fields={{ paper: p.id }} />
                  <code>{p.id}</code> {excerpt(stripMath(p.title), 90)}
                </li>
              ))}
            </HiddenList>
            <HiddenList title="Listings" empty="No hidden listings.">
              {hidden.listings.map((l) => (
                <li>
                  <Unhide action="/admin/listings/unhide" csrf={csrf} fields={{ day: l.day, paper: l.paper_id }} />
                  {l.day} <a href={`/papers/${l.paper_id}`}>{l.paper_id}</a> {excerpt(stripMath(l.title), 70)}
                </li>
              ))}
            </HiddenList>
            <HiddenList title="Comments" empty="No hidden comments.">
              {hidden.comments.map((cm) => (
                <li>
                  <Unhide action="/admin/comments/unhide" csrf={csrf} fields={{ comment: String(cm.id) }} />#{cm.id} by {cm.username} on{' '}
                  <a href={`/papers/${cm.paper_id}`}>{cm.paper_id}</a>
                  <blockquote class="reported">{excerpt(cm.body, 160)}</blockquote>
                </li>
              ))}
            </HiddenList>
            <HiddenList title="Banned users" empty="Nobody is banned.">
              {hidden.banned.map((u) => (
                <li>
                  <Unhide action="/admin/users/unban" csrf={csrf} fields={{ username: u.username }} label="Unban" />
                  {u.username} <span class="muted small">since {when(u.banned_at!)}</span>
                </li>
              ))}
            </HiddenList>
          </div>
        </Section>

        <Section
          id="recent"
          title={
            <>
              Recent actions <a class="small" href="/admin/audit">all →</a>
            </>
          }
        >
          <AuditTable rows={recent} />
        </Section>
      </div>
    </Layout>
  );
}

/** An Act form: `children` name what to hide; a reason, then Hide (`/admin/<kind>/hide`) or Unhide. */
function HideForm({ kind, title, csrf, children }: { kind: 'papers' | 'listings' | 'comments'; title: string; csrf: string; children: Child }) {
  return (
    <Post action={`/admin/${kind}/hide`} csrf={csrf}>
      <h3>{title}</h3>
      {children}
      <input type="text" name="reason" maxlength={500} placeholder="reason" aria-label="Reason" />
      <div class="buttons">
        <button type="submit">Hide</button>
        <button type="submit" formaction={`/admin/${kind}/unhide`}>
          Unhide
        </button>
      </div>
    </Post>
  );
}

function HiddenList({ title, empty, children }: { title: string; empty: string; children: Child[] }) {
  return (
    <div class="admin-form">
      <h3>{title}</h3>
      {children.length === 0 ? <p class="muted small">{empty}</p> : <ul class="hidden-list">{children}</ul>}
    </div>
  );
}

function Unhide({ action, csrf, fields, label = 'Unhide' }: { action: string; csrf: string; fields: Record<string, string>; label?: string }) {
  return (
    <Post action={action} csrf={csrf} class="inline-form">
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class="small-button">
        {label}
      </button>
    </Post>
  );
}

/** A part of the admin page: `id` is its anchor (the nav links to it) and, with `-h`, its heading's. */
function Section({ id, title, children }: { id: string; title: Child; children: Child }) {
  return (
    <section id={id} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {children}
    </section>
  );
}

/** One `<tr>` a row, its cells from `row`; `empty` says so when there are no rows. */
function AdminTable<T>({ headers, rows, row, empty, class: cls }: { headers: string[]; rows: T[]; row: (r: T) => Child; empty: string; class?: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <table class={cls ? `admin-table ${cls}` : 'admin-table'}>
      <thead>
        <tr>
          {headers.map((h) => (
            <th>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>{row(r)}</tr>
        ))}
      </tbody>
    </table>
  );
}

function AuditTable({ rows }: { rows: AuditRow[] }) {
  return (
    <AdminTable
      class="audit"
      headers={['When (UTC)', 'Who', 'Action', 'Target', 'Detail']}
      rows={rows}
      empty="Nothing yet."
      row={(r) => (
        <>
          <td class="nowrap">{when(r.createdAt)}</td>
          <td>{r.actor}</td>
          <td>
            <code>{r.action}</code>
          </td>
          <td>
            {r.targetType} <code>{r.targetId}</code>
          </td>
          <td>{r.detail}</td>
        </>
      )}
    />
  );
}

/** `/admin/audit`: the whole log, a page at a time. */
export function AuditPage({ chrome, rows, page, hasMore }: { chrome: Chrome; rows: AuditRow[]; page: number; hasMore: boolean }) {
  return (
    <Layout chrome={chrome} title="Audit log">
      <div class="admin">
        <header class="admin-head">
          <h1>Audit log</h1>
          <nav class="admin-nav">
            <a href="/admin">← Moderation</a>
          </nav>
        </header>
        <AuditTable rows={rows} />
        {(page > 0 || hasMore) && (
          <nav class="pager" aria-label="Pages">
            {page > 0 ? <a href={page === 1 ? '/admin/audit' : `/admin/audit?p=${page - 1}`}>← Newer</a> : <span />}
            {hasMore && <a href={`/admin/audit?p=${page + 1}`}>Older →</a>}
          </nav>
        )}
      </div>
    </Layout>
  );
}
