import type { Context } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { z } from 'zod';
import type { AppEnv } from '../http/env.ts';
import { needViewer } from '../http/guards.ts';
import { csrfToken } from '../http/authenticate.ts';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../auth/passwords.ts';
import { enforceLimit } from '../http/rate-limit.ts';
import { SESSION_COOKIE, type Viewer } from '../auth/sessions.ts';
import { hashToken } from '../auth/tokens.ts';
import { fieldErrors, formBody, formFields } from '../http/forms.ts';
import { Layout, chromeOf } from '../ui/layout.tsx';
import { idParam } from '../http/params.ts';
import { RequestError } from '../http/respond.ts';
import { formatShortDate } from '../ui/format.ts';
import { CsrfField, Field, FormAlert, type FormErrors } from '../ui/forms.tsx';
import { apiTokensOfUser, sessionsOfUser, userById } from './queries.ts';
import { MAX_API_TOKENS, changePassword, createApiToken, endEverywhere, revokeOwnApiToken, saveProfile } from './settings.ts';
import { DigestSettings } from '../digests/pages.tsx';
import { preferencesFromForm, type PreferenceValues } from '../digests/forms.tsx';
import { setForYouDigest, subscribeAccount, subscriptionFor, unsubscribe } from '../digests/subscriptions.ts';

type C = Context<AppEnv>;

