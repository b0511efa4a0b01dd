/**
 * A reader's choices about how pages look, kept in a cookie (no account needed). Pages differ by
 * them, so the page cache keeps a variant per choice (web/page-cache.ts).
 */

/** Set when the reader dismissed the subscribe banner of the daily list. */
export const BANNER_COOKIE = 'dp_banner';
const BANNER_OFF = new RegExp(`(?:^|;\\s*)${BANNER_COOKIE}=off(?:;|$)`);

/** Whether this Cookie header says the banner was dismissed. */
export function bannerDismissed(cookie: string | null | undefined): boolean {
  return !!cookie && BANNER_OFF.test(cookie);
}

/** What the page cache adds to a page's key for this reader's choices ('' when none). */
export function pageVariant(cookie: string | null | undefined): string {
  return bannerDismissed(cookie) ? '\nbanner-off' : '';
}
