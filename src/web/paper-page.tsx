import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { featuredDaysOfPaper, paperPageState, paperView, relatedLinks, type PaperView, type RelatedLink } from '../papers/read-model.ts';
import { Layout, chromeOf, type Chrome } from '../ui/layout.tsx';
import { HideButton, MathText, ReadButton, SaveButton, Upvotes, paperPath, type VoteState } from '../ui/components.tsx';
import { previewImage } from '../papers/components.tsx';
import { formatCount, formatShortDate, plural, safeHttpUrl } from '../ui/format.ts';
import { mathAsText, stripMath } from '../ui/math.ts';
import { parseArxivId } from '../core/arxiv-id.ts';
import { categoriesOfPapers } from '../papers/queries.ts';
import { Discussion, loadDiscussion } from '../comments/pages.tsx';
import { PaperModerationForms, RemovedPaper, VerifiedAuthor } from '../moderation/components.tsx';
import { viewerPaperState } from '../library/viewer.ts';
import { storedRelatedPapers } from '../search/related.ts';
import type { Db } from '../db/database.ts';
import { Avatar, paperPicture } from '../images/components.tsx';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { currentCardsVersion } from '../db/content-version.ts';
import { htmlPage } from '../http/respond.ts';
import { KeptFrames, PATH_SLOT, PageParts } from '../ui/page-parts.ts';

/** `/papers/{id}` and `/papers/{id}.md`. */

/** Past this many authors, the page lists the first FIRST_AUTHORS and folds the rest away. */
const MANY_AUTHORS = 30;
const FIRST_AUTHORS = 20;

function AuthorItem({ author, user }: { author: { name: string; affiliation: string | null }; user: Parameters<typeof VerifiedAuthor>[0]['user'] }) {
  return (
    <li>
      <VerifiedAuthor name={author.name} user={user} />
      {author.affiliation && <span class="muted"> ({author.affiliation})</span>}
    </li>
  );
}

