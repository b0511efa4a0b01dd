import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { createApp } from '../app.ts';
import type { Db } from '../db/database.ts';
import { createMailer, type Mailer } from '../mail/mailer.ts';
import { freshDb, testConfig } from '../../test/helpers.ts';
import { signedInUser } from '../../test/community.ts';
import { CookieClient, LOOPBACK } from '../../test/cookie-client.ts';
import { linksIn, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../test/smtp.ts';
import { signToken, verifyToken } from './tokens.ts';
import { resolveKeys, type KeyedConfig } from '../db/secrets.ts';
import { preferencesUrl, unsubscribeHeaders, unsubscribeUrl } from './links.ts';
import { confirm, subscribe, subscriptionByEmail, subscriptionFor, topicsOf, unsubscribe } from './subscriptions.ts';

let smtp: TestSmtpServer;
let db: Db;
let config: KeyedConfig;
let app: Hono<AppEnv>;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startSmtpServer();
  db = await freshDb();
  // Limits scaled up: these tests subscribe many addresses from one client; the limits have their own test.
  const settings = testConfig({ SMTP_URL: smtp.url, RATE_LIMIT_SCALE: '100' });
  // The keys the app resolves on its first request: this database's development secret.
  config = { ...settings, keys: await resolveKeys(db, settings) };
  mailer = createMailer(config);
  app = createApp({ db, config, mailer });
});
afterAll(async () => {
  mailer.close();
  await smtp.close();
  await db.close();
});

const mailTo = (address: string, subject: RegExp, after = 0) => smtp.waitForMail((m) => m.to.includes(address) && subject.test(m.subject) && smtp.mails.indexOf(m) >= after);
/** The path and query of the link to `path` in a mail's text part (the host is the request's, not BASE_URL's: see siteOrigin). */
const linkIn = (mail: ReceivedMail, path: string) => {
  const found = linksIn(mail.text).find((l) => new URL(l).pathname === path);
  expect(found, `a ${path} link in:\n${mail.text}`).toBeDefined();
  const url = new URL(found!);
  expect(mail.html).toContain(`${path}?token=${url.searchParams.get('token')}`);
  return url.pathname + url.search;
};
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const statusOf = async (email: string) => (await subscriptionByEmail(db.kysely, email))?.status;

async function subscribeAs(client: CookieClient, fields: Record<string, string>) {
  await client.get('/subscribe');
  return client.post('/subscribe', fields);
}

/** A mail provider's one-click POST (RFC 8058): no cookies, no Origin, no CSRF token. */
const oneClick = (path: string) =>
  app.request(path, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'GoogleImageProxy' } }, LOOPBACK);

/** An active subscription made the way a reader makes one, without the HTTP round trips. */
async function activeSubscription(email: string): Promise<number> {
  const { id } = await subscribe(db.kysely, { email, frequency: 'daily' });
  expect(await confirm(db.kysely, id)).toBe('active');
  return id;
}

