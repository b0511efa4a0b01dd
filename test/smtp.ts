import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

/** A mail the test server accepted: parsed, with the envelope it came in. */
export interface ReceivedMail {
  parsed: ParsedMail;
  /** RCPT TO addresses. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtpServer {
  /** `smtp://127.0.0.1:<port>`, for `SMTP_URL`. */
  url: string;
  /** Every mail accepted so far, in order. */
  mails: ReceivedMail[];
  /** The first mail (already received or still to come) that matches, or a rejection after `timeoutMs`. */
  waitForMail(predicate?: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Fault injection: answer the next `count` messages with `code` (e.g. 421, 451, 550) instead of accepting them. */
  failNext(count: number, code?: number, message?: string): void;
  /** Fault injection: refuse every message to `address` with `code` after reading its data, whatever the order mails arrive in. */
  refuseRecipient(address: string, code: number, message: string): void;
  /** How many messages were refused by `failNext` or `refuseRecipient` so far. */
  readonly refused: number;
  /** Fault injection: for the next `count` messages, drop the connection in the middle of DATA (no reply at all). */
  dropNext(count: number): void;
  /** How many connections `dropNext` dropped so far. */
  readonly dropped: number;
  /**
   * Holds the next message until `release`: at its recipient (RCPT TO gets no answer yet), or
   * after its data (the final "." gets no answer yet). `reached` resolves when it gets there.
   */
  holdNext(at?: 'recipient' | 'data'): { reached: Promise<void>; release: () => void };
  close(): Promise<void>;
}

/** A real SMTP server on loopback that parses what it receives (no TLS, any or no login). */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const waiters: { predicate: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }[] = [];
  let faults = { count: 0, code: 451, message: 'try again later' };
  let refused = 0;
  const refusedRecipients = new Map<string, { code: number; message: string }>();
  let drops = 0;
  let dropped = 0;
  let hold: { at: 'recipient' | 'data'; reached: () => void; released: Promise<void> } | null = null;

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      const held = hold?.at === 'recipient' ? hold : null;
      if (!held) return callback();
      hold = null;
      held.reached();
      void held.released.then(() => callback());
    },
    onData(stream, session, callback) {
      if (drops > 0) {
        drops--;
        // The first chunk of the message arrives, then the connection is gone: the client never hears 250.
        stream.once('data', () => {
          dropped++;
          connectionOf(session.id)?._socket.destroy();
        });
        stream.resume();
        return;
      }
      // The fault applies to the message as a whole: its data is read, then refused.
      const byRecipient = session.envelope.rcptTo.map((r) => refusedRecipients.get(r.address.toLowerCase())).find(Boolean);
      const fault = byRecipient ? { ...byRecipient, count: 1 } : faults.count > 0 ? { ...faults } : null;
      if (fault && !byRecipient) faults.count--;
      const held = hold?.at === 'data' ? hold : null;
      if (held) hold = null;
      simpleParser(stream)
        .then(async (parsed) => {
          if (held) {
            held.reached();
            await held.released;
          }
          if (fault) {
            refused++;
            const err = Object.assign(new Error(fault.message), { responseCode: fault.code });
            callback(err);
            return;
          }
          const mail: ReceivedMail = {
            parsed,
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
          };
          mails.push(mail);
          for (const w of [...waiters]) {
            if (w.predicate(mail)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(mail);
            }
          }
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client that dies mid-session (a killed sender) resets its connection: part of the tests, not a failure.
  server.on('error', () => {});
  const port = (server.server.address() as AddressInfo).port;
  // smtp-server keeps its open connections here; the drop fault needs the one a session runs on.
  const connectionOf = (id: string) =>
    [...(server as unknown as { connections: Set<{ session: { id: string }; _socket: Socket }> }).connections].find((c) => c.session.id === id);

  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    get refused() {
      return refused;
    },
    waitForMail(predicate = () => true, timeoutMs = 180_000) {
      const already = mails.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: ReceivedMail) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`smtp: no matching mail within ${timeoutMs} ms (${mails.length} received)`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    get dropped() {
      return dropped;
    },
    dropNext(count) {
      drops = count;
    },
    holdNext(at = 'recipient') {
      let reached!: () => void;
      let release!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      hold = { at, reached, released: new Promise<void>((r) => (release = r)) };
      return { reached: reachedP, release };
    },
    refuseRecipient(address, code, message) {
      refusedRecipients.set(address.toLowerCase(), { code, message });
    },
    failNext(count, code = 451, message = 'try again later') {
      faults = { count, code, message };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The links in a mail's plain-text part. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((m) => m[0]);
}
