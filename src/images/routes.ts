import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { mathAsText } from '../ui/math.ts';
import { cardPng, cardSvg } from './cards.ts';
import { imageBytes, paperCardText, profileCardText } from './store.ts';

/** A kept image's bytes never change under its key. */
const FOREVER = 'public, max-age=31536000, immutable';
/** A generated card changes with its text, and gives way once the real picture is kept. */
const A_DAY = 'public, max-age=86400';

/** `/images/{key}.webp`: an image fetched once by the images job and kept. */
export async function showImage(c: Context<AppEnv>) {
  const key = (c.req.param('file') ?? '').replace(/\.webp$/, '');
  const image = await imageBytes(c.get('db').kysely, key);
  if (!image) return c.notFound();
  return c.body(new Uint8Array(image.data), 200, { 'Content-Type': image.contentType, 'Cache-Control': FOREVER, 'X-Content-Type-Options': 'nosniff' });
}

/** `/images/papers/{id}.svg|png`: a paper's typographic card, standing in for a thumbnail. */
export async function showPaperCard(c: Context<AppEnv>) {
  const match = /^(.+)\.(svg|png)$/.exec(c.req.param('file') ?? '');
  if (!match) return c.notFound();
  const text = await paperCardText(c.get('db').kysely, match[1]!);
  if (!text) return c.notFound();
  return sendCard(c, { title: mathAsText(text.title), subtitle: text.byline, seed: match[1]! }, match[2] as 'svg' | 'png');
}

/** `/images/users/{name}.png`, `/images/organizations/{name}.png`: a profile's link-preview card. */
export function showProfileCard(kind: 'users' | 'organizations') {
  return async (c: Context<AppEnv>) => {
    const match = /^(.+)\.(svg|png)$/.exec(c.req.param('file') ?? '');
    if (!match) return c.notFound();
    const text = await profileCardText(c.get('db').kysely, kind, match[1]!);
    if (!text) return c.notFound();
    return sendCard(c, { title: text.title, subtitle: text.byline, seed: text.byline }, match[2] as 'svg' | 'png');
  };
}

async function sendCard(c: Context<AppEnv>, card: { title: string; subtitle: string; seed: string }, format: 'svg' | 'png') {
  const svg = cardSvg({ ...card, siteName: c.get('config').SITE_NAME });
  const headers = { 'Cache-Control': A_DAY, 'X-Content-Type-Options': 'nosniff' };
  if (format === 'svg') return c.body(svg, 200, { ...headers, 'Content-Type': 'image/svg+xml; charset=utf-8', 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'" });
  return c.body(new Uint8Array(await cardPng(svg)), 200, { ...headers, 'Content-Type': 'image/png' });
}