describe('subscribing with double opt-in', () => {
  it('mails a signed link; the GET shows a button and confirms nothing; the POST confirms and shows the preferences', async () => {
    const browser = new CookieClient(app);
    const { res, html } = await subscribeAs(browser, { email: '  Grace@Example.ORG ', frequency: 'weekly' });
    expect(res.status).toBe(200);
    expect(html).toContain('Check your inbox');
    expect(html).toContain('grace@example.org');
    const row = await subscriptionByEmail(db.kysely, 'grace@example.org');
    expect(row).toMatchObject({ status: 'pending', frequency: 'weekly', confirmed_at: null });

    const mail = await mailTo('grace@example.org', /Confirm your/);
    expect(mail.parsed.text).toBeTruthy();
    expect(mail.html).toContain('Confirm my subscription');
    const confirmPath = linkIn(mail, '/subscribe/confirm');

    // A mail scanner prefetching the link, without cookies: a page with a button, nothing confirmed.
    const scanner = await new CookieClient(app).get(confirmPath);
    expect(scanner.res.status).toBe(200);
    expect(scanner.html).toContain('Confirm my subscription');
    expect(scanner.html).toContain('grace@example.org');
    expect(await statusOf('grace@example.org')).toBe('pending');

    const page = await browser.get(confirmPath);
    expect(page.res.status).toBe(200);
    const confirmed = await browser.post(confirmPath, {});
    expect(confirmed.res.status).toBe(303);
    const prefsPath = confirmed.res.headers.get('Location')!;
    expect(prefsPath).toMatch(/^\/subscription\?token=[\w-]+\.[\w-]+&done=confirmed$/);
    const after = await subscriptionByEmail(db.kysely, 'grace@example.org');
    expect(after?.status).toBe('active');
    expect(after?.confirmed_at).not.toBeNull();

    const prefs = await browser.get(prefsPath);
    expect(prefs.res.status).toBe(200);
    expect(prefs.html).toContain('You are subscribed');
    expect(prefs.html).toContain('Save preferences');

    // Pressing the button twice (or a second tab) is harmless.
    expect((await browser.post(confirmPath, {})).res.status).toBe(303);
  });

  it('answers an active address exactly as an unknown one, and changes nothing about it', async () => {
    await activeSubscription('known@example.org');
    const before = await subscriptionByEmail(db.kysely, 'known@example.org');
    const known = await subscribeAs(new CookieClient(app), { email: 'known@example.org', frequency: 'weekly' });
    const unknown = await subscribeAs(new CookieClient(app), { email: 'nobody@example.org', frequency: 'weekly' });
    expect(known.res.status).toBe(unknown.res.status);
    const scrub = (html: string) => html.replaceAll(/known@example\.org|nobody@example\.org/g, 'ADDRESS').replace(/name="_csrf" value="[^"]*"/g, '');
    expect(scrub(known.html)).toBe(scrub(unknown.html));
    expect(await subscriptionByEmail(db.kysely, 'known@example.org')).toEqual(before);
    // The owner of the active address learns what happened, with a way to manage it.
    const mail = await mailTo('known@example.org', /already get/);
    linkIn(mail, '/subscription');
    linkIn(mail, '/unsubscribe');
    expect(smtp.mails.some((m) => m.to.includes('known@example.org') && /Confirm/.test(m.subject))).toBe(false);
  });

  it('sends an unsubscribed address back to pending, with a new confirmation', async () => {
    const id = await activeSubscription('returner@example.org');
    await unsubscribe(db.kysely, id);
    const mark = smtp.mails.length;
    const { res } = await subscribeAs(new CookieClient(app), { email: 'returner@example.org', frequency: 'daily' });
    expect(res.status).toBe(200);
    expect(await subscriptionByEmail(db.kysely, 'returner@example.org')).toMatchObject({ id, status: 'pending', unsubscribed_at: null });
    linkIn(await mailTo('returner@example.org', /Confirm your/, mark), '/subscribe/confirm');
  });

  it('refuses a bad address or frequency with a 400 that says why, and stores nothing', async () => {
    for (const [fields, message] of [
      [{ email: 'not-an-address', frequency: 'daily' }, 'enter an e-mail address like ada@example.org'],
      [{ email: '', frequency: 'daily' }, 'enter an e-mail address'],
      [{ email: `${'a'.repeat(250)}@example.org`, frequency: 'daily' }, 'that address is too long'],
      [{ email: 'ok@example.org', frequency: 'hourly' }, 'choose daily or weekly'],
    ] as const) {
      const { res, html } = await subscribeAs(new CookieClient(app), fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(html).toContain(message);
    }
    expect(await subscriptionByEmail(db.kysely, 'ok@example.org')).toBeUndefined();
  });

  it('refuses a subscribe POST without the CSRF token', async () => {
    const client = new CookieClient(app);
    await client.get('/subscribe');
    const res = await app.request('/subscribe', { method: 'POST', body: new URLSearchParams({ email: 'csrf@example.org', frequency: 'daily' }), headers: { Cookie: client.cookieHeader, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' } }, LOOPBACK);
    expect(res.status).toBe(403);
    // Nor does the one-click body open any other route.
    const sneaky = await app.request('/subscribe', { method: 'POST', body: 'List-Unsubscribe=One-Click&email=csrf@example.org', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, LOOPBACK);
    expect(sneaky.status).toBe(403);
    expect(await subscriptionByEmail(db.kysely, 'csrf@example.org')).toBeUndefined();
  });

  it('lets a cached page post through the token endpoint its script uses', async () => {
    const client = new CookieClient(app);
    const token = await app.request('/subscribe/token', { headers: { Accept: 'application/json' } }, LOOPBACK);
    expect(token.headers.get('Cache-Control')).toBe('private, no-store');
    const cookie = token.headers.getSetCookie().find((c) => c.startsWith('dp_csrf='))!;
    const { csrf } = (await token.json()) as { csrf: string };
    client.cookies.set('dp_csrf', cookie.split(';')[0]!.slice('dp_csrf='.length));
    client.csrf = csrf;
    const { res } = await client.post('/subscribe', { email: 'scripted@example.org', frequency: 'daily' });
    expect(res.status).toBe(200);
    expect(await statusOf('scripted@example.org')).toBe('pending');
  });
});

describe('signed links', () => {
  it('refuses tampered, expired, other-purpose and malformed tokens with a clear 400 page', async () => {
    const id = await activeSubscription('tokens@example.org');
    const key = config.keys.mailLinks;
    const good = signToken(key, 'preferences', id);
    const [payload, mac] = good.split('.');
    const otherId = Buffer.from(JSON.stringify({ p: 'preferences', s: id + 1, t: Math.floor(Date.now() / 1000) })).toString('base64url');
    const bad = {
      'altered payload': `${otherId}.${mac}`,
      'altered signature': `${payload}.${mac!.slice(0, -2)}${mac!.endsWith('AA') ? 'BB' : 'AA'}`,
      'another purpose': signToken(key, 'unsubscribe', id),
      'another key': signToken('not-the-key', 'preferences', id),
      garbage: 'x',
      empty: '',
    };
    for (const [what, token] of Object.entries(bad)) {
      for (const path of ['/subscription', '/subscribe/confirm', '/unsubscribe']) {
        const { res, html } = await new CookieClient(app).get(`${path}?token=${encodeURIComponent(token)}`);
        // The unsubscribe token is genuine for /unsubscribe, so that one pair is not a refusal.
        if (what === 'another purpose' && path === '/unsubscribe') continue;
        expect(res.status, `${what} at ${path}`).toBe(400);
        expect(html).toContain('This link does not work');
      }
    }
    const expired = signToken(key, 'confirm', id, new Date(Date.now() - 8 * 86_400_000));
    const page = await new CookieClient(app).get(`/subscribe/confirm?token=${expired}`);
    expect(page.res.status).toBe(400);
    expect(page.html).toContain('Confirmation links work for 7 days');
    const posted = await oneClick(`/unsubscribe?token=${encodeURIComponent(bad['altered payload'])}`);
    expect(posted.status).toBe(400);
    expect(await statusOf('tokens@example.org')).toBe('active');
  });

  it('does not let an old confirmation link undo a later unsubscribe', async () => {
    const { id } = await subscribe(db.kysely, { email: 'undo@example.org', frequency: 'daily' });
    const confirmPath = `/subscribe/confirm?token=${signToken(config.keys.mailLinks, 'confirm', id)}`;
    await unsubscribe(db.kysely, id);
    const browser = new CookieClient(app);
    await browser.get(confirmPath);
    const { res, html } = await browser.post(confirmPath, {});
    expect(res.status).toBe(409);
    expect(html).toContain('was ended');
    expect(await statusOf('undo@example.org')).toBe('unsubscribed');
  });
});

describe('preferences through the signed link', () => {
  it('saves frequency, topics and the number of papers', async () => {
    const id = await activeSubscription('prefs@example.org');
    const browser = new CookieClient(app);
    const path = pathOf(preferencesUrl(config, id));
    expect((await browser.get(path)).res.status).toBe(200);
    const { res } = await browser.post(path, {
      action: 'save',
      frequency: 'weekly',
      max_papers: '25',
      categories: 'cs.LG, astro-ph.GA',
      queries: 'diffusion\r\n"state space model" cat:cs.CL\r\n\r\n',
      organizations: 'internlm',
      authors: 'Yann LeCun\nFei-Fei Li',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toContain('done=saved');
    const row = (await subscriptionByEmail(db.kysely, 'prefs@example.org'))!;
    expect(row).toMatchObject({ frequency: 'weekly', max_papers: 25, status: 'active' });
    expect(topicsOf(row)).toEqual({
      categories: ['cs.LG', 'astro-ph.GA'],
      queries: ['diffusion', '"state space model" cat:cs.CL'],
      organizations: ['internlm'],
      authors: ['Yann LeCun', 'Fei-Fei Li'],
    });
    const shown = await browser.get(`${path}&done=saved`);
    expect(shown.html).toContain('Preferences saved.');
    expect(shown.html).toContain('cs.LG astro-ph.GA');
  });

  it('answers invalid topics and numbers with a 400 naming each problem, never a 500, and changes nothing', async () => {
    const id = await activeSubscription('badprefs@example.org');
    const browser = new CookieClient(app);
    const path = pathOf(preferencesUrl(config, id));
    await browser.get(path);
    const cases: [Record<string, string>, string][] = [
      [{ max_papers: '0' }, 'at least 1 paper'],
      [{ max_papers: '51' }, 'at most 50 papers'],
      [{ max_papers: 'many' }, 'the number of papers must be a number'],
      [{ max_papers: '2.5' }, 'whole number'],
      [{ frequency: 'hourly' }, 'choose daily or weekly'],
      [{ categories: 'cs.LG not_a/category' }, 'wants an arXiv category such as cs.LG'],
      [{ queries: 'diffusion\nhas:foo' }, '“has:foo”: has:foo is not a filter; has:code is'],
      [{ queries: '-cat:cs.LG transformers' }, 'cannot be excluded'],
      [{ organizations: 'bad/org' }, 'wants an organization'],
      [{ authors: 'X' }, 'an author name has at least 2 characters'],
      [{ categories: Array.from({ length: 21 }, (_, i) => `cs.A${String.fromCharCode(65 + i)}`).join(' ') }, 'at most 20 categories'],
    ];
    for (const [fields, message] of cases) {
      const { res, html } = await browser.post(path, { frequency: 'daily', max_papers: '10', ...fields });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(html).toContain(message);
    }
    const row = (await subscriptionByEmail(db.kysely, 'badprefs@example.org'))!;
    expect(row.max_papers).toBe(10);
    expect(topicsOf(row).categories).toEqual([]);
  });

  it('escapes what subscribers type, in the form and in error messages', async () => {
    const id = await activeSubscription('xss@example.org');
    const browser = new CookieClient(app);
    const path = pathOf(preferencesUrl(config, id));
    await browser.get(path);
    const hostile = '<script>alert(1)</script>';
    const saved = await browser.post(path, { frequency: 'daily', max_papers: '10', authors: `${hostile}\n"><img src=x onerror=alert(2)>` });
    expect(saved.res.status).toBe(303);
    const page = await browser.get(path);
    expect(page.html).not.toContain(hostile);
    expect(page.html).not.toContain('<img src=x');
    expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const refused = await browser.post(path, { frequency: 'daily', max_papers: '10', queries: 'has:<script>alert(3)</script>' });
    expect(refused.res.status).toBe(400);
    expect(refused.html).not.toContain('<script>alert(3)');
    expect(refused.html).toContain('&lt;script&gt;alert(3)');
  });

  it('refuses a preferences POST without the CSRF token, even with a valid link', async () => {
    const id = await activeSubscription('prefs-csrf@example.org');
    const res = await app.request(pathOf(preferencesUrl(config, id)), { method: 'POST', body: 'frequency=weekly&max_papers=5', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' } }, LOOPBACK);
    expect(res.status).toBe(403);
    expect((await subscriptionByEmail(db.kysely, 'prefs-csrf@example.org'))?.frequency).toBe('daily');
  });
});

describe('leaving', () => {
  it('builds RFC 8058 headers whose https URL one-click unsubscribes, without cookies or Origin, idempotently', async () => {
    const id = await activeSubscription('leaver@example.org');
    const body = await db.kysely
      .insertInto('digest_bodies')
      .values({ period: 'daily:2026-11-25', content_hash: 'x', subject: 's', html: 'h', text: 't', paper_ids: '[]', created_at: new Date().toISOString() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto('digest_outbox')
      .values({ subscription_id: id, period: 'daily:2026-11-25', status: 'queued', message_id: '<x@example.org>', body_id: body.id, next_attempt_at: new Date().toISOString(), created_at: new Date().toISOString() })
      .execute();
    // The public origin a deployment sets; the app under test answers on http://localhost, as paths are what it reads.
    const headers = unsubscribeHeaders({ ...config, BASE_URL: 'https://papers.example.org' }, id);
    expect(headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const match = /^<(https:\/\/papers\.example\.org\/unsubscribe\?token=[\w.-]+)>, <mailto:no-reply@localhost\?subject=unsubscribe>$/.exec(headers['List-Unsubscribe']);
    expect(match, headers['List-Unsubscribe']).not.toBeNull();
    expect(verifyToken(config.keys.mailLinks, 'unsubscribe', new URL(match![1]!).searchParams.get('token')!)).toBe(id);

    // The GET (what a scanner fetches) shows a button and changes nothing.
    const page = await new CookieClient(app).get(pathOf(match![1]!));
    expect(page.html).toContain('Unsubscribe');
    expect(await statusOf('leaver@example.org')).toBe('active');

    const first = await oneClick(pathOf(match![1]!));
    expect(first.status).toBe(200);
    const row = (await subscriptionByEmail(db.kysely, 'leaver@example.org'))!;
    expect(row.status).toBe('unsubscribed');
    expect(row.unsubscribed_at).not.toBeNull();
    const outbox = await db.kysely.selectFrom('digest_outbox').select('status').where('subscription_id', '=', id).executeTakeFirstOrThrow();
    expect(outbox.status).toBe('skipped');

    const second = await oneClick(pathOf(match![1]!));
    expect(second.status).toBe(200);
    expect((await subscriptionByEmail(db.kysely, 'leaver@example.org'))?.unsubscribed_at).toBe(row.unsubscribed_at);
  });

  it('takes the mailto from MAIL_UNSUBSCRIBE_ADDRESS, else from MAIL_FROM', () => {
    const own = testConfig({ MAIL_FROM: 'Papers <digest@papers.example.org>', BASE_URL: 'https://papers.example.org' });
    expect(unsubscribeHeaders({ ...own, keys: config.keys }, 7)['List-Unsubscribe']).toContain('<mailto:digest@papers.example.org?subject=unsubscribe>');
    const set = testConfig({ MAIL_UNSUBSCRIBE_ADDRESS: 'leave@papers.example.org' });
    expect(unsubscribeHeaders({ ...set, keys: config.keys }, 7)['List-Unsubscribe']).toContain('<mailto:leave@papers.example.org?subject=unsubscribe>');
  });

  it("keeps CSRF on the page's own unsubscribe form when it lacks the one-click body", async () => {
    const id = await activeSubscription('formleaver@example.org');
    const res = await app.request(pathOf(unsubscribeUrl(config, id)), { method: 'POST', body: 'confirm=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, LOOPBACK);
    expect(res.status).toBe(403);
    expect(await statusOf('formleaver@example.org')).toBe('active');
    // The button on the page works (it sends the one-click body and its CSRF token).
    const browser = new CookieClient(app);
    const page = await browser.get(pathOf(unsubscribeUrl(config, id)));
    const action = /<form method="post" action="([^"]+)"/.exec(page.html)![1]!.replaceAll('&amp;', '&');
    const left = await browser.post(action, { 'List-Unsubscribe': 'One-Click' });
    expect(left.res.status).toBe(200);
    expect(left.html).toContain('You are unsubscribed');
    expect(await statusOf('formleaver@example.org')).toBe('unsubscribed');

    // And the preferences link brings the subscriber back without another confirmation.
    const prefs = pathOf(preferencesUrl(config, id));
    await browser.get(prefs);
    const back = await browser.post(prefs, { action: 'resubscribe' });
    expect(back.res.status).toBe(303);
    expect(await statusOf('formleaver@example.org')).toBe('active');
  });
});

describe('rate limits', () => {
  it('answers 429 past the limit per client and per address', async () => {
    const limited = createApp({ db, config: testConfig({ SMTP_URL: smtp.url, TRUST_PROXY: 'true' }), mailer });
    const from = (ip: string) => {
      const client = new CookieClient(limited);
      return { client, headers: { 'X-Forwarded-For': ip } };
    };
    const one = from('203.0.113.7');
    await one.client.get('/subscribe', one.headers);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await one.client.post('/subscribe', { email: `many${i}@example.org`, frequency: 'daily' }, one.headers)).res.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);

    // One address from many clients adds up as well.
    const perAddress: Response[] = [];
    for (let i = 0; i < 6; i++) {
      const other = from(`198.51.100.${i + 1}`);
      await other.client.get('/subscribe', other.headers);
      perAddress.push((await other.client.post('/subscribe', { email: 'target@example.org', frequency: 'daily' }, other.headers)).res);
    }
    expect(perAddress.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(perAddress[5]!.headers.get('Retry-After'))).toBeGreaterThan(0);
  });
});

describe('the account setting and the call to action', () => {
  it('subscribes a signed-in account at once, saves its preferences, and leaves', async () => {
    const user = await signedInUser(db, { username: 'digester' });
    const headers = { Cookie: user.cookie };
    const settings = await app.request('/settings', { headers }, LOOPBACK);
    const html = await settings.text();
    expect(html).toContain('id="s-digest"');
    expect(html).toContain('starts at once');

    const mark = smtp.mails.length;
    const post = (path: string, fields: Record<string, string>) =>
      app.request(path, { method: 'POST', body: new URLSearchParams({ _csrf: user.csrf, ...fields }), headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://localhost' } }, LOOPBACK);
    const bad = await post('/settings/digest', { frequency: 'daily', max_papers: '99' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('at most 50 papers');
    const saved = await post('/settings/digest', { frequency: 'weekly', max_papers: '12', categories: 'cs.CL' });
    expect(saved.status).toBe(303);
    const row = (await subscriptionByEmail(db.kysely, 'digester@example.org'))!;
    expect(row).toMatchObject({ status: 'active', user_id: user.id, frequency: 'weekly', max_papers: 12 });
    expect(topicsOf(row).categories).toEqual(['cs.CL']);
    expect(smtp.mails.slice(mark).some((m) => m.to.includes('digester@example.org'))).toBe(false);

    // The call to action with the account's own address needs no mail either, and keeps the topics.
    const cta = await post('/subscribe', { email: 'Digester@example.org', frequency: 'daily' });
    expect(cta.status).toBe(303);
    expect(cta.headers.get('Location')).toBe('/settings?done=digest#digest');
    expect(topicsOf((await subscriptionByEmail(db.kysely, 'digester@example.org'))!).categories).toEqual(['cs.CL']);

    expect((await post('/settings/digest/unsubscribe', {})).status).toBe(303);
    expect(await statusOf('digester@example.org')).toBe('unsubscribed');
  });

  it('is on every page: a GET form for cached anonymous pages, a POST with the token for signed-in readers', async () => {
    const anonymous = await (await app.request('/papers', {}, LOOPBACK)).text();
    const form = /<form class="subscribe-cta footer" method="get" action="\/subscribe"[^>]*>[\s\S]*?<\/form>/.exec(anonymous);
    expect(form, 'the footer call to action').not.toBeNull();
    expect(form![0]).toContain('Get trending papers in your inbox');
    expect(anonymous).not.toContain('name="_csrf"');
    const prefilled = await new CookieClient(app).get('/subscribe?email=someone%40example.org&frequency=weekly');
    expect(prefilled.html).toContain('value="someone@example.org"');
    expect(prefilled.html).toMatch(/value="weekly" checked/);

    const user = await signedInUser(db);
    const signedIn = await (await app.request('/papers', { headers: { Cookie: user.cookie } }, LOOPBACK)).text();
    expect(signedIn).toMatch(/<form class="subscribe-cta footer" method="post" action="\/subscribe"/);
    expect(signedIn).toContain(`value="${user.csrf}"`);
  });
});

describe('subscription queries', () => {
  it('meets two requests for one new address at the unique index: one row, no error', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => subscribe(db.kysely, { email: 'race@example.org', frequency: 'daily' })));
    expect(new Set(outcomes.map((o) => o.id)).size).toBe(1);
    const rows = await db.kysely.selectFrom('subscriptions').select('id').where('email', '=', 'race@example.org').execute();
    expect(rows).toHaveLength(1);
  });

  it('finds an account’s subscription made at its address before it signed up', async () => {
    const { id } = await subscribe(db.kysely, { email: 'early@example.org', frequency: 'weekly' });
    const user = await signedInUser(db, { username: 'early' });
    expect((await subscriptionFor(db.kysely, user.id))?.id).toBe(id);
    expect(await subscriptionFor(db.kysely, (await signedInUser(db)).id)).toBeUndefined();
  });

  it('confirms idempotently and unsubscribes idempotently', async () => {
    const { id } = await subscribe(db.kysely, { email: 'twice@example.org', frequency: 'daily' });
    expect(await confirm(db.kysely, id)).toBe('active');
    expect(await confirm(db.kysely, id)).toBe('active');
    expect(await unsubscribe(db.kysely, id, new Date('2026-11-01T00:00:00Z'))).toBe(true);
    expect(await unsubscribe(db.kysely, id, new Date('2026-11-02T00:00:00Z'))).toBe(true);
    expect((await subscriptionByEmail(db.kysely, 'twice@example.org'))?.unsubscribed_at).toBe('2026-11-01T00:00:00.000Z');
    expect(await confirm(db.kysely, id)).toBe('ended');
    expect(await confirm(db.kysely, 999_999)).toBeNull();
    expect(await unsubscribe(db.kysely, 999_999)).toBe(false);
  });
});
