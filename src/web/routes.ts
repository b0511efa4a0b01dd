import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { AppEnv } from '../http/env.ts';
import { showDay, showLatestDay, showMonth, showTrending, showWeek } from '../feed/pages.tsx';
import { showPaper } from './paper-page.tsx';
import { showSearch } from '../search/pages.tsx';
import { deleteCommentForm, editCommentForm, postCommentForm, previewCommentForm, reportCommentForm } from '../comments/pages.tsx';
import { healthz } from './health.ts';
import * as moderation from '../moderation/routes.tsx';
import { claimAuthorship } from '../claims/routes.ts';
import { showOrganization } from '../organizations/pages.tsx';
import { confirmLink, showLink, showSignin, showSignup, signin, signout, signup } from '../accounts/pages.tsx';
import { createToken, leaveDigest, saveForYouDigest, revokeToken, saveDigestSettings, savePassword, saveProfileForm, showSettings, signOutEverywhere } from '../accounts/settings-page.tsx';
import * as digests from '../digests/pages.tsx';
import { showProfile } from '../accounts/profile.tsx';
import { showOutbox, showOutboxMail } from './dev-outbox.tsx';
import { upvotePaperForm } from '../votes/routes.ts';
import { hidePaperForm, readPaperForm, savePaperForm } from '../library/routes.ts';
import * as library from '../library/pages.tsx';
import { showDigestPreview } from '../digests/preview.ts';
import { showSubmitForm, submitPaperForm } from '../submissions/routes.tsx';
import { followAction, showAuthor, showFollowing } from '../follows/routes.tsx';
import { createFeedLink, revokeFeedLink, showForYou } from '../foryou/routes.tsx';
import { showImage, showPaperCard, showProfileCard } from '../images/routes.ts';
import { savePreferences } from './preferences.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const katexDist = path.join(path.dirname(createRequire(import.meta.url).resolve('katex/package.json')), 'dist');

