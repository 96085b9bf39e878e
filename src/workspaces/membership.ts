import { and, eq } from 'drizzle-orm';
import type { AuthUser } from '../accounts/usersRepo.ts';
import type { Database } from '../db/database.ts';
import { AppError, notFound } from '../http/errors.ts';
import { isRole, roleAtLeast, type Role } from './roles.ts';
import { workspaceMembers, workspaces } from './schema.ts';

export type { Role };

export type WorkspaceAccess = { workspaceId: string; role: Role; timeZone: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Contract (every workspace route): the caller's membership of `workspaceId`.
 * - not a member, no such workspace, or not a uuid: AppError `not_found` (another workspace's
 *   resources must look exactly like missing ones);
 * - a member below `minRole`: AppError `forbidden`;
 * - an archived workspace is read-only: any `minRole` above viewer throws `workspace_archived`
 *   (reading it with 'viewer' still works).
 */
export async function requireWorkspaceRole(db: Database, user: AuthUser, workspaceId: string, minRole: Role): Promise<WorkspaceAccess> {
  const found = await findMembership(db, user.id, workspaceId);
  if (!found) throw notFound('workspace');
  if (!roleAtLeast(found.role, minRole)) {
    throw new AppError('forbidden', `This needs the ${minRole} role in the workspace (you are ${found.role})`);
  }
  if (found.archivedAt && minRole !== 'viewer') {
    throw new AppError('workspace_archived', 'The workspace is archived and read-only; unarchive it first');
  }
  return { workspaceId: found.workspaceId, role: found.role, timeZone: found.timeZone };
}

/** The membership row with the workspace's state, or undefined (also for a malformed id). */
export async function findMembership(
  db: Database,
  userId: string,
  workspaceId: string,
): Promise<{ workspaceId: string; role: Role; timeZone: string; archivedAt: Date | null } | undefined> {
  if (!UUID.test(workspaceId)) return undefined;
  const [row] = await db
    .select({ workspaceId: workspaces.id, role: workspaceMembers.role, timeZone: workspaces.timeZone, archivedAt: workspaces.archivedAt })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(and(eq(workspaceMembers.userId, userId), eq(workspaceMembers.workspaceId, workspaceId)));
  if (!row || !isRole(row.role)) return undefined;
  return { ...row, role: row.role };
}

/** Contract: ids of every workspace the user belongs to, archived ones included. */
export async function listUserWorkspaceIds(db: Database, userId: string): Promise<string[]> {
  const rows = await db
    .select({ id: workspaceMembers.workspaceId })
    .from(workspaceMembers)
    .where(eq(workspaceMembers.userId, userId));
  return rows.map((r) => r.id);
}

/** Ids are uuids: anything else names nothing (and would make Postgres throw on a uuid column), so callers answer not found without a query. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
