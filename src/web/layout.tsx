import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';

export type Tab = 'daily' | 'weekly' | 'monthly' | 'trending' | null;

interface LayoutProps {
  siteName: string;
  title: string;
  description?: string;
  tab?: Tab;
  /** Absolute URL of this page, for the canonical link. */
  canonical?: string;
  children: Child;
}

/** Every page's frame: head, header with navigation, main landmark, footer. */
export function Layout({ siteName, title, description, tab = null, canonical, children }: LayoutProps) {
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
        <link rel="stylesheet" href="/static/style.css" />
        <link rel="stylesheet" href="/static/katex/katex.min.css" />
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <script src="/static/keys.js" defer />
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
          </div>
        </header>
        <main id="main" class="wrap">
          {children}
        </main>
        <footer class="site-footer">
          <div class="wrap">
            <span>
              {siteName} · papers from <a href="https://arxiv.org">arXiv</a>, curated by the community ·{' '}
              <a href="/api/daily_papers">API</a>
            </span>
          </div>
        </footer>
      </body>
      </html>
    </>
  );
}
