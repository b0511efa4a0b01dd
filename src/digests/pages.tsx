import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { csrfToken, viewerOf } from '../http/authenticate.ts';
import { enforceLimit, enforceLimitFor } from '../http/rate-limit.ts';
import { AuthPanel, CsrfField, Field, FormAlert, type FormErrors } from '../ui/forms.tsx';
import { outboxOpen } from '../http/origin.ts';
import { siteOrigin } from '../http/origin.ts';
import type { Mail } from '../mail/mailer.ts';
import { fieldErrors, formFields } from '../http/forms.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { PreferenceFields, preferencesFromForm, valuesOf, type PreferenceValues } from './forms.tsx';
import { signedLink } from './links.ts';
import { alreadySubscribedMail, confirmSubscriptionMail } from './mails.ts';
import { MAX_PAPERS, confirm, emailSchema, frequencySchema, resubscribe, subscribe, subscribeAccount, subscriptionById, subscriptionFor, topicsOf, unsubscribe, updatePreferences, type Subscription } from './subscriptions.ts';
import { verifyToken, type TokenPurpose } from './tokens.ts';
import { BANNER_COOKIE } from '../http/preferences.ts';
import { safeRedirect } from '../http/redirects.ts';

type C = Context<AppEnv>;

const subscribeForm = z.object({ email: emailSchema, frequency: frequencySchema.default('daily') });

/** Sends without waiting for the mail server, so the answer's timing says nothing about the address (as sign-in does). */
function deliver(c: C, mail: Mail): void {
  const log = c.get('log');
  c.get('mailer').send(mail).catch((err: unknown) => log?.error({ err, to: mail.to.replace(/^[^@]*/, '…') }, 'digests: mail not sent'));
}

const link = (c: C, purpose: TokenPurpose, id: number) => signedLink({ ...c.get('config'), keys: c.get('keys') }, purpose, id, siteOrigin(c));

// ---- subscribing

/** `GET /subscribe`: the form, filled from the call to action's `?email=&frequency=` when it came without script. */
export function showSubscribe(c: C) {
  return c.html(<SubscribePage c={c} values={{ email: c.req.query('email') ?? '', frequency: c.req.query('frequency') ?? 'daily' }} />);
}

/** `GET /subscribe/token`: a CSRF token for the call to action on cached pages (static/subscribe.js). */
export function subscribeToken(c: C) {
  return c.json({ csrf: csrfToken(c) }, 200, { 'Cache-Control': 'private, no-store' });
}

/**
 * `POST /subscribe`: "check your inbox" for every valid address, whatever its state; the mail
 * says the rest. A signed-in reader subscribing their own address needs no confirmation.
 */
export async function subscribeAction(c: C) {
  await enforceLimit(c, 'subscribe');
  const values = await formFields(c);
  const parsed = subscribeForm.safeParse(values);
  if (!parsed.success) return c.html(<SubscribePage c={c} values={values} errors={fieldErrors(parsed.error)} />, 400);
  const { email, frequency } = parsed.data;
  const db = c.get('db').kysely;
  const viewer = viewerOf(c);
  if (viewer?.email && c.get('auth').kind === 'session' && viewer.email.toLowerCase() === email) {
    const current = await subscriptionFor(db, viewer.id);
    const keep = current && current.email === email ? current : undefined;
    await subscribeAccount(db, viewer.id, email, { frequency, topics: keep ? topicsOf(keep) : { categories: [], queries: [], organizations: [], authors: [] }, maxPapers: keep?.max_papers ?? MAX_PAPERS.default });
    return c.redirect('/settings?done=digest#digest', 303);
  }
  await enforceLimitFor(c, 'subscribe', `e:${email}`);
  const outcome = await subscribe(db, { email, frequency });
  const siteName = c.get('config').SITE_NAME;
  deliver(
    c,
    outcome.mail === 'confirm'
      ? confirmSubscriptionMail(email, frequency, link(c, 'confirm', outcome.id), siteName)
      : alreadySubscribedMail(email, link(c, 'preferences', outcome.id), link(c, 'unsubscribe', outcome.id), siteName),
  );
  return c.html(<CheckInbox c={c} email={email} />);
}

