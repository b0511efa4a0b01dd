import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { createApp } from '../app.ts';
import type { Db } from '../db/database.ts';
import { createMailer, type Mailer } from '../mail/mailer.ts';
import { hashToken } from '../auth/tokens.ts';
import { hashPassword } from '../auth/passwords.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { signedInUser } from '../../test/community.ts';
import { CookieClient } from '../../test/cookie-client.ts';
import { linksIn, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../test/smtp.ts';

let smtp: TestSmtpServer;
let db: Db;
let app: Hono<AppEnv>;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  db = await freshDb();
  // Limits scaled up: these tests sign up many people from one address; the limit has its own test.
  const config = testConfig({ SMTP_URL: smtp.url, RATE_LIMIT_SCALE: '100' });
  mailer = createMailer(config);
  app = createApp({ db, config, mailer });
});
afterAll(async () => {
  mailer.close();
  await smtp.close();
  await db.close();
});

const mailTo = (address: string, subject: RegExp) => smtp.waitForMail((m) => m.to.includes(address) && subject.test(m.subject));
/** The path and query of the sign-in link in a mail's text part. */
const linkOf = (mail: ReceivedMail) => {
  const link = linksIn(mail.text).find((l) => l.includes('/signin/link?token='));
  expect(link).toBeDefined();
  const url = new URL(link!);
  return { path: url.pathname + url.search, token: url.searchParams.get('token')! };
};

async function signUp(client: CookieClient, fields: Record<string, string>) {
  await client.get('/signup');
  return client.post('/signup', fields);
}

/** Opens the link (a GET shows a button), then presses it, with the page's other fields if any. */
async function followLink(client: CookieClient, mail: ReceivedMail, fields: Record<string, string> = {}) {
  const { path, token } = linkOf(mail);
  const page = await client.get(path);
  expect(page.res.status).toBe(200);
  return client.post('/signin/link', { token, ...fields });
}

