import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { csrfToken } from '../http/authenticate.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword } from '../auth/passwords.ts';
import { enforceLimit, enforceLimitFor } from '../http/rate-limit.ts';
import { endSession, startSession } from '../auth/sessions.ts';
import { hashToken } from '../auth/tokens.ts';
import type { Mail } from '../mail/mailer.ts';
import { fieldErrors, formFields } from '../http/forms.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { outboxOpen } from '../http/origin.ts';
import { AuthPanel, CsrfField, Field, FormAlert, type FormErrors } from '../ui/forms.tsx';
import { liveEmailToken } from './queries.ts';
import { passwordSignin, requestSignup, requestSigninLink, useLink } from './sign-in.ts';
import { safeRedirect } from '../http/redirects.ts';
import { normalizeEmail, usernameProblem } from '../auth/users.ts';
import { siteOrigin } from '../http/origin.ts';

type C = Context<AppEnv>;

/**
 * Sends a mail without waiting for the mail server: the answer takes as long
 * whether or not a mail went out, so its timing tells nothing about accounts.
 */
function deliver(c: C, mail: Mail | null): void {
  if (!mail) return;
  const log = c.get('log');
  c.get('mailer').send(mail).catch((err: unknown) => log?.error({ err, to: mail.to.replace(/^[^@]*/, '…') }, 'accounts: mail not sent'));
}

const email = z.string().trim().max(254, 'that address is too long').pipe(z.email('enter an e-mail address like ada@example.org'));
const optionalPassword = z
  .string()
  .max(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`)
  .refine((p) => p === '' || p.length >= MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`)
  .default('');

const signupForm = z.object({
  username: z.string().trim().refine((u) => !usernameProblem(u), { error: (issue) => usernameProblem(String(issue.input)) ?? 'invalid username' }),
  email,
  fullname: z.string().trim().max(100, 'a name has at most 100 characters').default(''),
  next: z.string().optional(),
});

const signinForm = z.object({
  email,
  password: z.string().max(MAX_PASSWORD_LENGTH).default(''),
  method: z.enum(['password', 'link']).default('password'),
  next: z.string().optional(),
});

/** A limit per address, besides the one per client: guesses spread over many IPs, and mails to one inbox, still add up. */
const byAddress = (address: string) => `e:${normalizeEmail(address)}`;

export function showSignup(c: C) {
  return c.html(<SignupPage c={c} values={{ next: safeRedirect(c.req.query('next')) ?? '' }} />);
}

/** `POST /signup`: always "check your inbox" once the form is valid, whether or not the address has an account. */
export async function signup(c: C) {
  await enforceLimit(c, 'signup');
  await enforceLimit(c, 'emailLink');
  const values = await formFields(c);
  const parsed = signupForm.safeParse(values);
  if (!parsed.success) return c.html(<SignupPage c={c} values={values} errors={fieldErrors(parsed.error)} />, 422);
  const form = parsed.data;
  await enforceLimitFor(c, 'emailLink', byAddress(form.email));
  const outcome = await requestSignup(c.get('db').kysely, linkContext(c), {
    username: form.username,
    email: form.email,
    fullname: form.fullname,
    next: safeRedirect(form.next),
  });
  if ('usernameTaken' in outcome) {
    return c.html(<SignupPage c={c} values={values} errors={{ username: `the username “${form.username}” is taken; choose another` }} />, 409);
  }
  deliver(c, outcome.mail);
  return c.html(<CheckInbox c={c} email={form.email} />);
}

/**
 * The sign-in and sign-up pages: one form posting to `action` (the CSRF token and `next`
 * inside), then a link to the other page that keeps `next`.
 */
function AuthFormPage({ c, title, lead, action, next, errors, other, children }: { c: C; title: string; lead: string; action: string; next: string | undefined; errors?: FormErrors; other: { question: string; path: string; label: string }; children: Child }) {
  return (
    <Layout chrome={chromeOf(c)} title={title}>
      <AuthPanel title={title} lead={lead}>
        <FormAlert errors={errors} />
        <form method="post" action={action} class="stack-form" novalidate>
          <CsrfField token={csrfToken(c)} />
          {next && <input type="hidden" name="next" value={next} />}
          {children}
        </form>
        <p class="auth-switch">
          {other.question} <a href={next ? `${other.path}?next=${encodeURIComponent(next)}` : other.path}>{other.label}</a>
        </p>
      </AuthPanel>
    </Layout>
  );
}