function SubscribePage({ c, values, errors }: { c: C; values: Record<string, string>; errors?: FormErrors }) {
  const weekly = values.frequency === 'weekly';
  return (
    <Layout chrome={chromeOf(c)} title="Subscribe">
      <AuthPanel title="Trending papers in your inbox" lead="The day's most upvoted papers, or the week's, by e-mail. No account needed; you confirm your address once and can leave with one click.">
        <form method="post" action="/subscribe" class="stack-form" novalidate>
          <CsrfField token={csrfToken(c)} />
          <FormAlert errors={errors} />
          <Field name="email" label="E-mail" type="email" value={values.email} autocomplete="email" required errors={errors} autofocus={!errors} maxlength={254} />
          <fieldset class={errors?.frequency ? 'choice has-error' : 'choice'}>
            <legend>How often</legend>
            <label>
              <input type="radio" name="frequency" value="daily" checked={!weekly} /> Daily, on weekdays
            </label>
            <label>
              <input type="radio" name="frequency" value="weekly" checked={weekly} /> Weekly
            </label>
            {errors?.frequency && <p class="field-error">{errors.frequency}</p>}
          </fieldset>
          <button type="submit" class="button primary wide">Subscribe</button>
        </form>
        <p class="muted small auth-switch">You choose topics (categories, keywords, organizations, authors) after confirming.</p>
      </AuthPanel>
    </Layout>
  );
}

/** The same page for every valid request, so it never tells whether an address is subscribed. */
function CheckInbox({ c, email }: { c: C; email: string }) {
  return (
    <Layout chrome={chromeOf(c)} title="Check your inbox">
      <AuthPanel title="Check your inbox">
        <p class="inbox-icon" aria-hidden="true">
          ✉
        </p>
        <p>
          We sent a mail to <strong>{email}</strong>. Open the link in it to confirm your subscription; nothing is sent to you before that.
        </p>
        <p class="muted small">
          Nothing there after a few minutes? Look in your spam folder, or <a href="/subscribe">try again</a>.
        </p>
        {outboxOpen(c) && (
          <p class="dev-note small">
            Development: no mail server is set (<code>SMTP_URL</code>), so mails are kept in the <a href="/dev/outbox">outbox</a>.
          </p>
        )}
      </AuthPanel>
    </Layout>
  );
}

// ---- signed links

/** The subscription a link's token names for `purpose`, or null when the token is forged, altered, expired or for something else. */
async function fromToken(c: C, purpose: TokenPurpose): Promise<{ sub: Subscription; token: string } | null> {
  const token = c.req.query('token') ?? '';
  const id = token.length <= 512 ? verifyToken(c.get('keys').mailLinks, purpose, token) : null;
  const sub = id === null ? undefined : await subscriptionById(c.get('db').kysely, id);
  return sub ? { sub, token } : null;
}

/** A link that does not work: 400 with what to do, never a stack trace. */
function badLink(c: C, purpose: TokenPurpose) {
  const what = purpose === 'confirm' ? 'Confirmation links work for 7 days.' : 'Use the link in your latest digest.';
  return c.html(
    <Layout chrome={chromeOf(c)} title="Link not valid">
      <AuthPanel title="This link does not work">
        <p>It is incomplete, was altered, has expired, or belongs to another page. {what}</p>
        <p class="auth-switch">
          <a href="/subscribe" class="button primary">
            Subscribe again
          </a>
        </p>
      </AuthPanel>
    </Layout>,
    400,
  );
}

const self = (path: string, token: string) => `${path}?token=${encodeURIComponent(token)}`;

/** `GET /subscribe/confirm?token=`: a button. Mail scanners fetch links; only the POST confirms. */
export async function showConfirm(c: C) {
  const found = await fromToken(c, 'confirm');
  if (!found) return badLink(c, 'confirm');
  const { sub, token } = found;
  return c.html(
    <Layout chrome={chromeOf(c)} title="Confirm your subscription">
      <AuthPanel title="Confirm your subscription" lead={<>Send the {sub.frequency} digest of trending papers to <strong>{sub.email}</strong>.</>}>
        <form method="post" action={self('/subscribe/confirm', token)} class="stack-form">
          <CsrfField token={csrfToken(c)} />
          <button type="submit" class="button primary wide" autofocus>
            Confirm my subscription
          </button>
        </form>
      </AuthPanel>
    </Layout>,
  );
}

/** `POST /subscribe/confirm?token=`: pending → active, then the preferences. */
export async function confirmAction(c: C) {
  const found = await fromToken(c, 'confirm');
  if (!found) return badLink(c, 'confirm');
  const state = await confirm(c.get('db').kysely, found.sub.id);
  if (state !== 'active') return ended(c, found.sub);
  return c.redirect(`${self('/subscription', signedToken(c, 'preferences', found.sub.id))}&done=confirmed`, 303);
}

const signedToken = (c: C, purpose: TokenPurpose, id: number) => new URL(link(c, purpose, id)).searchParams.get('token')!;

