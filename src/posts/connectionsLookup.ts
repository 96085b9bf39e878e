import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { PlatformId } from '../providers/types.ts';

/**
 * The few connection fields posts need, read from the platform engineer's `connections` table
 * (contract columns only). Always scoped to one workspace: another workspace's connection is
 * simply not found.
 */
export type ConnectionState = 'active' | 'degraded' | 'needs_reconnect' | 'disconnected';

export type ConnectionRef = {
  id: string;
  platform: PlatformId;
  handle: string | null;
  displayName: string;
  state: ConnectionState;
};

type Row = { id: string; platform: string; handle: string | null; display_name: string; state: string };

const toRef = (r: Row): ConnectionRef => ({
  id: r.id,
  platform: r.platform as PlatformId,
  handle: r.handle,
  displayName: r.display_name,
  state: r.state as ConnectionState,
});

/** Every connection of the workspace, disconnected ones included (so they can be reported as such). */
export async function listWorkspaceConnections(db: Database, workspaceId: string): Promise<ConnectionRef[]> {
  const res = await db.execute(sql`
    select id, platform, handle, display_name, state from connections where workspace_id = ${workspaceId}`);
  return (res.rows as Row[]).map(toRef);
}

export async function findWorkspaceConnections(db: Database, workspaceId: string, ids: string[]): Promise<Map<string, ConnectionRef>> {
  if (ids.length === 0) return new Map();
  const res = await db.execute(sql`
    select id, platform, handle, display_name, state from connections
    where workspace_id = ${workspaceId} and id::text = any(${toTextArray(ids)}::text[])`);
  return new Map((res.rows as Row[]).map((r) => [r.id, toRef(r)]));
}

/** A label people recognise in error messages: "X @perennial". */
export function connectionLabel(c: ConnectionRef): string {
  return `${c.platform} ${c.handle ? `@${c.handle.replace(/^@/, '')}` : c.displayName}`;
}

/** A Postgres array literal of text values (both engines accept it as a parameter). */
export function toTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (ch) => `\\${ch}`)}"`).join(',')}}`;
}
