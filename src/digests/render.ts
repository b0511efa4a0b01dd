import { mathAsText } from '../ui/math.ts';
import type { DigestPaper, DigestPeriod, Selection } from './build.ts';

/**
 * The digest mail: an HTML part built from tables with inline styles (what Gmail, Outlook
 * and phone clients agree on) and a plain-text part. Math is written in Unicode (`𝒪(n log n)`,
 * `x²`; ui/tex-text.ts): MathML and KaTeX's CSS do not survive mail clients, and raw TeX reads badly.
 *
 * Rendering happens once per distinct selection and is stored once (digest_bodies); the
 * per-subscriber links are filled in when each mail is sent (`personalize`), so 100,000
 * subscribers cost 100,000 string replacements, not 100,000 renders or stored copies.
 */

export interface RenderedDigest {
  subject: string;
  html: string;
  text: string;
}

/** The links that differ per subscriber. */
export interface DigestLinks {
  preferences: string;
  unsubscribe: string;
}

export interface SiteInfo {
  name: string;
  /** Absolute, without a trailing slash. */
  baseUrl: string;
}

// Stored in digest_bodies and filled in by whichever process sends, so fixed. Control
// characters are removed from everything rendered around them (`scrub`): no paper text or
// topic can contain a slot, by accident or design.
const PREFERENCES_SLOT = '\u0001preferences\u0001';
const UNSUBSCRIBE_SLOT = '\u0001unsubscribe\u0001';
// eslint-disable-next-line no-control-regex -- control characters are exactly what it removes
const scrub = (s: string) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');

const ABSTRACT_CHARS = 220;
const MAX_AUTHORS = 4;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: 'UTC' });
const dayMonth = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' });

/** "Tuesday, 10 December" for a day. */
export function digestDayLabel(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return `${weekday.format(d)}, ${dayMonth.format(d)}`;
}

/** The subject (UI.md): "Top papers for Tuesday, 10 December", or for the week of a Monday. */
export function digestSubject(period: DigestPeriod): string {
  return period.frequency === 'daily' ? `Top papers for ${digestDayLabel(period.first)}` : `Top papers of the week of ${dayMonth.format(new Date(`${period.first}T00:00:00Z`))}`;
}

/** A title or abstract as text: math in Unicode, TeX escapes printed, whitespace collapsed. */
export function readableText(text: string): string {
  return mathAsText(text).replace(/\s+/g, ' ').trim();
}

/** The first ~two lines of an abstract, cut at a word. */
export function shortAbstract(abstract: string, max = ABSTRACT_CHARS): string {
  const text = readableText(abstract);
  if (text.length <= max) return text;
  const room = text.slice(0, max);
  const cut = room.lastIndexOf(' ');
  return `${(cut > max / 2 ? room.slice(0, cut) : room).replace(/[\s,.;:]+$/, '')}…`;
}

function authorLine(authors: string[]): string {
  if (authors.length === 0) return '';
  const shown = authors.slice(0, MAX_AUTHORS).join(', ');
  return authors.length > MAX_AUTHORS ? `${shown} and ${authors.length - MAX_AUTHORS} more` : shown;
}

/** What the mail says above the papers: why it holds what it holds. */
export function digestNotice(s: Selection): string | null {
  const parts: string[] = [];
  if (s.matched.length === 0 && (s.quiet.length > 0 || s.invalid.length > 0)) {
    parts.push('Nothing matched your topics this time, so here are the overall top papers.');
  } else if (s.quiet.length > 0) {
    parts.push(`Quiet this time: ${s.quiet.map((t) => `“${t}”`).join(', ')}. The overall top papers fill in below.`);
  }
  if (s.invalid.length > 0) parts.push(`These saved searches no longer work, please update them: ${s.invalid.map((t) => `“${t}”`).join(', ')}.`);
  return parts.length > 0 ? parts.join(' ') : null;
}

