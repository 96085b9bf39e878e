import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { notFound } from '../http/errors.ts';
import { isUuid } from '../workspaces/membership.ts';
import { connections } from './schema.ts';

export type ConnectionRow = typeof connections.$inferSelect;
export type ConnectionState = 'active' | 'degraded' | 'needs_reconnect' | 'disconnected';

/** What the API shows of a connection: everything but the secrets. */
export type PublicConnection = {
  id: string;
  workspaceId: string;
  platform: string;
  platformAccountId: string;
  displayName: string;
  handle: string | null;
  kind: string;
  state: ConnectionState;
  stateReason: string | null;
  stateChangedAt: string;
  accessExpiresAt: string | null;
  refreshExpiresAt: string | null;
  dataAccessExpiresAt: string | null;
  hardEndAt: string | null;
  scopes: string[];
  lastRefreshedAt: string | null;
  lastVerifiedAt: string | null;
  connectedBy: string | null;
  connectedAt: string;
  disconnectedAt: string | null;
  hasRefreshToken: boolean;
  meta: Record<string, unknown>;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toPublicConnection(row: ConnectionRow): PublicConnection {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    platform: row.platform,
    platformAccountId: row.platformAccountId,
    displayName: row.displayName,
    handle: row.handle,
    kind: row.kind,
    state: row.state as ConnectionState,
    stateReason: row.stateReason,
    stateChangedAt: row.stateChangedAt.toISOString(),
    accessExpiresAt: iso(row.accessExpiresAt),
    refreshExpiresAt: iso(row.refreshExpiresAt),
    dataAccessExpiresAt: iso(row.dataAccessExpiresAt),
    hardEndAt: iso(row.hardEndAt),
    scopes: row.scopes,
    lastRefreshedAt: iso(row.lastRefreshedAt),
    lastVerifiedAt: iso(row.lastVerifiedAt),
    connectedBy: row.connectedBy,
    connectedAt: row.connectedAt.toISOString(),
    disconnectedAt: iso(row.disconnectedAt),
    hasRefreshToken: row.refreshTokenEnc !== null,
    meta: row.meta,
  };
}

/** A connection of this workspace (any state); 404 for another workspace's. */
export async function getWorkspaceConnection(db: Database, workspaceId: string, connectionId: string): Promise<ConnectionRow> {
  if (!isUuid(connectionId) || !isUuid(workspaceId)) throw notFound('connection');
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.id, connectionId), eq(connections.workspaceId, workspaceId)));
  if (!row) throw notFound('connection');
  return row;
}

export async function listWorkspaceConnections(db: Database, workspaceId: string, options: { includeDisconnected?: boolean } = {}): Promise<ConnectionRow[]> {
  const where = options.includeDisconnected
    ? eq(connections.workspaceId, workspaceId)
    : and(eq(connections.workspaceId, workspaceId), isNull(connections.disconnectedAt));
  return db.select().from(connections).where(where).orderBy(desc(connections.connectedAt));
}

export async function findLiveConnectionByAccount(db: Database, workspaceId: string, platform: string, platformAccountId: string): Promise<ConnectionRow | undefined> {
  const [row] = await db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.workspaceId, workspaceId),
        eq(connections.platform, platform),
        eq(connections.platformAccountId, platformAccountId),
        isNull(connections.disconnectedAt),
      ),
    );
  return row;
}
