import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import type { VoteState } from '../ui/components.tsx';
import { viewerVotes } from '../votes/queries.ts';
import { hiddenPaperIds, libraryStateAmong } from './queries.ts';

/**
 * What a page's cards need of a signed-in reader: the upvote state (votes/queries.ts) and which
 * papers they saved, hid and read. On a template (http/reader-template.ts) both are conditions filled
 * per reader; otherwise one query more. Undefined for anonymous readers.
 */
export async function viewerPaperState(c: Context<AppEnv>, paperIds: string[]): Promise<VoteState | undefined> {
  const votes = await viewerVotes(c, paperIds);
  if (!votes || votes.template) return votes;
  const auth = c.get('auth');
  const { saved, hidden, read, omitted } = await libraryStateAmong(c.get('db').kysely, auth.kind === 'anonymous' ? -1 : auth.viewer.id, paperIds);
  return { ...votes, saved, hidden, read, omitted };
}

/** The papers the signed-in reader (session or token) hid, to leave out of their lists; none for anonymous readers. */
export async function viewerHidden(c: Context<AppEnv>): Promise<Set<string>> {
  const auth = c.get('auth');
  return auth.kind === 'anonymous' ? new Set() : hiddenPaperIds(c.get('db').kysely, auth.viewer.id);
}
