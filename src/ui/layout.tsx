import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, viewerOf } from '../http/authenticate.ts';
import { isModerator, type Viewer } from '../auth/sessions.ts';
import { CsrfField } from './forms.tsx';
import { siteOrigin } from '../http/origin.ts';
import { mathAsText } from './math.ts';
import { bannerDismissed, themeOf, viewOf, type Theme, type View } from '../http/preferences.ts';

export type Tab = 'daily' | 'weekly' | 'monthly' | 'trending' | null;

/** What every page's frame needs from the request: the site, and who is reading. */
export interface Chrome {
  siteName: string;
  viewer: Viewer | null;
  /** The CSRF token for the header's sign-out form; empty for anonymous readers (their pages are cached). */
  csrf: string;
  /** This page's absolute address (the configured origin and the path), for link previews. */
  url: string;
  /** The reader dismissed the subscribe banner (a cookie; the page cache keeps a variant). */
  bannerOff: boolean;
  /** The reader's theme and list view (cookies; the page cache keeps a variant of each). */
  theme: Theme;
  view: View;
  /** This page's path and query, where a preference form leads back to. */
  path: string;
}

export function chromeOf(c: Context<AppEnv>): Chrome {
  const viewer = c.get('auth') ? viewerOf(c) : null;
  const here = new URL(c.req.url);
  const url = c.get('config') ? `${siteOrigin(c)}${here.pathname}` : '';
  const cookie = c.req.header('Cookie');
  return { siteName: c.get('config')?.SITE_NAME ?? 'Daily Papers', viewer, csrf: viewer ? csrfToken(c) : '', url, bannerOff: bannerDismissed(cookie), theme: themeOf(cookie), view: viewOf(cookie), path: here.pathname + here.search };
}

/** What a shared link shows (Open Graph, Twitter card): the page's picture, a path on this site. */
export interface Preview {
  image: string;
  type?: 'website' | 'article' | 'profile';
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
  /** Link-preview tags, on pages worth sharing (paper, day, collection, profile). */
  preview?: Preview;
  /** Where the skip link leads: a list page's papers, past the date bar and the banner. */
  skipTo?: { href: string; label: string };
  children: Child;
}

/** Every page's frame: head, header with navigation, main landmark, footer. */
export function Layout({ chrome, title: given, description: about, tab = null, canonical, feeds, searchBox = true, preview, skipTo = { href: '#main', label: 'Skip to content' }, children }: LayoutProps) {
  const { siteName, viewer } = chrome;
  // Plain text, as page text shows it: no `\%`, math in Unicode.
  const title = mathAsText(given);
  const description = about === undefined ? undefined : mathAsText(about);
  const tabs: [Exclude<Tab, null>, string, string][] = [
    ['daily', 'Daily', '/papers'],
    ['weekly', 'Weekly', '/papers/week'],
    ['monthly', 'Monthly', '/papers/month'],
    ['trending', 'Trending', '/papers/trending'],
  ];
  return (
    <>
      {raw('<!doctype html>')}
      {/* Chosen on the server from the reader's cookies: the first paint is in the right theme and view. */}
      <html lang="en" data-theme={chrome.theme === 'system' ? undefined : chrome.theme} data-view={chrome.view === 'list' ? 'list' : undefined}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content={chrome.theme === 'system' ? 'light dark' : chrome.theme} />
        <title>{title === siteName ? siteName : `${title} · ${siteName}`}</title>
        {description && <meta name="description" content={description} />}
        {canonical && <link rel="canonical" href={canonical} />}
        {preview && chrome.url && <PreviewTags chrome={chrome} title={title} description={description} canonical={canonical} preview={preview} />}
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
        {searchBox && <script src="/static/suggest.js" defer />}
        <script src="/static/buttons.js" defer />
        <script src="/static/subscribe.js" defer />
      </head>
      <body>
        <a class="skip" href={skipTo.href}>
          {skipTo.label}
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
                <input type="search" name="q" placeholder="Search" aria-label="Search papers" autocomplete="off" aria-keyshortcuts="/" />
              </form>
            )}
            <nav class="account" aria-label="Account">
              {viewer ? (
                <>
                  <a href="/for-you" class="tab">For you</a>
                  <a href="/following" class="tab">Following</a>
                  <a href="/submit" class="tab">Submit</a>
                  <details class="menu">
                    <summary class="tab menu-button" title="Your account">
                      <span class="menu-name">{viewer.username}</span>
                      <span aria-hidden="true" class="menu-caret">
                        {' ▾'}
                      </span>
                    </summary>
                    <div class="menu-panel">
                      <AccountLinks chrome={chrome} />
                    </div>
                  </details>
                </>
              ) : (
                <a href="/signin" class="tab">Sign in</a>
              )}
            </nav>
            {/* A phone's compact bar: the tabs and the account behind one button (a <details>: no script needed). */}
            <details class="menu site-menu">
              <summary class="menu-button" aria-label="Menu">
                <span aria-hidden="true">☰</span>
              </summary>
              <div class="menu-panel">
                <nav aria-label="Feeds (menu)">
                  {tabs.map(([key, label, href]) => (
                    <a href={href} aria-current={key === tab ? 'page' : undefined}>
                      {label}
                    </a>
                  ))}
                </nav>
                <hr />
                {viewer ? (
                  <>
                    <a href="/for-you">For you</a>
                    <a href="/following">Following</a>
                    <a href="/submit">Submit a paper</a>
                    <AccountLinks chrome={chrome} />
                  </>
                ) : (
                  <a href="/signin">Sign in</a>
                )}
              </div>
            </details>
          </div>
        </header>
        <main id="main" class="wrap">
          {children}
        </main>
        <Shortcuts />
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
            <ThemeSwitch chrome={chrome} />
          </div>
        </footer>
      </body>
      </html>
    </>
  );
}

