import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, viewerOf } from '../http/authenticate.ts';
import { isModerator, type Viewer } from '../auth/sessions.ts';
import { CsrfField } from './forms.tsx';

export type Tab = 'daily' | 'weekly' | 'monthly' | 'trending' | null;

/** What every page's frame needs from the request: the site, and who is reading. */
export interface Chrome {
  siteName: string;
  viewer: Viewer | null;
  /** The CSRF token for the header's sign-out form; empty for anonymous readers (their pages are cached). */
  csrf: string;
}

export function chromeOf(c: Context<AppEnv>): Chrome {
  const viewer = c.var.auth ? viewerOf(c) : null;
  return { siteName: c.var.config?.SITE_NAME ?? 'Daily Papers', viewer, csrf: viewer ? csrfToken(c) : '' };
}

interface LayoutProps {
  chrome: Chrome;
  title: string;
  description?: string;
  tab?: Tab;
  /** Absolute URL of this page, for the canonical link. */
  canonical?: string;
  /**
   * A feed of this page's papers (path without extension, e.g. `/feeds/daily`, and the
   * query string it takes, e.g. `?q=…` for a search), linked for feed readers.
   */
  feeds?: { path: string; title: string; query?: string };
  /** The header's search box; the search page has its own. */
  searchBox?: boolean;
  children: Child;
}

/** Every page's frame: head, header with navigation, main landmark, footer. */
export function Layout({ chrome, title, description, tab = null, canonical, feeds, searchBox = true, children }: LayoutProps) {
  const { siteName, viewer } = chrome;
  const tabs: [Exclude<Tab, null>, string, string][] = [
    ['daily', 'Daily', '/papers'],
    ['weekly', 'Weekly', '/papers/week'],
    ['monthly', 'Monthly', '/papers/month'],
    ['trending', 'Trending', '/papers/trending'],
  ];
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{title === siteName ? siteName : `${title} · ${siteName}`}</title>
        {description && <meta name="description" content={description} />}
        {canonical && <link rel="canonical" href={canonical} />}
        {feeds && (
          <>
            <link rel="alternate" type="application/rss+xml" title={`${feeds.title} (RSS)`} href={`${feeds.path}.rss${feeds.query ?? ''}`} />
            <link rel="alternate" type="application/atom+xml" title={`${feeds.title} (Atom)`} href={`${feeds.path}.atom${feeds.query ?? ''}`} />
            <link rel="alternate" type="application/feed+json" title={`${feeds.title} (JSON Feed)`} href={`${feeds.path}.json${feeds.query ?? ''}`} />
          </>
        )}
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="stylesheet" href="/static/katex/katex.min.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script src="/static/keys.js" defer />
        <script src="/static/vote.js" defer />
        <script src="/static/library.js" defer />
        <script src="/static/follow.js" defer />
        <script src="/static/subscribe.js" defer />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="site-header">
          <div class="wrap header-row">
            <a class="brand" href="/papers">
              <span class="brand-mark" aria-hidden="true">
                ▤
              </span>
              {siteName}
            </a>
            <nav class="tabs" aria-label="Feeds">
              {tabs.map(([key, label, href]) => (
                <a href={href} class={key === tab ? 'tab active' : 'tab'} aria-current={key === tab ? 'page' : undefined}>
                  {label}
                </a>
              ))}
            </nav>
            {searchBox && (
              <form class="header-search" role="search" action="/papers/search" method="get">
                <input type="search" name="q" placeholder="Search" aria-label="Search papers" autocomplete="off" />
              </form>
            )}
            <nav class="account" aria-label="Account">
              {viewer ? (
                <>
                  <a href="/for-you" class="tab">For you</a>
                  <a href="/following" class="tab">Following</a>
                  <a href="/submit" class="tab">Submit</a>
                  <a href="/library" class="tab">Library</a>
                  {isModerator(viewer) && <a href="/admin" class="tab">Moderation</a>}
                  <a href={`/users/${viewer.username}`} class="tab">{viewer.username}</a>
                  <form method="post" action="/signout" class="inline-form">
                    <input type="hidden" name="_csrf" value={chrome.csrf} />
                    <button type="submit" class="link-button">Sign out</button>
                  </form>
                </>
              ) : (
                <a href="/signin" class="tab">Sign in</a>
              )}
            </nav>
          </div>
        </header>
        <main id="main" class="wrap">
          {children}
        </main>
        <footer class="site-footer">
          <div class="wrap">
            <SubscribeCta chrome={chrome} variant="footer" />
            <span>
              {siteName} · papers from <a href="https://arxiv.org">arXiv</a>, curated by the community ·{' '}
              <a href="/api/daily_papers">API</a>
              {feeds && (
                <>
                  {' · '}
                  <a href={`${feeds.path}.rss${feeds.query ?? ''}`} class="feed-link" title={`${feeds.title} (RSS)`}>
                    RSS
                  </a>
                </>
              )}
            </span>
          </div>
        </footer>
      </body>
      </html>
    </>
  );
}

/**
 * "Get trending papers in your inbox": an address, daily or weekly, and a button. Anonymous
 * pages are cached and shared, so they cannot hold a CSRF token: their form is a GET to the
 * subscribe page, which static/subscribe.js turns into the POST with a fresh token.
 */
export function SubscribeCta({ chrome, variant }: { chrome: Chrome; variant: 'banner' | 'footer' }) {
  const id = `cta-${variant}`;
  const signedIn = chrome.csrf !== '';
  return (
    <form class={`subscribe-cta ${variant}`} method={signedIn ? 'post' : 'get'} action="/subscribe" data-subscribe="">
      {signedIn && <CsrfField token={chrome.csrf} />}
      <label for={`${id}-email`} class="subscribe-label">
        <span aria-hidden="true">✉ </span>Get trending papers in your inbox
      </label>
      <div class="subscribe-row">
        <input id={`${id}-email`} type="email" name="email" required autocomplete="email" placeholder="Your e-mail" value={chrome.viewer?.email ?? undefined} />
        <select name="frequency" aria-label="How often">
          <option value="daily">Daily</option>
          <option value="weekly">Weekly</option>
        </select>
        <button type="submit" class="button primary">Subscribe</button>
      </div>
    </form>
  );
}