export async function showPaper(c: Context<AppEnv>) {
  const path = c.req.param('id') ?? '';
  const markdown = path.endsWith('.md');
  const arxiv = parseArxivId(markdown ? path.slice(0, -3) : path);
  if (!arxiv) return c.notFound();
  if (arxiv.version !== null) return c.redirect(`/papers/${arxiv.id}${markdown ? '.md' : ''}`, 301);
  const db = c.get('db').kysely;
  if (markdown) {
    const view = await paperView(db, arxiv.id);
    if (!view) return c.html(<UnknownPaper id={arxiv.id} chrome={chromeOf(c)} />, 404);
    if (view.paper.hidden_at) return c.html(<RemovedPaper id={arxiv.id} chrome={chromeOf(c)} />, 410);
    return c.body(paperMarkdown(view, c.get('config').BASE_URL), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
  }
  const [state, cardsVersion, votes] = await Promise.all([paperPageState(db, arxiv.id), currentCardsVersion(db), viewerPaperState(c, [arxiv.id])]);
  if (!state) return c.html(<UnknownPaper id={arxiv.id} chrome={chromeOf(c)} />, 404);
  if (state.hidden) return c.html(<RemovedPaper id={arxiv.id} chrome={chromeOf(c)} />, 410);
  const [discussion, related] = await Promise.all([
    loadDiscussion(c, arxiv.id, state.comments_source, state.comments),
    // Stored when the paper or its neighbours change (search/related.ts); a paper whose list was
    // never stored, or was marked to do again, has it computed here once.
    state.related_at === null ? relatedViews(c.get('db'), arxiv.id) : state.related,
  ]);
  const chrome = chromeOf(c);
  const parts = new PageParts();
  // What votes, comments and the related-papers job change without cards_version: put in per page.
  const live = () => ({
    upvotes: parts.add([Buffer.from(String(<Upvotes paperId={arxiv.id} count={state.upvotes} votes={votes} />))]),
    related: parts.add([Buffer.from(String(<RelatedPapers views={related} />))]),
    discussion: parts.add([Buffer.from(String(<Discussion {...discussion} />))]),
  });
  // A page filled for one reader (an API token's) is rendered as it is; anonymous readers' and
  // templates' frames are kept, like the list pages' (ui/page-parts.ts).
  const keep = !votes || votes.template === true;
  const frameKey = JSON.stringify([{ ...chrome, path: undefined }, arxiv.id, cardsVersion, keep && votes !== undefined]);
  let frames = paperFrames.get(db);
  if (!frames) paperFrames.set(db, (frames = new KeptFrames(MAX_PAPER_FRAMES)));
  const frame = keep && frames.has(frameKey) ? undefined : await paperFrame(db, arxiv.id);
  if (frame === null) return c.html(<UnknownPaper id={arxiv.id} chrome={chromeOf(c)} />, 404);
  const page = (shown: Chrome) => <PaperPage {...frame!} votes={votes} live={live()} chrome={shown} />;
  if (!keep) return htmlPage(c, page(chrome), 200, parts);
  return htmlPage(c, await frames.page(frameKey, chrome.path, parts, () => page({ ...chrome, path: PATH_SLOT }), live));
}

/** What only a paper page's frame shows (the paper, its authors, days and categories): read when its frame is not kept; null for an unknown paper. */
async function paperFrame(db: Kysely<Database>, paperId: string): Promise<{ view: PaperView; days: string[]; categories: string[] } | null> {
  const [view, days, categories] = await Promise.all([paperView(db, paperId), featuredDaysOfPaper(db, paperId), categoriesOfPapers(db, [paperId])]);
  return view ? { view, days, categories: categories.get(paperId) ?? [] } : null;
}

/**
 * Paper pages' frames kept: everything but the upvote box, the related papers and the discussion,
 * by the reader's chrome, the paper and `cards_version` (every write of what the frame shows but
 * votes and comments bumps it: db/content-version.ts). About 15 KB each. Per database: two
 * databases served by one process (tests, `dailypapers copy` checks) hold different papers by the same ids.
 */
const paperFrames = new WeakMap<Kysely<Database>, KeptFrames>();
const MAX_PAPER_FRAMES = 1000;

/** The papers most like this one, as their list shows them. */
async function relatedViews(db: Db, paperId: string): Promise<RelatedLink[]> {
  return relatedLinks(db.kysely, await storedRelatedPapers(db, paperId));
}

/** A well-formed arXiv id that was never featured here: point to arXiv. */
function UnknownPaper({ id, chrome }: { id: string; chrome: Chrome }) {
  const { siteName } = chrome;
  return (
    <Layout chrome={chrome} title="Paper not found">
      <section class="empty">
        <h1>Not here yet</h1>
        <p>
          <code>{id}</code> is not in {siteName}'s collection.
        </p>
        <p>
          Read it <a href={`https://arxiv.org/abs/${id}`}>on arXiv</a>, or go back to{' '}
          <a href="/papers">today's papers</a>.
        </p>
      </section>
    </Layout>
  );
}

/** The paper page; `live` holds the markers of what is put in per page (`PageParts`): the upvote box, the related papers and the discussion. */
function PaperPage({ view, days, categories, votes, live, chrome }: { view: PaperView; days: string[]; categories: string[]; votes?: VoteState; live: { upvotes: unknown; related: unknown; discussion: unknown }; chrome: Chrome }) {
  const { paper, authors, organization, submitter } = view;
  const links = arxivLinks(paper.id, paper.pdf_url);
  const code = safeHttpUrl(paper.github_repo);
  const project = safeHttpUrl(paper.project_page);
  const picture = paperPicture(paper.id, paper.thumbnail_url ? view.images.get(paper.thumbnail_url) : undefined);
  return (
    <Layout chrome={chrome} title={mathAsText(paper.title)} description={mathAsText(paper.abstract).slice(0, 200)} preview={{ image: previewImage(view), type: 'article' }}>
      <article class="paper">
        <header class="paper-head">
          <p class="paper-kicker">
            {days.length > 0 ? (
              <a href={`/papers/date/${days[days.length - 1]}`}>Featured {formatShortDate(days[days.length - 1]!)}</a>
            ) : (
              <span>{paper.primary_category ?? 'arXiv'}</span>
            )}
            {submitter && <> · submitted by {submitter.fullname}</>}
          </p>
          {/* Its thumbnail, else its typographic card, as on the lists. */}
          <img class="paper-thumb" src={picture.src} alt="" width={picture.width} height={picture.height} decoding="async" />
          <h1 class="paper-title">
            <MathText text={paper.title} />
          </h1>
          {organization && (
            <p class="paper-org">
              <Avatar image={organization.avatar_url ? view.images.get(organization.avatar_url) : undefined} name={organization.fullname} size={20} />
              <a href={`/organizations/${encodeURIComponent(organization.name)}`}>{organization.fullname}</a>
            </p>
          )}
          {/* A consortium's hundreds of names would push the abstract screens down: the first ones, then all on demand. */}
          <ul class="authors" aria-label="Authors">
            {authors.slice(0, authors.length > MANY_AUTHORS ? FIRST_AUTHORS : undefined).map((a) => (
              <AuthorItem author={a} user={a.user_id !== null ? view.authorUsers.get(a.user_id) : undefined} />
            ))}
          </ul>
          {authors.length > MANY_AUTHORS && (
            <details class="more-authors">
              <summary>and {authors.length - FIRST_AUTHORS} more authors</summary>
              <ul class="authors" aria-label="More authors">
                {authors.slice(FIRST_AUTHORS).map((a) => (
                  <AuthorItem author={a} user={a.user_id !== null ? view.authorUsers.get(a.user_id) : undefined} />
                ))}
              </ul>
            </details>
          )}
          <dl class="facts">
            <div>
              <dt>Published on arXiv</dt>
              <dd>
                <time datetime={paper.published_at}>{formatShortDate(paper.published_at)}</time>
              </dd>
            </div>
            {paper.updated_at && paper.updated_at !== paper.published_at && (
              <div>
                <dt>Updated</dt>
                <dd>
                  <time datetime={paper.updated_at}>{formatShortDate(paper.updated_at)}</time>
                </dd>
              </div>
            )}
            {days.length > 0 && (
              <div>
                <dt>Featured</dt>
                <dd>
                  {days.map((d, i) => (
                    <>
                      {i > 0 && ', '}
                      <a href={`/papers/date/${d}`}>{formatShortDate(d)}</a>
                    </>
                  ))}
                </dd>
              </div>
            )}
            {paper.withdrawn_at && (
              <div>
                <dt>Withdrawn</dt>
                <dd>
                  <time datetime={paper.withdrawn_at}>{formatShortDate(paper.withdrawn_at)}</time>
                </dd>
              </div>
            )}
            {safeHttpUrl(paper.license) && (
              <div>
                <dt>License</dt>
                <dd>
                  <a href={safeHttpUrl(paper.license)} rel="license">
                    {licenseName(paper.license!)}
                  </a>
                </dd>
              </div>
            )}
            {paper.comment && (
              <div>
                <dt>Comment</dt>
                <dd>{paper.comment}</dd>
              </div>
            )}
            {categories.length > 0 && (
              <div>
                <dt>Categories</dt>
                <dd>
                  {[paper.primary_category, ...categories.filter((cat) => cat !== paper.primary_category)]
                    .filter((cat): cat is string => Boolean(cat))
                    .map((cat, i) => (
                      <>
                        {i > 0 && ', '}
                        <a href={`/papers/search?cat=${encodeURIComponent(cat)}`}>{cat}</a>
                      </>
                    ))}
                </dd>
              </div>
            )}
            {paper.journal_ref && (
              <div>
                <dt>Journal</dt>
                <dd>{paper.journal_ref}</dd>
              </div>
            )}
            {paper.doi && (
              <div>
                <dt>DOI</dt>
                <dd>
                  <a href={`https://doi.org/${paper.doi}`}>{paper.doi}</a>
                </dd>
              </div>
            )}
          </dl>
          <div class="actions">
            {live.upvotes}
            <SaveButton paperId={paper.id} votes={votes} />
            <ReadButton paperId={paper.id} votes={votes} />
            <HideButton paperId={paper.id} votes={votes} />
            <a class="button" href={links.abs}>
              arXiv page
            </a>
            <a class="button" href={links.pdf}>
              PDF
            </a>
            {code && (
              <a class="button" href={code} rel="nofollow noopener">
                Code{paper.github_stars ? ` ★ ${formatCount(paper.github_stars)}` : ''}
              </a>
            )}
            {project && (
              <a class="button" href={project} rel="nofollow noopener">
                Project page
              </a>
            )}
            <a class="button" href={`/papers/${paper.id}.md`}>
              Markdown
            </a>
          </div>
        </header>
        <section class="abstract" aria-labelledby="abstract-h">
          <h2 id="abstract-h">Abstract</h2>
          <p>
            <MathText text={paper.abstract} />
          </p>
        </section>
        {paper.ai_summary && (
          <section class="ai-summary" aria-labelledby="ai-h">
            <h2 id="ai-h">In short</h2>
            <p>
              <MathText text={paper.ai_summary} />
            </p>
            <p class="muted small">Summary generated automatically by the import source.</p>
          </section>
        )}
        <section class="cite" aria-labelledby="cite-h">
          <details>
            <summary id="cite-h">Cite (BibTeX)</summary>
            <pre>{bibtex(view)}</pre>
          </details>
        </section>
        {live.related}
        {live.discussion}
        <script src="/static/comment-preview.js" defer />
        <PaperModerationForms paperId={paper.id} authors={authors} chrome={chrome} />
      </article>
    </Layout>
  );
}

/** Compact links to the papers most like this one: title, then who and when. */
function RelatedPapers({ views }: { views: RelatedLink[] }) {
  if (views.length === 0) return <></>;
  return (
    <section class="related" aria-labelledby="related-h">
      <h2 id="related-h">Related papers</h2>
      <ol class="related-list">
        {views.map((paper) => (
          <li>
            <a href={paperPath(paper.id)}>
              <MathText text={paper.title} />
            </a>
            <span class="related-meta">
              {paper.organization ?? plural(paper.authors, 'author')} · <time datetime={paper.published_at}>{formatShortDate(paper.published_at)}</time> · {plural(paper.upvotes, 'upvote')}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** `CC BY 4.0` for a Creative Commons URL, arXiv's own license by name, else the URL. */
function licenseName(url: string): string {
  const cc = /creativecommons\.org\/(?:licenses|publicdomain)\/([a-z-]+)\/([\d.]+)/.exec(url);
  if (cc) return cc[1] === 'zero' ? `CC0 ${cc[2]}` : `CC ${cc[1]!.toUpperCase()} ${cc[2]}`;
  if (/arxiv\.org\/licenses\/nonexclusive-distrib/.test(url)) return 'arXiv non-exclusive license';
  return url;
}

function arxivLinks(id: string, pdfUrl: string | null) {
  return { abs: `https://arxiv.org/abs/${id}`, pdf: safeHttpUrl(pdfUrl) ?? `https://arxiv.org/pdf/${id}` };
}

/** A BibTeX entry in arXiv's own style (`@misc` with eprint and archivePrefix). */
export function bibtex({ paper, authors }: PaperView): string {
  const year = paper.published_at.slice(0, 4);
  const first = (authors[0]?.name.split(/\s+/).pop() ?? 'anon').toLowerCase().replace(/[^a-z]/g, '');
  const titleWord = stripMath(paper.title).toLowerCase().split(/\W+/).find((w) => w.length > 3) ?? 'paper';
  return [
    `@misc{${first}${year}${titleWord},`,
    `  title={${stripMath(paper.title).replace(/\s+/g, ' ')}},`,
    `  author={${authors.map((a) => a.name).join(' and ')}},`,
    `  year={${year}},`,
    `  eprint={${paper.id}},`,
    `  archivePrefix={arXiv},`,
    ...(paper.primary_category ? [`  primaryClass={${paper.primary_category}},`] : []),
    `  url={https://arxiv.org/abs/${paper.id}},`,
    `}`,
  ].join('\n');
}

/** The paper as Markdown, for readers and tools that want text. */
export function paperMarkdown({ paper, authors, organization }: PaperView, baseUrl?: string): string {
  const links = arxivLinks(paper.id, paper.pdf_url);
  const lines = [
    `# ${paper.title.replace(/\s+/g, ' ')}`,
    '',
    `**Authors:** ${authors.map((a) => a.name).join(', ')}`,
    ...(organization ? [`**Organization:** ${organization.fullname}`] : []),
    `**Published on arXiv:** ${paper.published_at.slice(0, 10)}`,
    `**Upvotes:** ${paper.upvotes}`,
    '',
    `- arXiv: ${links.abs}`,
    `- PDF: ${links.pdf}`,
    ...(safeHttpUrl(paper.github_repo) ? [`- Code: ${safeHttpUrl(paper.github_repo)}`] : []),
    ...(safeHttpUrl(paper.project_page) ? [`- Project page: ${safeHttpUrl(paper.project_page)}`] : []),
    ...(baseUrl ? [`- Page: ${new URL(`/papers/${paper.id}`, baseUrl).href}`] : []),
    '',
    '## Abstract',
    '',
    paper.abstract.replace(/\s*\n\s*/g, ' ').trim(),
    '',
  ];
  return lines.join('\n');
}