/** The server-rendered pages, one line each, with Hugging Face's URL scheme. */
export function pageRoutes(): Hono<AppEnv> {
  const pages = new Hono<AppEnv>();
  pages.get('/', (c) => c.redirect('/papers'));
  pages.get('/healthz', healthz);
  // GET /metrics: in app.ts, ahead of authentication (its Bearer token is METRICS_TOKEN, not an API token).
  pages.get('/papers', showLatestDay);
  pages.get('/papers/date', showDay);
  pages.get('/papers/date/:day', showDay);
  pages.get('/papers/week', showWeek);
  pages.get('/papers/week/:week', showWeek);
  pages.get('/papers/month', showMonth);
  pages.get('/papers/month/:month', showMonth);
  pages.get('/papers/trending', showTrending);
  pages.get('/papers/search', showSearch);
  pages.post('/papers/:id{.+}/upvote', upvotePaperForm);
  pages.post('/papers/:id{.+}/save', savePaperForm);
  pages.post('/papers/:id{.+}/hide', hidePaperForm);
  pages.post('/papers/:id{.+}/read', readPaperForm);
  pages.post('/papers/:id{.+}/comments', postCommentForm);
  pages.post('/papers/:id{.+}/report', moderation.reportPaper);
  pages.post('/papers/:id{.+}/claim', claimAuthorship);
  pages.get('/papers/:id{.+}', showPaper);
  pages.get('/organizations/:name', showOrganization);
  pages.get('/authors/:name', showAuthor);
  pages.post('/follows', followAction);
  pages.get('/following', showFollowing);
  pages.get('/for-you', showForYou);
  pages.post('/for-you/feed', createFeedLink);
  pages.post('/for-you/feed/revoke', revokeFeedLink);
  pages.get('/admin', moderation.showAdmin);
  pages.get('/admin/audit', moderation.showAuditLog);
  pages.post('/admin/papers/hide', moderation.hidePaper);
  pages.post('/admin/papers/unhide', moderation.unhidePaper);
  pages.post('/admin/listings/hide', moderation.hideListing);
  pages.post('/admin/listings/unhide', moderation.unhideListing);
  pages.post('/admin/comments/hide', moderation.hideComment);
  pages.post('/admin/comments/unhide', moderation.unhideComment);
  pages.post('/admin/users/ban', moderation.banUserAction);
  pages.post('/admin/users/unban', moderation.unbanUserAction);
  pages.post('/admin/users/role', moderation.setRoleAction);
  pages.post('/admin/reports/:report/resolve', moderation.resolveReportAction);
  pages.post('/admin/claims/:claim/approve', moderation.approveClaim);
  pages.post('/admin/claims/:claim/reject', moderation.rejectClaim);
  pages.post('/admin/organizations/assign', moderation.assignPaperAction);
  pages.post('/comments/preview', previewCommentForm);
  pages.post('/comments/:id/edit', editCommentForm);
  pages.post('/comments/:id/delete', deleteCommentForm);
  pages.post('/comments/:id/report', reportCommentForm);
  pages.get('/submit', showSubmitForm);
  pages.post('/submit', submitPaperForm);
  pages.get('/signup', showSignup);
  pages.post('/signup', signup);
  pages.get('/signin', showSignin);
  pages.post('/signin', signin);
  pages.get('/signin/link', showLink);
  pages.post('/signin/link', confirmLink);
  pages.post('/signout', signout);
  pages.get('/settings', showSettings);
  pages.post('/settings/profile', saveProfileForm);
  pages.post('/settings/password', savePassword);
  pages.post('/settings/sessions/end-all', signOutEverywhere);
  pages.post('/settings/tokens', createToken);
  pages.post('/settings/tokens/:id/revoke', revokeToken);
  pages.post('/settings/digest', saveDigestSettings);
  pages.post('/settings/digest/unsubscribe', leaveDigest);
  pages.post('/settings/digest/for-you', saveForYouDigest);
  pages.get('/digest/preview', showDigestPreview);
  pages.get('/subscribe', digests.showSubscribe);
  pages.post('/subscribe', digests.subscribeAction);
  pages.get('/subscribe/token', digests.subscribeToken);
  pages.get('/subscribe/dismiss', digests.dismissBanner);
  pages.post('/preferences', savePreferences);
  pages.get('/subscribe/confirm', digests.showConfirm);
  pages.post('/subscribe/confirm', digests.confirmAction);
  pages.get('/subscription', digests.showPreferences);
  pages.post('/subscription', digests.savePreferences);
  pages.get('/unsubscribe', digests.showUnsubscribe);
  pages.post('/unsubscribe', digests.unsubscribeAction);
  pages.get('/users/:name', showProfile);
  pages.get('/images/papers/:file{.+}', showPaperCard);
  pages.get('/images/users/:file', showProfileCard('users'));
  pages.get('/images/organizations/:file', showProfileCard('organizations'));
  pages.get('/images/:file{[0-9a-f]{32}\\.webp}', showImage);
  pages.get('/library', library.showLibrary);
  for (const format of ['bib', 'ris', 'csv', 'json']) pages.get(`/library.${format}`, library.showLibrary);
  pages.post('/library/settings', library.librarySettingsForm);
  pages.post('/library/import', library.importIntoLibraryForm);
  pages.get('/library/notes/:id{.+}', library.showNoteForm);
  pages.post('/library/notes/:id{.+}', library.saveNoteForm);
  pages.post('/collections', library.createCollectionForm);
  pages.get('/collections/:owner/:slug', library.showCollection);
  pages.post('/collections/:owner/:slug/edit', library.editCollectionForm);
  pages.post('/collections/:owner/:slug/delete', library.deleteCollectionForm);
  pages.post('/collections/:owner/:slug/items', library.addItemForm);
  pages.post('/collections/:owner/:slug/import', library.importForm);
  pages.post('/collections/:owner/:slug/items/:item/edit', library.editItemForm);
  pages.post('/collections/:owner/:slug/items/:item/delete', library.deleteItemForm);
  pages.get('/dev/outbox', showOutbox);
  pages.get('/dev/outbox/:name', showOutboxMail);
  pages.use('/static/katex/*', staticFrom(katexDist, '/static/katex'));
  pages.use('/static/*', staticFrom(path.join(here, 'static'), '/static'));
  return pages;
}

function staticFrom(dir: string, prefix: string) {
  return serveStatic({
    root: path.relative(process.cwd(), dir) || '.',
    rewriteRequestPath: (p) => p.slice(prefix.length),
    onFound: (_path, c) => {
      c.header('Cache-Control', 'public, max-age=86400');
    },
  });
}