/** An old confirmation link for a subscription that was ended since: it does not bring it back. */
function ended(c: C, sub: Subscription) {
  return c.html(
    <Layout chrome={chromeOf(c)} title="Subscription ended">
      <AuthPanel title="This subscription was ended">
        <p>
          <strong>{sub.email}</strong> left the digest after this link was sent, so it does not bring it back.
        </p>
        <p class="auth-switch">
          <a href="/subscribe" class="button primary">
            Subscribe again
          </a>
        </p>
      </AuthPanel>
    </Layout>,
    409,
  );
}

const DONE: Record<string, string> = {
  confirmed: 'You are subscribed. Choose your topics below, or keep the overall top papers.',
  saved: 'Preferences saved.',
  back: 'Welcome back: you are subscribed again.',
};

/** `GET /subscription?token=`: the preferences a digest's "Manage topics" link opens. */
export async function showPreferences(c: C) {
  const found = await fromToken(c, 'preferences');
  if (!found) return badLink(c, 'preferences');
  return preferencesPage(c, found.sub, found.token, valuesOf(found.sub));
}

/** `POST /subscription?token=`: saves the preferences (or, with `action=resubscribe`, comes back after leaving). */
export async function savePreferences(c: C) {
  await enforceLimit(c, 'digestPreferences');
  const found = await fromToken(c, 'preferences');
  if (!found) return badLink(c, 'preferences');
  const { sub, token } = found;
  const fields = await formFields(c);
  const db = c.get('db').kysely;
  if (fields.action === 'resubscribe') {
    // The signed link proves the address, as the confirmation would.
    await resubscribe(db, sub.id);
    return c.redirect(`${self('/subscription', token)}&done=back`, 303);
  }
  const { values, prefs, errors } = preferencesFromForm(fields);
  if (!prefs) return preferencesPage(c, sub, token, values, errors, 400);
  await updatePreferences(db, sub.id, prefs);
  return c.redirect(`${self('/subscription', token)}&done=saved`, 303);
}

function preferencesPage(c: C, sub: Subscription, token: string, values: PreferenceValues, errors?: FormErrors, status: 200 | 400 = 200) {
  const done = errors ? undefined : DONE[c.req.query('done') ?? ''];
  const csrf = csrfToken(c);
  const leftAt = sub.status === 'unsubscribed' || sub.status === 'bounced';
  return c.html(
    <Layout chrome={chromeOf(c)} title="Your digest">
      <div class="settings">
        <header class="settings-head">
          <h1>Your digest</h1>
          <span class="muted">{sub.email}</span>
        </header>
        {done && (
          <p class="form-notice" role="status">
            {done}
          </p>
        )}
        {leftAt && (
          <section class="settings-section">
            <h2>You are not subscribed</h2>
            <p class="muted small">{sub.status === 'bounced' ? 'Mails to this address were refused, so we stopped sending.' : 'You unsubscribed, so no digest is sent.'} Changed your mind?</p>
            <form method="post" action={self('/subscription', token)}>
              <CsrfField token={csrf} />
              <button type="submit" name="action" value="resubscribe" class="button primary">
                Subscribe again
              </button>
            </form>
          </section>
        )}
        {sub.status === 'pending' && (
          <p class="form-notice" role="status">
            This address is not confirmed yet: use the link in the confirmation mail to start the digest.
          </p>
        )}
        <section class="settings-section" aria-labelledby="p-topics">
          <h2 id="p-topics">What the digest holds</h2>
          <form method="post" action={self('/subscription', token)} class="stack-form" novalidate>
            <CsrfField token={csrf} />
            <PreferenceFields values={values} errors={errors} />
            <button type="submit" name="action" value="save" class="button primary">
              Save preferences
            </button>
          </form>
        </section>
        {!leftAt && (
          <section class="settings-section" aria-labelledby="p-leave">
            <h2 id="p-leave">Leave</h2>
            <p class="muted small">Stops every digest at once. You can come back from this page.</p>
            <UnsubscribeButton c={c} token={signedToken(c, 'unsubscribe', sub.id)} csrf={csrf} />
          </section>
        )}
      </div>
    </Layout>,
    status,
  );
}

// ---- leaving

function UnsubscribeButton({ token, csrf }: { c: C; token: string; csrf: string }) {
  return (
    <form method="post" action={self('/unsubscribe', token)}>
      <CsrfField token={csrf} />
      {/* The same body a mail client's one-click button sends (RFC 8058), so both take one path. */}
      <input type="hidden" name="List-Unsubscribe" value="One-Click" />
      <button type="submit" class="button danger">
        Unsubscribe
      </button>
    </form>
  );
}

