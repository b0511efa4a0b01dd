import type { Context } from 'hono';
import { viewerHidden } from '../library/viewer.ts';
import type { AppEnv } from '../http/env.ts';
import type { PaperView } from '../papers/read-model.ts';
import { withSourceRecords } from '../papers/read-model.ts';
import { hfEnvelope, hfPaper } from '../papers/hf-format.ts';
import { RequestError } from '../http/respond.ts';
import { QueryError } from './query.ts';
import { apiSearch, SearchParamsError } from './request.ts';
import { searchWithViews } from './results.ts';
import type { SearchRequest } from './types.ts';

/**
 * `GET /api/papers/search?q=&limit=`: as Hugging Face's search answers, an array of
 * daily-papers envelopes (`{paper, title, summary, publishedAt, …}`), best first.
 * Our extensions never change that shape: the filters and paging are further
 * parameters, the count and ranking mode are headers, and each item carries a
 * `highlight` with its marked title and passage.
 */
export async function searchPapersApi(c: Context<AppEnv>) {
  let request: SearchRequest;
  // A reader's hidden papers leave their results unless they ask for them (`hidden=include`).
  const { hidden: includeHidden, ...query } = c.req.query();
  if (includeHidden !== undefined && includeHidden !== 'include') throw new RequestError(400, 'invalid query parameters', ['hidden: must be "include"']);
  try {
    request = apiSearch(query);
  } catch (err) {
    if (err instanceof SearchParamsError) throw new RequestError(400, 'invalid query parameters', err.details);
    throw err;
  }
  const db = c.get('db');
  let page;
  try {
    page = await searchWithViews(db, c.get('config'), request);
  } catch (err) {
    if (err instanceof QueryError) throw new RequestError(400, `invalid query: ${err.message}`, [`q: ${err.message}`]);
    throw err;
  }
  const { result, highlights } = page;
  const hidden = includeHidden ? new Set<string>() : await viewerHidden(c);
  const views = page.views.filter((v) => !hidden.has(v.paper.id));
  const listed = await withSourceRecords(
    db.kysely,
    views.flatMap((v) => (v.listing ? [{ ...v, listing: v.listing }] : [])),
  );
  const full = new Map(listed.map((v) => [v.paper.id, v]));
  const items = views.map((view) => {
    const withSource = full.get(view.paper.id);
    const envelope = withSource ? hfEnvelope(withSource) : unlistedEnvelope(view);
    const marked = highlights.get(view.paper.id)!;
    return { ...envelope, highlight: { title: marked.titleHtml, summary: marked.snippetHtml } };
  });
  c.header('X-Total-Count', String(result.total));
  c.header('X-Total-Is-Estimate', String(result.totalIsEstimate));
  c.header('X-Search-Mode', result.mode);
  if (result.notice) {
    c.header('X-Search-Notice', result.notice.replace(/[^\x20-\x7e]/g, ' '));
    // A fallback lasts only while the service is down: never kept by a cache.
    c.header('Cache-Control', 'no-store');
  }
  return c.json(items);
}

/**
 * The envelope of a paper that was never featured (ingested from arXiv): the same
 * fields as a daily-papers item, dated by the paper's publication.
 */
function unlistedEnvelope(view: PaperView): Record<string, unknown> {
  const { paper } = view;
  const envelope: Record<string, unknown> = {
    paper: hfPaper(view),
    publishedAt: paper.published_at,
    title: paper.title.replace(/\s+/g, ' ').trim(),
    summary: paper.abstract,
    thumbnail: paper.thumbnail_url ?? undefined,
    numComments: paper.comments,
    isAuthorParticipating: false,
  };
  if (view.organization) envelope.organization = (envelope.paper as Record<string, unknown>).organization;
  for (const key of Object.keys(envelope)) if (envelope[key] === undefined) delete envelope[key];
  return envelope;
}
