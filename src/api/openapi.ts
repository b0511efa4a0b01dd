import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';

/**
 * The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.
 * Hand-written: one entry per line of api/routes.ts (a test checks that none is
 * missing). Paths with `{id}` take arXiv ids; old-style ids keep their slash
 * (`/api/papers/hep-th/9901001`), which the server accepts although OpenAPI
 * cannot express it.
 */
type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ref('Error'), description);

const errors = {
  400: error('The request is malformed: an invalid id, parameter or body. `details` lists each problem.'),
  401: error('No credentials, or an invalid or revoked API token.'),
  403: error('The token lacks the scope this needs, or a browser request failed the CSRF check.'),
  404: error('No such paper.'),
  409: error('Conflicts with what exists, e.g. the paper is already featured.'),
  413: error('The request body is larger than 64 KiB.'),
  429: {
    ...error('Too many requests; `Retry-After` says how many seconds to wait.'),
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait.' } },
  },
} as const;
const pick = <K extends keyof typeof errors>(...codes: K[]) => Object.fromEntries(codes.map((c) => [c, errors[c]]));

const paperId = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'arXiv id without or with version: `2401.01234`, `2401.01234v2`, or old-style `hep-th/9901001`.',
  schema: { type: 'string', examples: ['2401.01234'] },
};

const commentId = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };

const readAccess = [{}, { bearerAuth: ['read'] }];
const writeAccess = [{ bearerAuth: ['write'] }, { sessionCookie: [] }];

