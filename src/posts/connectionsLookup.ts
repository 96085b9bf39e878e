import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { textArray } from '../db/textArray.ts';
import type { PlatformId } from '../providers/types.ts';
import type { AccountHints } from './validateOptions.ts';

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
  /** What the connection recorded about the account that options are checked against. */
  account: AccountHints;
};

type Row = { id: string; platform: string; handle: string | null; display_name: string; state: string; kind: string; meta: Record<string, unknown> | string | null };

const toRef = (r: Row): ConnectionRef => ({
  id: r.id,
  platform: r.platform as PlatformId,
  handle: r.handle,
  displayName: r.display_name,
  state: r.state as ConnectionState,
  account: accountHints(r.kind, typeof r.meta === 'string' ? (JSON.parse(r.meta) as Record<string, unknown>) : (r.meta ?? {})),
});

/** The few `meta` fields options are checked against, taken only when they have the expected shape. */
function accountHints(kind: string, meta: Record<string, unknown>): AccountHints {
  const hints: AccountHints = { kind };
  const levels = meta.privacyLevelOptions;
  if (Array.isArray(levels) && levels.every((l) => typeof l === 'string')) hints.privacyLevelOptions = levels;
  const boards = meta.boards;
  if (Array.isArray(boards) && boards.every((b) => typeof (b as { id?: unknown })?.id === 'string')) hints.boards = (boards as { id: string }[]).map((b) => ({ id: b.id }));
  if (typeof meta.defaultBoardId === 'string') hints.defaultBoardId = meta.defaultBoardId;
  return hints;
}

/** Every connection of the workspace, disconnected ones included (so they can be reported as such). */
export async function listWorkspaceConnections(db: Database, workspaceId: string): Promise<ConnectionRef[]> {
  const res = await db.execute(sql`
    select id, platform, handle, display_name, state, kind, meta from connections where workspace_id = ${workspaceId}`);
  return (res.rows as Row[]).map(toRef);
}

export async function findWorkspaceConnections(db: Database, workspaceId: string, ids: string[]): Promise<Map<string, ConnectionRef>> {
  if (ids.length === 0) return new Map();
  const res = await db.execute(sql`
    select id, platform, handle, display_name, state, kind, meta from connections
    where workspace_id = ${workspaceId} and id::text = any(${textArray(ids)}::text[])`);
  return new Map((res.rows as Row[]).map((r) => [r.id, toRef(r)]));
}

/** A label people recognise in error messages: "X @perennial". */
export function connectionLabel(c: ConnectionRef): string {
  return `${c.platform} ${c.handle ? `@${c.handle.replace(/^@/, '')}` : c.displayName}`;
}
