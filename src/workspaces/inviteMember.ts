import { and, eq, isNull } from 'drizzle-orm';
import { randomSecret, sha256Hex } from '../accounts/secretTokens.ts';
import { users } from '../accounts/schema.ts';
import { normalizeEmail, type AuthUser } from '../accounts/usersRepo.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { enqueueEmail } from '../mail/enqueueEmail.ts';
import { invitationEmail } from './invitationEmail.ts';
import type { Role } from './roles.ts';
import { workspaceInvitations, workspaceMembers, workspaces } from './schema.ts';

/** The token rides in the fragment, which browsers never send to a server (so no access log holds it). */
export function invitationLink(publicUrl: string, token: string): string {
  return `${publicUrl}/invitation#token=${token}`;
}

export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

export type InvitationView = { id: string; email: string; role: Role; createdAt: Date; expiresAt: Date };

/**
 * Invites `email` to the workspace with `role` (the caller is admin or owner; only an owner
 * invites owners). A newer invitation for the same email replaces a pending one. The email with
 * the link is enqueued in the same transaction: no invitation without its mail, and no mail for
 * an invitation that was rolled back. The link's token exists only in that email.
 */
export async function inviteMember(
  ctx: AppContext,
  inviter: AuthUser & { role: Role },
  workspaceId: string,
  input: { email: string; role: Role },
): Promise<InvitationView> {
  if (input.role === 'owner' && inviter.role !== 'owner') throw new AppError('forbidden', 'Only an owner can invite an owner');
  const email = normalizeEmail(input.email);
  const now = ctx.clock.now();
  const token = randomSecret();
  return ctx.db.transaction(async (tx) => {
    const [member] = await tx
      .select({ userId: workspaceMembers.userId })
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(users.email, email)));
    if (member) throw new AppError('already_member', `${email} is already a member of this workspace`);
    await tx
      .update(workspaceInvitations)
      .set({ revokedAt: now })
      .where(
        and(
          eq(workspaceInvitations.workspaceId, workspaceId),
          eq(workspaceInvitations.email, email),
          isNull(workspaceInvitations.acceptedAt),
          isNull(workspaceInvitations.revokedAt),
        ),
      );
    const [row] = await tx
      .insert(workspaceInvitations)
      .values({
        workspaceId,
        email,
        role: input.role,
        tokenHash: sha256Hex(token),
        invitedBy: inviter.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      })
      .returning();
    if (!row) throw new Error('invitation insert returned no row');
    const [workspace] = await tx.select({ name: workspaces.name }).from(workspaces).where(eq(workspaces.id, workspaceId));
    await enqueueEmail(
      ctx,
      tx,
      invitationEmail({ to: email, inviterName: inviter.name, workspaceName: workspace?.name ?? 'a workspace', role: input.role, link: invitationLink(ctx.config.publicUrl, token), expiresAt: row.expiresAt }),
      'invitation',
    );
    ctx.log.info({ workspaceId, invitationId: row.id, role: input.role }, 'invitation created');
    return { id: row.id, email: row.email, role: input.role, createdAt: row.createdAt, expiresAt: row.expiresAt };
  });
}
