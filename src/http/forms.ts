import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from './env.ts';
import { wantsJson } from './authenticate.ts';
import { RequestError, zodDetails } from './respond.ts';

const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;

/**
 * Reads a posted form once, before anything else looks at it, and answers 400 when
 * it cannot be parsed (a broken multipart body): Hono keeps the parsed body, so
 * `formFields` and the CSRF check read it again for free.
 */
export function parseFormFirst(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || !FORM_TYPES.test(c.req.header('Content-Type') ?? '')) return next();
    try {
      await c.req.parseBody();
    } catch {
      const message = 'the form could not be read; reload the page and try again';
      return wantsJson(c) ? c.json({ error: message }, 400) : c.text(`400 Bad Request: ${message}`, 400);
    }
    return next();
  };
}

/** The posted form's text fields (files and repeated names are dropped); `{}` for a body that is not a form. */
export async function formFields(c: Context<AppEnv>): Promise<Record<string, string>> {
  if (!FORM_TYPES.test(c.req.header('Content-Type') ?? '')) return {};
  const body = await c.req.parseBody();
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === 'string') fields[name] = value;
  return fields;
}

/** The posted form checked by `schema`; else a 400 naming the fields. For forms whose page is not shown again with errors. */
export async function formBody<T>(c: Context<AppEnv>, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await formFields(c));
  if (!parsed.success) throw new RequestError(400, zodDetails(parsed.error).join('; '));
  return parsed.data;
}

/** A zod failure as one message per field (the first), keyed `prefix + field`, or `form` for the whole. */
export function fieldErrors(error: z.ZodError, prefix = ''): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) errors[prefix + String(issue.path[0] ?? 'form')] ??= issue.message;
  return errors;
}