function SignupPage({ c, values, errors }: { c: C; values: Record<string, string>; errors?: FormErrors }) {
  return (
    <AuthFormPage c={c} title="Create an account" lead="Upvote, submit and discuss papers. We e-mail you a link to confirm your address." action="/signup" next={safeRedirect(values.next)} errors={errors} other={{ question: 'Already have an account?', path: '/signin', label: 'Sign in' }}>
      <Field name="username" label="Username" value={values.username} autocomplete="username" required errors={errors} maxlength={30} hint="Your public handle: 2 to 30 letters, digits, - or _." autofocus={!errors} />
      <Field name="email" label="E-mail" type="email" value={values.email} autocomplete="email" required errors={errors} hint="Never shown to anyone." />
      <Field name="fullname" label="Full name" value={values.fullname} autocomplete="name" errors={errors} maxlength={100} />
      <p class="muted small">You choose a password, if you want one, after opening the link we e-mail you.</p>
      <button type="submit" class="button primary wide">Create account</button>
    </AuthFormPage>
  );
}

export function showSignin(c: C) {
  return c.html(<SigninPage c={c} values={{ next: safeRedirect(c.req.query('next')) ?? '' }} />);
}

/** `POST /signin`: a password, or "e-mail me a link". */
export async function signin(c: C) {
  await enforceLimit(c, 'signin');
  const values = await formFields(c);
  const parsed = signinForm.safeParse(values);
  if (!parsed.success) return c.html(<SigninPage c={c} values={values} errors={fieldErrors(parsed.error)} />, 422);
  const form = parsed.data;
  const next = safeRedirect(form.next);
  if (form.method === 'link') {
    await enforceLimit(c, 'emailLink');
    await enforceLimitFor(c, 'emailLink', byAddress(form.email));
    deliver(c, await requestSigninLink(c.get('db').kysely, linkContext(c), form.email, next));
    return c.html(<CheckInbox c={c} email={form.email} />);
  }
  if (!form.password) {
    return c.html(<SigninPage c={c} values={values} errors={{ password: 'enter your password, or have a sign-in link e-mailed to you' }} />, 422);
  }
  await enforceLimitFor(c, 'signin', byAddress(form.email));
  const outcome = await passwordSignin(c.get('db').kysely, form.email, form.password);
  if ('failure' in outcome) {
    const message =
      outcome.failure === 'banned'
        ? 'This account is suspended.'
        : 'That e-mail and password do not match an account. Check both, or have a sign-in link e-mailed to you.';
    return c.html(<SigninPage c={c} values={values} errors={{ form: message }} />, outcome.failure === 'banned' ? 403 : 401);
  }
  await startSession(c, c.get('db').kysely, outcome.userId);
  return c.redirect(next ?? '/papers', 303);
}

function SigninPage({ c, values, errors }: { c: C; values: Record<string, string>; errors?: FormErrors }) {
  return (
    <AuthFormPage c={c} title="Sign in" lead="With your password, or with a link we e-mail you." action="/signin" next={safeRedirect(values.next)} errors={errors} other={{ question: 'New here?', path: '/signup', label: 'Create an account' }}>
      <Field name="email" label="E-mail" type="email" value={values.email} autocomplete="email" required errors={errors} autofocus={!errors} />
      <Field name="password" label="Password" type="password" autocomplete="current-password" markOptional={false} errors={errors} hint="Leave it empty to sign in with an e-mailed link." />
      <button type="submit" name="method" value="password" class="button primary wide">Sign in</button>
      <div class="or" aria-hidden="true"><span>or</span></div>
      <button type="submit" name="method" value="link" class="button wide">E-mail me a sign-in link</button>
    </AuthFormPage>
  );
}

/** The same page for every valid request, so it never tells whether an address has an account. */
function CheckInbox({ c, email }: { c: C; email: string }) {
  const devOutbox = outboxOpen(c);
  return (
    <Layout chrome={chromeOf(c)} title="Check your inbox">
      <AuthPanel title="Check your inbox">
        <p class="inbox-icon" aria-hidden="true">✉</p>
        <p>
          We sent a link to <strong>{email.trim().toLowerCase()}</strong>. Open it within 30 minutes to continue.
        </p>
        <p class="muted small">Nothing there after a few minutes? Look in your spam folder, or <a href="/signin">try again</a>.</p>
        {devOutbox && (
          <p class="dev-note small">
            Development: no mail server is set (<code>SMTP_URL</code>), so mails are kept in the <a href="/dev/outbox">outbox</a>.
          </p>
        )}
      </AuthPanel>
    </Layout>
  );
}

