/**
 * Applies a refresh or verification failure (ProviderError) to a connection:
 * - the token moved meanwhile (a sibling or a reconnect wrote newer tokens): that write stands;
 *   on a rotating platform the newer tokens are verified first, since presenting a rotated
 *   refresh token may have made the platform kill the whole grant (X's reuse detection);
 * - transient: `degraded`, retry with backoff (the streak continues), alert only when it persists
 *   close to the end. The in-flight marker is kept only when the platform's answer never reached
 *   us intact (timeout, network, dropped or malformed response, gateway timeout): then the
 *   outcome is unknown; an error status means the platform did not rotate;
 * - permanent: `needs_reconnect` at once (posts paused, alerts), `rotation_lost` when the
 *   previous attempt's outcome was unknown on a rotating grant (counted in rotation_losses);
 * - app-level: the platform paused for every connection, the instance owners alerted once.
 */
import { sql } from 'drizzle-orm';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import { recordAccess } from '../connections/accessLog.ts';
import { loadCredential } from '../connections/credentials.ts';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import { ProviderError, type PlatformId } from '../providers/types.ts';
import { getLifecycleConnection, lifecycleReadOptions, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';
import { planNext } from './planNext.ts';
import { SHORT_LIVED_ACCESS_MS, type RefreshPurpose } from './planRefresh.ts';
import type { RefreshOutcome } from './refreshConnection.ts';
import { decideOnFailure } from './refreshFailurePolicy.ts';
import { clearRefreshInFlight, planConnectionRefresh, toDate, type FailureStreak } from './refreshesRepo.ts';
import { transitionConnection } from './transitionConnection.ts';
import { accountLabel, platformName } from './accountLabel.ts';

export type FailureInput = {
  c: LifecycleConnection;
  error: ProviderError;
  /** The token version the failed call used; null for a verification or a publishing report. */
  tokenVersion: number | null;
  /** The failure streak so far (attempts before this one). */
  streak: FailureStreak;
  unknownOutcome: boolean;
  rotates: boolean;
  /** What a retry repeats. */
  retryPurpose: RefreshPurpose;
};

export async function handleRefreshFailure(ctx: AppContext, input: FailureInput): Promise<RefreshOutcome> {
  const { c, error } = input;
  const now = ctx.clock.now();
  const current = await getLifecycleConnection(ctx.db, c.id, lifecycleReadOptions(ctx));
  if (input.tokenVersion !== null && current && current.tokenVersion !== input.tokenVersion) {
    return afterNewerTokens(ctx, input, current, now);
  }
  const shortLived = c.accessExpiresAt !== null && c.accessExpiresAt.getTime() - (c.lastRefreshedAt ?? c.issuedAt).getTime() < SHORT_LIVED_ACCESS_MS;
  const decision = decideOnFailure({
    error,
    attempts: input.streak.attempts,
    usableUntil: shortLived ? c.refreshExpiresAt : c.accessExpiresAt,
    now,
    random: Math.random,
  });
  if (decision.kind === 'reconnect') {
    const lost = input.unknownOutcome && input.rotates;
    await ctx.db.transaction((tx) => needsReconnect(ctx, tx, { c, reason: lost ? 'rotation_lost' : decision.reason, lost, error, tokenVersion: input.tokenVersion, now }));
    return 'failed';
  }
  if (decision.kind === 'app_misconfigured') {
    await ctx.db.transaction(async (tx) => {
      if (input.tokenVersion !== null) await clearRefreshInFlight(tx, c.id);
      const paused = await tx.execute(sql`insert into platform_pauses (platform, reason, paused_at, retry_at)
        values (${c.platform}, ${decision.reason}, ${now}, ${decision.retryAt})
        on conflict (platform) do update set retry_at = excluded.retry_at returning paused_at`);
      await planConnectionRefresh(tx, {
        connectionId: c.id, platform: c.platform, dueAt: decision.retryAt, purpose: input.retryPurpose, now,
        streak: { attempts: input.streak.attempts + 1, lastError: decision.reason, retryAt: decision.retryAt, retryPurpose: input.retryPurpose },
      });
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
  const streak: FailureStreak = { attempts: input.streak.attempts + 1, lastError: decision.reason, retryAt: decision.retryAt, retryPurpose: input.retryPurpose };
  await ctx.db.transaction(async (tx) => {
    // Only a refresh's own failure speaks for the marker: a failed check leaves an earlier unknown outcome unknown.
    if (input.tokenVersion !== null && !outcomeUnknown(error)) await clearRefreshInFlight(tx, c.id);
    await transitionConnection(tx, { connectionId: c.id, to: 'degraded', reason: decision.reason, now, from: ['active'] });
    if (input.streak.attempts === 0) {
      await recordAccess(tx, {
        workspaceId: c.workspaceId, connectionId: c.id, actorUserId: null, action: 'refresh_failed', platform: c.platform,
        app: c.appClientId, scopes: [], detail: { reason: decision.reason, transient: true }, at: now,
      });
    }
    if (decision.escalate) {
      const account = accountLabel(c);
      const since = (await getLifecycleConnection(tx, c.id))?.stateChangedAt ?? now;
      await raiseAlert(ctx, tx, {
        kind: 'refresh_failing',
        // One per failure episode: the episode starts when the state last changed (to degraded).
        dedupeKey: `connection:${c.id}:refresh_failing:${since.toISOString()}`,
        workspaceId: c.workspaceId,
        connectionId: c.id,
        title: `Renewing access to ${account} on ${platformName(c.platform)} keeps failing`,
        body: `${platformName(c.platform)} has failed to renew access to ${account} since ${since.toISOString()} (${decision.reason}). Perennial keeps retrying; if it does not recover before the access ends, you will need to reconnect.`,
        data: { connectionId: c.id, platform: c.platform, account, reason: decision.reason, accessExpiresAt: c.accessExpiresAt?.toISOString() ?? null },
        audience: 'workspace',
        webhookEvent: 'connection.expiring',
      }, now);
    }
  });
  // Warnings and the end planned before the retry still run on time (planNext keeps the streak).
  await planNext(ctx, current ?? c, null, now, streak);
  return 'failed';
}

/**
 * Whether the platform may have done what was asked though we saw a failure: no HTTP status
 * (timeout, network error, dropped connection), a 2xx we could not read (truncated or malformed),
 * or a gateway timeout (the backend may have finished after the gateway gave up).
 */
export function outcomeUnknown(error: Pick<ProviderError, 'httpStatus'>): boolean {
  const status = error.httpStatus;
  return status === undefined || (status >= 200 && status < 300) || status === 504;
}

/**
 * The call failed but the stored tokens moved on meanwhile. On a non-rotating platform the newer
 * write stands. On a rotating one the failed call may have presented a refresh token already
 * rotated, which X answers by killing the grant: the newer tokens must prove they still work.
 */
async function afterNewerTokens(ctx: AppContext, input: FailureInput, current: LifecycleConnection, now: Date): Promise<RefreshOutcome> {
  const { c } = input;
  if (input.rotates && current.state !== 'needs_reconnect' && current.state !== 'disconnected') {
    const provider = getProvider(c.platform);
    let valid: boolean;
    try {
      const { credential } = await loadCredential(ctx, ctx.db, c.id);
      valid = (await provider.verify(providerContext(ctx, c.platform as PlatformId), credential)).valid;
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.errorClass !== 'reconnect_needed') {
        // The check itself failed for now: keep the newer tokens and check again soon.
        await clearRefreshInFlight(ctx.db, c.id);
        await planNext(ctx, current, null, now, { ...input.streak, attempts: input.streak.attempts + 1, lastError: err.reason, retryAt: new Date(now.getTime() + 60_000), retryPurpose: 'verify' });
        return 'failed';
      }
      valid = false;
    }
    if (!valid) {
      await ctx.db.transaction((tx) => needsReconnect(ctx, tx, { c, reason: 'rotation_lost', lost: true, error: input.error, tokenVersion: input.tokenVersion, now }));
      return 'failed';
    }
  }
  await clearRefreshInFlight(ctx.db, c.id);
  await planNext(ctx, current, null, now);
  return 'sibling_refreshed';
}

async function needsReconnect(
  ctx: AppContext,
  tx: Database,
  input: { c: LifecycleConnection; reason: string; lost: boolean; error: ProviderError; tokenVersion: number | null; now: Date },
): Promise<void> {
  const { c, now } = input;
  if (input.lost) {
    await tx.execute(sql`insert into rotation_losses (connection_id, platform, at, detail)
      values (${c.id}, ${c.platform}, ${now}, ${JSON.stringify({ platformReason: input.error.reason, tokenVersion: input.tokenVersion })}::jsonb)`);
    ctx.log.warn({ connectionId: c.id, platform: c.platform }, 'rotated refresh token lost; connection needs reconnecting');
  }
  await clearRefreshInFlight(tx, c.id);
  await markNeedsReconnect(ctx, tx, { connectionId: c.id, reason: input.reason, now, accessAction: 'refresh_failed' });
}
