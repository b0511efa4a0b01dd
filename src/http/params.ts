// The one way to read ids from a request's path and forms: a malformed id is the client's
// mistake (400), a well-formed one that names nothing is the domain's 404.
import type { Context } from 'hono';
import { z } from 'zod';
import { parseArxivId } from '../core/arxiv-id.ts';
import { RequestError } from './respond.ts';

/** The largest id an integer column holds (PostgreSQL's `integer`). */
export const MAX_ID = 2_147_483_647;

/** A row id written as text (a form field or a path segment): 1 to MAX_ID. */
export const rowId = z
  .string()
  .trim()
  .regex(/^\d{1,10}$/, `must be a number from 1 to ${MAX_ID}`)
  .transform(Number)
  .pipe(z.number().min(1, `must be a number from 1 to ${MAX_ID}`).max(MAX_ID, `must be a number from 1 to ${MAX_ID}`));

/** The integer path parameter `name`, or a 400. */
export function idParam(c: Context, name: string): number {
  const raw = c.req.param(name) ?? '';
  const id = rowId.safeParse(raw);
  if (!id.success) throw new RequestError(400, `${name} must be a number from 1 to ${MAX_ID}: ${raw.slice(0, 40)}`);
  return id.data;
}

/** The canonical arXiv id (no version) in the path parameter `id`, or a 400. */
export function paperIdParam(c: Context): string {
  const raw = c.req.param('id') ?? '';
  const arxiv = parseArxivId(raw);
  if (!arxiv) throw new RequestError(400, `not an arXiv id: ${raw.slice(0, 100)}`);
  return arxiv.id;
}
