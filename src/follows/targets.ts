import { z } from 'zod';
import { DomainError } from '../core/errors.ts';
import { QueryError, checkCategory, checkOrganization, parseQuery } from '../search/query.ts';

/** What a reader can follow. */
export const FOLLOW_KINDS = ['author', 'organization', 'category', 'search'] as const;
export type FollowKind = (typeof FOLLOW_KINDS)[number];

export interface FollowTarget {
  kind: FollowKind;
  target: string;
}

/** Most things one reader follows: enough for anyone, small enough to match in memory. */
export const MAX_FOLLOWS = 500;

export const followSchema = z.object({
  kind: z.enum(FOLLOW_KINDS, 'kind must be author, organization, category or search'),
  target: z.string('say what to follow').trim().min(1, 'say what to follow').max(200, 'at most 200 characters'),
});

/**
 * The target as it is stored and compared: an author's name as papers give it (spacing
 * tidied), an organization's slug, a category as arXiv writes it, a query that parses.
 * Throws an `invalid` DomainError saying what is wrong.
 */
export function normalizeTarget(kind: FollowKind, raw: string): string {
  const value = raw.trim().replace(/\s+/g, ' ');
  try {
    switch (kind) {
      case 'author':
        if (value.length < 2 || value.length > 100) throw new QueryError('an author name has 2 to 100 characters');
        if (/\p{Cc}/u.test(value)) throw new QueryError('an author name cannot hold control characters');
        return value;
      case 'organization':
        return checkOrganization(value);
      case 'category':
        return checkCategory(value);
      case 'search':
        if (value.length > 200) throw new QueryError('a saved search has at most 200 characters');
        if (/\p{Cc}/u.test(value)) throw new QueryError('a saved search cannot hold control characters');
        parseQuery(value);
        return value;
    }
  } catch (err) {
    if (err instanceof QueryError) throw new DomainError('invalid', `follow ${kind}: ${err.message}`);
    throw err;
  }
}
