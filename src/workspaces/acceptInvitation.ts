import { eq } from 'drizzle-orm';
import { sha256Hex } from '../accounts/secretTokens.ts';
import type { AuthUser } from '../accounts/usersRepo.ts';
import type { Database } from '../db/database.ts';
import { AppError, notFound } from '../http/errors.ts';
import { isRole, type Role } from './roles.ts';
import { workspaceInvitations, workspaceMembers, workspaces } from './schema.ts';

export type InvitationRow = typeof workspaceInvitations.$inferSelect;

/**
 * The invitation a link's token names, locked for this transaction so it is used once.
 * Unknown or revoked: `not_found`; used or past its 7 days: `invitation_expired`.
 */
export async function lockUsableInvitation(tx: Database, token: string, now: Date): Promise<InvitationRow> {
  const [invitation] = await tx
    .select()
    .from(workspaceInvitations)
    .where(eq(workspaceInvitations.tokenHash, sha256Hex(token)))
    .for('update');
  assertInvitationUsable(invitation, now);
  return invitation;
}

/** Unknown or revoked: `not_found`; used or past its 7 days: `invitation_expired` (the lookup and the acceptance answer alike). */
export function assertInvitationUsable<T extends Pick<InvitationRow, 'revokedAt' | 'acceptedAt' | 'expiresAt'>>(
  invitation: T | undefined,
  now: Date,
): asserts invitation is T {
  if (!invitation || invitation.revokedAt) throw notFound('invitation');
  if (invitation.acceptedAt) throw new AppError('invitation_expired', 'This invitation has already been used');
  if (invitation.expiresAt.getTime() <= now.getTime()) {
    throw new AppError('invitation_expired', 'This invitation has expired; ask for a new one');
  }
}

/**
 * Makes `user` a member with the invitation's role and marks the invitation used, inside the
 * caller's transaction. The invitation was addressed to one email: another account gets
 * `account_mismatch`; an existing member gets `already_member`.
 */
export async function acceptLockedInvitation(tx: Database, invitation: InvitationRow, user: AuthUser, now: Date): Promise<{ workspaceId: string; role: Role }> {
  if (invitation.email !== user.email) {
    throw new AppError('account_mismatch', 'This invitation was sent to another email address; sign in with that account');
  }
  const [workspace] = await tx.select({ archivedAt: workspaces.archivedAt }).from(workspaces).where(eq(workspaces.id, invitation.workspaceId));
  if (!workspace) throw notFound('invitation');
  if (workspace.archivedAt) throw new AppError('workspace_archived', 'The workspace has been archived');
  if (!isRole(invitation.role)) throw new Error(`invitation ${invitation.id} has an unknown role`);
  const inserted = await tx
    .insert(workspaceMembers)
    .values({ workspaceId: invitation.workspaceId, userId: user.id, role: invitation.role, createdAt: now })
    .onConflictDoNothing()
    .returning({ userId: workspaceMembers.userId });
  if (inserted.length === 0) throw new AppError('already_member', 'You are already a member of this workspace');
  await tx
    .update(workspaceInvitations)
    .set({ acceptedAt: now, acceptedBy: user.id })
    .where(eq(workspaceInvitations.id, invitation.id));
  return { workspaceId: invitation.workspaceId, role: invitation.role };
}

/** POST /api/invitations/accept (the token in the body) for a signed-in user: one transaction, all or nothing. */
export async function acceptInvitation(db: Database, token: string, user: AuthUser, now: Date): Promise<{ workspaceId: string; role: Role }> {
  return db.transaction(async (tx) => {
    const invitation = await lockUsableInvitation(tx, token, now);
    return acceptLockedInvitation(tx, invitation, user, now);
  });
}