describe('sign-up by e-mailed link', () => {
  it('creates the account from a link read off a real SMTP conversation, and signs the browser in', async () => {
    const browser = new CookieClient(app);
    const { res, html } = await signUp(browser, { username: 'ada', email: 'Ada@Example.org', fullname: 'Ada Lovelace' });
    expect(res.status).toBe(200);
    expect(html).toContain('Check your inbox');
    expect(await db.kysely.selectFrom('users').select('id').where('username', '=', 'ada').executeTakeFirst()).toBeUndefined();

    const mail = await mailTo('ada@example.org', /Confirm your/);
    expect(mail.html).toContain('/signin/link?token=');
    const { path } = linkOf(mail);

    // Prefetching the link (as mail scanners do) uses nothing: the page only shows a button.
    const scanner = await new CookieClient(app).get(path);
    expect(scanner.html).toContain('Create my account');
    // The password is chosen on the link's page, by whoever read the mail; a short one is refused and the link still works.
    expect(scanner.html).toContain('name="password"');
    const short = await followLink(browser, mail, { password: 'short' });
    expect(short.res.status).toBe(422);
    expect(short.html).toContain('at least 10 characters');
    const confirmed = await followLink(browser, mail, { password: 'correct horse battery' });
    expect(confirmed.res.status).toBe(303);
    expect(confirmed.res.headers.get('Location')).toBe('/settings?done=welcome');
    const setCookie = confirmed.res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`) && !c.startsWith(`${SESSION_COOKIE}=;`))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);

    const settings = await browser.get('/settings');
    expect(settings.res.status).toBe(200);
    expect(settings.html).toContain('ada@example.org');
    expect(settings.html).toContain('Ada Lovelace');
    const user = await db.kysely.selectFrom('users').selectAll().where('username', '=', 'ada').executeTakeFirstOrThrow();
    expect(user.email).toBe('ada@example.org');
    expect(user.password_hash).toMatch(/^\$argon2id\$/);

    // The password chosen on the link's page works.
    const other = new CookieClient(app);
    await other.get('/signin');
    const signedIn = await other.post('/signin', { email: 'ada@example.org', password: 'correct horse battery' });
    expect(signedIn.res.status).toBe(303);
    expect((await other.get('/settings')).res.status).toBe(200);
  });

  it('reports a malformed or taken username on the form, with nothing sent', async () => {
    await signedInUser(db, { username: 'taken-name' });
    const browser = new CookieClient(app);
    const bad = await signUp(browser, { username: 'x', email: 'new1@example.org' });
    expect(bad.res.status).toBe(422);
    expect(bad.html).toContain('2 to 30 letters');
    expect(bad.html).toContain('aria-invalid="true"');
    const taken = await browser.post('/signup', { username: 'Taken-Name', email: 'new1@example.org' });
    expect(taken.res.status).toBe(409);
    expect(taken.html).toContain('is taken');
    const badMail = await browser.post('/signup', { username: 'newbie', email: 'not-an-address' });
    expect(badMail.res.status).toBe(422);
    expect(smtp.mails.some((m) => m.to.includes('new1@example.org'))).toBe(false);
  });
});

describe('no account enumeration', () => {
  it('answers a sign-up for a known address exactly as for a new one, and mails a sign-in link instead', async () => {
    const known = await signedInUser(db, { username: 'known1' });
    const browser = new CookieClient(app);
    const forKnown = await signUp(browser, { username: 'fresh-one', email: `${known.username}@example.org` });
    const forNew = await browser.post('/signup', { username: 'fresh-two', email: 'nobody-yet@example.org' });
    expect(forKnown.res.status).toBe(forNew.res.status);
    expect(forKnown.html.replace('known1@example.org', 'X')).toBe(forNew.html.replace('nobody-yet@example.org', 'X'));
    expect((await mailTo('known1@example.org', /Sign in to/)).text).toContain('/signin/link?token=');
    expect((await mailTo('nobody-yet@example.org', /Confirm your/)).text).toContain('@fresh-two');
  });

  it('never keeps a password typed by whoever filled the sign-up form: the owner of the address creates the account, the form-filler cannot sign in (pre-hijack)', async () => {
    const attacker = new CookieClient(app);
    await attacker.get('/signup');
    const asked = await attacker.post('/signup', { username: 'victim-six', email: 'victim-six@example.org', password: 'attacker password' });
    expect(asked.res.status).toBe(200);
    expect(asked.html).not.toContain('attacker password');
    const mail = await mailTo('victim-six@example.org', /Confirm your/);
    const pending = await db.kysely.selectFrom('email_tokens').select('payload').where('token_hash', '=', hashToken(linkOf(mail).token)).executeTakeFirstOrThrow();
    expect(pending.payload).not.toContain('password');

    // The victim clicks "Create my account" without choosing a password.
    const victim = new CookieClient(app);
    expect((await followLink(victim, mail)).res.status).toBe(303);
    const row = await db.kysely.selectFrom('users').select('password_hash').where('email', '=', 'victim-six@example.org').executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
    await attacker.get('/signin');
    expect((await attacker.post('/signin', { email: 'victim-six@example.org', password: 'attacker password' })).res.status).toBe(401);
  });

  it('ignores a password hash in a sign-up link minted before passwords moved to the link page', async () => {
    const token = 'x'.repeat(43);
    const now = new Date();
    const payload = JSON.stringify({ username: 'old-link', passwordHash: await hashPassword('planted password') });
    await db.kysely
      .insertInto('email_tokens')
      .values({ token_hash: hashToken(token), email: 'old-link@example.org', purpose: 'signup', payload, created_at: now.toISOString(), expires_at: new Date(now.getTime() + 600_000).toISOString(), used_at: null })
      .execute();
    const browser = new CookieClient(app);
    await browser.get(`/signin/link?token=${token}`);
    expect((await browser.post('/signin/link', { token })).res.status).toBe(303);
    const row = await db.kysely.selectFrom('users').select('password_hash').where('email', '=', 'old-link@example.org').executeTakeFirstOrThrow();
    expect(row.password_hash).toBeNull();
  });

  it('answers "e-mail me a link" alike for known and unknown addresses; only the known one gets mail', async () => {
    const known = await signedInUser(db, { username: 'known2' });
    const browser = new CookieClient(app);
    await browser.get('/signin');
    const a = await browser.post('/signin', { email: `${known.username}@example.org`, method: 'link' });
    const b = await browser.post('/signin', { email: 'ghost@example.org', method: 'link' });
    expect(a.res.status).toBe(200);
    expect(a.html.replace('known2@example.org', 'X')).toBe(b.html.replace('ghost@example.org', 'X'));
    await mailTo('known2@example.org', /Sign in to/);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails.some((m) => m.to.includes('ghost@example.org'))).toBe(false);
  });

  it('gives a wrong password and an unknown address the same answer', async () => {
    await signedInUser(db, { username: 'known3', password: 'the right password' });
    const browser = new CookieClient(app);
    await browser.get('/signin');
    const wrong = await browser.post('/signin', { email: 'known3@example.org', password: 'the wrong password' });
    const unknown = await browser.post('/signin', { email: 'nobody3@example.org', password: 'the wrong password' });
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    expect(wrong.html.replace('known3@example.org', 'X')).toBe(unknown.html.replace('nobody3@example.org', 'X'));
    expect(wrong.html).toContain('do not match an account');
  });
});

describe('sign-in', () => {
  it('by link: used once, and only for 30 minutes', async () => {
    const user = await signedInUser(db, { username: 'linker' });
    const browser = new CookieClient(app);
    await browser.get('/signin?next=/papers/2401.01234');
    await browser.post('/signin', { email: 'LINKER@example.org ', method: 'link', next: '/papers/2401.01234' });
    const mail = await mailTo('linker@example.org', /Sign in to/);
    const first = await followLink(browser, mail);
    expect(first.res.status).toBe(303);
    expect(first.res.headers.get('Location')).toBe('/papers/2401.01234');
    await browser.get('/papers');
    const again = await browser.post('/signin/link', { token: linkOf(mail).token });
    expect(again.res.status).toBe(410);
    expect(again.html).toContain('no longer works');
    expect((await browser.get(linkOf(mail).path)).res.status).toBe(410);

    // An expired link: its page and its button both refuse.
    const late = new CookieClient(app);
    await late.get('/signin');
    await late.post('/signin', { email: 'linker@example.org', method: 'link' });
    const second = await smtp.waitForMail((m) => m.to.includes('linker@example.org') && m !== mail);
    await db.kysely
      .updateTable('email_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('token_hash', '=', hashToken(linkOf(second).token))
      .execute();
    expect((await late.get(linkOf(second).path)).res.status).toBe(410);
    expect((await late.post('/signin/link', { token: linkOf(second).token })).res.status).toBe(410);
    expect(late.cookies.has(SESSION_COOKIE)).toBe(false);
    void user;
  });

  it('by password, returning only to a page of this site', async () => {
    await signedInUser(db, { username: 'pw-user', password: 'a long enough password' });
    const browser = new CookieClient(app);
    await browser.get('/signin');
    const home = await browser.post('/signin', { email: 'pw-user@example.org', password: 'a long enough password', next: '//evil.example/x' });
    expect(home.res.headers.get('Location')).toBe('/papers');
    await browser.get('/signin');
    const back = await browser.post('/signin', { email: 'pw-user@example.org', password: 'a long enough password', next: '/papers/trending' });
    expect(back.res.headers.get('Location')).toBe('/papers/trending');
    await browser.get('/signin');
    const empty = await browser.post('/signin', { email: 'pw-user@example.org', password: '' });
    expect(empty.res.status).toBe(422);
    expect(empty.html).toContain('enter your password');
  });

  it('rotates the session: the one the browser had before is revoked server-side', async () => {
    const before = await signedInUser(db, { username: 'rotator', password: 'rotate me please' });
    const browser = new CookieClient(app);
    browser.cookies.set(SESSION_COOKIE, before.cookie.split('=')[1]!);
    await browser.get('/signin');
    const res = await browser.post('/signin', { email: 'rotator@example.org', password: 'rotate me please' });
    expect(res.res.status).toBe(303);
    const now = browser.cookies.get(SESSION_COOKIE)!;
    expect(`${SESSION_COOKIE}=${now}`).not.toBe(before.cookie);
    expect(await db.kysely.selectFrom('sessions').select('token_hash').where('token_hash', '=', hashToken(before.cookie.split('=')[1]!)).executeTakeFirst()).toBeUndefined();
    expect((await app.request('/settings', { headers: { Cookie: before.cookie } })).status).toBe(303);
  });

  it('refuses banned users, by password and by link, and mails them no link', async () => {
    await signedInUser(db, { username: 'banned-one', password: 'banned password 1' });
    const browser = new CookieClient(app);
    await browser.get('/signin');
    await browser.post('/signin', { email: 'banned-one@example.org', method: 'link' });
    const mail = await mailTo('banned-one@example.org', /Sign in to/);
    await db.kysely.updateTable('users').set({ banned_at: new Date().toISOString() }).where('username', '=', 'banned-one').execute();

    const byPassword = await browser.post('/signin', { email: 'banned-one@example.org', password: 'banned password 1' });
    expect(byPassword.res.status).toBe(403);
    expect(byPassword.html).toContain('suspended');
    const byLink = await followLink(browser, mail);
    expect(byLink.res.status).toBe(403);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    const count = smtp.mails.length;
    await browser.post('/signin', { email: 'banned-one@example.org', method: 'link' });
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails.length).toBe(count);
  });
});

describe('sign-out', () => {
  it('signs this browser out, server-side', async () => {
    const user = await signedInUser(db);
    const res = await app.request('/signout', { method: 'POST', body: new URLSearchParams({ _csrf: user.csrf }), headers: { Cookie: user.cookie, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' } });
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().join()).toMatch(new RegExp(`${SESSION_COOKIE}=;`));
    // The old cookie, replayed, is worth nothing.
    expect((await app.request('/settings', { headers: { Cookie: user.cookie } })).status).toBe(303);
  });

  it('"sign out everywhere" ends every session of the user', async () => {
    await signedInUser(db, { username: 'everywhere', password: 'everywhere password' });
    const [laptop, phone] = [new CookieClient(app), new CookieClient(app, 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1')];
    for (const b of [laptop, phone]) {
      await b.get('/signin');
      expect((await b.post('/signin', { email: 'everywhere@example.org', password: 'everywhere password' })).res.status).toBe(303);
    }
    const settings = await laptop.get('/settings');
    expect(settings.html).toContain('Firefox on Linux');
    expect(settings.html).toContain('Safari on iOS');
    expect(settings.html).toContain('This browser');
    const res = await laptop.post('/settings/sessions/end-all', {});
    expect(res.res.status).toBe(303);
    expect((await phone.get('/settings')).res.status).toBe(303);
    expect((await laptop.get('/settings')).res.status).toBe(303);
    const userId = (await db.kysely.selectFrom('users').select('id').where('username', '=', 'everywhere').executeTakeFirstOrThrow()).id;
    expect(await db.kysely.selectFrom('sessions').select('token_hash').where('user_id', '=', userId).execute()).toEqual([]);
  });
});

describe('forms refuse cross-site and tokenless posts', () => {
  it('403 for a foreign Origin or a missing _csrf', async () => {
    await signedInUser(db, { username: 'csrf-victim', password: 'csrf victim password' });
    const browser = new CookieClient(app);
    await browser.get('/signin');
    const fields = { email: 'csrf-victim@example.org', password: 'csrf victim password' };
    expect((await browser.post('/signin', fields, { Origin: 'https://evil.example' })).res.status).toBe(403);
    expect((await browser.post('/signin', { ...fields, _csrf: '' })).res.status).toBe(403);
    expect((await browser.post('/signup', { username: 'csrfnew', email: 'csrfnew@example.org' }, { Origin: 'https://evil.example' })).res.status).toBe(403);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });
});

describe('rate limits', () => {
  it('limits guesses and mails per address too, however many IPs they come from', async () => {
    const limitedDb = await freshDb();
    const limitedApp = createApp({ db: limitedDb, config: testConfig({ SMTP_URL: smtp.url, TRUST_PROXY: 'true' }), mailer });
    try {
      await signedInUser(limitedDb, { username: 'target1', password: 'the right password' });
      const browser = new CookieClient(limitedApp);
      await browser.get('/signin');
      const from = (n: number) => ({ 'X-Forwarded-For': `203.0.113.${n}` });
      // Ten guesses from ten addresses: each address is under its own limit, the account is not.
      for (let i = 0; i < 10; i++) expect((await browser.post('/signin', { email: 'target1@example.org', password: `guess ${i}` }, from(i))).res.status).toBe(401);
      const eleventh = await browser.post('/signin', { email: 'TARGET1@example.org', password: 'the right password' }, from(99));
      expect(eleventh.res.status).toBe(429);
      expect(Number(eleventh.res.headers.get('Retry-After'))).toBeGreaterThan(0);
      // Another address is not affected.
      expect((await browser.post('/signin', { email: 'other@example.org', password: 'a guess' }, from(99))).res.status).toBe(401);

      // Mails to one inbox: sign-in links and sign-ups share a per-address limit of 5 an hour.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await browser.post('/signin', { email: 'inbox@example.org', method: 'link' }, from(10 + i))).res.status);
      for (let i = 0; i < 3; i++) statuses.push((await browser.post('/signup', { username: `bomb${i}`, email: 'Inbox@example.org' }, from(20 + i))).res.status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      expect((await browser.post('/signin', { email: 'inbox@example.org', method: 'link' }, from(30))).res.status).toBe(429);
    } finally {
      await limitedDb.close();
    }
  });

  it('answers 429 with Retry-After once sign-in attempts pass the limit', async () => {
    const limitedDb = await freshDb();
    const limitedApp = createApp({ db: limitedDb, config: testConfig({ SMTP_URL: smtp.url }), mailer });
    try {
      const browser = new CookieClient(limitedApp);
      await browser.get('/signin');
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 11; i++) {
        last = (await browser.post('/signin', { email: 'someone@example.org', password: `guess number ${i}` })).res;
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
      expect(last!.status).toBe(429);
      expect(Number(last!.headers.get('Retry-After'))).toBeGreaterThan(0);

      const signup = new CookieClient(limitedApp);
      await signup.get('/signup');
      let status = 0;
      for (let i = 0; i < 6; i++) status = (await signup.post('/signup', { username: `rl${i}`, email: `rl${i}@example.org` })).res.status;
      expect(status).toBe(429);
    } finally {
      await limitedDb.close();
    }
  });
});
