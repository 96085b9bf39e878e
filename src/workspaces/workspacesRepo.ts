import { and, asc, eq } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { Role } from './roles.ts';
import { workspaceMembers, workspaces } from './schema.ts';

export type WorkspaceView = { id: string; name: string; timeZone: string; role: Role; archivedAt: Date | null; createdAt: Date };

/** Creates a workspace with `ownerId` as its first owner, in one transaction. */
export async function createWorkspace(
  db: Database,
  input: { name: string; timeZone: string; ownerId: string },
  now: Date,
): Promise<WorkspaceView> {
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(workspaces).values({ name: input.name, timeZone: input.timeZone, createdAt: now }).returning();
    if (!row) throw new Error('workspace insert returned no row');
    await tx.insert(workspaceMembers).values({ workspaceId: row.id, userId: input.ownerId, role: 'owner', createdAt: now });
    return { id: row.id, name: row.name, timeZone: row.timeZone, role: 'owner', archivedAt: row.archivedAt, createdAt: row.createdAt };
  });
}

const viewColumns = {
  id: workspaces.id,
  name: workspaces.name,
  timeZone: workspaces.timeZone,
  role: workspaceMembers.role,
  archivedAt: workspaces.archivedAt,
  createdAt: workspaces.createdAt,
};

/** Every workspace of the user with their role, archived ones included, by name. */
export async function listWorkspacesOfUser(db: Database, userId: string): Promise<WorkspaceView[]> {
  const rows = await db
    .select(viewColumns)
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(eq(workspaceMembers.userId, userId))
    .orderBy(asc(workspaces.name), asc(workspaces.id));
  return rows.map((r) => ({ ...r, role: r.role as Role }));
}

/** One workspace as its member sees it (call after requireWorkspaceRole: the id is a member's). */
export async function getWorkspaceOfUser(db: Database, userId: string, workspaceId: string): Promise<WorkspaceView | undefined> {
  const [row] = await db
    .select(viewColumns)
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(and(eq(workspaceMembers.userId, userId), eq(workspaceMembers.workspaceId, workspaceId)));
  return row ? { ...row, role: row.role as Role } : undefined;
}

export async function updateWorkspace(
  db: Database,
  workspaceId: string,
  changes: { name?: string | undefined; timeZone?: string | undefined; archivedAt?: Date | null },
): Promise<void> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) return;
  await db.update(workspaces).set(set).where(eq(workspaces.id, workspaceId));
}
