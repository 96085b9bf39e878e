/**
 * Connection health for the API: the state and its reason, the facts shown beside it (expiries,
 * the end no refresh can pass, days left, last and next refresh, last verification) and an
 * urgency rank for the cross-workspace overview. "Expiring" and "refresh failing" are derived
 * here, never stored.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { lifecycleReadOptions, listLifecycleConnections, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { connectionEnd } from './planNext.ts';
import { toDate } from './refreshesRepo.ts';

const DAY = 86_400_000;

export type HealthStatus = 'healthy' | 'expiring_soon' | 'refresh_failing' | 'needs_reconnect' | 'revoked' | 'disconnected';

export type ConnectionHealth = {
  connectionId: string;
  workspaceId: string;
  platform: string;
  account: string;
  state: LifecycleConnection['state'];
  stateReason: string | null;
  status: HealthStatus;
  accessExpiresAt: string | null;
  refreshExpiresAt: string | null;
  /** The earliest end no refresh can pass, and why (refresh_token_end, data_access_expired, ...). */
  endsAt: string | null;
  endReason: string | null;
  /** Whole days until endsAt (0 on the day), null without an end. */
  daysLeft: number | null;
  lastRefreshedAt: string | null;
  nextRefreshAt: string | null;
  nextRefreshPurpose: string | null;
  lastVerifiedAt: string | null;
  lastError: string | null;
  /** Lower is more urgent: 0 needs reconnect, 1 refresh failing, 2 expiring soon, 3 healthy. */
  urgency: number;
};

/** Reasons that mean the user or platform withdrew access (shown as "revoked" rather than "needs reconnect"). */
const REVOKED_REASONS = new Set(['token_revoked', 'deauthorized', 'authorization_removed', 'password_changed', 'role_lost', 'user_revoked']);

export async function healthOfWorkspaces(ctx: AppContext, db: Database, workspaceIds: string[]): Promise<ConnectionHealth[]> {
  const connections = await listLifecycleConnections(db, workspaceIds, lifecycleReadOptions(ctx));
  if (connections.length === 0) return [];
  const ids = sql.join(connections.map((c) => sql`${c.id}`), sql`, `);
  const plans = await db.execute(sql`select connection_id, due_at, purpose, last_error from connection_refreshes where connection_id in (${ids})`);
  const byId = new Map(plans.rows.map((r) => [String(r.connection_id), r]));
  const now = ctx.clock.nowMs();
  return connections
    .map((c) => toHealth(ctx, c, byId.get(c.id), now))
    .sort((a, b) => a.urgency - b.urgency || (a.endsAt ?? '9999').localeCompare(b.endsAt ?? '9999') || a.account.localeCompare(b.account));
}

function toHealth(ctx: AppContext, c: LifecycleConnection, plan: Record<string, unknown> | undefined, now: number): ConnectionHealth {
  const end = connectionEnd(ctx, c, c.hasRefreshToken);
  const daysLeft = end ? Math.max(0, Math.floor((end.at.getTime() - now) / DAY)) : null;
  const warnFrom = Math.max(...ctx.config.alertThresholdDays, 0);
  let status: HealthStatus;
  if (c.state === 'disconnected') status = 'disconnected';
  else if (c.state === 'needs_reconnect') status = REVOKED_REASONS.has(c.stateReason ?? '') ? 'revoked' : 'needs_reconnect';
  else if (c.state === 'degraded') status = 'refresh_failing';
  else if (daysLeft !== null && daysLeft <= warnFrom) status = 'expiring_soon';
  else status = 'healthy';
  const urgency = { needs_reconnect: 0, revoked: 0, refresh_failing: 1, expiring_soon: 2, healthy: 3, disconnected: 4 }[status];
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    connectionId: c.id,
    workspaceId: c.workspaceId,
    platform: c.platform,
    account: c.handle ? `${c.displayName} (${c.handle})` : c.displayName,
    state: c.state,
    stateReason: c.stateReason,
    status,
    accessExpiresAt: iso(c.accessExpiresAt),
    refreshExpiresAt: iso(c.refreshExpiresAt),
    endsAt: iso(end?.at ?? null),
    endReason: end?.reason ?? null,
    daysLeft,
    lastRefreshedAt: iso(c.lastRefreshedAt),
    nextRefreshAt: iso(toDate(plan?.due_at)),
    nextRefreshPurpose: plan?.due_at ? String(plan.purpose) : null,
    lastVerifiedAt: iso(c.lastVerifiedAt),
    lastError: plan?.last_error ? String(plan.last_error) : null,
    urgency,
  };
}
