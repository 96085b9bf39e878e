import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { isUuid } from '../workspaces/membership.ts';
import { mediaFiles } from './schema.ts';

export type MediaFile = typeof mediaFiles.$inferSelect;

export async function insertMediaFile(db: Database, row: typeof mediaFiles.$inferInsert): Promise<MediaFile> {
  const [inserted] = await db.insert(mediaFiles).values(row).returning();
  return inserted!;
}

/** Uploads of the workspace among `ids`; another workspace's upload is not found. */
export async function findMediaByIds(db: Database, workspaceId: string, ids: string[]): Promise<Map<string, MediaFile>> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const rows = await db.select().from(mediaFiles).where(and(eq(mediaFiles.workspaceId, workspaceId), inArray(mediaFiles.id, valid)));
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Uploads of the workspace by the name they were uploaded with (CSV imports refer to them so).
 * When a name was uploaded more than once, the latest upload wins.
 */
export async function findMediaByNames(db: Database, workspaceId: string, names: string[]): Promise<Map<string, MediaFile>> {
  if (names.length === 0) return new Map();
  const rows = await db
    .select()
    .from(mediaFiles)
    .where(and(eq(mediaFiles.workspaceId, workspaceId), inArray(mediaFiles.fileName, names)))
    .orderBy(mediaFiles.createdAt);
  return new Map(rows.map((r) => [r.fileName, r]));
}

export async function findMediaFile(db: Database, workspaceId: string, id: string): Promise<MediaFile | undefined> {
  return (await findMediaByIds(db, workspaceId, [id])).get(id);
}

/** Any workspace's upload by id: only for the signed public route, after its signature was checked. */
export async function findMediaById(db: Database, id: string): Promise<MediaFile | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(mediaFiles).where(eq(mediaFiles.id, id));
  return row;
}
