/**
 * Applies a refresh or verification failure (ProviderError) to a connection:
 * - the token moved meanwhile (a sibling rotated it): success, nothing to do;
 * - transient: `degraded`, retry with backoff, alert only when it persists close to the end
 *   (the in-flight marker is kept: the outcome of a call that timed out is unknown);
 * - permanent: `needs_reconnect` at once (posts paused, alerts), `rotation_lost` when the
 *   previous attempt's outcome was unknown on a rotating grant (counted in rotation_losses);
 * - app-level: the platform paused for every connection, the instance owners alerted once.
 */
import { sql } from 'drizzle-orm';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import { recordAccess } from '../connections/accessLog.ts';
import type { AppContext } from '../context.ts';
import type { ProviderError } from '../providers/types.ts';
import { getLifecycleConnection, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';
import { planNext } from './planNext.ts';
import { SHORT_LIVED_ACCESS_MS } from './planRefresh.ts';
import type { RefreshOutcome } from './refreshConnection.ts';
import { decideOnFailure } from './refreshFailurePolicy.ts';
import { clearRefreshInFlight, planConnectionRefresh, toDate } from './refreshesRepo.ts';
import { transitionConnection } from './transitionConnection.ts';
import { accountLabel, platformName } from './accountLabel.ts';

export async function handleRefreshFailure(
  ctx: AppContext,
  input: { c: LifecycleConnection; error: ProviderError; tokenVersion: number | null; attempts: number; unknownOutcome: boolean; rotates: boolean },
): Promise<RefreshOutcome> {
  const { c, error } = input;
  const now = ctx.clock.now();
  const current = await getLifecycleConnection(ctx.db, c.id);
  if (input.tokenVersion !== null && current && current.tokenVersion !== input.tokenVersion) {
    // invalid_grant after a sibling already rotated: that refresh succeeded, this one is moot.
    await clearRefreshInFlight(ctx.db, c.id);
    await planNext(ctx, current, null, now);
    return 'sibling_refreshed';
  }
  const shortLived = c.accessExpiresAt !== null && c.accessExpiresAt.getTime() - (c.lastRefreshedAt ?? c.issuedAt).getTime() < SHORT_LIVED_ACCESS_MS;
  const decision = decideOnFailure({
    error,
    attempts: input.attempts,
    usableUntil: shortLived ? c.refreshExpiresAt : c.accessExpiresAt,
    now,
    random: Math.random,
  });
  if (decision.kind === 'reconnect') {
    const lost = input.unknownOutcome && input.rotates;
    const reason = lost ? 'rotation_lost' : decision.reason;
    await ctx.db.transaction(async (tx) => {
      if (lost) {
        await tx.execute(sql`insert into rotation_losses (connection_id, platform, at, detail)
          values (${c.id}, ${c.platform}, ${now}, ${JSON.stringify({ platformReason: error.reason, tokenVersion: input.tokenVersion })}::jsonb)`);
        ctx.log.warn({ connectionId: c.id, platform: c.platform }, 'rotated refresh token lost; connection needs reconnecting');
      }
      await clearRefreshInFlight(tx, c.id);
      await markNeedsReconnect(ctx, tx, { connectionId: c.id, reason, now, accessAction: 'refresh_failed' });
    });
    return 'failed';
  }
  if (decision.kind === 'app_misconfigured') {
    await ctx.db.transaction(async (tx) => {
      await clearRefreshInFlight(tx, c.id);
      const paused = await tx.execute(sql`insert into platform_pauses (platform, reason, paused_at, retry_at)
        values (${c.platform}, ${decision.reason}, ${now}, ${decision.retryAt})
        on conflict (platform) do update set retry_at = excluded.retry_at returning paused_at`);
      await planConnectionRefresh(tx, { connectionId: c.id, platform: c.platform, dueAt: decision.retryAt, purpose: 'retry', now, attempts: input.attempts + 1, lastError: decision.reason });
      const pausedAt = toDate(paused.rows[0]?.paused_at) ?? now;
      await raiseAlert(ctx, tx, {
        kind: 'app_misconfigured',
        dedupeKey: `platform:${c.platform}:app_misconfigured:${pausedAt.toISOString()}`,
        workspaceId: null,
        connectionId: null,
        title: `The ${platformName(c.platform)} app of this Perennial instance is misconfigured`,
        body: `${platformName(c.platform)} rejected this instance's app (${decision.reason}). Refreshes for every ${platformName(c.platform)} connection are paused until the client id and secret are fixed; connections are not flagged one by one.`,
        data: { platform: c.platform, reason: decision.reason },
        audience: 'instance_owners',
      }, now);
    });
    ctx.log.error({ platform: c.platform, reason: decision.reason }, 'platform app misconfigured; platform paused');
    return 'failed';
  }
  await ctx.db.transaction(async (tx) => {
    // The in-flight marker stays: a timeout or dropped response may hide a rotation that happened,
    // and the next try must know its predecessor's outcome is unknown.
    await transitionConnection(tx, { connectionId: c.id, to: 'degraded', reason: decision.reason, now, from: ['active'] });
    await planConnectionRefresh(tx, { connectionId: c.id, platform: c.platform, dueAt: decision.retryAt, purpose: 'retry', now, attempts: input.attempts + 1, lastError: decision.reason });
    if (input.attempts === 0) {
      await recordAccess(tx, {
        workspaceId: c.workspaceId, connectionId: c.id, actorUserId: null, action: 'refresh_failed', platform: c.platform,
        app: c.appClientId, scopes: [], detail: { reason: decision.reason, transient: true }, at: now,
      });
    }
    if (decision.escalate) {
      const account = accountLabel(c);
      await raiseAlert(ctx, tx, {
        kind: 'refresh_failing',
        // One per failure episode: the episode starts when the state last changed (to degraded).
        dedupeKey: `connection:${c.id}:refresh_failing:${(current?.stateChangedAt ?? now).toISOString()}`,
        workspaceId: c.workspaceId,
        connectionId: c.id,
        title: `Renewing access to ${account} on ${platformName(c.platform)} keeps failing`,
        body: `${platformName(c.platform)} has failed to renew access to ${account} since ${(current?.stateChangedAt ?? now).toISOString()} (${decision.reason}). Perennial keeps retrying; if it does not recover before the access ends, you will need to reconnect.`,
        data: { connectionId: c.id, platform: c.platform, account, reason: decision.reason, accessExpiresAt: c.accessExpiresAt?.toISOString() ?? null },
        audience: 'workspace',
        webhookEvent: 'connection.expiring',
      }, now);
    }
  });
  return 'failed';
}
