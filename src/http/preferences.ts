/**
 * A reader's choices about how pages look, kept in cookies (no account needed). Pages differ by
 * them, so the page cache keeps a variant per choice (web/page-cache.ts).
 */

/** Set when the reader dismissed the subscribe banner of the daily list. */
export const BANNER_COOKIE = 'dp_banner';
const BANNER_OFF = new RegExp(`(?:^|;\\s*)${BANNER_COOKIE}=off(?:;|$)`);

/** The colour theme: following the system's setting (no cookie), or one chosen. */
export const THEME_COOKIE = 'dp_theme';
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];
const THEME = new RegExp(`(?:^|;\\s*)${THEME_COOKIE}=(light|dark)(?:;|$)`);

/** How lists show their papers: a grid of picture cards (the default on wide screens) or a list. */
export const VIEW_COOKIE = 'dp_view';
export const VIEWS = ['grid', 'list'] as const;
export type View = (typeof VIEWS)[number];
const VIEW_LIST = new RegExp(`(?:^|;\\s*)${VIEW_COOKIE}=list(?:;|$)`);

/** Whether this Cookie header says the banner was dismissed. */
export function bannerDismissed(cookie: string | null | undefined): boolean {
  return !!cookie && BANNER_OFF.test(cookie);
}

/** The theme this Cookie header chose ('system' when none). */
export function themeOf(cookie: string | null | undefined): Theme {
  return (cookie && (THEME.exec(cookie)?.[1] as Theme | undefined)) || 'system';
}

/** The list view this Cookie header chose ('grid' when none). */
export function viewOf(cookie: string | null | undefined): View {
  return cookie && VIEW_LIST.test(cookie) ? 'list' : 'grid';
}

/** What the page cache adds to a page's key (and ETag) for this reader's choices ('' when none). */
export function pageVariant(cookie: string | null | undefined): string {
  if (!cookie) return '';
  const theme = themeOf(cookie);
  const key = `${bannerDismissed(cookie) ? 'b' : ''}${theme === 'system' ? '' : `t${theme}`}${viewOf(cookie) === 'list' ? 'vlist' : ''}`;
  return key ? `\n${key}` : '';
}
