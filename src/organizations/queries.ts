import type { Kysely } from 'kysely';
import type { Database, DailyListing, Organization, Paper } from '../db/schema.ts';
import { writeContent } from '../db/content-version.ts';
import { paperViews, type ListingView } from '../papers/read-model.ts';
import { recordAudit, type Actor } from '../audit/audit.ts';
import { DomainError } from '../core/errors.ts';
import { userByHandle } from '../auth/users.ts';

type Q = Kysely<Database>;

/** Organization handles are URL segments, like usernames. */
export const ORGANIZATION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;

/** The organization with this handle, in any case (as handles are unique regardless of case), or undefined. */
export function organizationByName(db: Q, name: string): Promise<Organization | undefined> {
  return db
    .selectFrom('organizations')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
}

export interface Member {
  username: string;
  fullname: string;
  avatarUrl: string | null;
  role: string;
}

/** Members who are not banned: admins first, then by handle. */
export async function membersOf(db: Q, organizationId: number): Promise<Member[]> {
  const rows = await db
    .selectFrom('organization_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.username', 'u.fullname', 'u.avatar_url', 'm.role'])
    .where('m.organization_id', '=', organizationId)
    .where('u.banned_at', 'is', null)
    .orderBy('m.role')
    .orderBy('u.username')
    .execute();
  return rows.map((r) => ({ username: r.username, fullname: r.fullname, avatarUrl: r.avatar_url, role: r.role }));
}

/** How many visible papers belong to the organization. */
export async function countOrganizationPapers(db: Q, organizationId: number): Promise<number> {
  const row = await db
    .selectFrom('papers')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('organization_id', '=', organizationId)
    .where('hidden_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The organization's visible papers as cards, by upvotes or newest first. Each
 * card carries the paper's newest visible listing (for its submitter); a paper
 * never featured gets a stand-in listing dated by its arXiv date.
 */
export async function organizationPapers(db: Q, organizationId: number, sort: 'upvotes' | 'newest', limit: number, offset: number): Promise<ListingView[]> {
  const views = await paperViews(db, await organizationPaperIds(db, organizationId, sort, limit, offset));
  return views.map((v) => ({ ...v, listing: v.listing ?? standIn(v.paper) }));
}

/** The ids of the organization's visible papers, by upvotes or newest first: what its page reads its cards' summaries by. */
export async function organizationPaperIds(db: Q, organizationId: number, sort: 'upvotes' | 'newest', limit: number, offset: number): Promise<string[]> {
  let query = db.selectFrom('papers').select('id').where('organization_id', '=', organizationId).where('hidden_at', 'is', null);
  query = sort === 'upvotes' ? query.orderBy('upvotes', 'desc').orderBy('published_at', 'desc') : query.orderBy('published_at', 'desc');
  return (await query.orderBy('id').limit(limit).offset(offset).execute()).map((r) => r.id);
}

function standIn(paper: Paper): DailyListing {
  return { id: 0, day: paper.published_at.slice(0, 10), paper_id: paper.id, submitted_at: paper.published_at, submitter_id: null, imported_submitter_id: null, source: 'none', source_record: null, created_at: paper.created_at, hidden_at: null };
}

/** Creates an organization; its handle must be free. */
export async function createOrganization(db: Q, actor: Actor, name: string, fullname: string): Promise<number> {
  if (!ORGANIZATION_NAME.test(name)) throw new DomainError('unprocessable', 'an organization handle has letters, digits, ".", "-" or "_" and starts with a letter or digit');
  return writeContent(
    db,
    async (trx) => {
      const taken = await trx.selectFrom('organizations').select('id').where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase())).executeTakeFirst();
      if (taken) throw new DomainError('conflict', `the organization ${name} exists already`);
      const row = await trx
        .insertInto('organizations')
        .values({ name, fullname: fullname.trim() || name, avatar_url: null, hf_id: null, created_at: new Date().toISOString() })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(trx, actor, { action: 'create-organization', targetType: 'organization', targetId: name, detail: fullname });
      return row.id;
    },
    () => true,
  );
}

/** Adds a user to an organization, or changes their role there. */
export async function addMember(db: Q, actor: Actor, organization: string, username: string, role: 'admin' | 'member'): Promise<void> {
  await writeContent(
    db,
    async (trx) => {
      const org = await organizationByName(trx, organization);
      if (!org) throw new DomainError('not-found', `no organization named ${organization}`);
      const user = await userByHandle(trx, username);
      if (!user) throw new DomainError('not-found', `no user named ${username}`);
      await trx
        .insertInto('organization_members')
        .values({ organization_id: org.id, user_id: user.id, role, created_at: new Date().toISOString() })
        .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role }))
        .execute();
      await recordAudit(trx, actor, { action: 'add-member', targetType: 'organization', targetId: org.name, detail: `${user.username} as ${role}` });
    },
    () => true,
  );
}

/** Assigns a paper to an organization (null: to none), so cards show the lab. Audited. */
export async function setPaperOrganization(db: Q, actor: Actor, paperId: string, organization: string | null): Promise<void> {
  await writeContent(
    db,
    async (trx) => {
      const paper = await trx.selectFrom('papers').select('id').where('id', '=', paperId).executeTakeFirst();
      if (!paper) throw new DomainError('not-found', `no paper ${paperId}`);
      let orgId: number | null = null;
      if (organization !== null) {
        const org = await organizationByName(trx, organization);
        if (!org) throw new DomainError('not-found', `no organization named ${organization}`);
        orgId = org.id;
      }
      await trx.updateTable('papers').set({ organization_id: orgId }).where('id', '=', paperId).execute();
      await recordAudit(trx, actor, { action: 'set-organization', targetType: 'paper', targetId: paperId, detail: organization ?? '(none)' });
    },
    () => true,
  );
}
