import { createHash } from 'node:crypto';

/** A card's size: Open Graph's and Twitter's large image (1.91:1). */
export const CARD_WIDTH = 1200;
export const CARD_HEIGHT = 630;

/** Background and ink, light then dark: the dark pair is as calm on a dark page as the light one on a light page. */
const PALETTES = [
  ['#fef3c7', '#92400e', '#2b2110', '#fcd34d'],
  ['#e0f2fe', '#075985', '#0c2537', '#7dd3fc'],
  ['#dcfce7', '#166534', '#0d2a1a', '#86efac'],
  ['#f3e8ff', '#6b21a8', '#24143a', '#d8b4fe'],
  ['#ffe4e6', '#9f1239', '#33121c', '#fda4af'],
  ['#e0e7ff', '#3730a3', '#181a3d', '#a5b4fc'],
] as const;

/** A bold serif's mean advance, in ems: wide enough for DejaVu Serif Bold (Georgia's fallback), so no line runs off the card. */
const SERIF_BOLD_EM = 0.62;

const XML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const xml = (s: string) => s.replace(/[&<>"']/g, (c) => XML[c] ?? c);

/** Lines of at most `width` characters, cut between words; at most `max` lines, the last ending in … when cut. */
export function wrap(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const piece = word.length > width ? `${word.slice(0, width - 1)}…` : word;
    if (line && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else line = line ? `${line} ${piece}` : piece;
    if (lines.length === max) break;
  }
  if (lines.length < max && line) lines.push(line);
  const used = lines.join(' ').length;
  if (used < text.trim().replace(/\s+/g, ' ').length && lines.length > 0) {
    const last = lines[lines.length - 1]!;
    lines[lines.length - 1] = `${last.length >= width ? last.slice(0, width - 1) : last}…`;
  }
  return lines;
}

/**
 * A typographic card: the title large, a line under it, the site's name; colours chosen by
 * the seed, so a paper keeps its card. It stands in for a missing thumbnail, and is the
 * link-preview image of pages that have none. In a page, the SVG follows the page's theme by
 * itself (Chromium and Firefox give an image the color-scheme of the page that shows it): one
 * address, one fetch, both themes. Rasterized (cardPng), it keeps the light colours.
 */
export function cardSvg({ title, subtitle, siteName, seed }: { title: string; subtitle?: string; siteName: string; seed: string }): string {
  const [bg, fg, darkBg, darkFg] = PALETTES[createHash('sha1').update(seed).digest()[0]! % PALETTES.length]!;
  const size = title.length > 110 ? 52 : title.length > 60 ? 60 : 72;
  const lines = wrap(title, Math.floor(1040 / (size * SERIF_BOLD_EM)), 5);
  const lead = size * 1.2;
  const top = 120 + size;
  const text = lines.map((l, i) => `<text x="80" y="${Math.round(top + i * lead)}" font-size="${size}" font-weight="700">${xml(l)}</text>`).join('');
  const sub = subtitle ? `<text x="80" y="${CARD_HEIGHT - 70}" font-size="34" opacity="0.85">${xml(wrap(subtitle, 56, 1)[0] ?? '')}</text>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${CARD_WIDTH}" height="${CARD_HEIGHT}" viewBox="0 0 ${CARD_WIDTH} ${CARD_HEIGHT}">` +
    // A style rule outranks the fill attributes, which are what a rasterizer without media queries paints.
    `<style>@media (prefers-color-scheme: dark){.bg{fill:${darkBg}}.fg{fill:${darkFg}}}</style>` +
    `<rect class="bg" width="100%" height="100%" fill="${bg}"/>` +
    `<rect class="fg" x="80" y="80" width="64" height="8" rx="4" fill="${fg}"/>` +
    `<g class="fg" fill="${fg}" font-family="Georgia, 'DejaVu Serif', serif">${text}</g>` +
    `<g class="fg" fill="${fg}" font-family="system-ui, 'DejaVu Sans', sans-serif">${sub}` +
    `<text x="${CARD_WIDTH - 80}" y="${CARD_HEIGHT - 70}" font-size="28" text-anchor="end" opacity="0.7">${xml(siteName)}</text></g>` +
    `</svg>`
  );
}

// Link-preview crawlers fetch a card a few times, then it rests: a small LRU keeps them from rasterizing it again.
const PNG_MAX = 200;
const pngs = new Map<string, Buffer>();

/** The card as PNG (crawlers do not take SVG), rasterized once per distinct card. */
export async function cardPng(svg: string): Promise<Buffer> {
  const key = createHash('sha256').update(svg).digest('base64');
  const hit = pngs.get(key);
  if (hit) {
    pngs.delete(key);
    pngs.set(key, hit);
    return hit;
  }
  // Loaded by the first card: 0.3 s of CPU that a start need not pay (decision 038).
  const { default: sharp } = await import('sharp');
  const png = await sharp(Buffer.from(svg)).png({ compressionLevel: 9, palette: true }).toBuffer();
  if (pngs.size >= PNG_MAX) pngs.delete(pngs.keys().next().value!);
  pngs.set(key, png);
  return png;
}

/** Up to two initials of a name, for a person or organization without a picture. */
export function initials(name: string): string {
  const words = name.replace(/[^\p{L}\p{N}\s]/gu, ' ').split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[words.length - 1]![0]] : [...(words[0] ?? '?')].slice(0, 1);
  return letters.join('').toUpperCase() || '?';
}
