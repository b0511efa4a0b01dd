import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { verifyDecoy, verifyPassword } from '../auth/passwords.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import type { Mail } from '../mail/mailer.ts';
import { createAccount, normalizeEmail } from '../auth/users.ts';
import { insertEmailToken, useEmailToken, userByEmail } from './queries.ts';
import { userByHandle } from '../auth/users.ts';
import { signinMail, signupMail } from './mails.ts';
import { safeRedirect } from '../http/redirects.ts';

type Db = Kysely<Database>;

/** How long an e-mailed link works. */
export const LINK_TTL_MS = 30 * 60 * 1000;

/**
 * What a sign-up link carries until it is used: never a password, nor its hash. Whoever fills the
 * form may not own the address; a password is chosen on the page the mailed link opens, by the
 * person who proved the address (a hash in links minted before this change is ignored).
 */
const signupPayload = z.object({
  username: z.string(),
  fullname: z.string().optional(),
  next: z.string().optional(),
});
const signinPayload = z.object({ next: z.string().optional() });

interface LinkContext {
  /** The site's origin, for the link: `BASE_URL` or the request's. */
  origin: string;
  siteName: string;
  now?: Date;
}

/** Mints a link of `purpose` for `email` and returns the mail that carries it. */
async function linkFor(db: Db, ctx: LinkContext, email: string, purpose: 'signin' | 'signup', payload: object): Promise<string> {
  const token = newToken();
  await insertEmailToken(db, { tokenHash: hashToken(token), email, purpose, payload: JSON.stringify(payload), now: ctx.now ?? new Date(), ttlMs: LINK_TTL_MS });
  return `${ctx.origin}/signin/link?token=${token}`;
}

export interface SignupRequest {
  username: string;
  email: string;
  fullname?: string;
  next?: string;
}

/**
 * A sign-up: a taken username is reported (handles are public), otherwise a mail
 * to send — a sign-up link for a new address, a sign-in link for a known one — so
 * the answer never tells whether the address has an account.
 */
export async function requestSignup(db: Db, ctx: LinkContext, req: SignupRequest): Promise<{ usernameTaken: true } | { mail: Mail | null }> {
  const email = normalizeEmail(req.email);
  const [owner, handle] = await Promise.all([userByEmail(db, email), userByHandle(db, req.username)]);
  // The handle is checked first, whoever owns the address: otherwise "taken" would appear only for new addresses.
  if (handle) return { usernameTaken: true };
  if (owner) {
    if (owner.banned_at) return { mail: null };
    return { mail: signinMail(email, await linkFor(db, ctx, email, 'signin', { next: req.next }), ctx.siteName) };
  }
  const payload = {
    username: req.username,
    fullname: req.fullname?.trim() || undefined,
    next: req.next,
  };
  return { mail: signupMail(email, req.username, await linkFor(db, ctx, email, 'signup', payload), ctx.siteName) };
}

/** "E-mail me a link": a mail for an address with an account that may sign in, else nothing. */
export async function requestSigninLink(db: Db, ctx: LinkContext, rawEmail: string, next?: string): Promise<Mail | null> {
  const email = normalizeEmail(rawEmail);
  const user = await userByEmail(db, email);
  if (!user || user.banned_at) return null;
  return signinMail(email, await linkFor(db, ctx, email, 'signin', { next }), ctx.siteName);
}

/**
 * Signs in with a password. Unknown addresses, accounts without a password and
 * wrong passwords all fail alike, after an argon2 verification of the same cost.
 */
export async function passwordSignin(db: Db, rawEmail: string, password: string): Promise<{ userId: number } | { failure: 'mismatch' | 'banned' }> {
  const user = await userByEmail(db, normalizeEmail(rawEmail));
  if (!user?.password_hash) {
    await verifyDecoy(password);
    return { failure: 'mismatch' };
  }
  if (!(await verifyPassword(user.password_hash, password))) return { failure: 'mismatch' };
  if (user.banned_at) return { failure: 'banned' };
  return { userId: user.id };
}

export type LinkOutcome = { userId: number; next?: string; created: boolean } | { failure: 'invalid' | 'banned' | 'username-taken' };

/**
 * Uses an e-mailed link, once: a sign-up link creates the account (in the same
 * transaction, so a failure leaves the link unused), with the password its reader
 * chose on the link's page if any (`passwordHash`); a sign-in link names its user.
 */
export async function useLink(db: Db, token: string, opts: { passwordHash?: string; now?: Date } = {}): Promise<LinkOutcome> {
  const now = opts.now ?? new Date();
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await useEmailToken(trx, hashToken(token), now);
      if (!row) return { failure: 'invalid' as const };
      const existing = await userByEmail(trx, row.email);
      if (row.purpose === 'signup' && !existing) {
        const p = signupPayload.parse(JSON.parse(row.payload ?? '{}'));
        if (await userByHandle(trx, p.username)) throw new TakenError();
        const userId = await createAccount(trx, { username: p.username, email: row.email, fullname: p.fullname, passwordHash: opts.passwordHash });
        return { userId, next: safeRedirect(p.next), created: true };
      }
      // A sign-in link, or a sign-up link for an address that has an account by now: the link proves the address.
      if (!existing) return { failure: 'invalid' as const };
      if (existing.banned_at) return { failure: 'banned' as const };
      const p = signinPayload.safeParse(JSON.parse(row.payload ?? '{}'));
      return { userId: existing.id, next: p.success ? safeRedirect(p.data.next) : undefined, created: false };
    });
  } catch (err) {
    if (err instanceof TakenError) return { failure: 'username-taken' };
    throw err;
  }
}

class TakenError extends Error {}
