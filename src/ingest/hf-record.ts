import { z } from 'zod';
import { parseArxivId } from '../core/arxiv-id.ts';
import { parseDay } from '../core/periods.ts';
import { importedUsernameProblem } from '../auth/users.ts';

/**
 * One envelope of Hugging Face's `GET /api/daily_papers`, validated for the
 * fields the product models. Unknown fields pass through untouched: the raw
 * record is kept beside the listing (docs/decisions/004-api-shape.md).
 */
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date');
const hfUser = z.looseObject({
  _id: z.string().optional(),
  id: z.string().optional(),
  user: z.string().optional(),
  name: z.string().optional(),
  fullname: z.string().optional(),
  avatarUrl: z.string().optional(),
});
const hfOrganization = z.looseObject({
  _id: z.string().optional(),
  name: z.string().min(1),
  fullname: z.string().optional(),
  avatar: z.string().optional(),
});
const hfPaper = z.looseObject({
  id: z.string().refine((s) => parseArxivId(s) !== null, 'not an arXiv id'),
  title: z.string().trim().min(1, 'empty title'),
  summary: z.string(),
  publishedAt: isoDate,
  upvotes: z.number().int().nonnegative(),
  authors: z.array(
    z.looseObject({ _id: z.string().optional(), name: z.string(), hidden: z.boolean().optional(), user: hfUser.optional() }),
  ),
  discussionId: z.string().optional(),
  githubRepo: z.string().nullish(),
  githubStars: z.number().int().nullish(),
  projectPage: z.string().nullish(),
  submittedOnDailyAt: isoDate.optional(),
  submittedOnDailyBy: hfUser.optional(),
  organization: hfOrganization.optional(),
  ai_summary: z.string().optional(),
  ai_keywords: z.array(z.string()).optional(),
});
export const hfEnvelope = z.looseObject({
  paper: hfPaper,
  publishedAt: isoDate,
  title: z.string().optional(),
  summary: z.string().optional(),
  thumbnail: z.string().optional(),
  numComments: z.number().int().nonnegative().optional(),
  submittedBy: hfUser.optional(),
  organization: hfOrganization.optional(),
});
export type HfEnvelope = z.infer<typeof hfEnvelope>;

export interface ImportedUser {
  username: string;
  fullname: string;
  avatarUrl: string | null;
  hfId: string | null;
}

export interface ImportedOrganization {
  name: string;
  fullname: string;
  avatarUrl: string | null;
  hfId: string | null;
}

/** A source record mapped onto the product's model: what one import step writes. */
export interface ImportedListing {
  paper: {
    id: string;
    version: number | null;
    title: string;
    abstract: string;
    publishedAt: string;
    upvotes: number;
    comments: number;
    discussionId: string | null;
    githubRepo: string | null;
    githubStars: number | null;
    projectPage: string | null;
    aiSummary: string | null;
    aiKeywords: string[] | null;
    thumbnailUrl: string | null;
  };
  authors: { name: string; hfId: string | null; hidden: boolean; user: ImportedUser | null }[];
  organization: ImportedOrganization | null;
  submitter: ImportedUser | null;
  /** Handles the record named that are not valid usernames: dropped, for the import's report. */
  invalidUsers: string[];
  day: string;
  submittedAt: string;
  sourceRecord: HfEnvelope;
}

export class RecordError extends Error {}

/**
 * Maps one envelope to a listing. The featured day is, in order of trust: the
 * day the container says (archive line or file name), the paper's
 * `submittedOnDailyAt` (newer records), the envelope's `publishedAt` (older ones).
 */
export function mapHfEnvelope(raw: unknown, containerDay: string | null): ImportedListing {
  const parsed = hfEnvelope.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RecordError(`${issue.path.join('.') || 'record'}: ${issue.message}`);
  }
  const record = parsed.data;
  const p = record.paper;
  const submittedAt = p.submittedOnDailyAt ?? record.publishedAt;
  const day = containerDay ?? parseDay(submittedAt.slice(0, 10));
  if (!day) throw new RecordError(`no featured day: ${submittedAt}`);
  const arxiv = parseArxivId(p.id)!;
  const submitter = p.submittedOnDailyBy ?? record.submittedBy;
  const organization = p.organization ?? record.organization;
  const invalidUsers: string[] = [];
  const importedUser = (u: z.infer<typeof hfUser>): ImportedUser | null => {
    const user = mapUser(u);
    if (user && importedUsernameProblem(user.username)) {
      invalidUsers.push(user.username);
      return null;
    }
    return user;
  };
  return {
    paper: {
      id: arxiv.id,
      version: arxiv.version,
      title: p.title,
      abstract: p.summary,
      publishedAt: new Date(p.publishedAt).toISOString(),
      upvotes: p.upvotes,
      comments: record.numComments ?? 0,
      discussionId: p.discussionId ?? null,
      githubRepo: p.githubRepo ?? null,
      githubStars: p.githubStars ?? null,
      projectPage: p.projectPage ?? null,
      aiSummary: p.ai_summary ?? null,
      aiKeywords: p.ai_keywords ?? null,
      thumbnailUrl: record.thumbnail ?? null,
    },
    authors: p.authors.map((a) => ({
      name: a.name,
      hfId: a._id ?? null,
      hidden: a.hidden ?? false,
      user: a.user ? importedUser(a.user) : null,
    })),
    organization: organization
      ? {
          name: organization.name,
          fullname: organization.fullname ?? organization.name,
          avatarUrl: organization.avatar ?? null,
          hfId: organization._id ?? null,
        }
      : null,
    submitter: submitter ? importedUser(submitter) : null,
    invalidUsers,
    day,
    submittedAt: new Date(submittedAt).toISOString(),
    sourceRecord: record,
  };
}

function mapUser(u: z.infer<typeof hfUser>): ImportedUser | null {
  const username = u.user ?? u.name;
  if (!username) return null;
  return { username, fullname: u.fullname ?? username, avatarUrl: u.avatarUrl ?? null, hfId: u._id ?? u.id ?? null };
}
