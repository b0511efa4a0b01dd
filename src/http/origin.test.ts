import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../app.ts';
import type { Db } from '../db/database.ts';
import type { Mail, Mailer } from '../mail/mailer.ts';
import { publicOrigin } from '../core/config.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { signedInUser } from '../../test/community.ts';
import { CookieClient, LOOPBACK } from '../../test/cookie-client.ts';
import { linksIn } from '../../test/smtp.ts';
import { isLoopbackHost } from './origin.ts';

/** Keeps every mail the app hands over, in memory. */
function memoryMailer(): Mailer & { mails: Mail[] } {
  const mails: Mail[] = [];
  return { mails, target: 'memory', send: async (mail) => (mails.push(mail), { messageId: `<${mails.length}@test>` }), close() {} };
}

let db: Db;
beforeAll(async () => {
  db = await freshDb();
});
afterAll(() => db.close());

/**
 * A form POST as an attacker's script sends it: any Host, no Origin header, and the anonymous
 * CSRF cookie and field it fetched first from the same Host.
 */
async function postAs(app: ReturnType<typeof createApp>, origin: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const client = new CookieClient(app);
  await client.get(`${origin}${path}`);
  return app.request(
    `${origin}${path}`,
    { method: 'POST', body: new URLSearchParams({ _csrf: client.csrf, ...fields }), headers: { Cookie: client.cookieHeader, 'Content-Type': 'application/x-www-form-urlencoded', ...headers } },
    LOOPBACK,
  );
}

const linkTo = (mail: Mail, path: string) => linksIn(mail.text).map((l) => new URL(l)).find((u) => u.pathname === path);

describe('links in mails never follow the Host header', () => {
  const config = testConfig({ RATE_LIMIT_SCALE: '100' });
  const mailer = memoryMailer();
  let app: ReturnType<typeof createApp>;
  beforeAll(() => {
    app = createApp({ db, config, mailer });
  });

  it('POST /signin with Host: evil.example mails a sign-in link to the configured origin, not evil.example', async () => {
    const user = await signedInUser(db);
    const email = `${user.username}@example.org`;
    const res = await postAs(app, 'http://evil.example', '/signin', { email, method: 'link' });
    expect(res.status).toBe(200);
    const mail = await vi.waitFor(() => mailer.mails.find((m) => m.to === email)!);
    const link = linkTo(mail, '/signin/link');
    expect(link, mail.text).toBeDefined();
    expect(link!.origin).toBe(publicOrigin(config));
    expect(mail.text + (mail.html ?? '')).not.toContain('evil.example');
  });

  it('the digest confirmation link does not follow it either', async () => {
    const res = await postAs(app, 'http://evil.example', '/subscribe', { email: 'reader@example.org', frequency: 'daily' });
    expect(res.status).toBe(200);
    const mail = await vi.waitFor(() => mailer.mails.find((m) => m.to === 'reader@example.org')!);
    expect(linkTo(mail, '/subscribe/confirm')?.origin).toBe(publicOrigin(config));
    expect(mail.text).not.toContain('evil.example');
  });

  it('a browser on this machine (a loopback host) gets links to the address it used', async () => {
    const user = await signedInUser(db);
    const email = `${user.username}@example.org`;
    expect((await postAs(app, 'http://127.0.0.1:4321', '/signin', { email, method: 'link' })).status).toBe(200);
    const mail = await vi.waitFor(() => mailer.mails.find((m) => m.to === email)!);
    expect(linkTo(mail, '/signin/link')?.origin).toBe('http://127.0.0.1:4321');
  });

  it('a form posted under a foreign Host with its own Origin is refused (DNS rebinding)', async () => {
    const before = mailer.mails.length;
    const user = await signedInUser(db);
    const res = await postAs(app, 'http://evil.example', '/signin', { email: `${user.username}@example.org`, method: 'link' }, { Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    expect(mailer.mails).toHaveLength(before);
  });

  it('feeds link to the configured origin under a foreign Host', async () => {
    const res = await app.request('http://evil.example/feeds/trending.rss', {}, LOOPBACK);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).not.toContain('evil.example');
    expect(body).toContain(publicOrigin(config));
  });

  it('with BASE_URL, every link is BASE_URL whatever the Host', async () => {
    const mailer = memoryMailer();
    const withBase = createApp({ db, config: testConfig({ BASE_URL: 'https://papers.example.org', RATE_LIMIT_SCALE: '100' }), mailer });
    const user = await signedInUser(db);
    const email = `${user.username}@example.org`;
    expect((await postAs(withBase, 'http://localhost', '/signin', { email, method: 'link' })).status).toBe(200);
    const mail = await vi.waitFor(() => mailer.mails.find((m) => m.to === email)!);
    expect(linkTo(mail, '/signin/link')?.origin).toBe('https://papers.example.org');
  });
});

describe('isLoopbackHost', () => {
  it('knows localhost, 127.0.0.0/8 and ::1, and nothing else', () => {
    for (const host of ['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1.2.3', '[::1]']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['evil.example', 'localhost.evil.example', '127.0.0.1.evil.example', '128.0.0.1', '10.0.0.1', '[::2]', '0.0.0.0']) expect(isLoopbackHost(host), host).toBe(false);
  });
});
