import fs from 'node:fs/promises';
import path from 'node:path';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { outboxFiles } from '../mail/mailer.ts';
import { outboxOpen } from '../http/origin.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';

type C = Context<AppEnv>;

async function readMail(dir: string, name: string) {
  // Loaded by the first look at the outbox: a production server never needs it, and it is 0.4 s of CPU at every start (decision 038).
  const { simpleParser } = await import('mailparser');
  return simpleParser(await fs.readFile(path.join(dir, name)));
}

/** `GET /dev/outbox`: the mails a development instance "sent", newest first. */
export async function showOutbox(c: C) {
  if (!outboxOpen(c)) return c.notFound();
  const dir = c.get('config').MAIL_OUTBOX_DIR;
  const files = (await outboxFiles(dir)).slice(0, 100);
  const mails = await Promise.all(files.map(async (f) => ({ ...f, mail: await readMail(dir, f.name).catch(() => null) })));
  return c.html(
    <Layout chrome={chromeOf(c)} title="Development outbox">
      <header class="settings-head">
        <h1>Outbox</h1>
        <span class="muted small">development only · {path.resolve(dir)}</span>
      </header>
      <p class="muted">
        No mail server is configured (<code>SMTP_URL</code>), so mails are written here instead of being sent.
      </p>
      {mails.length === 0 ? (
        <p class="empty-note muted">No mails yet. Sign up or ask for a sign-in link, then reload.</p>
      ) : (
        <ul class="outbox-list">
          {mails.map(({ name, mtime, mail }) => (
            <li>
              <a href={`/dev/outbox/${encodeURIComponent(name)}`}>{mail?.subject ?? name}</a>
              <span class="muted small">
                to {addressesOf(mail?.to)} · {mtime.toISOString().replace('T', ' ').slice(0, 19)} UTC
              </span>
            </li>
          ))}
        </ul>
      )}
    </Layout>,
  );
}

/** `GET /dev/outbox/:name`: one mail's subject, recipient, text, and the links in it. */
export async function showOutboxMail(c: C) {
  if (!outboxOpen(c)) return c.notFound();
  const name = c.req.param('name')!;
  // Only file names the outbox itself lists: no paths.
  if (!(await outboxFiles(c.get('config').MAIL_OUTBOX_DIR)).some((f) => f.name === name)) return c.notFound();
  const mail = await readMail(c.get('config').MAIL_OUTBOX_DIR, name);
  const text = mail.text ?? '';
  const links = [...new Set([...text.matchAll(/https?:\/\/[^\s<>"')]+/g)].map((m) => m[0]))];
  return c.html(
    <Layout chrome={chromeOf(c)} title={mail.subject ?? 'Mail'}>
      <p class="small">
        <a href="/dev/outbox">← Outbox</a>
      </p>
      <article class="settings-section outbox-mail">
        <h1>{mail.subject}</h1>
        <dl class="mail-head">
          <dt>To</dt>
          <dd>{addressesOf(mail.to)}</dd>
          <dt>From</dt>
          <dd>{mail.from?.text}</dd>
          <dt>Date</dt>
          <dd>{mail.date?.toISOString()}</dd>
        </dl>
        {links.length > 0 && (
          <ul class="mail-links">
            {links.map((href) => (
              <li>
                <a href={href} class="button primary">
                  Open {new URL(href).pathname}
                </a>
              </li>
            ))}
          </ul>
        )}
        <pre class="mail-text">{text}</pre>
      </article>
    </Layout>,
  );
}

function addressesOf(to: { text: string } | { text: string }[] | undefined): string {
  if (!to) return '';
  return (Array.isArray(to) ? to : [to]).map((a) => a.text).join(', ');
}
