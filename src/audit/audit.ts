import os from 'node:os';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Role } from '../auth/users.ts';

/** Who acts: a signed-in moderator (with their role), or an operator at the CLI (`cli:<os user>`). */
export type Actor = { actorId: number; role: Role } | { actorLabel: string };

/** What readers are told about a hidden paper, with a 410, wherever they reach it (page, API, votes, comments, reports, claims). */
export const removedPaper = (paperId: string): string => `paper ${paperId} was removed by moderators`;

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  detail?: string | null;
}

/** Writes one audit row for `actor`; call inside the transaction of the action it records. */
export async function recordAudit(trx: Transaction<Database>, actor: Actor, entry: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      actor_id: 'actorId' in actor ? actor.actorId : null,
      actor_label: 'actorLabel' in actor ? actor.actorLabel : null,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      detail: entry.detail?.trim() || null,
      created_at: new Date().toISOString(),
    })
    .execute();
}

/** The CLI's operator, as the audit log names them (every command's one actor). */
export function cliActor(): Actor {
  return { actorLabel: `cli:${os.userInfo().username}` };
}
