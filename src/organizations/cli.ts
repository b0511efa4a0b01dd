import type { Db } from '../db/database.ts';
import { arxivIdFromInput } from '../core/arxiv-id.ts';
import { cliActor } from '../audit/audit.ts';
import { addMember, createOrganization, setPaperOrganization } from './queries.ts';

/** Each command does its change and returns the line to print. */
export async function createOrganizationCommand(db: Db, name: string, fullname: string): Promise<string> {
  await createOrganization(db.kysely, cliActor(), name, fullname);
  return `org: created ${name} (${fullname})`;
}

export async function addMemberCommand(db: Db, org: string, username: string, role: string): Promise<string> {
  if (role !== 'admin' && role !== 'member') throw new Error(`org: --role is admin or member, not ${role}`);
  await addMember(db.kysely, cliActor(), org, username, role);
  return `org: ${username} is ${role === 'admin' ? 'an admin' : 'a member'} of ${org}`;
}

export async function setPaperCommand(db: Db, paper: string, org: string | null): Promise<string> {
  const id = arxivIdFromInput(paper)?.id;
  if (!id) throw new Error(`org: not an arXiv id: ${paper}`);
  await setPaperOrganization(db.kysely, cliActor(), id, org);
  return org ? `org: ${id} belongs to ${org}` : `org: ${id} belongs to no organization`;
}
