import type { Child } from 'hono/jsx';
import type { PendingClaim } from '../claims/queries.ts';
import { Layout, type Chrome } from '../web/layout.tsx';
import { stripMath } from '../web/math.ts';
import { ROLES } from '../accounts/users.ts';
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

        <section id="reports" aria-labelledby="reports-h">
          <h2 id="reports-h">Open reports</h2>
          {reports.length === 0 ? (
            <p class="muted">No open reports.</p>
          ) : (
            <table class="admin-table">
              <thead>
                <tr>
                  <th>Reported</th>
                  <th>Content</th>
                  <th>Reason</th>
                  <th>Resolve</th>
                </tr>
              </thead>
              <tbody>
                {reports.map((r) => (
                  <tr>
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
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section id="claims" aria-labelledby="claims-h">
          <h2 id="claims-h">Authorship claims</h2>
          {claims.length === 0 ? (
            <p class="muted">No pending claims.</p>
          ) : (
            <table class="admin-table">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Claims to be</th>
                  <th>On paper</th>
                  <th>Decide</th>
                </tr>
              </thead>
              <tbody>
                {claims.map((cl) => (
                  <tr>
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
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section id="act" aria-labelledby="act-h">
          <h2 id="act-h">Act</h2>
          <div class="admin-grid">
            <Post action="/admin/papers/hide" csrf={csrf}>
              <h3>Paper</h3>
              <input type="text" name="paper" required placeholder="arXiv id" aria-label="arXiv id" />
              <input type="text" name="reason" maxlength={500} placeholder="reason" aria-label="Reason" />
              <div class="buttons">
                <button type="submit">Hide</button>
                <button type="submit" formaction="/admin/papers/unhide">
                  Unhide
                </button>
              </div>
            </Post>
            <Post action="/admin/listings/hide" csrf={csrf}>
              <h3>Listing (a paper on one day)</h3>
              <input type="date" name="day" required aria-label="Day" />
              <input type="text" name="paper" required placeholder="arXiv id" aria-label="arXiv id" />
              <input type="text" name="reason" maxlength={500} placeholder="reason" aria-label="Reason" />
              <div class="buttons">
                <button type="submit">Hide</button>
                <button type="submit" formaction="/admin/listings/unhide">
                  Unhide
                </button>
              </div>
            </Post>
            <Post action="/admin/comments/hide" csrf={csrf}>
              <h3>Comment</h3>
              <input type="text" name="comment" required inputmode="numeric" placeholder="comment number" aria-label="Comment number" />
              <input type="text" name="reason" maxlength={500} placeholder="reason" aria-label="Reason" />
              <div class="buttons">
                <button type="submit">Hide</button>
                <button type="submit" formaction="/admin/comments/unhide">
                  Unhide
                </button>
              </div>
            </Post>
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
        </section>

        <section id="hidden" aria-labelledby="hidden-h">
          <h2 id="hidden-h">Hidden now</h2>
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
        </section>

        <section aria-labelledby="recent-h">
          <h2 id="recent-h">
            Recent actions <a class="small" href="/admin/audit">all →</a>
          </h2>
          <AuditTable rows={recent} />
        </section>
      </div>
    </Layout>
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

function AuditTable({ rows }: { rows: AuditRow[] }) {
  if (rows.length === 0) return <p class="muted">Nothing yet.</p>;
  return (
    <table class="admin-table audit">
      <thead>
        <tr>
          <th>When (UTC)</th>
          <th>Who</th>
          <th>Action</th>
          <th>Target</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            <td class="nowrap">{when(r.createdAt)}</td>
            <td>{r.actor}</td>
            <td>
              <code>{r.action}</code>
            </td>
            <td>
              {r.targetType} <code>{r.targetId}</code>
            </td>
            <td>{r.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
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