/** Renders a selection with placeholders for the per-subscriber links. */
export function renderDigest(selection: Selection, period: DigestPeriod, site: SiteInfo): RenderedDigest {
  const subject = digestSubject(period);
  const notice = digestNotice(selection);
  const sections: { heading: string | null; papers: DigestPaper[] }[] =
    selection.matched.length > 0
      ? [
          { heading: selection.heading ?? 'For your topics', papers: selection.matched },
          { heading: 'Also trending', papers: selection.fallback },
        ]
      : [{ heading: null, papers: selection.fallback }];
  const link = (p: DigestPaper) => `${site.baseUrl}/papers/${p.id}`;

  // ---- plain text
  const lines: string[] = [subject, '='.repeat(subject.length), ''];
  if (notice) lines.push(notice, '');
  let n = 0;
  for (const section of sections) {
    if (section.papers.length === 0) continue;
    if (section.heading) lines.push(section.heading.toUpperCase(), '');
    for (const p of section.papers) {
      n++;
      lines.push(`${n}. ${readableText(p.title)}`);
      const authors = authorLine(p.authors);
      if (authors) lines.push(`   ${authors}`);
      lines.push(`   ${p.upvotes} upvote${p.upvotes === 1 ? '' : 's'} · ${link(p)}`);
      lines.push(`   ${shortAbstract(p.abstract)}`, '');
    }
  }
  lines.push('--', `${site.name} · ${site.baseUrl}/papers`);
  const text = `${scrub(lines.join('\n'))}\nManage topics: ${PREFERENCES_SLOT}\nUnsubscribe: ${UNSUBSCRIBE_SLOT}\n`;

  // ---- HTML
  const font = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
  const cards: string[] = [];
  for (const section of sections) {
    if (section.papers.length === 0) continue;
    if (section.heading) {
      cards.push(`<tr><td style="padding:20px 24px 4px;${font};font-size:12px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:#64748b">${esc(section.heading)}</td></tr>`);
    }
    for (const p of section.papers) {
      const authors = authorLine(p.authors);
      cards.push(
        `<tr><td style="padding:12px 24px;border-top:1px solid #e2e8f0;${font}">` +
          `<a href="${esc(link(p))}" style="font-size:16px;line-height:1.35;font-weight:600;color:#0f172a;text-decoration:none">${esc(readableText(p.title))}</a>` +
          `<div style="font-size:13px;line-height:1.4;color:#64748b;padding-top:3px"><b style="color:#b45309">▲ ${p.upvotes}</b>${authors ? ` · ${esc(authors)}` : ''}</div>` +
          `<div style="font-size:14px;line-height:1.45;color:#334155;padding-top:4px">${esc(shortAbstract(p.abstract))}</div>` +
          `</td></tr>`,
      );
    }
  }
  const content =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(subject)}</title></head>` +
    `<body style="margin:0;padding:0;background:#f1f5f9">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f1f5f9"><tr><td align="center" style="padding:16px 8px">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background:#ffffff;border:1px solid #e2e8f0;border-radius:10px">` +
    `<tr><td style="padding:20px 24px 8px;${font}"><a href="${esc(site.baseUrl)}/papers" style="font-size:14px;font-weight:700;color:#b45309;text-decoration:none">${esc(site.name)}</a>` +
    `<h1 style="margin:6px 0 0;font-size:22px;line-height:1.3;color:#0f172a">${esc(subject)}</h1></td></tr>` +
    (notice ? `<tr><td style="padding:8px 24px 4px;${font}"><div style="background:#fffbeb;border:1px solid #fde68a;border-radius:8px;padding:10px 12px;font-size:14px;line-height:1.45;color:#78350f">${esc(notice)}</div></td></tr>` : '') +
    cards.join('') +
    `<tr><td style="padding:18px 24px 22px;${font};font-size:13px;line-height:1.5;color:#64748b">` +
    `You get this digest because you subscribed on ${esc(site.name)}.<br>`;
  const html =
    scrub(content) +
    `<a href="${PREFERENCES_SLOT}" style="color:#475569">Manage topics</a> · <a href="${UNSUBSCRIBE_SLOT}" style="color:#475569">Unsubscribe</a>` +
    `</td></tr></table></td></tr></table></body></html>`;
  return { subject: scrub(subject), html, text };
}

/** Fills one subscriber's links into a rendered digest. */
export function personalize(digest: RenderedDigest, links: DigestLinks): RenderedDigest {
  return { subject: digest.subject, html: fillLinks(digest.html, links, esc), text: fillLinks(digest.text, links, (x) => x) };
}

/** Fills the links into one part: HTML escapes them (`&` in a URL), text keeps them as they are. */
export function fillLinks(part: string, links: DigestLinks, escape: (x: string) => string = (x) => x): string {
  return part.replaceAll(PREFERENCES_SLOT, escape(links.preferences)).replaceAll(UNSUBSCRIBE_SLOT, escape(links.unsubscribe));
}

