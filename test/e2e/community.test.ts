// Browser end-to-end tests of the community (issue #5): the real server (child process,
// demo data plus one hostile record) with a real SMTP server for its mail and recorded arXiv
// answers for submissions, driven by Debian's Chromium through playwright-core. The tests
// run in order and tell one story: Ada signs up, submits, votes, discusses and claims a
// paper; Grace, an admin, verifies the claim and moderates; hostile text never runs; and
// another origin cannot vote in Ada's name.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARXIV_FIXTURES, ReplayServer } from '../arxiv-replay.ts';
import { hasFixtures } from '../helpers.ts';
import { linksIn, startSmtpServer, type TestSmtpServer } from '../smtp.ts';
import { HOSTILE_DAY, HOSTILE_ID, HOSTILE_TITLE, demoDay, importHostileRecord, launchChromium, newContext as newContextOf, openPage, withPage, type Seen } from './browser-kit.ts';
import { startServer, type RunningServer } from './server.ts';
import { SESSION_COOKIE } from '../../src/auth/sessions.ts';

/** Screenshots go beside the other temporary files, never into the repository. */
const SHOT_DIR = path.join(os.tmpdir(), 'e2e-community');

const ADA = { username: 'ada', email: 'ada@example.org', fullname: 'Ada Lovelace' };
const GRACE = { username: 'grace', email: 'grace@example.org', password: 'correct horse battery staple' };

// Demo papers (src/ingest/demo-papers.json), each used by one part of the story.
const DAY = '2026-11-23';
const VOTE_ID = '2611.09226';
const DISCUSS_ID = '2611.09264';
const CLAIMED_AUTHOR = 'Rosamund Eckhart';
const HIDE_ID = '2611.09417';
const CSRF_ID = '2611.09348';
/** In the recorded arXiv answers (../shared/fixtures/arxiv-api), unknown to the demo data. */
const SUBMIT_ID = '1707.08567';


// Hostile text a person can type: their name, their bio, comments and a report. Every
// script would set window.__pwned or open a dialog; none may run, all must read as text.
const HOSTILE_FULLNAME = '<script>window.__pwned=11</script><img src=x onerror=alert(12)>';
const HOSTILE_BIO = '</textarea><script>window.__pwned=13</script> "><svg onload=alert(14)> [x](javascript:alert(15))';
const HOSTILE_REPORT = '<img src=x onerror=alert(16)> spam';
/** Each comment's source, and text a reader must see in it (Markdown may change the rest). */
const HOSTILE_COMMENTS: { source: string; visible: string[] }[] = [
  { source: '<script>window.__pwned=21</script> script tag', visible: ['<script>window.__pwned=21</script> script tag'] },
  { source: 'An image: <img src=x onerror="window.__pwned=22">', visible: ['<img src=x onerror="window.__pwned=22">'] },
  { source: 'A drawing: <svg onload=alert(23)><circle r=5 /></svg>', visible: ['<svg onload=alert(23)><circle r=5 /></svg>'] },
  { source: '[click](javascript:alert(24)) and [JaVaScRiPt](JAVASCRIPT:alert(25))', visible: ['[click](javascript:alert(24))', '[JaVaScRiPt](JAVASCRIPT:alert(25))'] },
  { source: '[entity](&#106;avascript:alert(26)) and [tab](java\tscript:alert(27)) and <a href="javascript:alert(28)">raw</a>', visible: ['alert(26)', 'alert(27)', '<a href="javascript:alert(28)">raw</a>'] },
  { source: '![pic](x" onerror="alert(29)) and ![x](javascript:alert(30))', visible: ['pic', 'alert(30)'] },
  { source: 'unclosed **bold and [link](http://example.org and `code and $$ x and <b', visible: ['unclosed', '<b'] },
  { source: 'math: $\\href{javascript:alert(31)}{x}$ and $\\url{javascript:alert(32)}$', visible: ['math:'] },
];

let server: RunningServer | undefined;
let browser: Browser | undefined;
let smtp: TestSmtpServer | undefined;
let replay: ReplayServer | undefined;
let base = '';
/** Ada's browser (signed in by test 1) and Grace's (signed in by test 5). */
let ada: BrowserContext | undefined;
let grace: BrowserContext | undefined;
/** Ids of Ada's comment and reply on DISCUSS_ID (test 4). */
let commentId = 0;
let replyId = 0;