const namespace = { name: 'namespace', in: 'path', required: true, description: "The owner's handle.", schema: { type: 'string' } };
const collectionSlug = { name: 'slug', in: 'path', required: true, description: 'The rest of the slug, `{title-slug}-{id}`; the id alone finds it, so a renamed collection keeps its old links.', schema: { type: 'string', examples: ['reading-list-12'] } };
const itemObjectId = { name: 'item', in: 'path', required: true, description: "The item's `_id` in the collection (not the paper's id).", schema: { type: 'string' } };
const collectionErrors = { ...pick(400, 401, 403, 429), 404: error('No such collection, or it is private and not yours.') };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'dailypapers API',
    version: '1.0.0',
    summary: 'Community-curated research papers, compatible with the Hugging Face papers API.',
    description:
      'Reading needs no credentials. Writing needs a personal API token with the `write` scope ' +
      '(`Authorization: Bearer dp_…`), or, from this site\'s own pages, the session cookie plus the ' +
      'page\'s CSRF token in `X-CSRF-Token`. Errors are JSON: `{"error": "…", "details": ["…"]}`.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/' }],
  tags: [
    { name: 'papers', description: 'Daily lists and papers (read)' },
    { name: 'votes', description: 'Upvotes (write)' },
    { name: 'submissions', description: 'Submitting papers to today\'s list (write)' },
    { name: 'comments', description: 'Discussion on a paper' },
    { name: 'follows', description: 'Following authors, organizations, categories and searches; recommendations' },
    { name: 'library', description: "Your library: saved and hidden papers (write)" },
    { name: 'collections', description: "Collections of papers, in Hugging Face's collections API (huggingface_hub's create_collection, get_collection, list_collections, update_collection_metadata, delete_collection, add_collection_item, update_collection_item, delete_collection_item)" },
  ],
  paths: {
    '/api/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        tags: ['papers'],
        security: [{}],
        responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/api/daily_papers': {
      get: {
        operationId: 'getDailyPapers',
        summary: 'Featured papers, newest first or by trending score',
        description: 'Give at most one of `date`, `week` and `month`; without any, all days.',
        tags: ['papers'],
        security: readAccess,
        parameters: [
          { name: 'date', in: 'query', description: 'A calendar day.', schema: { type: 'string', format: 'date', examples: ['2026-06-17'] } },
          { name: 'week', in: 'query', description: 'An ISO week.', schema: { type: 'string', pattern: '^\\d{4}-W\\d{2}$', examples: ['2026-W25'] } },
          { name: 'month', in: 'query', description: 'A month.', schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$', examples: ['2026-06'] } },
          { name: 'submitter', in: 'query', description: 'Only papers submitted by this username.', schema: { type: 'string', maxLength: 100 } },
          { name: 'sort', in: 'query', schema: { type: 'string', enum: ['publishedAt', 'trending'], default: 'publishedAt' } },
          { name: 'p', in: 'query', description: 'Page number, from 0.', schema: { type: 'integer', minimum: 0, maximum: 100000, default: 0 } },
          { name: 'limit', in: 'query', description: 'Papers per page.', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        ],
        responses: { 200: json({ type: 'array', items: ref('DailyPaper') }, 'The listings.'), ...pick(400, 429) },
      },
      post: {
        operationId: 'submitPaper',
        summary: "Submit a paper to today's list (UTC day)",
        description:
          'A paper unknown here is fetched from arXiv first. A paper featured on any day before is refused (409). ' +
          'Each user may submit `SUBMISSIONS_PER_DAY` papers a day (429).',
        tags: ['submissions'],
        security: writeAccess,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { type: 'object', required: ['paper'], additionalProperties: false, properties: { paper: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', maxLength: 300 } } } } },
                  { type: 'object', required: ['arxivId'], additionalProperties: false, properties: { arxivId: { type: 'string', maxLength: 300 } } },
                ],
              },
              examples: {
                hf: { summary: 'Hugging Face shape', value: { paper: { id: '2401.01234' } } },
                link: { summary: 'An arXiv link', value: { arxivId: 'https://arxiv.org/abs/2401.01234v2' } },
              },
            },
          },
        },
        responses: {
          201: { ...json(ref('DailyPaper'), 'Submitted: the new listing.'), headers: { Location: { schema: { type: 'string' }, description: 'The paper in the API.' } } },
          ...pick(400, 401, 403, 409, 413, 429),
          404: error('arXiv does not know this paper.'),
          410: error('The paper was removed by a moderator.'),
          502: error('arXiv could not be reached or answered badly; nothing was saved.'),
        },
      },
    },
    '/api/papers/search': {
      get: {
        operationId: 'searchPapers',
        summary: 'Search papers, best match first',
        description:
          "Hugging Face's search: `q` and `limit`, answered with daily-papers items. `q` is the query language " +
          '(words, `"phrases"`, `-excluded`, `OR`, `prefix*`, `title:`, `author:"…"`, `cat:cs.LG`, `org:…`, ' +
          '`after:2025-01-01`, `before:2025-06`, `has:code`, `upvotes:10`); the other parameters are our extensions. ' +
          'Papers never featured on a day (ingested from arXiv) come as items dated by their publication. ' +
          'An invalid query is a 400 whose `details` say what to fix.',
        tags: ['papers'],
        security: readAccess,
        parameters: [
          { name: 'q', in: 'query', description: 'The query; up to 1,000 characters.', schema: { type: 'string', maxLength: 1000, examples: ['reward model -survey'] } },
          { name: 'limit', in: 'query', description: 'Results to return.', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
          { name: 'offset', in: 'query', description: 'Results to skip, for the next page.', schema: { type: 'integer', minimum: 0, maximum: 100000, default: 0 } },
          { name: 'sort', in: 'query', description: 'Relevance blends text match with upvotes and recency.', schema: { type: 'string', enum: ['relevance', 'upvotes', 'date'], default: 'relevance' } },
          { name: 'after', in: 'query', description: 'Published on or after this day.', schema: { type: 'string', format: 'date' } },
          { name: 'before', in: 'query', description: 'Published before this day (not on it).', schema: { type: 'string', format: 'date' } },
          { name: 'cat', in: 'query', description: 'An arXiv category (`cs.LG`) or archive (`cs`).', schema: { type: 'string', maxLength: 60 } },
          { name: 'org', in: 'query', description: "An organization's name.", schema: { type: 'string', maxLength: 100 } },
          { name: 'has_code', in: 'query', description: 'Only papers with a code repository.', schema: { type: 'boolean' } },
          { name: 'min_upvotes', in: 'query', description: 'At least this many upvotes.', schema: { type: 'integer', minimum: 0 } },
          { name: 'prefix', in: 'query', description: 'Match the last word as a prefix too, for results as one types.', schema: { type: 'boolean' } },
        ],
        responses: {
          200: {
            ...json({ type: 'array', items: ref('SearchHit') }, 'The matches of this page, best first.'),
            headers: {
              'X-Total-Count': { schema: { type: 'integer' }, description: 'Papers that match (a lower bound when estimated).' },
              'X-Total-Is-Estimate': { schema: { type: 'boolean' }, description: 'True when more papers match than were ranked.' },
              'X-Search-Mode': { schema: { type: 'string', enum: ['text', 'hybrid'] }, description: 'How the results were ranked.' },
              'X-Search-Notice': { schema: { type: 'string' }, description: 'Why semantic search did not take part, when it was meant to.' },
            },
          },
          ...pick(400, 429),
        },
      },
    },
    '/api/suggest': {
      get: {
        operationId: 'suggest',
        summary: 'Suggestions while typing a search',
        description: 'Papers (most upvoted first), author names and organizations whose name, or a word of it, starts with `q`; at most 5 of each. Under two characters, none.',
        tags: ['papers'],
        security: readAccess,
        parameters: [{ name: 'q', in: 'query', description: 'What was typed; up to 100 characters.', schema: { type: 'string', maxLength: 100, examples: ['koop'] } }],
        responses: {
          200: json(
            {
              type: 'object',
              required: ['q', 'papers', 'authors', 'organizations'],
              properties: {
                q: { type: 'string' },
                papers: { type: 'array', items: { type: 'object', required: ['id', 'title'], properties: { id: { type: 'string' }, title: { type: 'string' } } } },
                authors: { type: 'array', items: { type: 'object', required: ['name', 'papers'], properties: { name: { type: 'string' }, papers: { type: 'integer' } } } },
                organizations: { type: 'array', items: { type: 'object', required: ['name', 'fullname'], properties: { name: { type: 'string' }, fullname: { type: 'string' } } } },
              },
            },
            'What starts with `q`.',
          ),
          ...pick(400),
        },
      },
    },
    '/api/papers/{id}': {
      get: {
        operationId: 'getPaper',
        summary: 'One paper',
        tags: ['papers'],
        security: readAccess,
        parameters: [paperId],
        responses: { 200: json(ref('Paper'), 'The paper.'), ...pick(400, 404, 429), 410: error('The paper was removed by a moderator.') },
      },
    },
    '/api/papers/{id}/upvote': {
      post: {
        operationId: 'upvotePaper',
        summary: 'Upvote a paper',
        description: 'One upvote per person per paper: repeating it changes nothing.',
        tags: ['votes'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json(ref('VoteState'), 'Your vote and the new count.'), ...pick(400, 401, 403, 404, 429), 410: error('The paper was removed by a moderator.') },
      },
      delete: {
        operationId: 'withdrawUpvote',
        summary: 'Withdraw your upvote',
        description: 'Repeating it changes nothing.',
        tags: ['votes'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json(ref('VoteState'), 'Your vote and the new count.'), ...pick(400, 401, 403, 404, 429), 410: error('The paper was removed by a moderator.') },
      },
    },
    '/api/papers/{id}/save': {
      post: {
        operationId: 'savePaper',
        summary: 'Save a paper to your library',
        description: "Puts the paper in your default collection (made, private, on first save). Repeating it changes nothing.",
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json(ref('SaveState'), 'Saved.'), ...pick(400, 401, 403, 404, 429) },
      },
      delete: {
        operationId: 'unsavePaper',
        summary: 'Remove a paper from your library',
        description: 'Takes it out of every one of your collections.',
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json(ref('SaveState'), 'Not saved.'), ...pick(400, 401, 403, 429) },
      },
    },
    '/api/papers/{id}/hide': {
      post: {
        operationId: 'hidePaper',
        summary: 'Hide a paper, or mark it "not interested"',
        description: 'It leaves your daily, weekly and monthly lists, trending, search results (unless you ask for hidden ones) and your digests. The body is optional.',
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', enum: ['hidden', 'not-interested'], default: 'hidden' } } } } } },
        responses: { 200: json(ref('HideState'), 'Hidden.'), ...pick(400, 401, 403, 404, 429) },
      },
      delete: {
        operationId: 'unhidePaperDelete',
        summary: 'Show a hidden paper again',
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json(ref('HideState'), 'Not hidden.'), ...pick(400, 401, 403, 429) },
      },
    },
    '/api/papers/{id}/unhide': {
      post: {
        operationId: 'unhidePaper',
        summary: 'Show a hidden paper again',
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json(ref('HideState'), 'Not hidden.'), ...pick(400, 401, 403, 429) },
      },
    },
    '/api/papers/{id}/read': {
      post: {
        operationId: 'markRead',
        summary: 'Mark a paper read',
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json({ type: 'object', required: ['read'], properties: { read: { type: 'boolean' } } }, 'Read.'), ...pick(400, 401, 403, 404, 429) },
      },
      delete: {
        operationId: 'markUnread',
        summary: 'Mark a paper unread',
        tags: ['library'],
        security: writeAccess,
        parameters: [paperId],
        responses: { 200: json({ type: 'object', required: ['read'], properties: { read: { type: 'boolean' } } }, 'Unread.'), ...pick(400, 401, 403, 429) },
      },
    },
    '/api/papers/{id}/comments': {
      get: {
        operationId: 'getComments',
        summary: "A page of a paper's discussion, oldest first; replies carry `parentId`",
        description: 'Pages hold whole threads: at most 50 comments, fewer when their HTML is large. A page past the last answers the last.',
        tags: ['comments'],
        security: readAccess,
        parameters: [paperId, { name: 'page', in: 'query', description: 'Which page, from 1.', schema: { type: 'integer', minimum: 1, default: 1 } }],
        responses: {
          200: {
            ...json({ type: 'array', items: ref('Comment') }, 'The comments of the page, in reading order: each followed by its replies.'),
            headers: {
              'X-Total-Pages': { schema: { type: 'integer' }, description: 'How many pages the discussion has.' },
              'X-Total-Count': { schema: { type: 'integer' }, description: 'Visible comments on all pages.' },
            },
          },
          ...pick(400, 404, 429),
          410: error('The paper was removed by a moderator.'),
        },
      },
      post: {
        operationId: 'postComment',
        summary: 'Comment on a paper, or reply to a comment',
        tags: ['comments'],
        security: writeAccess,
        parameters: [paperId],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['comment'],
                properties: {
                  comment: { type: 'string', minLength: 1, description: 'Markdown, with $math$; raw HTML is not rendered.' },
                  parentId: { type: ['integer', 'null'], description: 'The comment this replies to.' },
                },
              },
              examples: { reply: { value: { comment: 'Does this hold for $n > 2$?', parentId: 12 } } },
            },
          },
        },
        responses: { 201: json(ref('Comment'), 'The new comment.'), ...pick(400, 401, 403, 404, 429), 413: error('The comment is longer than 10,000 characters, has more than 100 formulas or renders to more than 256 KB of HTML; `error` says which.'), 422: error('A formula defines macros or would move ink out of its place (a negative space past 1em, a box raised past 1em); `error` names it.'), 410: error('The paper was removed by a moderator.') },
      },
    },
    '/api/papers/{id}/related': {
      get: {
        operationId: 'getRelatedPapers',
        summary: 'Papers most like this one, best first',
        description: 'Text similarity over title and abstract: the papers that share most of this paper\'s distinctive words. Removed papers are never listed.',
        tags: ['papers'],
        security: readAccess,
        parameters: [paperId, { name: 'limit', in: 'query', description: 'How many papers.', schema: { type: 'integer', minimum: 1, maximum: 50, default: 6 } }],
        responses: { 200: json({ type: 'array', items: ref('Paper') }, 'The related papers; empty when none shares enough words.'), ...pick(400, 404, 429), 410: error('The paper was removed by a moderator.') },
      },
    },
    '/api/comments/{id}': {
      patch: {
        operationId: 'editComment',
        summary: 'Edit your comment',
        tags: ['comments'],
        security: writeAccess,
        parameters: [commentId],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['comment'], properties: { comment: { type: 'string', minLength: 1 } } } } } },
        responses: { 200: json(ref('Comment'), 'The edited comment.'), ...pick(400, 401, 403, 404, 429), 413: error('The comment is longer than 10,000 characters, has more than 100 formulas or renders to more than 256 KB of HTML; `error` says which.'), 422: error('A formula defines macros or would move ink out of its place (a negative space past 1em, a box raised past 1em); `error` names it.') },
      },
      delete: {
        operationId: 'deleteComment',
        summary: 'Delete your comment (moderators: any comment)',
        tags: ['comments'],
        security: writeAccess,
        parameters: [commentId],
        responses: { 204: { description: 'Deleted.' }, ...pick(400, 401, 403, 404, 429) },
      },
    },
    '/api/follows': {
      get: {
        operationId: 'listFollows',
        summary: 'What you follow',
        tags: ['follows'],
        security: [{ bearerAuth: ['read'] }, { sessionCookie: [] }],
        responses: { 200: json({ type: 'array', items: ref('Follow') }, 'Everything you follow, newest first.'), ...pick(401, 403, 429) },
      },
      post: {
        operationId: 'follow',
        summary: 'Follow an author (by name), an organization, an arXiv category or a search',
        description: 'Repeating it changes nothing. New papers from what you follow are at `/following` and weigh in `/api/for-you`.',
        tags: ['follows'],
        security: writeAccess,
        requestBody: { required: true, content: { 'application/json': { schema: ref('FollowTarget') } } },
        responses: { 200: json(ref('FollowState'), 'Followed.'), ...pick(400, 401, 403, 404, 409, 429) },
      },
      delete: {
        operationId: 'unfollow',
        summary: 'Stop following',
        description: 'Repeating it changes nothing.',
        tags: ['follows'],
        security: writeAccess,
        parameters: [
          { name: 'kind', in: 'query', required: true, schema: { type: 'string', enum: ['author', 'organization', 'category', 'search'] } },
          { name: 'target', in: 'query', required: true, schema: { type: 'string' } },
        ],
        responses: { 200: json(ref('FollowState'), 'Not followed.'), ...pick(400, 401, 403, 429) },
      },
    },
    '/api/for-you': {
      get: {
        operationId: 'getForYou',
        summary: 'Recent papers ranked for you, each with why',
        description:
          'Learned from your upvotes, saves, hides (against) and follows: a tf-idf linear model per reader, the authors and organizations of papers you liked, what you follow, and popularity. ' +
          'With nothing to learn from yet, the popular recent papers (`seeded`). Papers you hid or already liked never appear.',
        tags: ['follows'],
        security: [{ bearerAuth: ['read'] }, { sessionCookie: [] }],
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 1000, default: 0 } },
        ],
        responses: {
          200: json(
            {
              type: 'object',
              properties: {
                seeded: { type: 'boolean' },
                papers: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      id: { type: 'string' },
                      title: { type: 'string' },
                      publishedAt: { type: 'string', format: 'date-time' },
                      upvotes: { type: 'integer' },
                      authors: { type: 'array', items: { type: 'string' } },
                      score: { type: 'number' },
                      reasons: { type: 'array', items: { type: 'string' }, examples: [['because you upvoted “Attention is all you need”', 'about diffusion, reward model']] },
                    },
                  },
                },
              },
            },
            'Best first.',
          ),
          ...pick(400, 401, 403, 429),
        },
      },
    },
    '/api/organizations/{name}': {
      get: {
        operationId: 'getOrganization',
        summary: 'An organization, its members and its papers',
        tags: ['papers'],
        security: readAccess,
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'sort', in: 'query', schema: { type: 'string', enum: ['upvotes', 'newest'], default: 'upvotes' } },
          { name: 'p', in: 'query', description: 'Page number, from 0.', schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: {
          200: json(
            {
              type: 'object',
              properties: {
                name: { type: 'string' },
                fullname: { type: 'string' },
                avatarUrl: { type: ['string', 'null'] },
                numPapers: { type: 'integer' },
                members: { type: 'array', items: { type: 'object', properties: { user: { type: 'string' }, fullname: { type: 'string' }, role: { type: 'string' } } } },
                papers: {
                  type: 'array',
                  items: { type: 'object', properties: { id: { type: 'string' }, title: { type: 'string' }, upvotes: { type: 'integer' }, numComments: { type: 'integer' }, publishedAt: { type: 'string', format: 'date-time' } } },
                },
              },
            },
            'The organization.',
          ),
          ...pick(404, 429),
        },
      },
    },
    '/api/whoami-v2': {
      get: {
        operationId: 'whoami',
        summary: 'Who your token belongs to (Hugging Face\'s whoami-v2)',
        description: 'huggingface_hub reads `name` as the namespace of new collections.',
        tags: ['collections'],
        security: [{ bearerAuth: ['read'] }, { sessionCookie: [] }],
        responses: {
          200: json({ type: 'object', required: ['type', 'name'], properties: { type: { const: 'user' }, id: { type: 'string' }, name: { type: 'string' }, fullname: { type: 'string' }, avatarUrl: { type: 'string' }, email: { type: 'string' }, orgs: { type: 'array' }, auth: { type: 'object' } } }, 'You.'),
          ...pick(401),
        },
      },
    },
    '/api/collections': {
      get: {
        operationId: 'listCollections',
        summary: 'Collections, most recently changed first',
        description: 'Public collections, and your own private ones. Each shows its first four items and no `position` (huggingface_hub numbers the list itself). More pages follow the `Link: <…>; rel="next"` header.',
        tags: ['collections'],
        security: readAccess,
        parameters: [
          { name: 'owner', in: 'query', description: "An owner's handle; repeatable.", schema: { type: 'string' } },
          { name: 'item', in: 'query', description: 'Collections holding this paper: `papers/{arXiv id}`; repeatable.', schema: { type: 'string', examples: ['papers/2401.01234'] } },
          { name: 'sort', in: 'query', description: 'Accepted for compatibility; the order is always by last change.', schema: { type: 'string', enum: ['lastModified', 'trending', 'upvotes'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 } },
          { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
        ],
        responses: { 200: { ...json({ type: 'array', items: ref('Collection') }, 'A page of collections.'), headers: { Link: { schema: { type: 'string' }, description: 'The next page, when there may be one.' } } }, ...pick(400, 429) },
      },
      post: {
        operationId: 'createCollection',
        summary: 'Create a collection',
        tags: ['collections'],
        security: writeAccess,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['title'], properties: { title: { type: 'string', maxLength: 120 }, namespace: { type: 'string', description: 'Your handle (the only namespace you can write to).' }, description: { type: 'string', maxLength: 2000 }, private: { type: 'boolean', default: false }, item: { type: 'object', properties: { type: { const: 'paper' }, id: { type: 'string' } } } } } } },
        },
        responses: { 200: json(ref('Collection'), 'The new collection.'), ...collectionErrors, 409: json({ type: 'object', properties: { error: { type: 'string' }, slug: { type: 'string' } } }, 'You already have a collection with this title: its slug.') },
      },
    },
    '/api/collections/{namespace}/{slug}': {
      get: {
        operationId: 'getCollection',
        summary: 'A collection with all its items',
        tags: ['collections'],
        security: readAccess,
        parameters: [namespace, collectionSlug],
        responses: { 200: json(ref('Collection'), 'The collection.'), ...collectionErrors },
      },
      patch: {
        operationId: 'updateCollectionMetadata',
        summary: "Change a collection's title, description or privacy",
        description: 'A new title changes the slug but not its id. `position` and `theme` are accepted and left as they are.',
        tags: ['collections'],
        security: writeAccess,
        parameters: [namespace, collectionSlug],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { title: { type: 'string' }, description: { type: 'string' }, private: { type: 'boolean' }, position: { type: 'integer' }, theme: { type: 'string' } } } } } },
        responses: { 200: json({ type: 'object', properties: { success: { type: 'boolean' }, data: ref('Collection') } }, 'The collection as it is now, in `data`.'), ...collectionErrors },
      },
      delete: {
        operationId: 'deleteCollection',
        summary: 'Delete a collection',
        tags: ['collections'],
        security: writeAccess,
        parameters: [namespace, collectionSlug],
        responses: { 200: json({ type: 'object' }, 'Deleted.'), ...collectionErrors },
      },
    },
    '/api/collections/{namespace}/{slug}/items': {
      post: {
        operationId: 'addCollectionItem',
        summary: 'Add a paper at the end of a collection',
        tags: ['collections'],
        security: writeAccess,
        parameters: [namespace, collectionSlug],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['item'], properties: { item: { type: 'object', required: ['type', 'id'], properties: { type: { const: 'paper' }, id: { type: 'string' } } }, note: { type: 'string', maxLength: 2000, description: 'Markdown and math, like comments.' } } } } },
        },
        responses: { 200: json(ref('Collection'), 'The collection.'), ...collectionErrors, 409: error('The paper is already in the collection.') },
      },
    },
    '/api/collections/{namespace}/{slug}/items/{item}': {
      patch: {
        operationId: 'updateCollectionItem',
        summary: "Change an item's note, or move it",
        tags: ['collections'],
        security: writeAccess,
        parameters: [namespace, collectionSlug, itemObjectId],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { note: { type: 'string' }, position: { type: 'integer', minimum: 0, description: 'Where it goes, 0 first; the others close up around it.' } } } } } },
        responses: { 200: json({ type: 'object', properties: { success: { type: 'boolean' }, data: ref('Collection') } }, 'The collection as it is now.'), ...collectionErrors },
      },
      delete: {
        operationId: 'deleteCollectionItem',
        summary: 'Remove an item from a collection',
        tags: ['collections'],
        security: writeAccess,
        parameters: [namespace, collectionSlug, itemObjectId],
        responses: { 200: json({ type: 'object' }, 'Removed.'), ...collectionErrors },
      },
    },
    '/api/users/{name}': {
      get: {
        operationId: 'getUser',
        summary: 'A user\'s public profile',
        tags: ['papers'],
        security: readAccess,
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: json(
            {
              type: 'object',
              properties: {
                name: { type: 'string' },
                fullname: { type: 'string' },
                avatarUrl: { type: ['string', 'null'] },
                type: { type: 'string', enum: ['user', 'system'] },
                role: { type: 'string', enum: ['user', 'moderator', 'admin'] },
                bio: { type: ['string', 'null'] },
                createdAt: { type: 'string', format: 'date-time' },
                numSubmitted: { type: 'integer' },
                numUpvoted: { type: 'integer' },
                numPapers: { type: 'integer', description: 'Papers confirmed as authored.' },
              },
            },
            'The user.',
          ),
          ...pick(404, 429),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description:
          'A personal API token (`dp_…`), made on your account page. Scopes: `read` (reading, the same as anonymous but ' +
          'counted against you rather than your address) and `write` (voting, submitting, commenting). A token without ' +
          '`write` gets 403 on writes.',
      },
      sessionCookie: {
        type: 'apiKey',
        in: 'cookie',
        name: 'dp_session',
        description: "The site's own pages: the session cookie, plus the page's CSRF token in the `X-CSRF-Token` header.",
      },
    },
    schemas: {
      FollowTarget: {
        type: 'object',
        required: ['kind', 'target'],
        properties: {
          kind: { type: 'string', enum: ['author', 'organization', 'category', 'search'] },
          target: { type: 'string', description: 'An author\'s name as papers give it, an organization\'s name (slug), an arXiv category (`cs.LG`) or archive (`cs`), or a search query.', maxLength: 200 },
        },
      },
      Follow: { type: 'object', properties: { kind: { type: 'string' }, target: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } } },
      FollowState: { type: 'object', properties: { kind: { type: 'string' }, target: { type: 'string' }, following: { type: 'boolean' } } },
      SaveState: { type: 'object', required: ['saved'], properties: { saved: { type: 'boolean', description: 'Whether the paper is now in any of your collections.' } } },
      HideState: { type: 'object', required: ['hidden'], properties: { hidden: { type: 'boolean' }, reason: { type: 'string', enum: ['hidden', 'not-interested'] } } },
      Collection: {
        type: 'object',
        description: "Hugging Face's collection shape (huggingface_hub's `Collection`).",
        required: ['slug', 'title', 'owner', 'items', 'lastUpdated', 'private', 'theme', 'upvotes'],
        properties: {
          slug: { type: 'string', examples: ['ada/reading-list-12'] },
          title: { type: 'string' },
          description: { type: 'string' },
          owner: { type: 'object', properties: { _id: { type: 'string' }, name: { type: 'string' }, fullname: { type: 'string' }, avatarUrl: { type: 'string' }, type: { const: 'user' } } },
          items: { type: 'array', items: ref('CollectionItem') },
          lastUpdated: { type: 'string', format: 'date-time' },
          position: { type: 'integer', description: "Its place among its owner's collections; absent in lists." },
          private: { type: 'boolean' },
          theme: { type: 'string' },
          upvotes: { type: 'integer' },
          shareUrl: { type: 'string' },
        },
      },
      CollectionItem: {
        type: 'object',
        required: ['_id', 'position', 'type', 'id'],
        properties: {
          _id: { type: 'string', description: "The item's own id (huggingface_hub's item_object_id)." },
          position: { type: 'integer' },
          type: { const: 'paper' },
          id: { type: 'string', description: 'The arXiv id.' },
          title: { type: 'string' },
          publishedAt: { type: 'string', format: 'date-time' },
          upvotes: { type: 'integer' },
          numComments: { type: 'integer' },
          note: { type: 'object', properties: { text: { type: 'string', description: 'As written (Markdown).' }, html: { type: 'string', description: 'Rendered, math typeset.' } } },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, details: { type: 'array', items: { type: 'string' } } },
      },
      VoteState: {
        type: 'object',
        required: ['upvoted', 'upvotes'],
        properties: {
          upvoted: { type: 'boolean', description: 'Whether you now upvote the paper.' },
          upvotes: { type: 'integer', description: "The paper's count: its import source's upvotes plus the votes cast here." },
        },
      },
      UserRef: {
        type: 'object',
        properties: {
          _id: { type: 'string' },
          user: { type: 'string', description: 'Username.' },
          fullname: { type: 'string' },
          avatarUrl: { type: 'string' },
          isPro: { type: 'boolean' },
          type: { type: 'string' },
        },
      },
      Organization: {
        type: 'object',
        properties: { _id: { type: 'string' }, name: { type: 'string' }, fullname: { type: 'string' }, avatar: { type: 'string' } },
      },
      Author: {
        type: 'object',
        required: ['_id', 'name', 'hidden'],
        properties: { _id: { type: 'string' }, name: { type: 'string' }, hidden: { type: 'boolean' }, user: ref('UserRef') },
      },
      Paper: {
        type: 'object',
        description: 'A paper as the Hugging Face API gives it; fields without a value are left out. Imported papers may carry more of their source\'s fields.',
        required: ['id', 'authors', 'publishedAt', 'title', 'summary', 'upvotes'],
        properties: {
          id: { type: 'string', examples: ['2401.01234'] },
          authors: { type: 'array', items: ref('Author') },
          publishedAt: { type: 'string', format: 'date-time', description: 'First arXiv version.' },
          submittedOnDailyAt: { type: 'string', format: 'date-time' },
          submittedOnDailyBy: ref('UserRef'),
          title: { type: 'string' },
          summary: { type: 'string', description: 'The abstract, LaTeX kept.' },
          upvotes: { type: 'integer' },
          discussionId: { type: 'string' },
          githubRepo: { type: 'string', format: 'uri' },
          githubStars: { type: 'integer' },
          projectPage: { type: 'string', format: 'uri' },
          ai_summary: { type: 'string' },
          ai_keywords: { type: 'array', items: { type: 'string' } },
          organization: ref('Organization'),
        },
      },
      DailyPaper: {
        type: 'object',
        description: 'One listing: a paper as featured on a day.',
        required: ['paper', 'publishedAt', 'title', 'summary', 'numComments', 'isAuthorParticipating'],
        properties: {
          paper: ref('Paper'),
          publishedAt: { type: 'string', format: 'date-time', description: 'When it was submitted to the list.' },
          title: { type: 'string' },
          summary: { type: 'string' },
          thumbnail: { type: 'string', format: 'uri' },
          numComments: { type: 'integer' },
          submittedBy: {
            type: 'object',
            properties: { _id: { type: 'string' }, name: { type: 'string' }, fullname: { type: 'string' }, avatarUrl: { type: 'string' }, type: { type: 'string' } },
          },
          organization: ref('Organization'),
          isAuthorParticipating: { type: 'boolean' },
        },
      },
      SearchHit: {
        description: 'A search result: a daily-papers item, plus the matched words marked.',
        allOf: [
          ref('DailyPaper'),
          {
            type: 'object',
            required: ['highlight'],
            properties: {
              highlight: {
                type: 'object',
                description: 'Escaped HTML with the matched words in `<mark>`: the title, and a passage of the abstract.',
                required: ['title', 'summary'],
                properties: { title: { type: 'string' }, summary: { type: 'string' } },
              },
            },
          },
        ],
      },
      Comment: {
        type: 'object',
        required: ['id', 'paperId', 'parentId', 'author', 'body', 'html', 'createdAt', 'editedAt'],
        properties: {
          id: { type: 'integer' },
          paperId: { type: 'string' },
          parentId: { type: ['integer', 'null'] },
          author: {
            oneOf: [{ type: 'object', required: ['user', 'fullname'], properties: { user: { type: 'string' }, fullname: { type: 'string' } } }, { type: 'null' }],
            description: 'Null for a placeholder.',
          },
          state: {
            type: 'string',
            enum: ['deleted', 'removed'],
            description: 'Only on placeholders: a comment deleted by its author (`deleted`) or hidden by a moderator (`removed`) that stays in the list because visible replies hang under it; its body and html are empty.',
          },
          body: { type: 'string', description: 'Markdown, as written.' },
          html: { type: 'string', description: 'Rendered and sanitized.' },
          createdAt: { type: 'string', format: 'date-time' },
          editedAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
} as const;

export function getOpenApi(c: Context<AppEnv>) {
  return c.json(openApiDocument);
}