const tokenParam = z.string().regex(/^[\w-]{43}$/);

/** `GET /signin/link?token=`: a page with a button. Mail scanners fetch links; only the POST uses one. */
export async function showLink(c: C) {
  const token = tokenParam.safeParse(c.req.query('token'));
  if (!token.success) return c.html(<DeadLink c={c} />, 410);
  return linkPage(c, token.data);
}

/**
 * The page an e-mailed link opens. A sign-up link's page is where the password is chosen: only
 * someone who read the mail reaches it, so the password is set by whoever proved the address.
 */
async function linkPage(c: C, token: string, errors?: FormErrors) {
  const row = await liveEmailToken(c.get('db').kysely, hashToken(token), new Date());
  if (!row) return c.html(<DeadLink c={c} />, 410);
  const payload = JSON.parse(row.payload ?? '{}') as { username?: string };
  const signup = row.purpose === 'signup';
  return c.html(
    <Layout chrome={chromeOf(c)} title={signup ? 'Confirm your account' : 'Sign in'}>
      <AuthPanel title={signup ? 'Confirm your account' : 'Sign in'} lead={signup ? <>Create the account <strong>@{payload.username}</strong> for {row.email}.</> : <>Sign in as {row.email}.</>}>
        <FormAlert errors={errors} />
        <form method="post" action="/signin/link" class="stack-form">
          <CsrfField token={csrfToken(c)} />
          <input type="hidden" name="token" value={token} />
          {signup && (
            <>
              {/* Password managers file the new password under this address. */}
              <input type="text" name="username" value={row.email} autocomplete="username" hidden />
              <Field name="password" label="Password" type="password" autocomplete="new-password" errors={errors} minlength={MIN_PASSWORD_LENGTH} hint={`At least ${MIN_PASSWORD_LENGTH} characters. Without one, you sign in with e-mailed links.`} />
            </>
          )}
          <button type="submit" class="button primary wide" autofocus={!signup}>
            {signup ? 'Create my account' : 'Sign in'}
          </button>
        </form>
      </AuthPanel>
    </Layout>,
    errors ? 422 : 200,
  );
}

const linkForm = z.object({ token: tokenParam, password: optionalPassword });

/** `POST /signin/link`: uses the link once and signs this browser in; a sign-up link may bring the password chosen on its page. */
export async function confirmLink(c: C) {
  const parsed = linkForm.safeParse(await formFields(c));
  if (!parsed.success) {
    const token = tokenParam.safeParse((await formFields(c)).token);
    if (!token.success) return c.html(<DeadLink c={c} />, 410);
    return linkPage(c, token.data, fieldErrors(parsed.error));
  }
  const { token, password } = parsed.data;
  // Hashed before the transaction: argon2 takes a while, and the database lock should not wait for it.
  const passwordHash = password ? await hashPassword(password) : undefined;
  const outcome = await useLink(c.get('db').kysely, token, { passwordHash });
  if ('failure' in outcome) {
    if (outcome.failure === 'invalid') return c.html(<DeadLink c={c} />, 410);
    const message = outcome.failure === 'banned' ? 'This account is suspended.' : 'Someone took that username in the meantime. Please sign up again with another one.';
    return c.html(
      <Layout chrome={chromeOf(c)} title="Could not sign in">
        <AuthPanel title="Could not sign in">
          <div class="form-alert" role="alert">{message}</div>
          <p class="auth-switch"><a href="/signup">Sign up</a> · <a href="/papers">Today's papers</a></p>
        </AuthPanel>
      </Layout>,
      outcome.failure === 'banned' ? 403 : 409,
    );
  }
  await startSession(c, c.get('db').kysely, outcome.userId);
  return c.redirect(outcome.next ?? (outcome.created ? '/settings?done=welcome' : '/papers'), 303);
}

function DeadLink({ c }: { c: C }) {
  return (
    <Layout chrome={chromeOf(c)} title="Link expired">
      <AuthPanel title="This link no longer works">
        <p>Sign-in links work once, for 30 minutes. This one has expired or was already used.</p>
        <p class="auth-switch">
          <a href="/signin" class="button primary">Get a new link</a>
        </p>
      </AuthPanel>
    </Layout>
  );
}

/** `POST /signout`: this browser only. */
export async function signout(c: C) {
  await endSession(c, c.get('db').kysely);
  return c.redirect('/papers', 303);
}

function linkContext(c: C) {
  return { origin: siteOrigin(c), siteName: c.get('config').SITE_NAME };
}
