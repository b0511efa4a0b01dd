import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import zlib from 'node:zlib';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { createApp } from '../app.ts';
import type { Db } from '../db/database.ts';
import { testApp, testConfig } from '../../test/helpers.ts';
import { formHeaders, signedInUser, type TestUser } from '../../test/community.ts';
import { importHfItems } from '../ingest/hf-import.ts';
import { postComment } from '../comments/comments.ts';
import { castVote } from '../votes/votes.ts';
import { hidePaper, savePaper } from '../library/collections.ts';
import { cachedResponses } from '../core/metrics.ts';
import { saveProfile } from '../accounts/settings.ts';

const DAY = '2026-11-18';
const IDS = ['2611.00101', '2611.00102', '2611.00103'];
const record = (id: string) => ({
  paper: { id, title: `Paper ${id}`, summary: 'An abstract.', publishedAt: '2026-11-17T00:00:00.000Z', upvotes: 1, authors: [{ _id: `a-${id}`, name: 'Ada Lovelace', hidden: false }] },
  publishedAt: `${DAY}T09:00:00.000Z`,
  title: `Paper ${id}`,
  numComments: 0,
});

/** Which papers a page shows as upvoted by its reader (the form offers to withdraw). */
const votedOn = (html: string) => IDS.filter((id) => new RegExp(`action="/papers/${id.replace('.', '\\.')}/upvote"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="down"`).test(html));
/** Which papers a page shows as saved by its reader (the form offers to remove). */
const savedOn = (html: string) => IDS.filter((id) => new RegExp(`action="/papers/${id.replace('.', '\\.')}/save"[^>]*>\\s*<input[^>]*>\\s*<input type="hidden" name="action" value="unsave"`).test(html));
/** Which papers have a card (an upvote form) on a page. */
const cardsOn = (html: string) => IDS.filter((id) => html.includes(`action="/papers/${id}/upvote"`));
const csrfValues = (html: string) => [...new Set([...html.matchAll(/name="_csrf" value="([^"]*)"/g)].map((m) => m[1]))];

describe('page cache: shared pages, personal state', () => {
  let db: Db;
  let app: Hono<AppEnv>;
  let ada: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    ({ db, app } = await testApp({ RATE_LIMIT_SCALE: '0' }));
    await importHfItems(db, IDS.map(record), DAY, 'test');
    ada = await signedInUser(db);
    bob = await signedInUser(db);
    await castVote(db, ada.id, IDS[0]!, 'up');
    await castVote(db, bob.id, IDS[1]!, 'up');
    await savePaper(db.kysely, ada.id, IDS[2]!);
    await hidePaper(db.kysely, bob.id, IDS[0]!, 'not-interested');
    await postComment(db.kysely, { id: ada.id, username: ada.username, fullname: ada.username, email: null, role: 'user', avatarUrl: null }, IDS[0]!, 'Ada was here', null);
  });
  afterAll(() => db.close());

  const view = async (path: string, user: TestUser | null) => {
    const res = await app.request(path, { headers: user ? { Cookie: user.cookie } : {} });
    expect(res.status).toBe(200);
    return { res, html: await res.text() };
  };

  it('gives each of two readers and an anonymous one, interleaved on the same pages, only their own votes, name and token', async () => {
    for (let round = 0; round < 3; round++) {
      for (const path of [`/papers/date/${DAY}`, `/papers/${IDS[0]}`]) {
        for (const [who, user] of [['ada', ada], ['anonymous', null], ['bob', bob]] as const) {
          const { html } = await view(path, user);
          expect(html).not.toContain('\u0001');
          if (!user) {
            expect(html).not.toContain('_csrf');
            expect(html).not.toContain('value="unsave"');
            expect(html).not.toContain('class="menu-name">user');
            expect(html).toContain('Sign in');
            continue;
          }
          const other = user === ada ? bob : ada;
          expect(csrfValues(html), `${who} on ${path}`).toEqual([user.csrf]);
          // The header names the reader.
          expect(html).toContain(`<span class="menu-name">${user.username}</span>`);
          expect(html).toContain(`href="/users/${user.username}">Your profile<`);
          expect(html).not.toContain(`<span class="menu-name">${other.username}</span>`);
          expect(html).not.toContain(`href="/users/${other.username}">Your profile<`);
          const expected = path.startsWith('/papers/date') ? [user === ada ? IDS[0] : IDS[1]] : user === ada ? [IDS[0]] : [];
          expect(votedOn(html), `${who} on ${path}`).toEqual(expected);
          // Saved papers are the reader's own; so are hidden ones, whose cards leave their lists.
          expect(savedOn(html), `${who} saved on ${path}`).toEqual(path.startsWith('/papers/date') && user === ada ? [IDS[2]] : []);
          if (path.startsWith('/papers/date')) expect(cardsOn(html), `${who} cards on ${path}`).toEqual(user === bob ? [IDS[1], IDS[2]] : IDS);
          else expect(html.includes('value="unhide"'), `${who} hide state on ${path}`).toBe(user === bob);
          if (path === `/papers/${IDS[0]}`) {
            // Only the comment's author may edit it.
            expect(html.includes('/edit"'), `${who} edit control`).toBe(user === ada);
          }
        }
      }
    }
  });

  it('answers a signed-in reader 304 for their own copy, and never for another reader’s', async () => {
    const first = await app.request(`/papers/date/${DAY}`, { headers: { Cookie: ada.cookie } });
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toContain('private');
    expect((await app.request(`/papers/date/${DAY}`, { headers: { Cookie: ada.cookie, 'If-None-Match': etag } })).status).toBe(304);
    expect((await app.request(`/papers/date/${DAY}`, { headers: { Cookie: bob.cookie, 'If-None-Match': etag } })).status).toBe(200);
    expect((await app.request(`/papers/date/${DAY}`, { headers: { 'If-None-Match': etag } })).status).toBe(200);
  });

  it('votes without JavaScript, and shows the vote on the voter’s next view at once', async () => {
    const path = `/papers/date/${DAY}`;
    expect(votedOn((await view(path, bob)).html)).toEqual([IDS[1]]);
    const res = await app.request(`/papers/${IDS[2]}/upvote`, { method: 'POST', headers: { ...formHeaders(bob), Referer: `http://localhost${path}` }, body: `_csrf=${bob.csrf}&action=up` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(path);
    expect(votedOn((await view(path, bob)).html)).toEqual([IDS[1], IDS[2]]);
    expect(votedOn((await view(path, ada)).html)).toEqual([IDS[0]]);
    // The count everyone sees moved too.
    expect((await view(path, null)).html).toMatch(new RegExp(`/papers/${IDS[2]!.replace('.', '\\.')}"[^]*?upvote-count">2<`));
  });

  it('sends anonymous pages gzip or brotli as asked, decoding to the same bytes', async () => {
    const path = `/papers/${IDS[1]}`;
    const plain = await (await app.request(path)).text();
    // Compression happens once, off the event loop, after the page is first stored.
    await expect.poll(async () => (await app.request(path, { headers: { 'Accept-Encoding': 'gzip' } })).headers.get('content-encoding')).toBe('gzip');
    const gz = await app.request(path, { headers: { 'Accept-Encoding': 'gzip, deflate' } });
    expect(gz.headers.get('vary')).toContain('Accept-Encoding');
    expect(zlib.gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(plain);
    const br = await app.request(path, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(zlib.brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString()).toBe(plain);
    expect(br.headers.get('content-security-policy')).toContain("script-src 'self'");
    const identity = await app.request(path);
    expect(identity.headers.get('content-encoding')).toBeNull();
    expect(await identity.text()).toBe(plain);
  });

  it('sends signed-in pages brotli or gzip as asked, each reader’s own, decoding to the same bytes as uncompressed', async () => {
    const path = `/papers/date/${DAY}`;
    for (const user of [ada, bob, ada]) {
      const plain = (await view(path, user)).html;
      expect(csrfValues(plain)).toEqual([user.csrf]);
      for (const [accept, encoding, decode] of [['gzip, deflate, br', 'br', zlib.brotliDecompressSync], ['gzip', 'gzip', zlib.gunzipSync]] as const) {
        const res = await app.request(path, { headers: { Cookie: user.cookie, 'Accept-Encoding': accept } });
        expect(res.headers.get('content-encoding')).toBe(encoding);
        expect(res.headers.get('vary')).toContain('Cookie');
        const body = Buffer.from(await res.arrayBuffer());
        expect(Number(res.headers.get('content-length'))).toBe(body.byteLength);
        expect(body.byteLength).toBeLessThan(plain.length / 2);
        expect(decode(body).toString()).toBe(plain);
      }
    }
  });

  it('shows a paper’s new title on every list at once, for every kind of reader (cards are kept rendered per state of their paper)', async () => {
    const path = `/papers/date/${DAY}`;
    expect((await view(path, null)).html).toContain(`Paper ${IDS[2]}`);
    await importHfItems(db, [{ ...record(IDS[2]!), paper: { ...record(IDS[2]!).paper, title: 'A title on second thoughts' } }], DAY, 'test');
    for (const user of [null, ada, bob]) {
      const { html } = await view(path, user);
      expect(html).toContain('A title on second thoughts');
      expect(html).not.toContain(`Paper ${IDS[2]}<`);
    }
  });

  it('shows a reader signed out on their next view at once', async () => {
    const cy = await signedInUser(db);
    expect((await view(`/papers/date/${DAY}`, cy)).html).toContain(`href="/users/${cy.username}">Your profile<`);
    const out = await app.request('/signout', { method: 'POST', headers: formHeaders(cy), body: `_csrf=${cy.csrf}` });
    expect(out.status).toBeLessThan(400);
    const after = (await view(`/papers/date/${DAY}`, cy)).html;
    expect(after).not.toContain(`href="/users/${cy.username}">Your profile<`);
    expect(after).not.toContain('_csrf');
  });

  it('sees a write by another app instance on the same database', async () => {
    const other = createApp({ db, config: testConfig() });
    const path = `/papers/${IDS[2]}`;
    const before = await (await app.request(path)).text();
    expect(before).not.toContain('A comment from elsewhere');
    const res = await other.request(`/papers/${IDS[2]}/comments`, { method: 'POST', headers: formHeaders(ada), body: `_csrf=${ada.csrf}&comment=A+comment+from+elsewhere` });
    expect(res.status).toBe(303);
    await expect.poll(async () => (await app.request(path)).text()).toContain('A comment from elsewhere');
  });

  it('keeps other readers’ and anonymous pages cached through a reader’s save, hide and follow, which show on that reader’s next view', async () => {
    const cy = await signedInUser(db);
    const day = `/papers/date/${DAY}`;
    const author = '/authors/Ada%20Lovelace';
    const etags = async () => {
      const out: Record<string, string | null> = {};
      for (const [who, cookie] of [['anonymous', undefined], ['bob', bob.cookie]] as const) {
        for (const path of [day, author]) out[`${who} ${path}`] = (await app.request(path, { headers: cookie ? { Cookie: cookie } : {} })).headers.get('etag');
      }
      return out;
    };
    const cached = async () => (await cachedResponses.get()).values[0]?.value ?? 0;
    const before = await etags();
    const form = (path: string, body: Record<string, string>) =>
      app.request(path, { method: 'POST', headers: { ...formHeaders(cy), Referer: `http://localhost${day}` }, body: new URLSearchParams({ _csrf: cy.csrf, ...body }) });
    for (const write of [() => form(`/papers/${IDS[1]}/save`, { action: 'save' }), () => form(`/papers/${IDS[2]}/hide`, { action: 'hide' }), () => form('/follows', { kind: 'author', target: 'Ada Lovelace' })]) {
      expect((await write()).status).toBe(303);
      const hits = await cached();
      // Both day pages (anonymous, and bob's from the readers' template) are answered from the cache, with unchanged tags.
      for (const cookie of [undefined, bob.cookie]) expect((await app.request(day, { headers: cookie ? { Cookie: cookie } : {} })).status).toBe(200);
      expect(await cached()).toBe(hits + 2);
      expect(await etags()).toEqual(before);
    }
    const mine = (await view(day, cy)).html;
    expect(savedOn(mine)).toEqual([IDS[1]]);
    expect(cardsOn(mine)).toEqual([IDS[0], IDS[1]]);
    expect((await view(author, cy)).html).toContain('follow-button following');
    expect((await view(author, bob)).html).not.toContain('follow-button following');
    expect(savedOn((await view(day, bob)).html)).toEqual([]);
    expect(cardsOn((await view(day, bob)).html)).toEqual([IDS[1], IDS[2]]);
    const anonymous = (await view(day, null)).html;
    expect(IDS.filter((id) => anonymous.includes(`<a href="/papers/${id}">`))).toEqual(IDS);
  });

  it('shows a change a card shows but its paper’s row does not (a submitter’s new name) on the lists at once', async () => {
    const day = `/papers/date/${DAY}`;
    await db.kysely.updateTable('daily_listings').set({ submitter_id: ada.id, imported_submitter_id: null }).where('paper_id', '=', IDS[1]!).execute();
    await saveProfile(db.kysely, ada.id, { fullname: 'Ada Before', bio: '' });
    // The submitter's name follows their picture (initials here) in a link to their profile.
    const submitter = (html: string) => /class="submitter">Submitted by <a[^>]*>(?:<span[^>]*>[^<]*<\/span>)?([^<]*)<\/a>/.exec(html)?.[1];
    for (const user of [null, bob]) expect(submitter((await view(day, user)).html)).toBe('Ada Before');
    await saveProfile(db.kysely, ada.id, { fullname: 'Ada After', bio: '' });
    for (const user of [null, bob]) {
      const { html } = await view(day, user);
      expect(submitter(html)).toBe('Ada After');
      expect(html).not.toContain('Ada Before');
    }
  });

  it('shows a vote on the voter’s next view at once and its count to every other reader, and a comment’s count on the lists', async () => {
    const dee = await signedInUser(db);
    const day = `/papers/date/${DAY}`;
    // Signed in, the upvote form carries the count; anonymous, the sign-in button's title.
    const count = (html: string, id: string) => Number((new RegExp(`"/papers/${id.replace('.', '\\.')}(?:/upvote" data-vote="" data-count="|"/><button type="submit" class="upvote-button" title=")(\\d+)`).exec(html) ?? [])[1]);
    const comments = (html: string, id: string) => Number(new RegExp(`/papers/${id.replace('.', '\\.')}#discussion"[^>]*>[^]*?</svg> (\\d+)<`).exec(html)?.[1]);
    const anonymousTag = (await app.request(day)).headers.get('etag');
    const was = count((await view(day, null)).html, IDS[0]!);
    expect(votedOn((await view(day, dee)).html)).toEqual([]);
    const res = await app.request(`/papers/${IDS[0]}/upvote`, { method: 'POST', headers: { ...formHeaders(dee), Referer: `http://localhost${day}` }, body: `_csrf=${dee.csrf}&action=up` });
    expect(res.status).toBe(303);
    const mine = (await view(day, dee)).html;
    expect(votedOn(mine)).toEqual([IDS[0]]);
    expect(count(mine, IDS[0]!)).toBe(was + 1);
    // bob hid this paper (beforeAll): his lists leave it out.
    for (const user of [null, ada]) expect(count((await view(day, user)).html, IDS[0]!), `${user?.username ?? 'anonymous'}`).toBe(was + 1);
    expect((await app.request(day)).headers.get('etag')).not.toBe(anonymousTag);
    // Another voter's own state is untouched: ada still upvoted only hers.
    expect(votedOn((await view(day, ada)).html)).toEqual([IDS[0]]);

    const before = comments((await view(day, null)).html, IDS[1]!);
    const posted = await app.request(`/papers/${IDS[1]}/comments`, { method: 'POST', headers: formHeaders(dee), body: `_csrf=${dee.csrf}&comment=Counted` });
    expect(posted.status).toBe(303);
    for (const user of [null, bob]) expect(comments((await view(day, user)).html, IDS[1]!)).toBe(before + 1);
  });
});

describe('page cache: a reader who hid the subscribe banner', () => {
  it('gets the page without it from then on, anonymous or signed in, while others keep theirs', async () => {
    const { app, db } = await testApp();
    try {
      await importHfItems(db, IDS.map(record), DAY, 'test');
      const reader = await signedInUser(db);
      const page = `/papers/date/${DAY}`;
      const hide = await app.request(`/subscribe/dismiss?next=${encodeURIComponent(page)}`);
      expect(hide.status).toBe(303);
      expect(hide.headers.get('location')).toBe(page);
      const cookie = hide.headers.get('set-cookie')!.split(';')[0]!;
      expect(cookie).toBe('dp_banner=off');
      expect((await app.request('/subscribe/dismiss?next=//evil.example')).headers.get('location')).toBe('/papers');
      for (let round = 0; round < 2; round++) {
        const plain = await (await app.request(page)).text();
        const hidden = await (await app.request(page, { headers: { Cookie: cookie } })).text();
        expect(plain).toContain('subscribe-cta banner');
        expect(hidden).not.toContain('subscribe-cta banner');
        expect(hidden).toContain('subscribe-cta footer');
        expect(await (await app.request(page, { headers: { Cookie: reader.cookie } })).text()).toContain('subscribe-cta banner');
        const readerHidden = await (await app.request(page, { headers: { Cookie: `${reader.cookie}; ${cookie}` } })).text();
        expect(readerHidden).not.toContain('subscribe-cta banner');
        expect(readerHidden).toContain(`<span class="menu-name">${reader.username}</span>`);
      }
      const tag = (await app.request(page)).headers.get('etag');
      expect((await app.request(page, { headers: { Cookie: cookie } })).headers.get('etag')).not.toBe(tag);
    } finally {
      await db.close();
    }
  });
});

describe('page cache: readers who chose a theme or a list view', () => {
  it('keeps one page and one ETag per combination of choices, anonymous or signed in', async () => {
    const { app, db } = await testApp();
    try {
      await importHfItems(db, IDS.map(record), DAY, 'test');
      const reader = await signedInUser(db);
      const page = `/papers/date/${DAY}`;
      const choices = ['', 'dp_theme=light', 'dp_theme=dark', 'dp_view=list', 'dp_theme=light; dp_view=list', 'dp_theme=dark; dp_view=list; dp_banner=off'];
      for (const signedIn of [false, true]) {
        const tags = new Set<string>();
        for (let round = 0; round < 2; round++) {
          for (const choice of choices) {
            const cookie = [signedIn ? reader.cookie : '', choice].filter(Boolean).join('; ');
            const res = await app.request(page, cookie ? { headers: { Cookie: cookie } } : {});
            const html = await res.text();
            const theme = /dp_theme=(\w+)/.exec(choice)?.[1];
            expect(html, choice).toContain(`<html lang="en"${theme ? ` data-theme="${theme}"` : ''}${choice.includes('dp_view=list') ? ' data-view="list"' : ''}>`);
            expect(html.includes('subscribe-cta banner'), choice).toBe(!choice.includes('dp_banner'));
            if (round === 0) tags.add(res.headers.get('etag')!);
          }
        }
        expect(tags.size).toBe(choices.length);
      }
    } finally {
      await db.close();
    }
  });
});

describe('page cache: a session ended on another instance', () => {
  it('shows on the reader’s page within the session’s second, read ahead while their pages are answered', async () => {
    const { app, db } = await testApp();
    // The clock the kept session's age is taken on, moved by hand.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      await importHfItems(db, IDS.map(record), DAY, 'test');
      const reader = await signedInUser(db);
      const page = `/papers/date/${DAY}`;
      const name = `<span class="menu-name">${reader.username}</span>`;
      const html = async () => (await app.request(page, { headers: { Cookie: reader.cookie } })).text();
      // The first view fills the readers' template; the second is answered ahead of the chain, its session kept.
      for (let i = 0; i < 2; i++) expect(await html()).toContain(name);
      // Signed out elsewhere: this instance hears nothing of it.
      await db.kysely.deleteFrom('sessions').where('user_id', '=', reader.id).execute();
      vi.advanceTimersByTime(600);
      // Still within the kept session's second: answered from it, and its next read starts.
      expect(await html()).toContain(name);
      // Once that read is back (however long a busy machine takes), the next view is signed out.
      await expect.poll(html).not.toContain(name);
    } finally {
      vi.useRealTimers();
      await db.close();
    }
  });
});
