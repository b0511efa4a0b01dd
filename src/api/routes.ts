import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { getDailyPapers } from '../feed/api.ts';
import { getPaper, getRelatedPapers } from './papers.ts';
import { searchPapersApi } from '../search/api.ts';
import { getOrganization } from '../organizations/pages.tsx';
import { createComment, getComments, patchComment, removeComment } from '../comments/api.ts';
import { upvotePaper, withdrawUpvote } from '../votes/routes.ts';
import { submitPaperApi } from '../submissions/routes.tsx';
import { getOpenApi } from './openapi.ts';
import { getUser } from '../accounts/profile.tsx';
import * as collections from '../library/collections-api.ts';
import { hidePaperApi, markReadApi, savePaperApi, unhidePaperApi, unsavePaperApi } from '../library/routes.ts';
import { addFollow, listFollows, removeFollow } from '../follows/routes.tsx';
import { getForYou } from '../foryou/routes.tsx';
import { getSuggestions } from '../suggest/api.ts';

/** The JSON API, compatible with Hugging Face's papers API. One line per endpoint. */
export function apiRoutes(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.get('/api/openapi.json', getOpenApi);
  api.get('/api/daily_papers', getDailyPapers);
  api.post('/api/daily_papers', submitPaperApi);
  api.get('/api/papers/search', searchPapersApi);
  api.get('/api/suggest', getSuggestions);
  api.post('/api/papers/:id{.+}/upvote', upvotePaper);
  api.delete('/api/papers/:id{.+}/upvote', withdrawUpvote);
  api.post('/api/papers/:id{.+}/save', savePaperApi);
  api.delete('/api/papers/:id{.+}/save', unsavePaperApi);
  api.post('/api/papers/:id{.+}/hide', hidePaperApi);
  api.delete('/api/papers/:id{.+}/hide', unhidePaperApi);
  api.post('/api/papers/:id{.+}/unhide', unhidePaperApi);
  api.post('/api/papers/:id{.+}/read', markReadApi);
  api.delete('/api/papers/:id{.+}/read', markReadApi);
  api.get('/api/papers/:id{.+}/comments', getComments);
  api.get('/api/papers/:id{.+}/related', getRelatedPapers);
  api.post('/api/papers/:id{.+}/comments', createComment);
  api.patch('/api/comments/:id', patchComment);
  api.delete('/api/comments/:id', removeComment);
  api.get('/api/papers/:id{.+}', getPaper);
  api.get('/api/organizations/:name', getOrganization);
  api.get('/api/users/:name', getUser);
  api.get('/api/follows', listFollows);
  api.post('/api/follows', addFollow);
  api.delete('/api/follows', removeFollow);
  api.get('/api/for-you', getForYou);
  // Hugging Face's collections API, for paper items (library/collections-api.ts).
  api.get('/api/whoami-v2', collections.whoami);
  api.get('/api/collections', collections.listCollectionsApi);
  api.post('/api/collections', collections.createCollectionApi);
  api.get('/api/collections/:namespace/:slug', collections.getCollectionApi);
  api.patch('/api/collections/:namespace/:slug', collections.updateCollectionApi);
  api.delete('/api/collections/:namespace/:slug', collections.deleteCollectionApi);
  api.post('/api/collections/:namespace/:slug/items', collections.addCollectionItemApi);
  api.patch('/api/collections/:namespace/:slug/items/:item', collections.updateCollectionItemApi);
  api.delete('/api/collections/:namespace/:slug/items/:item', collections.deleteCollectionItemApi);
  return api;
}