beforeAll(async () => {
  smtp = await startSmtpServer();
  const env: Record<string, string> = { SMTP_URL: smtp.url };
  if (hasFixtures) {
    replay = await new ReplayServer().loadRecordings().start();
    // arXiv's real answer holding SUBMIT_ID (recorded for two ids), served for the one-id query a submission makes.
    const recorded = (JSON.parse(fs.readFileSync(path.join(ARXIV_FIXTURES, 'arxivpy_idlist_two.recorded.json'), 'utf8')) as { body: string }).body;
    replay.routes.set(`id_list=${SUBMIT_ID}`, { status: 200, body: recorded, headers: { 'Content-Type': 'application/atom+xml; charset=utf-8' } });
    Object.assign(env, { ARXIV_API_URL: replay.url, ARXIV_MIN_INTERVAL_MS: '0' });
  }
  server = await startServer({ env });
  base = server.baseUrl;
  // The hostile imported record of browser.test.ts, with a plain abstract.
  await importHostileRecord(server, 'A record with markup in its title.');
  browser = await launchChromium();
  fs.mkdirSync(SHOT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
  await replay?.stop();
});

// ---- helpers

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };

/** A context at desktop size unless `options` say otherwise. */
const newContext = (options: BrowserContextOptions = {}) => newContextOf(browser!, { ...DESKTOP, ...options });

/** Nothing went wrong on the page; `expected` console errors (e.g. a 410 page's own status) are named exactly. */
function expectQuiet(seen: Seen, expected: string[] = []) {
  expect(seen.dialogs).toEqual([]);
  expect(seen.errors).toEqual([]);
  expect(seen.console).toEqual(expected);
}

/** Chromium's console error for a page or resource answered with `status`. */
const statusError = (status: number, text: string) => `Failed to load resource: the server responded with a status of ${status} (${text})`;

/** Runs `fn` on a page of a fresh anonymous context, closed afterwards. */
const asAnonymous = <T>(fn: (page: Page, seen: Seen) => Promise<T>, options: BrowserContextOptions = {}) => withPage(browser!, fn, { ...DESKTOP, ...options });

/** Runs `fn` on a new page of `context`, closed afterwards. */
async function onPage<T>(context: BrowserContext, fn: (page: Page, seen: Seen) => Promise<T>): Promise<T> {
  const { page, seen } = await openPage(context);
  try {
    return await fn(page, seen);
  } finally {
    await page.close();
  }
}

/** Clicks what submits a form, waits for the next page to replace this one, and checks where it is. */
async function submitAndWait(page: Page, target: Locator, url: string | RegExp | ((u: URL) => boolean)) {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }), target.click()]);
  await page.waitForURL(url);
}

const cardOf = (page: Page, id: string) => page.locator('article.card', { has: page.locator(`.card-title a[href="/papers/${id}"]`) });
const countOf = async (scope: Locator) => Number(await scope.locator('.upvote-count').innerText());
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0)); // else the sticky header lands mid-page
  await page.screenshot({ path: path.join(SHOT_DIR, `${name}.png`), fullPage: true });
}

