import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type { Config } from '../core/config.ts';
import { unsubscribeAddress } from './links.ts';
import { fillLinks, type DigestLinks, type RenderedDigest } from './render.ts';

/**
 * A digest's wire format, built by us rather than nodemailer's MIME tree: profiling the sender
 * showed most of its time in that tree's stream pipeline (headers normalized per mail, base64
 * in small chunks, each chunk its own socket write). Here a mail is one Buffer: the From and
 * Subject lines come from nodemailer once per body (its encoding and folding), the parts are
 * base64 (native) and the per-mail headers are ASCII we control.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeAttribute = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

// `_` never occurs in base64, so no line of a part can be the boundary.
const BOUNDARY = `_dp_digest_${randomBytes(8).toString('hex')}`;

/** A body ready to be sent many times: its From/Subject header lines encoded once. */
export interface PreparedBody {
  fromAndSubject: string;
  rendered: RenderedDigest;
}

/** Encodes From and Subject as nodemailer would (RFC 2047 words, folding) once per body. */
export async function prepareBody(from: string, rendered: RenderedDigest): Promise<PreparedBody> {
  const head = (await new MailComposer({ from, subject: rendered.subject, text: '' }).compile().build()).toString('utf8');
  const headers = head.slice(0, head.indexOf('\r\n\r\n') + 2);
  // Each header with its folded continuation lines.
  const pick = (name: string) => new RegExp(`^${name}:.*\\r\\n(?:[ \\t].*\\r\\n)*`, 'im').exec(headers)?.[0] ?? '';
  return { fromAndSubject: pick('From') + pick('Subject'), rendered };
}

/** An address we can write into `To:` as it is; anything else goes through nodemailer. */
export function isPlainAddress(address: string): boolean {
  return /^[\x21-\x7e]+@[\x21-\x7e]+$/.test(address) && !/[<>,;"()\\[\]]/.test(address);
}

/** RFC 5322 date in UTC: `Tue, 24 Nov 2026 08:00:00 +0000`. */
function mailDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/** Base64 in lines of 76 (RFC 2045). */
function base64Lines(text: string): string {
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\r\n');
}

export interface DigestEnvelope {
  to: string;
  messageId: string;
  date: Date;
  links: DigestLinks;
}

/** One digest as the bytes that go after DATA: headers, then text and HTML in base64. */
export function digestMessage(config: Pick<Config, 'MAIL_FROM' | 'MAIL_UNSUBSCRIBE_ADDRESS'>, body: PreparedBody, mail: DigestEnvelope): Buffer {
  const mailto = `mailto:${unsubscribeAddress(config)}?subject=unsubscribe`;
  const text = fillLinks(body.rendered.text, mail.links).replace(/\r?\n/g, '\r\n');
  const html = fillLinks(body.rendered.html, mail.links, escapeAttribute);
  const message =
    body.fromAndSubject +
    `To: ${mail.to}\r\n` +
    `Message-ID: ${mail.messageId}\r\n` +
    `Date: ${mailDate(mail.date)}\r\n` +
    `List-Unsubscribe: <${mail.links.unsubscribe}>, <${mailto}>\r\n` +
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n' +
    'MIME-Version: 1.0\r\n' +
    `Content-Type: multipart/alternative; boundary="${BOUNDARY}"\r\n` +
    '\r\n' +
    `--${BOUNDARY}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(text)}\r\n` +
    `--${BOUNDARY}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(html)}\r\n` +
    `--${BOUNDARY}--\r\n`;
  return Buffer.from(message, 'utf8');
}
