/**
 * The lifecycle's view of a connection: the non-secret columns of the platform engineer's
 * `connections` table (contracts.md) that planning and state changes need. Raw SQL against the
 * contract's column names keeps this domain independent of that module's internals.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { toDate } from './refreshesRepo.ts';

export type ConnectionState = 'active' | 'degraded' | 'needs_reconnect' | 'disconnected';

export type LifecycleConnection = {
  id: string;
  workspaceId: string;
  platform: string;
  displayName: string;
  handle: string | null;
  state: ConnectionState;
  stateReason: string | null;
  stateChangedAt: Date | null;
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  hardEndAt: Date | null;
  issuedAt: Date;
  lastRefreshedAt: Date | null;
  lastVerifiedAt: Date | null;
  /** The last use: the latest of the grant or reconnect (last_used_at) and the last published post. */
  lastUsedAt: Date | null;
  connectedAt: Date;
  /** When the current grant started (connect or reconnect); connected_at for older rows. */
  grantedAt: Date;
  tokenVersion: number;
  /** The OAuth client id the grant belongs to (public), for the access register. */
  appClientId: string | null;
  scopes: string[];
  hasRefreshToken: boolean;
};

/**
 * `withLastUse`: lastUsedAt also counts the last published post (a scan of the connection's
 * published targets through the (connection_id, status) index): only the inactivity policy needs
 * it, so the publishing hot path does not pay for it.
 */
function columns(withLastUse: boolean) {
  const lastUsed = withLastUse
    ? `greatest(c.last_used_at, (select max(t.published_at) from post_targets t where t.connection_id = c.id and t.status = 'published'))`
    : 'c.last_used_at';
  return sql.raw(`c.id, c.workspace_id, c.platform, c.display_name, c.handle, c.state, c.state_reason, c.state_changed_at,
  c.access_expires_at, c.refresh_expires_at, c.data_access_expires_at, c.hard_end_at, c.issued_at, c.last_refreshed_at,
  c.last_verified_at, c.connected_at, c.token_version, c.app_client_id, c.scopes,
  ${lastUsed} as last_used_at, coalesce(r.granted_at, c.connected_at) as granted_at,
  (c.refresh_token_enc is not null) as has_refresh_token
  from connections c left join connection_refreshes r on r.connection_id = c.id`);
}

export type ReadOptions = { withLastUse?: boolean };

export async function getLifecycleConnection(db: Database, connectionId: string, options: ReadOptions = {}): Promise<LifecycleConnection | null> {
  const res = await db.execute(sql`select ${columns(options.withLastUse ?? false)} where c.id = ${connectionId}`);
  return res.rows[0] ? toConnection(res.rows[0]) : null;
}

/** Connections of these workspaces (not disconnected), for health views. */
export async function listLifecycleConnections(db: Database, workspaceIds: string[], options: ReadOptions = {}): Promise<LifecycleConnection[]> {
  if (workspaceIds.length === 0) return [];
  const ids = sql.join(workspaceIds.map((id) => sql`${id}`), sql`, `);
  const res = await db.execute(sql`select ${columns(options.withLastUse ?? false)} where c.workspace_id in (${ids}) and c.state <> 'disconnected'`);
  return res.rows.map(toConnection);
}

/**
 * The connection's next scheduled post after `coveredUntil` (the access token's expiry less the
 * pre-post lead): the first post the current token does not cover, which a pre-post refresh is for.
 */
export async function nextScheduledPostAt(db: Database, connectionId: string, coveredUntil: Date | null = null): Promise<Date | null> {
  const after = coveredUntil ? sql` and scheduled_at > ${coveredUntil}` : sql``;
  const res = await db.execute(sql`select min(scheduled_at) as at from post_targets where connection_id = ${connectionId} and status = 'scheduled'${after}`);
  return toDate(res.rows[0]?.at);
}

function toConnection(r: Record<string, unknown>): LifecycleConnection {
  return {
    id: String(r.id),
    workspaceId: String(r.workspace_id),
    platform: String(r.platform),
    displayName: String(r.display_name ?? ''),
    handle: r.handle === null || r.handle === undefined ? null : String(r.handle),
    state: r.state as ConnectionState,
    stateReason: r.state_reason === null ? null : String(r.state_reason),
    stateChangedAt: toDate(r.state_changed_at),
    accessExpiresAt: toDate(r.access_expires_at),
    refreshExpiresAt: toDate(r.refresh_expires_at),
    dataAccessExpiresAt: toDate(r.data_access_expires_at),
    hardEndAt: toDate(r.hard_end_at),
    issuedAt: toDate(r.issued_at) ?? toDate(r.connected_at)!,
    lastRefreshedAt: toDate(r.last_refreshed_at),
    lastVerifiedAt: toDate(r.last_verified_at),
    lastUsedAt: toDate(r.last_used_at),
    connectedAt: toDate(r.connected_at)!,
    grantedAt: toDate(r.granted_at) ?? toDate(r.connected_at)!,
    tokenVersion: Number(r.token_version),
    appClientId: r.app_client_id === null || r.app_client_id === undefined ? null : String(r.app_client_id),
    scopes: Array.isArray(r.scopes) ? r.scopes.map(String) : [],
    hasRefreshToken: r.has_refresh_token === true,
  };
}

/** How the lifecycle reads connections: with the last publish when the inactivity policy is on. */
export function lifecycleReadOptions(ctx: { config: { connectionReauthAfterMs: number | null } }): ReadOptions {
  return { withLastUse: ctx.config.connectionReauthAfterMs !== null };
}
