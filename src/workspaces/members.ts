import { and, asc, eq, sql } from 'drizzle-orm';
import { users } from '../accounts/schema.ts';
import type { Database } from '../db/database.ts';
import { AppError, notFound } from '../http/errors.ts';
import { isRole, type Role } from './roles.ts';
import { workspaceMembers, workspaces } from './schema.ts';

export type MemberView = { userId: string; email: string; name: string; role: Role; joinedAt: Date };

export async function listMembers(db: Database, workspaceId: string): Promise<MemberView[]> {
  const rows = await db
    .select({ userId: users.id, email: users.email, name: users.name, role: workspaceMembers.role, joinedAt: workspaceMembers.createdAt })
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(eq(workspaceMembers.workspaceId, workspaceId))
    .orderBy(asc(users.name), asc(users.email));
  return rows.map((r) => ({ ...r, role: r.role as Role }));
}

type Actor = { userId: string; role: Role };

/**
 * Locks the workspace row, so concurrent role changes and removals see each other and the
 * "one owner at least" rule cannot be broken by two owners demoting each other at once.
 */
async function lockTarget(tx: Database, workspaceId: string, userId: string): Promise<{ role: Role; owners: number }> {
  await tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.id, workspaceId)).for('update');
  const [target] = await tx
    .select({ role: workspaceMembers.role })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  if (!target || !isRole(target.role)) throw notFound('member');
  const [count] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.role, 'owner')));
  return { role: target.role, owners: count?.n ?? 0 };
}

/** Owners are the only ones who may make, unmake or remove owners; admins manage everyone else. */
function assertMayManage(actor: Actor, targetRole: Role, newRole?: Role): void {
  if ((targetRole === 'owner' || newRole === 'owner') && actor.role !== 'owner') {
    throw new AppError('forbidden', 'Only an owner can grant, change or remove the owner role');
  }
}

/** Changes a member's role (the actor is admin or owner). The last owner cannot be demoted: `last_owner`. */
export async function changeMemberRole(db: Database, actor: Actor, workspaceId: string, userId: string, role: Role): Promise<void> {
  await db.transaction(async (tx) => {
    const target = await lockTarget(tx, workspaceId, userId);
    assertMayManage(actor, target.role, role);
    if (target.role === 'owner' && role !== 'owner' && target.owners <= 1) {
      throw new AppError('last_owner', 'A workspace always keeps one owner; make someone else owner first');
    }
    await tx
      .update(workspaceMembers)
      .set({ role })
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  });
}

/**
 * Removes a member: an admin or owner removes others; anyone may leave. The last owner can do
 * neither (`last_owner`): a workspace always keeps one owner.
 */
export async function removeMember(db: Database, actor: Actor, workspaceId: string, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const target = await lockTarget(tx, workspaceId, userId);
    if (userId !== actor.userId) assertMayManage(actor, target.role);
    if (target.role === 'owner' && target.owners <= 1) {
      throw new AppError('last_owner', 'A workspace always keeps one owner; make someone else owner first');
    }
    await tx.delete(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  });
}