/** The paper's upvote count as the JSON API reports it. */
async function apiUpvotes(id: string): Promise<number> {
  const res = await fetch(`${base}/api/papers/${id}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { upvotes: number }).upvotes;
}

// ---- the story

describe('the community, in a browser', () => {
  it('signs up through a link mailed over SMTP, and is signed in', async () => {
    ada = await newContext();
    await onPage(ada, async (page, seen) => {
      await page.goto(`${base}/signup`);
      await page.fill('#f-username', ADA.username);
      await page.fill('#f-email', ADA.email);
      await page.fill('#f-fullname', ADA.fullname);
      await page.click('form[action="/signup"] button[type=submit]');
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();

      const mail = await smtp!.waitForMail((m) => m.to.includes(ADA.email));
      const link = linksIn(mail.text).find((l) => l.includes('/signin/link?token='));
      expect(link, mail.text).toBeDefined();
      expect(link!.startsWith(`${base}/signin/link?token=`)).toBe(true);

      await page.goto(link!);
      await page.getByRole('heading', { name: 'Confirm your account' }).waitFor();
      await submitAndWait(page, page.getByRole('button', { name: 'Create my account' }), `${base}/settings?done=welcome`);
      const account = page.locator('nav.account');
      expect(await account.locator('.menu-name').innerText()).toBe(ADA.username);
      expect(await account.locator(`a[href="/users/${ADA.username}"]`).count()).toBe(1);
      // In the account menu, folded until opened.
      expect(await account.locator('button', { hasText: 'Sign out' }).count()).toBe(1);
      expect(await account.getByRole('link', { name: 'Sign in' }).count()).toBe(0);
      await shot(page, 'signed-up-settings');
      expectQuiet(seen);
    });
  });

  it.skipIf(!hasFixtures)("submits a paper by its arXiv link; it is on today's list, submitted by its submitter", async () => {
    await onPage(ada!, async (page, seen) => {
      const today = () => new Date().toISOString().slice(0, 10);
      const days = [today()];
      await page.goto(`${base}/submit`);
      await page.fill('#paper', `https://arxiv.org/abs/${SUBMIT_ID}v1`);
      await submitAndWait(page, page.locator('form.submit-form button[type=submit]'), `${base}/papers/${SUBMIT_ID}`);
      days.push(today());
      const kicker = page.locator('.paper-kicker');
      expect(await kicker.innerText()).toContain(`submitted by ${ADA.fullname}`);

      // "Featured <day>" leads to the day's list: today's (UTC).
      await kicker.locator('a').click();
      await page.waitForURL(/\/papers\/date\/\d{4}-\d{2}-\d{2}$/);
      expect(days).toContain(page.url().slice(-10));
      const card = cardOf(page, SUBMIT_ID);
      expect(await card.locator('.submitter').innerText()).toMatch(/^Submitted by\s/);
      expect(await card.locator('.submitter a.person').innerText()).toMatch(new RegExp(`${ADA.fullname}$`));
      // It is the newest day, so the front page is that list.
      await page.goto(`${base}/papers`);
      expect(await cardOf(page, SUBMIT_ID).count()).toBe(1);
      expectQuiet(seen);
    });
  });

  it('upvotes with JavaScript without leaving the page, keeps the vote over a reload, and withdraws it', async () => {
    await onPage(ada!, async (page, seen) => {
      await page.goto(`${base}/papers/date/${DAY}`);
      const card = cardOf(page, VOTE_ID);
      const button = card.locator('button.upvote-button');
      const before = await countOf(card);
      expect(await button.getAttribute('aria-pressed')).toBe('false');
      const url = page.url();
      let navigations = 0;
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) navigations++;
      });
      const voteAnswer = () => page.waitForResponse((r) => r.url() === `${base}/papers/${VOTE_ID}/upvote` && r.request().method() === 'POST');

      const [up] = await Promise.all([voteAnswer(), button.click()]);
      expect(up.status()).toBe(200);
      expect(await up.json()).toEqual({ upvoted: true, upvotes: before + 1 });
      await card.locator('button.upvote-button[aria-pressed="true"]').waitFor();
      expect(await countOf(card)).toBe(before + 1);
      expect(navigations).toBe(0);
      expect(page.url()).toBe(url);
      expect(await apiUpvotes(VOTE_ID)).toBe(before + 1);

      await page.reload();
      expect(await button.getAttribute('aria-pressed')).toBe('true');
      expect(await countOf(card)).toBe(before + 1);

      navigations = 0;
      const [down] = await Promise.all([voteAnswer(), button.click()]);
      expect(await down.json()).toEqual({ upvoted: false, upvotes: before });
      await card.locator('button.upvote-button[aria-pressed="false"]').waitFor();
      expect(await countOf(card)).toBe(before);
      expect(navigations).toBe(0);
      expect(await apiUpvotes(VOTE_ID)).toBe(before);
      expectQuiet(seen);
    });
  });

  it('upvotes without JavaScript: the form posts and the page comes back counted and pressed', async () => {
    const noScript = await newContext({ javaScriptEnabled: false });
    try {
      await noScript.addCookies(await ada!.cookies());
      const { page, seen } = await openPage(noScript);
      await page.goto(`${base}/papers/date/${DAY}`);
      const card = cardOf(page, VOTE_ID);
      const before = await countOf(card);
      expect(await card.locator('button.upvote-button').getAttribute('aria-pressed')).toBe('false');

      const [request] = await Promise.all([
        page.waitForRequest((r) => r.url() === `${base}/papers/${VOTE_ID}/upvote`),
        page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame() }),
        card.locator('button.upvote-button').click(),
      ]);
      expect(request.isNavigationRequest()).toBe(true); // a plain form post, no script
      await card.locator('button.upvote-button[aria-pressed="true"]').waitFor();
      expect(page.url()).toBe(`${base}/papers/date/${DAY}`);
      expect(await countOf(card)).toBe(before + 1);
      expect(await apiUpvotes(VOTE_ID)).toBe(before + 1);
      expectQuiet(seen);
    } finally {
      await noScript.close();
    }
    // The same session in the scripted browser sees its vote.
    await onPage(ada!, async (page) => {
      await page.goto(`${base}/papers/${VOTE_ID}`);
      expect(await page.locator('.actions button.upvote-button').getAttribute('aria-pressed')).toBe('true');
    });
  });

  it('comments with Markdown and typeset math, replies, and edits its own comment', async () => {
    await onPage(ada!, async (page, seen) => {
      await page.goto(`${base}/papers/${DISCUSS_ID}`);
      await page.fill('#new-comment', '**Markdown** works, and so does math: $x^2$.');
      await submitAndWait(page, page.locator('form.comment-form:has(#new-comment) button[type=submit]'), /#c\d+$/);
      commentId = Number(new URL(page.url()).hash.slice(2));
      const comment = page.locator(`#c${commentId}`);
      const body = comment.locator('.comment-body');
      expect(await body.locator('strong').innerText()).toBe('Markdown');
      expect(await body.locator('.katex').count()).toBe(1);
      expect(await body.locator('.katex annotation').textContent()).toBe('x^2');
      expect(await body.innerText()).not.toContain('$');
      expect(await comment.locator('.comment-author').innerText()).toBe(ADA.fullname);

      await comment.locator('summary', { hasText: 'Reply' }).click();
      await page.fill(`#reply-${commentId}`, 'Replying to myself with `code`.');
      await submitAndWait(page, page.locator(`form:has(#reply-${commentId}) button[type=submit]`), (u) => /^#c\d+$/.test(u.hash) && u.hash !== `#c${commentId}`);
      replyId = Number(new URL(page.url()).hash.slice(2));
      const reply = page.locator(`li:has(> #c${commentId}) > ol.replies #c${replyId}`);
      expect(await reply.locator('.comment-body code').innerText()).toBe('code');

      await comment.locator('summary', { hasText: 'Edit' }).click();
      await page.fill(`#edit-${commentId}`, '**Markdown** works, and so does math: $x^2 + y^2$ (edited).');
      await page.locator(`form[action="/comments/${commentId}/edit"] button[type=submit]`).click();
      await comment.locator('.comment-head', { hasText: 'edited' }).waitFor();
      expect(await body.innerText()).toContain('(edited)');
      expect(await body.locator('.katex annotation').textContent()).toBe('x^2 + y^2');
      expect(await page.locator('#discussion-h .discussion-count').innerText()).toBe('2');
      await shot(page, 'discussion');
      expectQuiet(seen);
    });
    // Readers without an account see the same, typeset.
    await asAnonymous(async (page, seen) => {
      await page.goto(`${base}/papers/${DISCUSS_ID}`);
      expect(await page.locator(`#c${commentId} .comment-body .katex`).count()).toBe(1);
      expect(await page.locator(`#c${replyId} .comment-body`).innerText()).toContain('Replying to myself');
      expectQuiet(seen);
    });
  });

  it('claims authorship; an admin signed in by password approves it; the author is shown verified', async () => {
    await onPage(ada!, async (page, seen) => {
      await page.goto(`${base}/papers/${DISCUSS_ID}`);
      await page.locator('summary', { hasText: 'Claim this paper' }).click();
      await page.selectOption('select[name=position]', { label: CLAIMED_AUTHOR });
      await submitAndWait(page, page.getByRole('button', { name: 'Claim authorship' }), `${base}/papers/${DISCUSS_ID}#claim-sent`);
      await page.locator('#claim-sent').waitFor({ state: 'visible' });
      expectQuiet(seen);
    });

    const created = await server!.cliHere(['user', 'create-admin', GRACE.username, GRACE.email, '--password-stdin'], `${GRACE.password}\n`);
    expect(created.code, created.stderr).toBe(0);
    grace = await newContext();
    await onPage(grace, async (page, seen) => {
      await page.goto(`${base}/signin`);
      await page.fill('#f-email', GRACE.email);
      await page.fill('#f-password', GRACE.password);
      await submitAndWait(page, page.locator('button[name=method][value=password]'), `${base}/papers`);
      expect(await page.locator(`nav.account a[href="/users/${GRACE.username}"]`).count()).toBe(1);

      await page.locator('nav.account summary').click();
      await page.locator('nav.account a', { hasText: 'Moderation' }).click();
      await page.waitForURL(`${base}/admin`);
      const claim = page.locator('#claims tbody tr', { hasText: CLAIMED_AUTHOR });
      expect(await claim.locator(`a[href="/users/${ADA.username}"]`).count()).toBe(1);
      await submitAndWait(page, claim.getByRole('button', { name: 'Approve' }), /\/admin\?notice=/);
      expect(await page.locator('.admin-notice').innerText()).toMatch(/^Claim \d+ approved\.$/);
      expect(await page.locator('#claims').innerText()).toContain('No pending claims.');
      expectQuiet(seen);
    });

    await asAnonymous(async (page, seen) => {
      await page.goto(`${base}/papers/${DISCUSS_ID}`);
      const author = page.locator('ul.authors li', { hasText: CLAIMED_AUTHOR });
      const link = author.locator('a[rel=author]');
      expect(await link.innerText()).toBe(CLAIMED_AUTHOR);
      expect(await link.getAttribute('href')).toBe(`/users/${ADA.username}`);
      expect(await author.locator('.verified').isVisible()).toBe(true);
      // The other author stays unlinked.
      expect(await page.locator('ul.authors a[rel=author]').count()).toBe(1);

      await link.click();
      await page.waitForURL(`${base}/users/${ADA.username}`);
      await page.goto(`${base}/users/${ADA.username}?tab=authored`);
      expect(await cardOf(page, DISCUSS_ID).count()).toBe(1);
      expectQuiet(seen);
    });
  });

  it('moderates: hides a comment and a paper from /admin; readers lose them; the audit log lists every action', async () => {
    await onPage(grace!, async (page, seen) => {
      await page.goto(`${base}/admin`);
      const hideComment = page.locator('form[action="/admin/comments/hide"]');
      await hideComment.locator('input[name=comment]').fill(String(replyId));
      await hideComment.locator('input[name=reason]').fill('off topic');
      await submitAndWait(page, hideComment.getByRole('button', { name: 'Hide', exact: true }), /\/admin\?notice=/);
      expect(await page.locator('.admin-notice').innerText()).toBe(`Hid comment ${replyId}.`);

      const hidePaper = page.locator('form[action="/admin/papers/hide"]');
      await hidePaper.locator('input[name=paper]').fill(HIDE_ID);
      await hidePaper.locator('input[name=reason]').fill('not a paper');
      await submitAndWait(page, hidePaper.getByRole('button', { name: 'Hide', exact: true }), /\/admin\?notice=/);
      expect(await page.locator('.admin-notice').innerText()).toBe(`Hid paper ${HIDE_ID}.`);
      const hidden = await page.locator('#hidden').innerText();
      expect(hidden).toContain(HIDE_ID);
      expect(hidden).toContain(`#${replyId} by ${ADA.username}`);
      await shot(page, 'admin');

      await page.goto(`${base}/admin/audit`);
      const rows = (await page.locator('table.audit tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' '));
      expect(rows.some((r) => r.includes('hide-comment') && r.includes(`comment ${replyId}`) && r.includes('off topic') && r.includes(GRACE.username))).toBe(true);
      expect(rows.some((r) => r.includes('hide-paper') && r.includes(`paper ${HIDE_ID}`) && r.includes('not a paper'))).toBe(true);
      expect(rows.some((r) => r.includes('approve-claim'))).toBe(true);
      expectQuiet(seen);
    });

    await asAnonymous(async (page, seen) => {
      await page.goto(`${base}/papers/${DISCUSS_ID}`);
      // A hidden comment without visible replies leaves no placeholder.
      expect(await page.locator(`#c${commentId}`).count()).toBe(1);
      expect(await page.locator(`#c${replyId}`).count()).toBe(0);
      expect(await page.locator('#discussion').innerText()).not.toContain('Replying to myself');
      expect(await page.locator('#discussion-h .discussion-count').innerText()).toBe('1');
      expect(await page.locator(`#c${commentId} .comment-body`).innerText()).toContain('(edited)');

      await page.goto(`${base}/papers/date/${DAY}`);
      expect(await cardOf(page, HIDE_ID).count()).toBe(0);
      expect(await page.locator('article.card').count()).toBe(demoDay(DAY).items.length - 1);

      const res = await page.goto(`${base}/papers/${HIDE_ID}`);
      expect(res?.status()).toBe(410);
      expect(await page.locator('h1').innerText()).toBe('Removed by moderators');
      expectQuiet(seen, [statusError(410, 'Gone')]);
    });
  });

  it('never runs hostile names, bios, comments, reports or titles, for the author, an admin or a stranger', async () => {
    await onPage(ada!, async (page, seen) => {
      await page.goto(`${base}/settings`);
      await page.fill('#f-fullname', HOSTILE_FULLNAME);
      await page.fill('#f-bio', HOSTILE_BIO);
      await submitAndWait(page, page.getByRole('button', { name: 'Save profile' }), `${base}/settings?done=profile`);
      expect(await page.inputValue('#f-bio')).toBe(HOSTILE_BIO);

      await page.goto(`${base}/papers/${HOSTILE_ID}`);
      // Each through the page's own form, as the browser posts it (its fields, cookie and Origin),
      // without rendering the paper page again after each: the readers below read them all on it.
      const form = page.locator('form.comment-form:has(#new-comment)');
      const answers = await form.evaluate(async (form: HTMLFormElement, sources) => {
        const box = form.querySelector<HTMLTextAreaElement>('#new-comment')!;
        const answers: string[] = [];
        for (const source of sources) {
          box.value = source;
          const body = new URLSearchParams([...new FormData(form)].map(([name, value]) => [name, String(value)]));
          // A redirect back to the paper is the answer to a comment taken; a refusal is a page of its own.
          answers.push((await fetch(form.action, { method: 'POST', body, redirect: 'manual' })).type);
        }
        return answers;
      }, HOSTILE_COMMENTS.map((c) => c.source));
      expect(answers).toEqual(HOSTILE_COMMENTS.map(() => 'opaqueredirect'));
      await page.reload();
      expect(await page.locator('#discussion-h .discussion-count').innerText()).toBe(String(HOSTILE_COMMENTS.length));
      expectQuiet(seen);
    });

    // Grace reports the comment with the image, in words of her own.
    await onPage(grace!, async (page, seen) => {
      await page.goto(`${base}/papers/${HOSTILE_ID}`);
      const reported = page.locator('article.comment', { hasText: 'window.__pwned=22' });
      const id = await reported.getAttribute('id');
      await reported.locator('summary', { hasText: 'Report' }).click();
      await reported.locator('input[name=detail]').fill(HOSTILE_REPORT);
      await submitAndWait(page, reported.getByRole('button', { name: 'Send report' }), `${base}/papers/${HOSTILE_ID}#${id}`);
      expectQuiet(seen);
    });

    /** Visits `url` on `page` and checks that nothing ran and that `texts` read as text. */
    const inspect = async (page: Page, seen: Seen, url: string, texts: string[]) => {
      for (const list of Object.values(seen)) list.length = 0;
      const res = await page.goto(`${base}${url}`);
      expect(res?.status(), url).toBe(200);
      const body = await page.locator('body').innerText();
      for (const text of texts) expect(body, `${url} shows ${text}`).toContain(text);
      const findings = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        // No element carries an event handler attribute, no link or frame leads to a script.
        handlers: Array.from(document.querySelectorAll('*')).flatMap((e) => e.getAttributeNames().filter((n) => n.startsWith('on')).map((n) => `<${e.localName} ${n}>`)),
        scriptLinks: Array.from(document.querySelectorAll('[href], [src], [action], [formaction]'))
          .flatMap((e) => ['href', 'src', 'action', 'formaction'].map((n) => e.getAttribute(n)).filter((v) => v !== null))
          .filter((v) => !URL.canParse(v, document.baseURI) || !['http:', 'https:', 'mailto:'].includes(new URL(v, document.baseURI).protocol)),
        images: Array.from(document.images, (i) => i.getAttribute('src')),
        scripts: Array.from(document.scripts, (s) => s.getAttribute('src')),
      }));
      expect(findings.pwned, url).toBeUndefined();
      expect(findings.handlers, url).toEqual([]);
      expect(findings.scriptLinks, url).toEqual([]);
      expect(findings.images.filter((src) => src === 'x'), url).toEqual([]);
      expect(findings.scripts, url).toEqual(['/static/keys.js', '/static/suggest.js', '/static/buttons.js', '/static/subscribe.js', ...(/^\/papers\/\d/.test(url) ? ['/static/comment-preview.js'] : [])]);
      expectQuiet(seen);
    };

    const commentTexts = HOSTILE_COMMENTS.flatMap((c) => c.visible);
    const everyone = [
      [`/users/${ADA.username}`, [HOSTILE_FULLNAME, HOSTILE_BIO]],
      [`/papers/${HOSTILE_ID}`, [HOSTILE_TITLE, HOSTILE_FULLNAME, ...commentTexts]],
      [`/papers/date/${HOSTILE_DAY}`, [HOSTILE_TITLE]],
      ['/papers', hasFixtures ? [HOSTILE_FULLNAME] : []],
    ] as const;
    const adaOnly = [['/settings', []]] as const;
    const graceOnly = [
      ['/admin', ['<img src=x onerror="window.__pwned=22">', HOSTILE_REPORT]],
      ['/admin/audit', []],
    ] as const;

    // As served (CSP on), and with CSP bypassed so that the escaping alone is tested: six readers at once, one tab each.
    const bypassing = [false, true];
    const roles: [BrowserContext | undefined, readonly (readonly [string, readonly string[]])[]][] = [
      [ada, [...everyone, ...adaOnly]],
      [grace, [...everyone, ...graceOnly]],
      [undefined, everyone],
    ];
    await Promise.all(
      bypassing.flatMap((bypassCSP) =>
        roles.map(async ([signedIn, pages]) => {
          const context = await newContext({ bypassCSP });
          try {
            if (signedIn) await context.addCookies(await signedIn.cookies());
            // One tab per reader, as a reader browses: a new tab per page would start a renderer each time.
            await onPage(context, async (page, seen) => {
              for (const [url, texts] of pages) await inspect(page, seen, url, [...texts]);
            });
          } finally {
            await context.close();
          }
        }),
      ),
    );

    await onPage(ada!, async (page) => {
      await page.goto(`${base}/papers/${HOSTILE_ID}`);
      await shot(page, 'hostile-paper');
    });
  });

  it('refuses a vote posted from another origin, and an API vote without credentials', async () => {
    const before = await apiUpvotes(CSRF_ID);
    // Another port of the same host: the same site, so the Lax session cookie IS sent; the
    // Origin check and the missing CSRF token must stop it.
    const target = `${base}/papers/${CSRF_ID}/upvote`;
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><form id="f" method="post" action="${target}"><input type="hidden" name="action" value="up"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      await onPage(ada!, async (page, seen) => {
        const [answer] = await Promise.all([page.waitForResponse((r) => r.url() === target), page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`, { waitUntil: 'commit' })]);
        expect((await answer.request().allHeaders()).cookie).toContain(`${SESSION_COOKIE}=`);
        expect(answer.status()).toBe(403);
        expect(await answer.text()).toContain('cross-site request refused');
        expect(seen.dialogs).toEqual([]);
      });
    } finally {
      attacker.closeAllConnections();
      await new Promise((resolve) => attacker.close(resolve));
    }
    expect(await apiUpvotes(CSRF_ID)).toBe(before);
    await onPage(ada!, async (page) => {
      await page.goto(`${base}/papers/${CSRF_ID}`);
      expect(await page.locator('.actions button.upvote-button').getAttribute('aria-pressed')).toBe('false');
    });

    const anonymous = await fetch(`${base}/api/papers/${CSRF_ID}/upvote`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const badToken = await fetch(`${base}/api/papers/${CSRF_ID}/upvote`, { method: 'POST', headers: { Authorization: 'Bearer dp_not-a-token' } });
    expect(badToken.status).toBe(401);
    expect(await apiUpvotes(CSRF_ID)).toBe(before);
  });
});
