import type { Context } from 'hono';
import type { ZodError } from 'zod';

/** A JSON error body that says what is wrong: `{"error": "...", "details": [...]}`. */
export function jsonError(c: Context, status: 400 | 404 | 405 | 413 | 429 | 500, error: string, details?: string[]) {
  return c.json(details ? { error, details } : { error }, status);
}

/** Turns a zod failure into `field: problem` lines. */
export function zodDetails(error: ZodError): string[] {
  return error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
}
