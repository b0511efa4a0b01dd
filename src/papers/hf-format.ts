import type { ListingView, PaperView } from './read-model.ts';
import type { Person } from '../db/schema.ts';

/**
 * The Hugging Face API shapes (`/api/daily_papers`, `/api/papers/{id}`), built from
 * the product's model. An imported listing starts from the record its source
 * sent, so the source's own fields come back as they were; everything the
 * product models (title, votes, authors, links, …) is then set from the database,
 * which is the truth (docs/decisions/004-api-shape.md).
 */
type Json = Record<string, unknown>;

/** The `paper` object of an envelope, and the body of `GET /api/papers/{id}`. */
export function hfPaper(view: PaperView): Json {
  const { paper, listing, organization } = view;
  const ownPaper = (sourceOf(view).paper ?? {}) as Json;
  const sourcePaper = (view.paperSource ? ((JSON.parse(view.paperSource) as Json).paper ?? {}) : {}) as Json;
  const sourceAuthors = Array.isArray(sourcePaper.authors) ? (sourcePaper.authors as Json[]) : [];
  const submitter = view.submitter;
  return withoutNulls({
    ...sourcePaper,
    id: paper.id,
    authors: view.authors.map((a, i) => {
      const from = sourceAuthors[i]?._id === a.hf_id ? sourceAuthors[i]! : {};
      // The person the source named, else the local account verified as this author.
      const user = (a.imported_user_id !== null ? view.importedAuthors.get(a.imported_user_id) : undefined) ?? (a.user_id !== null ? view.authorUsers.get(a.user_id) : undefined);
      return withoutNulls({
        ...from,
        _id: a.hf_id ?? `${paper.id}:${a.position}`,
        name: a.name,
        hidden: a.hidden === 1,
        user: user ? ((from.user as Json | undefined) ?? hfUserRef(user)) : undefined,
      });
    }),
    publishedAt: paper.published_at,
    submittedOnDailyAt: listing?.submitted_at,
    title: paper.title,
    submittedOnDailyBy: submitter ? ((ownPaper.submittedOnDailyBy as Json | undefined) ?? hfUserRef(submitter)) : undefined,
    summary: paper.abstract,
    upvotes: paper.upvotes,
    discussionId: paper.discussion_id,
    githubRepo: paper.github_repo,
    githubStars: paper.github_stars,
    projectPage: paper.project_page,
    ai_summary: paper.ai_summary,
    ai_keywords: paper.ai_keywords ? (JSON.parse(paper.ai_keywords) as string[]) : undefined,
    organization: organization ? hfOrganization(view) : undefined,
  });
}

/** One element of `GET /api/daily_papers`. */
export function hfEnvelope(view: ListingView): Json {
  const { paper, listing, organization, submitter } = view;
  const source = sourceOf(view);
  return withoutNulls({
    ...source,
    paper: hfPaper(view),
    publishedAt: (source.publishedAt as string | undefined) ?? listing.submitted_at,
    // The envelope's title is the source's own rendering (line wraps collapsed, sometimes
    // other markup); it stands while the paper's title is still the one the source sent.
    title:
      typeof source.title === 'string' && (source.paper as Json | undefined)?.title === paper.title
        ? source.title
        : paper.title.replace(/\s+/g, ' ').trim(),
    summary: paper.abstract,
    thumbnail: paper.thumbnail_url,
    numComments: paper.comments,
    submittedBy: submitter ? ((source.submittedBy as Json | undefined) ?? hfSubmittedBy(submitter)) : undefined,
    organization: organization ? hfOrganization(view) : undefined,
    isAuthorParticipating: (source.isAuthorParticipating as boolean | undefined) ?? false,
  });
}

function sourceOf(view: PaperView): Json {
  return view.listing?.source_record ? (JSON.parse(view.listing.source_record) as Json) : {};
}

function hfOrganization(view: PaperView): Json {
  const org = view.organization!;
  const source = view.paperSource ? (JSON.parse(view.paperSource) as Json) : {};
  const from = ((source.paper as Json | undefined)?.organization ?? source.organization ?? {}) as Json;
  // Like user objects, an organization comes back as that record's source described it.
  if (from.name === org.name) return from;
  return withoutNulls({ _id: org.hf_id, name: org.name, fullname: org.fullname, avatar: org.avatar_url });
}

function hfUserRef(user: Person): Json {
  return withoutNulls({ _id: user.hf_id, avatarUrl: user.avatar_url, isPro: false, fullname: user.fullname, user: user.username, type: 'user' });
}

function hfSubmittedBy(user: Person): Json {
  return withoutNulls({
    _id: user.hf_id,
    avatarUrl: user.avatar_url,
    fullname: user.fullname,
    name: user.username,
    type: 'user',
    isPro: false,
    isHf: false,
    isMod: false,
  });
}

/** Hugging Face leaves out absent fields rather than sending null. */
function withoutNulls(obj: Json): Json {
  for (const key of Object.keys(obj)) if (obj[key] === null || obj[key] === undefined) delete obj[key];
  return obj;
}