/** A form that sets a look preference (a cookie) and comes back here: no script, no token (see http/authenticate.ts). */
function PreferenceForm({ chrome, name, choices, current, label, cls }: { chrome: Chrome; name: string; choices: readonly (readonly [string, string])[]; current: string; label: string; cls: string }) {
  return (
    <form class={`pref-switch ${cls}`} method="post" action="/preferences" aria-label={label}>
      <input type="hidden" name="next" value={chrome.path} />
      {choices.map(([value, text]) => (
        <button type="submit" name={name} value={value} aria-pressed={value === current ? 'true' : 'false'}>
          {text}
        </button>
      ))}
    </form>
  );
}

const THEME_CHOICES = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
] as const;
const VIEW_CHOICES = [
  ['grid', '▦ Grid'],
  ['list', '☰ List'],
] as const;

/** System, light or dark: the footer's theme switch. */
function ThemeSwitch({ chrome }: { chrome: Chrome }) {
  return <PreferenceForm chrome={chrome} name="theme" choices={THEME_CHOICES} current={chrome.theme} label="Theme" cls="theme-switch" />;
}

/** Grid of picture cards or list: the lists' view switch (the grid shows on wide screens only). */
export function ViewSwitch({ chrome }: { chrome: Chrome }) {
  return <PreferenceForm chrome={chrome} name="view" choices={VIEW_CHOICES} current={chrome.view} label="Show papers as" cls="view-switch" />;
}

const SHORTCUTS: [string[], string][] = [
  [['j', 'k'], 'Next / previous paper on a list'],
  [['o', 'Enter'], 'Open the selected paper'],
  [['u'], 'Upvote the selected paper (or the one on its page)'],
  [['/'], 'Search'],
  [['?'], 'Show these shortcuts'],
  [['Esc'], 'Close this panel'],
];

/** The keyboard shortcuts static/keys.js and buttons.js answer, opened with `?` (a <dialog>: hidden until then). */
function Shortcuts() {
  return (
    <dialog id="shortcuts" class="shortcuts" aria-labelledby="shortcuts-title">
      <form method="dialog" class="shortcuts-close">
        <button type="submit" aria-label="Close">
          ✕
        </button>
      </form>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {SHORTCUTS.map(([keys, what]) => (
          <>
            <dt>
              {keys.map((k, i) => (
                <>
                  {i > 0 && ' '}
                  <kbd>{k}</kbd>
                </>
              ))}
            </dt>
            <dd>{what}</dd>
          </>
        ))}
      </dl>
    </dialog>
  );
}

/** A signed-in reader's own links: profile, settings, moderation for moderators, and signing out. */
function AccountLinks({ chrome }: { chrome: Chrome }) {
  const viewer = chrome.viewer!;
  return (
    <>
      <a href={`/users/${viewer.username}`}>Your profile</a>
      <a href="/library">Your library</a>
      <a href="/settings">Settings</a>
      {isModerator(viewer) && <a href="/admin">Moderation</a>}
      <form method="post" action="/signout" class="inline-form">
        <input type="hidden" name="_csrf" value={chrome.csrf} />
        <button type="submit" class="link-button">Sign out</button>
      </form>
    </>
  );
}

/** Open Graph and Twitter card tags; every address absolute, from the configured origin (never a request header). */
function PreviewTags({ chrome, title, description, canonical, preview }: { chrome: Chrome; title: string; description?: string; canonical?: string; preview: Preview }) {
  const origin = new URL(chrome.url).origin;
  const image = new URL(preview.image, origin).href;
  return (
    <>
      <meta property="og:site_name" content={chrome.siteName} />
      <meta property="og:type" content={preview.type ?? 'website'} />
      <meta property="og:title" content={title} />
      {description && <meta property="og:description" content={description} />}
      <meta property="og:url" content={canonical ?? chrome.url} />
      <meta property="og:image" content={image} />
      <meta name="twitter:card" content="summary_large_image" />
      <meta name="twitter:title" content={title} />
      {description && <meta name="twitter:description" content={description} />}
      <meta name="twitter:image" content={image} />
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
  if (variant === 'banner' && chrome.bannerOff) return null;
  const form = (
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
  if (variant === 'footer') return form;
  // Dismissed for good with a cookie (a GET: nothing but this reader's view changes), no script needed.
  return (
    <div class="banner-box">
      {form}
      <form class="banner-dismiss" method="get" action="/subscribe/dismiss">
        <input type="hidden" name="next" value={chrome.url ? new URL(chrome.url).pathname : '/papers'} />
        <button type="submit" title="Hide this for good" aria-label="Hide the subscribe banner">
          ✕
        </button>
      </form>
    </div>
  );
}