const profileForm = z.object({
  fullname: z.string().trim().max(100, 'a name has at most 100 characters').default(''),
  bio: z.string().trim().max(1000, 'a bio has at most 1,000 characters').default(''),
});
const passwordForm = z.object({
  current: z.string().max(MAX_PASSWORD_LENGTH).default(''),
  password: z.string().min(MIN_PASSWORD_LENGTH, `a password has at least ${MIN_PASSWORD_LENGTH} characters`).max(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`),
});
const tokenForm = z.object({
  name: z.string().trim().min(1, 'name the token, e.g. “laptop script”').max(60, 'a token name has at most 60 characters'),
  scopes: z.enum(['read', 'read write'], 'choose read, or read and write'),
});

/** What a finished action says at the top of the page (`?done=`). */
const DONE: Record<string, string> = {
  welcome: 'Welcome! Your account is ready. Add a name and a few words about yourself, if you like.',
  profile: 'Profile saved.',
  password: 'Password saved. Your other browsers were signed out.',
  'password-tokens': 'Password saved. Your other browsers were signed out and your API tokens revoked.',
  revoked: 'Token revoked: it no longer works.',
  digest: 'Digest saved.',
  'digest-off': 'You are unsubscribed from the digest.',
};

/** Settings are changed from a signed-in browser; API tokens may only edit the profile. */
function needSession(c: C): Viewer {
  const viewer = needViewer(c, c.req.method === 'GET' ? 'read' : 'write');
  if (c.get('auth').kind !== 'session') throw new RequestError(403, 'account settings need a browser session, not an API token');
  return viewer;
}

export async function showSettings(c: C) {
  const viewer = needSession(c);
  return renderSettings(c, viewer, {});
}

/** `POST /settings/profile` (also with a `write` API token). */
export async function saveProfileForm(c: C) {
  const viewer = needViewer(c, 'write');
  await enforceLimit(c, 'profile');
  const parsed = profileForm.safeParse(await formFields(c));
  if (!parsed.success) {
    if (c.get('auth').kind !== 'session') throw new RequestError(422, parsed.error.issues[0]!.message);
    return renderSettings(c, viewer, { errors: fieldErrors(parsed.error) }, 422);
  }
  await saveProfile(c.get('db').kysely, viewer.id, parsed.data);
  return c.redirect('/settings?done=profile', 303);
}

export async function savePassword(c: C) {
  const viewer = needSession(c);
  await enforceLimit(c, 'signin');
  const parsed = passwordForm.safeParse(await formFields(c));
  if (!parsed.success) return renderSettings(c, viewer, { errors: fieldErrors(parsed.error, 'pw-') }, 422);
  const auth = c.get('auth');
  const keep = auth.kind === 'session' ? hashToken(auth.sessionToken) : null;
  const revoke = revokesTokens(await formFields(c));
  const outcome = await changePassword(c.get('db').kysely, viewer.id, parsed.data.current, parsed.data.password, keep, revoke);
  if (outcome === 'wrong-current') return renderSettings(c, viewer, { errors: { 'pw-current': 'that is not your current password' } }, 403);
  return c.redirect(`/settings?done=${revoke ? 'password-tokens' : 'password'}`, 303);
}

/**
 * Whether "sign out everywhere" or a new password also revokes the API tokens: the forms offer it
 * ticked (`revoke_tokens`) and say they offered it (`tokens_choice`); a post that was not offered
 * the choice revokes them, the safe side.
 */
function revokesTokens(fields: Record<string, string>): boolean {
  return fields.tokens_choice !== '1' || fields.revoke_tokens === '1';
}

/** `POST /settings/sessions/end-all`: "sign out everywhere", this browser included. */
export async function signOutEverywhere(c: C) {
  const viewer = needSession(c);
  await endEverywhere(c.get('db').kysely, viewer.id, revokesTokens(await formFields(c)));
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  return c.redirect('/signin', 303);
}

/** `POST /settings/tokens`: the new token is shown on this answer only. */
export async function createToken(c: C) {
  const viewer = needSession(c);
  await enforceLimit(c, 'token');
  const parsed = tokenForm.safeParse(await formFields(c));
  if (!parsed.success) return renderSettings(c, viewer, { errors: fieldErrors(parsed.error, 'token-') }, 422);
  const token = await createApiToken(c.get('db').kysely, viewer.id, parsed.data.name, parsed.data.scopes);
  if (token === 'too-many') return renderSettings(c, viewer, { errors: { 'token-name': `you have ${MAX_API_TOKENS} tokens already; revoke one first` } }, 409);
  return renderSettings(c, viewer, { newToken: { name: parsed.data.name, token } }, 201);
}

export async function revokeToken(c: C) {
  const viewer = needSession(c);
  const id = idParam(c, 'id');
  if (!(await revokeOwnApiToken(c.get('db').kysely, viewer.id, id))) throw new RequestError(404, 'no such token');
  return c.redirect('/settings?done=revoked', 303);
}

/** `POST /settings/digest`: subscribes the account's address at once (signing in proved it) or saves its preferences. */
export async function saveDigestSettings(c: C) {
  const viewer = needSession(c);
  await enforceLimit(c, 'digestPreferences');
  if (!viewer.email) throw new RequestError(409, 'your account has no e-mail address to send a digest to');
  const { values, prefs, errors } = preferencesFromForm(await formFields(c));
  if (!prefs) return renderSettings(c, viewer, { errors: {}, digest: { values, errors: errors ?? {} } }, 400);
  await subscribeAccount(c.get('db').kysely, viewer.id, viewer.email, prefs);
  return c.redirect('/settings?done=digest#digest', 303);
}

/** `POST /settings/digest/for-you`: `for_you` = on | off, the account's digest ranked for them or by topics. */
export async function saveForYouDigest(c: C) {
  const viewer = needSession(c);
  const { for_you } = await formBody(c, z.object({ for_you: z.enum(['on', 'off'], 'for_you must be "on" or "off"') }));
  if (!(await setForYouDigest(c.get('db').kysely, viewer.id, for_you === 'on'))) throw new RequestError(409, 'subscribe to the digest first');
  return c.redirect('/settings?done=digest#digest', 303);
}

export async function leaveDigest(c: C) {
  const viewer = needSession(c);
  const sub = await subscriptionFor(c.get('db').kysely, viewer.id);
  if (sub) await unsubscribe(c.get('db').kysely, sub.id);
  return c.redirect('/settings?done=digest-off#digest', 303);
}

interface SettingsState {
  errors?: FormErrors;
  newToken?: { name: string; token: string };
  /** The digest form as posted, with its problems. */
  digest?: { values: PreferenceValues; errors: FormErrors };
}

async function renderSettings(c: C, viewer: Viewer, state: SettingsState, status: 200 | 201 | 400 | 403 | 409 | 422 = 200) {
  const db = c.get('db').kysely;
  const now = new Date();
  const [user, sessions, tokens, subscription] = await Promise.all([userById(db, viewer.id), sessionsOfUser(db, viewer.id, now), apiTokensOfUser(db, viewer.id), subscriptionFor(db, viewer.id)]);
  if (!user) throw new RequestError(404, 'no such user');
  const auth = c.get('auth');
  const current = auth.kind === 'session' ? hashToken(auth.sessionToken) : null;
  const csrf = csrfToken(c);
  const errors = state.errors ?? {};
  const done = DONE[c.req.query('done') ?? ''];
  const pick = (prefix: string) => Object.fromEntries(Object.entries(errors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  const pwErrors = pick('pw-');
  const tokenErrors = pick('token-');
  return c.html(
    <Layout chrome={chromeOf(c)} title="Settings">
      <div class="settings">
        <header class="settings-head">
          <h1>Settings</h1>
          <a href={`/users/${user.username}`}>View your profile</a>
        </header>
        {done && !state.errors && (
          <p class="form-notice" role="status">
            {done}
          </p>
        )}

        <section class="settings-section" aria-labelledby="s-profile">
          <h2 id="s-profile">Profile</h2>
          <p class="muted small">
            Shown on your public page, <a href={`/users/${user.username}`}>/users/{user.username}</a>. Signed in as {user.email}.
          </p>
          <form method="post" action="/settings/profile" class="stack-form">
            <CsrfField token={csrf} />
            <FormAlert errors={errors} />
            <Field name="fullname" label="Full name" value={user.fullname} autocomplete="name" maxlength={100} errors={errors} />
            <div class={errors.bio ? 'field has-error' : 'field'}>
              <label for="f-bio">
                Bio<span class="optional"> (optional)</span>
              </label>
              <textarea id="f-bio" name="bio" rows={4} maxlength={1000} aria-invalid={errors.bio ? 'true' : undefined} aria-describedby={errors.bio ? 'bio-error' : 'bio-hint'}>
                {user.bio ?? ''}
              </textarea>
              <p class="field-hint" id="bio-hint">
                A few words: what you work on, where. Plain text, up to 1,000 characters.
              </p>
              {errors.bio && (
                <p class="field-error" id="bio-error">
                  {errors.bio}
                </p>
              )}
            </div>
            <button type="submit" class="button primary">Save profile</button>
          </form>
        </section>

        <DigestSettings csrf={csrf} email={user.email} sub={subscription} values={state.digest?.values} errors={state.digest?.errors} />

        <section class="settings-section" aria-labelledby="s-password">
          <h2 id="s-password">{user.password_hash ? 'Change password' : 'Set a password'}</h2>
          <p class="muted small">
            {user.password_hash
              ? 'Saving a new password signs out your other browsers.'
              : 'You sign in with e-mailed links. A password lets you sign in without waiting for mail.'}
          </p>
          <form method="post" action="/settings/password" class="stack-form">
            <CsrfField token={csrf} />
            {/* Password managers file the new password under this account. */}
            <input type="text" name="username" value={user.email ?? user.username} autocomplete="username" hidden />
            {user.password_hash && <Field name="current" label="Current password" type="password" autocomplete="current-password" required errors={pwErrors} />}
            <Field name="password" label="New password" type="password" autocomplete="new-password" required minlength={MIN_PASSWORD_LENGTH} hint={`At least ${MIN_PASSWORD_LENGTH} characters.`} errors={pwErrors} />
            <RevokeTokensChoice />
            <button type="submit" class="button primary">{user.password_hash ? 'Change password' : 'Set password'}</button>
          </form>
        </section>

        <section class="settings-section" aria-labelledby="s-sessions">
          <h2 id="s-sessions">Where you are signed in</h2>
          <ul class="session-list">
            {sessions.map((s) => (
              <li>
                <span class="session-agent">{describeAgent(s.user_agent)}</span>
                {s.token_hash === current && <span class="badge this-browser">This browser</span>}
                <span class="muted small">
                  signed in {formatShortDate(s.created_at)} · last seen {formatShortDate(s.last_seen_at)}
                </span>
              </li>
            ))}
          </ul>
          <form method="post" action="/settings/sessions/end-all">
            <CsrfField token={csrf} />
            <RevokeTokensChoice />
            <button type="submit" class="button danger">Sign out everywhere</button>
          </form>
        </section>

        <section class="settings-section" aria-labelledby="s-tokens">
          <h2 id="s-tokens">API tokens</h2>
          <p class="muted small">
            For scripts and clients of the <a href="/api/daily_papers">JSON API</a>: send <code>Authorization: Bearer dp_…</code>. A read token
            sees what you see; a read-and-write token can also upvote, submit and comment as you.
          </p>
          {state.newToken && (
            <div class="new-token" role="status">
              <p>
                <strong>Your new token “{state.newToken.name}”.</strong> Copy it now: it is not shown again.
              </p>
              <input type="text" readonly value={state.newToken.token} aria-label="New API token" class="token-value" />
            </div>
          )}
          {tokens.length > 0 && (
            <ul class="token-list">
              {tokens.map((t) => (
                <li>
                  <div>
                    <strong>{t.name}</strong> <span class="badge">{t.scopes === 'read' ? 'read' : 'read, write'}</span>
                    <div class="muted small">
                      created {formatShortDate(t.created_at)} · {t.last_used_at ? `last used ${formatShortDate(t.last_used_at)}` : 'never used'}
                    </div>
                  </div>
                  <form method="post" action={`/settings/tokens/${t.id}/revoke`}>
                    <CsrfField token={csrf} />
                    <button type="submit" class="button small-button" aria-label={`Revoke token ${t.name}`}>
                      Revoke
                    </button>
                  </form>
                </li>
              ))}
            </ul>
          )}
          <form method="post" action="/settings/tokens" class="token-form">
            <CsrfField token={csrf} />
            <Field name="name" label="Token name" maxlength={60} required errors={tokenErrors} autocomplete="off" />
            <fieldset class="scopes">
              <legend>Access</legend>
              <label>
                <input type="radio" name="scopes" value="read" checked /> Read
              </label>
              <label>
                <input type="radio" name="scopes" value="read write" /> Read and write
              </label>
            </fieldset>
            <button type="submit" class="button primary">Create token</button>
          </form>
        </section>
      </div>
    </Layout>,
    status,
  );
}

/** The "also revoke my API tokens" box of "sign out everywhere" and a new password: ticked, the safe side. */
function RevokeTokensChoice() {
  return (
    <>
      <input type="hidden" name="tokens_choice" value="1" />
      <label class="checkbox-line">
        <input type="checkbox" name="revoke_tokens" value="1" checked /> Also revoke my API tokens (scripts using them stop working)
      </label>
    </>
  );
}

/** "Firefox on Linux" from a User-Agent header; enough to recognise one's devices. */
function describeAgent(agent: string | null): string {
  if (!agent) return 'Unknown browser';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : /curl|python|node|undici/i.test(agent) ? 'Script' : 'Browser';
  const os = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Windows/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}
