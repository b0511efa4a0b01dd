import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import nodemailer, { type Transporter, type TransportOptions } from 'nodemailer';
import type { Config } from '../core/config.ts';
import { mailsSent } from '../core/metrics.ts';

export interface Mail {
  /** What the mail is for, counted in `/metrics`. */
  kind: 'signin' | 'signup' | 'subscribe' | 'digest';
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  /** A fixed `Message-ID` (`<id@host>`), so a resend is recognisably the same mail; nodemailer makes one when unset. */
  messageId?: string;
  /** The `Date` header; now when unset. */
  date?: Date;
  /** How non-ASCII text parts are encoded; base64 is encoded natively, quoted-printable (the default) in JavaScript. */
  textEncoding?: 'base64' | 'quoted-printable';
  /** The whole message, built by the caller (digests: src/digests/mime.ts); then only `to` and From make the envelope. */
  raw?: Buffer;
  /**
   * A last check before the server takes the mail: runs once the server has begun DATA, and the
   * terminating "." line is written only after it resolves. If it rejects, the connection is
   * closed without that line and the server discards what it got (src/digests/send.ts: the fence).
   */
  beforeDataEnd?: () => Promise<void>;
}

/** Sends mail: over SMTP when `SMTP_URL` is set, else into a local outbox folder (development). */
export interface Mailer {
  send(mail: Mail): Promise<{ messageId: string }>;
  /** Where mails go, for logs: `smtp://host:port` or the outbox folder. */
  readonly target: string;
  close(): void;
}

/** What a transport sends: the mail without our bookkeeping. */
type Message = Omit<Mail, 'kind'>;

interface Transport {
  send(message: Message): Promise<{ messageId: string }>;
  readonly target: string;
  close(): void;
}

/** Sends through SMTP or the outbox, and counts each mail by kind and outcome. */
export function createMailer(config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_OUTBOX_DIR'> & Partial<Pick<Config, 'DIGEST_SEND_CONCURRENCY'>>): Mailer {
  const mailer = config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.MAIL_FROM, config.DIGEST_SEND_CONCURRENCY) : outboxMailer(config.MAIL_OUTBOX_DIR, config.MAIL_FROM);
  return {
    ...mailer,
    async send({ kind, ...message }) {
      try {
        const sent = await mailer.send(message);
        mailsSent.inc({ kind, outcome: 'sent' });
        return sent;
      } catch (err) {
        mailsSent.inc({ kind, outcome: 'failed' });
        throw err;
      }
    },
  };
}

/**
 * A pool of `connections` SMTP connections. A failed send rejects with nodemailer's error, which
 * carries the server's `responseCode` (4xx, 5xx) or a network `code` (ECONNECTION, ETIMEDOUT, …).
 */
function smtpMailer(url: string, from: string, connections = 5): Transport {
  const parsed = new URL(url);
  const transport: Transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: connections,
    // Reconnecting every 100 messages (the default) costs a handshake per 100 digests; servers that allow fewer close the connection and the pool reopens it.
    maxMessages: 1000,
    // Nagle's algorithm holds back the message's last small segment until the previous one is
    // acknowledged, which the server delays (delayed ACK, ~40 ms): a pooled sender stalls on every mail.
    getSocket: (_options: unknown, callback: (err: Error | null, socket: { socket: net.Socket }) => void) => {
      const socket = new net.Socket();
      socket.setNoDelay(true);
      callback(null, { socket });
    },
    // smtps:// is TLS from the first byte; smtp:// upgrades with STARTTLS when the server offers it.
    secure: parsed.protocol === 'smtps:',
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  } as TransportOptions);
  // The message's last stage holds back its end until the server is taking the message and
  // the commit point has run: only then does nodemailer write the terminating "." line. A
  // rejection fails the stream, and nodemailer closes the connection without that line.
  transport.use('stream', (mail, done) => {
    const commit = (mail.data as Message).beforeDataEnd;
    if (commit) {
      mail.message.processFunc((input) => {
        const held = heldEnd(commit);
        // pipe, not pipeline: pipeline's AbortController builds a DOMException per message, a
        // third of the sender's CPU. An error of the input is the message's error.
        input.once('error', (err) => held.destroy(err));
        return input.pipe(held);
      });
    }
    done();
  });
  return {
    target: `${parsed.protocol}//${parsed.host}`,
    async send(message) {
      const info = await transport.sendMail({ from, ...message });
      return { messageId: String(info.messageId) };
    },
    close: () => transport.close(),
  };
}

/**
 * Passes a message through and holds back its end until `beforeEnd` has resolved, which runs
 * once the stream's reader has begun (nodemailer pipes it after the server's 354 to DATA).
 * Not sooner: a stream reads ahead, so a small message is whole in memory long before DATA.
 */
function heldEnd(beforeEnd: () => Promise<void>): Transform {
  let reading!: () => void;
  const begun = new Promise<void>((resolve) => (reading = resolve));
  const stream = new Transform({
    transform: (chunk, _encoding, callback) => callback(null, chunk),
    flush: (callback) => void begun.then(beforeEnd).then(() => callback(), callback),
  });
  stream.once('resume', reading);
  return stream;
}

/** Development: each mail becomes an `.eml` file, newest last, listed at `/dev/outbox`. */
function outboxMailer(dir: string, from: string): Transport {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    target: path.resolve(dir),
    async send(message) {
      const info = await transport.sendMail({ from, ...message });
      await message.beforeDataEnd?.();
      await fs.mkdir(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(info.messageId).replace(/[^\w.-]/g, '')}.eml`;
      await fs.writeFile(path.join(dir, name), info.message as Buffer);
      return { messageId: String(info.messageId) };
    },
    close: () => transport.close(),
  };
}

/** The mails in a development outbox, newest first. */
export async function outboxFiles(dir: string): Promise<{ name: string; mtime: Date }[]> {
  try {
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.eml'));
    const stats = await Promise.all(names.map(async (name) => ({ name, mtime: (await fs.stat(path.join(dir, name))).mtime })));
    return stats.sort((a, b) => b.name.localeCompare(a.name));
  } catch {
    return [];
  }
}
