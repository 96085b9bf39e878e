import { and, asc, eq, isNull } from 'drizzle-orm';
import { sha256Hex } from '../accounts/secretTokens.ts';
import type { Database } from '../db/database.ts';
import type { Role } from './roles.ts';
import { workspaceInvitations, workspaces } from './schema.ts';

export type PendingInvitation = { id: string; email: string; role: Role; createdAt: Date; expiresAt: Date; expired: boolean };

/** Invitations neither accepted nor revoked; expired ones are listed (flagged) so they can be re-sent. */
export async function listPendingInvitations(db: Database, workspaceId: string, now: Date): Promise<PendingInvitation[]> {
  const rows = await db
    .select({
      id: workspaceInvitations.id,
      email: workspaceInvitations.email,
      role: workspaceInvitations.role,
      createdAt: workspaceInvitations.createdAt,
      expiresAt: workspaceInvitations.expiresAt,
    })
    .from(workspaceInvitations)
    .where(and(eq(workspaceInvitations.workspaceId, workspaceId), isNull(workspaceInvitations.acceptedAt), isNull(workspaceInvitations.revokedAt)))
    .orderBy(asc(workspaceInvitations.createdAt));
  return rows.map((r) => ({ ...r, role: r.role as Role, expired: r.expiresAt.getTime() <= now.getTime() }));
}

/** Revokes a pending invitation of this workspace; false when there is none with that id. */
export async function revokeInvitation(db: Database, workspaceId: string, invitationId: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(workspaceInvitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(workspaceInvitations.id, invitationId),
        eq(workspaceInvitations.workspaceId, workspaceId),
        isNull(workspaceInvitations.acceptedAt),
        isNull(workspaceInvitations.revokedAt),
      ),
    )
    .returning({ id: workspaceInvitations.id });
  return rows.length > 0;
}

/** What the invitation page shows before accepting (no ids, no other members). */
export async function findInvitationPreview(
  db: Database,
  token: string,
): Promise<{ workspaceName: string; email: string; role: Role; expiresAt: Date; acceptedAt: Date | null; revokedAt: Date | null } | undefined> {
  const [row] = await db
    .select({
      workspaceName: workspaces.name,
      email: workspaceInvitations.email,
      role: workspaceInvitations.role,
      expiresAt: workspaceInvitations.expiresAt,
      acceptedAt: workspaceInvitations.acceptedAt,
      revokedAt: workspaceInvitations.revokedAt,
    })
    .from(workspaceInvitations)
    .innerJoin(workspaces, eq(workspaces.id, workspaceInvitations.workspaceId))
    .where(eq(workspaceInvitations.tokenHash, sha256Hex(token)));
  return row ? { ...row, role: row.role as Role } : undefined;
}
