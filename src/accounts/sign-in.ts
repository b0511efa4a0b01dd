import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.ts';
import { hashPassword, verifyDecoy, verifyPassword } from '../auth/passwords.ts';
import { hashToken, newToken } from '../auth/tokens.ts';
import type { Mail } from '../mail/mailer.ts';
import { createAccount, normalizeEmail } from './users.ts';
import { insertEmailToken, useEmailToken, userByEmail, userByHandle } from './queries.ts';
import { signinMail, signupMail } from './mails.ts';

type Db = Kysely<Database>;

/** How long an e-mailed link works. */
export const LINK_TTL_MS = 30 * 60 * 1000;

/** What a sign-up link carries until it is used: never the password, only its hash. */
const signupPayload = z.object({
  username: z.string(),
  fullname: z.string().optional(),
  passwordHash: z.string().optional(),
  next: z.string().optional(),
});
const signinPayload = z.object({ next: z.string().optional() });

/** Where a confirmed link leads: a page on this site only (`/x`, never `//host` or `/\host`). */
export function safeNext(next: string | undefined | null): string | undefined {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[^\x20-\x7e]/.test(next)) return undefined;
  return next;
}

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
  password?: string;
  next?: string;
}

/**
 * A sign-up: a taken username is reported (handles are public), otherwise a mail
 * to send — a sign-up link for a new address, a sign-in link for a known one — so
 * the answer never tells whether the address has an account.
 */
export async function requestSignup(db: Db, ctx: LinkContext, req: SignupRequest): Promise<{ usernameTaken: true } | { mail: Mail | null }> {
  const email = normalizeEmail(req.email);
  // Hashed before any branch, so a known address costs as much argon2 as a new one: timing tells nothing.
  const passwordHash = req.password ? await hashPassword(req.password) : undefined;
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
    passwordHash,
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
 * transaction, so a failure leaves the link unused), a sign-in link names its user.
 */
export async function useLink(db: Db, token: string, now = new Date()): Promise<LinkOutcome> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await useEmailToken(trx, hashToken(token), now);
      if (!row) return { failure: 'invalid' as const };
      const existing = await userByEmail(trx, row.email);
      if (row.purpose === 'signup' && !existing) {
        const p = signupPayload.parse(JSON.parse(row.payload ?? '{}'));
        if (await userByHandle(trx, p.username)) throw new TakenError();
        const userId = await createAccount(trx, { username: p.username, email: row.email, fullname: p.fullname, passwordHash: p.passwordHash });
        return { userId, next: safeNext(p.next), created: true };
      }
      // A sign-in link, or a sign-up link for an address that has an account by now: the link proves the address.
      if (!existing) return { failure: 'invalid' as const };
      if (existing.banned_at) return { failure: 'banned' as const };
      const p = signinPayload.safeParse(JSON.parse(row.payload ?? '{}'));
      return { userId: existing.id, next: p.success ? safeNext(p.data.next) : undefined, created: false };
    });
  } catch (err) {
    if (err instanceof TakenError) return { failure: 'username-taken' };
    throw err;
  }
}

class TakenError extends Error {}