/** `GET /unsubscribe?token=`: one button; the GET itself changes nothing (mail scanners fetch links). */
export async function showUnsubscribe(c: C) {
  const found = await fromToken(c, 'unsubscribe');
  if (!found) return badLink(c, 'unsubscribe');
  const { sub, token } = found;
  if (sub.status === 'unsubscribed') return leftPage(c, sub);
  return c.html(
    <Layout chrome={chromeOf(c)} title="Unsubscribe">
      <AuthPanel title="Unsubscribe" lead={<>Stop the digest for <strong>{sub.email}</strong>.</>}>
        <UnsubscribeButton c={c} token={token} csrf={csrfToken(c)} />
      </AuthPanel>
    </Layout>,
  );
}

/**
 * `POST /unsubscribe?token=`: leaves at once and answers 200, idempotently. Mail providers post
 * `List-Unsubscribe=One-Click` here without cookies or Origin (RFC 8058), so the CSRF check lets
 * exactly that request through (http/authenticate.ts): the signed token is the authority.
 */
export async function unsubscribeAction(c: C) {
  const found = await fromToken(c, 'unsubscribe');
  if (!found) return badLink(c, 'unsubscribe');
  await unsubscribe(c.get('db').kysely, found.sub.id);
  return leftPage(c, { ...found.sub, status: 'unsubscribed' });
}

function leftPage(c: C, sub: Subscription) {
  return c.html(
    <Layout chrome={chromeOf(c)} title="Unsubscribed">
      <AuthPanel title="You are unsubscribed">
        <p>
          <strong>{sub.email}</strong> gets no more digests.
        </p>
        <p class="muted small">
          Changed your mind? <a href={self('/subscription', signedToken(c, 'preferences', sub.id))}>Subscribe again from your preferences</a>.
        </p>
      </AuthPanel>
    </Layout>,
  );
}

// ---- the account's digest (settings)

/** The "Digest" section of `/settings`: the account's own address needs no confirmation. */
export function DigestSettings({ csrf, email, sub, values, errors }: { csrf: string; email: string | null; sub: Subscription | undefined; values?: PreferenceValues; errors?: FormErrors }): Child {
  const active = sub?.status === 'active';
  return (
    <section class="settings-section" id="digest" aria-labelledby="s-digest">
      <h2 id="s-digest">Digest</h2>
      {!email ? (
        <p class="muted small">Your account has no e-mail address; subscribe any address from the form at the bottom of every page.</p>
      ) : (
        <>
          <p class="muted small">
            {active ? (
              <>
                Trending papers go to <strong>{sub.email}</strong>, {sub.frequency === 'weekly' ? 'weekly' : 'every weekday'}.
              </>
            ) : (
              <>Get the trending papers by e-mail at {email}: your address is confirmed by signing in, so it starts at once.</>
            )}
          </p>
          <form method="post" action="/settings/digest" class="stack-form" novalidate>
            <CsrfField token={csrf} />
            <PreferenceFields values={values ?? valuesOf(sub)} errors={errors} />
            <button type="submit" class="button primary">
              {active ? 'Save digest preferences' : 'Subscribe'}
            </button>
          </form>
          {active && (
            <form method="post" action="/settings/digest/for-you" class="stack-form digest-for-you">
              <CsrfField token={csrf} />
              <input type="hidden" name="for_you" value={sub.for_you === 1 ? 'off' : 'on'} />
              <p class="muted small">
                {sub.for_you === 1
                  ? 'Your digest is “for you”: the period’s papers ranked by what you save, upvote, hide and follow (see /for-you); topics are set aside.'
                  : 'Or make it “for you”: the period’s papers ranked by what you save, upvote, hide and follow, as on /for-you.'}
              </p>
              <button type="submit" class="button">{sub.for_you === 1 ? 'Back to topics' : 'Make my digest “for you”'}</button>
            </form>
          )}
          {active && (
            <form method="post" action="/settings/digest/unsubscribe" class="digest-leave">
              <CsrfField token={csrf} />
              <button type="submit" class="button danger">
                Unsubscribe
              </button>
            </form>
          )}
        </>
      )}
    </section>
  );
}

/** `GET /subscribe/dismiss?next=`: hides the daily list's subscribe banner for this browser, for a year. */
export function dismissBanner(c: Context<AppEnv>) {
  const secure = new URL(siteOrigin(c)).protocol === 'https:';
  c.header('Set-Cookie', `${BANNER_COOKIE}=off; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly${secure ? '; Secure' : ''}`);
  return c.redirect(safeRedirect(c.req.query('next')) ?? '/papers', 303);
}
