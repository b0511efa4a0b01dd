import type { Context } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { formBody } from '../http/forms.ts';
import { siteOrigin } from '../http/origin.ts';
import { safeRedirect } from '../http/redirects.ts';
import { THEME_COOKIE, THEMES, VIEW_COOKIE, VIEWS } from '../http/preferences.ts';

const YEAR = 31_536_000;
const form = z.object({ theme: z.enum(THEMES).optional(), view: z.enum(VIEWS).optional(), next: z.string().max(2000).optional() });

/**
 * `POST /preferences` (theme=system|light|dark, view=grid|list, next=/path): keeps the choice in a
 * cookie for a year and goes back to `next`, a path on this site (never a header's address).
 * The defaults (system, grid) clear their cookie, so most readers share one cached page.
 */
export async function savePreferences(c: Context<AppEnv>) {
  const { theme, view, next } = await formBody(c, form);
  const secure = new URL(siteOrigin(c)).protocol === 'https:' ? '; Secure' : '';
  const cookie = (name: string, value: string | undefined) =>
    c.header('Set-Cookie', `${name}=${value ?? ''}; Path=/; Max-Age=${value ? YEAR : 0}; SameSite=Lax; HttpOnly${secure}`, { append: true });
  if (theme) cookie(THEME_COOKIE, theme === 'system' ? undefined : theme);
  if (view) cookie(VIEW_COOKIE, view === 'grid' ? undefined : view);
  return c.redirect(safeRedirect(next) ?? '/papers', 303);
}
