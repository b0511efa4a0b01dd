import type { PaperAuthor, User } from '../db/schema.ts';
import { Layout, type Chrome } from '../ui/layout.tsx';
import { isModerator } from '../auth/sessions.ts';

/** The page of a paper moderators hid: gone, and saying so. */
export function RemovedPaper({ id, chrome }: { id: string; chrome: Chrome }) {
  return (
    <Layout chrome={chrome} title="Paper removed">
      <section class="empty">
        <h1>Removed by moderators</h1>
        <p>
          <code>{id}</code> was removed from {chrome.siteName}. It is still <a href={`https://arxiv.org/abs/${id}`}>on arXiv</a>.
        </p>
        {isModerator(chrome.viewer) && (
          <p>
            You can show it again in <a href="/admin#hidden">moderation</a>.
          </p>
        )}
      </section>
    </Layout>
  );
}

/** An author's name: linked to their profile with a check mark once a claim was verified, else to the name's author page. */
export function VerifiedAuthor({ name, user }: { name: string; user: User | undefined }) {
  if (!user || user.kind !== 'user') return <a href={`/authors/${encodeURIComponent(name)}`}>{name}</a>;
  return (
    <>
      <a href={`/users/${encodeURIComponent(user.username)}`} rel="author">
        {name}
      </a>
      <span class="verified" title="verified author" aria-label="verified author">
        ✓
      </span>
    </>
  );
}

/** Under a paper: claim to be one of its authors, or report it. Signed-in readers only. */
export function PaperModerationForms({ paperId, authors, chrome }: { paperId: string; authors: PaperAuthor[]; chrome: Chrome }) {
  const path = `/papers/${paperId}`;
  if (!chrome.viewer) {
    return (
      <p class="paper-flags muted small">
        {/* One flex item: the flags row would otherwise set the link and its sentence apart. */}
        <span>
          <a href={`/signin?next=${encodeURIComponent(path)}`}>Sign in</a> to claim authorship or report this paper.
        </span>
      </p>
    );
  }
  const unclaimed = authors.filter((a) => a.user_id === null);
  return (
    <div class="paper-flags">
      {unclaimed.length > 0 && (
        <details>
          <summary>Are you an author? Claim this paper</summary>
          <form method="post" action={`${path}/claim`} class="flag-form">
            <input type="hidden" name="_csrf" value={chrome.csrf} />
            <label>
              I am{' '}
              <select name="position" required>
                {unclaimed.map((a) => (
                  <option value={String(a.position)}>{a.name}</option>
                ))}
              </select>
            </label>
            <button type="submit" class="button">
              Claim authorship
            </button>
            <span class="muted small">A moderator verifies claims; your profile then lists the paper.</span>
          </form>
        </details>
      )}
      <details>
        <summary>Report this paper</summary>
        <form method="post" action={`${path}/report`} class="flag-form">
          <input type="hidden" name="_csrf" value={chrome.csrf} />
          <label>
            Why should moderators look at it?{' '}
            <input type="text" name="reason" required maxlength={500} placeholder="spam, not a research paper, …" />
          </label>
          <button type="submit" class="button">
            Report
          </button>
        </form>
      </details>
      {/* Shown by CSS (:target) after the form posts and redirects here: no state, no script. */}
      <p id="claim-sent" class="flag-sent" role="status">
        Claim sent: a moderator will review it.
      </p>
      <p id="report-sent" class="flag-sent" role="status">
        Thank you: moderators will look at it.
      </p>
    </div>
  );
}
