import { raw } from 'hono/html';
import type { ListingView } from '../feed/queries.ts';
import { renderMath, renderMathExcerpt } from './math.ts';
import { formatCount, formatShortDate, plural, safeHttpUrl } from './format.ts';

/** Text with its LaTeX typeset; everything else escaped (see math.ts). */
export function MathText({ text }: { text: string }) {
  return <>{raw(renderMath(text))}</>;
}

/** The page path of a paper; old-style ids keep their slash. */
export function paperPath(id: string): string {
  return `/papers/${id}`;
}

/** The upvote count in its box. */
export function Upvotes({ count }: { count: number }) {
  return (
    <div class="upvotes" title={plural(count, 'upvote')}>
      <span class="upvote-arrow" aria-hidden="true">
        ▲
      </span>
      <span class="upvote-count">{formatCount(count)}</span>
      <span class="visually-hidden"> upvotes</span>
    </div>
  );
}

/** One paper on a list: votes, title, the abstract's first lines, and its meta line. */
export function PaperCard({ view, rank }: { view: ListingView; rank?: number }) {
  const { paper, organization, submitter, authors } = view;
  const code = safeHttpUrl(paper.github_repo);
  const project = safeHttpUrl(paper.project_page);
  return (
    <article class="card" aria-labelledby={`t-${rank ?? paper.id}`}>
      <Upvotes count={paper.upvotes} />
      <div class="card-body">
        <h2 class="card-title" id={`t-${rank ?? paper.id}`}>
          <a href={paperPath(paper.id)}>
            <MathText text={paper.title} />
          </a>
        </h2>
        <p class="card-abstract">{raw(renderMathExcerpt(paper.abstract, 320))}</p>
        <div class="card-meta">
          {organization ? (
            <span class="org" title={organization.name}>
              {safeHttpUrl(organization.avatar_url) && <img src={safeHttpUrl(organization.avatar_url)} alt="" width="16" height="16" loading="lazy" />}
              {organization.fullname}
            </span>
          ) : (
            <span title={authors.map((a) => a.name).join(', ')}>{plural(authors.length, 'author')}</span>
          )}
          <span aria-hidden="true">·</span>
          <time datetime={paper.published_at}>{formatShortDate(paper.published_at)}</time>
          {code && (
            <a class="badge" href={code} rel="nofollow noopener">
              Code{paper.github_stars ? ` ★ ${formatCount(paper.github_stars)}` : ''}
            </a>
          )}
          {project && (
            <a class="badge" href={project} rel="nofollow noopener">
              Project page
            </a>
          )}
          <a class="badge" href={`${paperPath(paper.id)}#discussion`} title={plural(paper.comments_source, 'comment')}>
            <CommentIcon /> {paper.comments_source}
          </a>
          {submitter && <span class="submitter">Submitted by {submitter.fullname}</span>}
        </div>
      </div>
    </article>
  );
}

function CommentIcon() {
  return (
    <svg class="icon" viewBox="0 0 16 16" width="13" height="13" aria-hidden="true">
      <path d="M2 3.5A1.5 1.5 0 0 1 3.5 2h9A1.5 1.5 0 0 1 14 3.5v6a1.5 1.5 0 0 1-1.5 1.5H7l-3 3v-3h-.5A1.5 1.5 0 0 1 2 9.5z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" />
    </svg>
  );
}

export function PaperList({ views, start = 0 }: { views: ListingView[]; start?: number }) {
  return (
    <ol class="cards">
      {views.map((view, i) => (
        <li>
          <PaperCard view={view} rank={start + i + 1} />
        </li>
      ))}
    </ol>
  );
}
