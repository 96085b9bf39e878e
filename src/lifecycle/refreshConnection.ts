/**
 * The refresh engine's handler for one claimed connection: refresh, keep-alive, verify, warn or
 * end, then plan the next piece of work. Single flight: the caller holds the row's lease; the
 * platform is called with no transaction open; the new tokens are written first, in one
 * conditional write fenced by token_version (a late or concurrent writer loses, never overwrites).
 */
import { sql } from 'drizzle-orm';
import { recordAccess } from '../connections/accessLog.ts';
import { loadCredential, saveRefreshedTokens } from '../connections/credentials.ts';
import type { AppContext } from '../context.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import { ProviderError, type PlatformId } from '../providers/types.ts';
import { getLifecycleConnection, lifecycleReadOptions, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { handleRefreshFailure } from './handleRefreshFailure.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';
import { planNext } from './planNext.ts';
import type { RefreshPurpose } from './planRefresh.ts';
import { clearRefreshInFlight, markRefreshInFlight, planConnectionRefresh, streakOf, type ClaimedRefresh } from './refreshesRepo.ts';
import { raiseExpiryWarnings } from './raiseExpiryWarnings.ts';
import { transitionConnection } from './transitionConnection.ts';
import { takeVerificationBudget } from './verificationBudget.ts';

export type RefreshOutcome = 'refreshed' | 'sibling_refreshed' | 'verified' | 'warned' | 'ended' | 'failed' | 'deferred' | 'skipped';

export async function refreshConnection(ctx: AppContext, item: ClaimedRefresh, owner: string): Promise<RefreshOutcome> {
  const now = ctx.clock.now();
  const c = await getLifecycleConnection(ctx.db, item.connectionId, lifecycleReadOptions(ctx));
  if (!c || c.state === 'needs_reconnect' || c.state === 'disconnected') {
    // Nothing to keep alive: drop the plan until a reconnect plans again.
    await planConnectionRefresh(ctx.db, { connectionId: item.connectionId, platform: item.platform, dueAt: null, purpose: 'verify', now });
    return 'skipped';
  }
  const ended = await raiseExpiryWarnings(ctx, c, now);
  if (ended) {
    await ctx.db.transaction((tx) => markNeedsReconnect(ctx, tx, { connectionId: c.id, reason: ended.reason, now }));
    return 'ended';
  }
  if (item.purpose === 'warn' || item.purpose === 'hard_end' || item.purpose === 'plan') {
    // Warnings are raised above; a failure streak in progress keeps its count and its retry time.
    await planNext(ctx, c, null, now, streakOf(item));
    return 'warned';
  }
  if (item.purpose === 'verify') {
    const later = await takeVerificationBudget(ctx.db, { platform: c.platform, now, random: Math.random });
    if (later) {
      // Over the platform's per-minute budget: the check waits, and nothing else changes.
      await planConnectionRefresh(ctx.db, { connectionId: c.id, platform: c.platform, dueAt: later, purpose: 'verify', now, streak: 'keep' });
      return 'deferred';
    }
  }
  const provider = getProvider(c.platform);
  const accessUsable = c.accessExpiresAt === null || c.accessExpiresAt.getTime() > now.getTime() + 60_000;
  const canRefresh = provider.facts.refresh.kind !== 'none' && (c.hasRefreshToken || provider.facts.refresh.kind === 'extend_same_token');
  // A check of a token that is still usable is a verification; an expired one is checked by refreshing it.
  const wantsVerify = item.purpose === 'verify' && provider.facts.canVerify && accessUsable;
  if (wantsVerify || !canRefresh) return verifyConnection(ctx, c, item, now);
  return runRefresh(ctx, { c, item, owner, now, purpose: item.purpose });
}

/**
 * One refresh call under the caller's lease. The credential is read here, after the claim, and
 * the call is marked in flight only while the stored tokens are still the ones read: a sibling
 * that refreshed before the claim is seen, never raced with a rotated token. An in-flight marker
 * left by a previous attempt against the same token version means that attempt's outcome is
 * unknown (crash, lost response): if the platform now refuses the old refresh token of a rotating
 * grant, the rotation was lost.
 */
export async function runRefresh(
  ctx: AppContext,
  input: { c: LifecycleConnection; item: ClaimedRefresh; owner: string; now: Date; purpose: RefreshPurpose | 'plan' },
): Promise<RefreshOutcome> {
  const { c, item, owner, now } = input;
  const provider = getProvider(c.platform);
  const { credential, tokenVersion } = await loadCredential(ctx, ctx.db, c.id);
  const unknownOutcome = item.inFlightTokenVersion !== null && item.inFlightTokenVersion === tokenVersion;
  if (!(await markRefreshInFlight(ctx.db, { connectionId: c.id, owner, tokenVersion, now }))) return 'skipped';
  let tokens;
  try {
    tokens = await provider.refresh(providerContext(ctx, c.platform as PlatformId), credential);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return handleRefreshFailure(ctx, {
      c, error: err, tokenVersion, streak: streakOf(item), unknownOutcome, rotates: provider.facts.refresh.rotates, retryPurpose: retryPurposeOf(input.purpose),
    });
  }
  // Persist first: nothing else happens with the new tokens before this one conditional write.
  const saved = await saveRefreshedTokens(ctx, ctx.db, c.id, tokens, tokenVersion);
  const doneAt = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await clearRefreshInFlight(tx, c.id);
    if (!saved) return; // a reconnect (or a lapsed lease's successor) wrote newer tokens: its write stands
    await tx.execute(sql`update connections set last_verified_at = ${doneAt} where id = ${c.id}`);
    await transitionConnection(tx, { connectionId: c.id, to: 'active', reason: 'refresh_succeeded', now: doneAt, from: ['degraded'] });
    await tx.execute(sql`delete from platform_pauses where platform = ${c.platform}`);
    await recordAccess(tx, {
      workspaceId: c.workspaceId, connectionId: c.id, actorUserId: null, action: 'refreshed', platform: c.platform,
      app: c.appClientId, scopes: tokens.scopes, at: doneAt,
    });
  });
  const fresh = (await getLifecycleConnection(ctx.db, c.id, lifecycleReadOptions(ctx))) ?? c;
  await planNext(ctx, fresh, null, doneAt);
  return saved ? 'refreshed' : 'sibling_refreshed';
}

/** A retry repeats the work that failed; the engine's own 'plan' and legacy 'retry' rows repeat a refresh. */
function retryPurposeOf(purpose: RefreshPurpose | 'plan'): RefreshPurpose {
  return purpose === 'plan' || purpose === 'retry' || purpose === 'warn' || purpose === 'hard_end' ? 'refresh' : purpose;
}

async function verifyConnection(ctx: AppContext, c: LifecycleConnection, item: ClaimedRefresh, now: Date): Promise<RefreshOutcome> {
  const provider = getProvider(c.platform);
  if (!provider.facts.canVerify) {
    await planNext(ctx, c, now, now, streakOf(item));
    return 'verified';
  }
  let result;
  try {
    const { credential } = await loadCredential(ctx, ctx.db, c.id);
    result = await provider.verify(providerContext(ctx, c.platform as PlatformId), credential);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return handleRefreshFailure(ctx, { c, error: err, tokenVersion: null, streak: streakOf(item), unknownOutcome: false, rotates: false, retryPurpose: 'verify' });
  }
  if (!result.valid) {
    const reason = result.reason ?? 'token_revoked';
    await ctx.db.transaction((tx) => markNeedsReconnect(ctx, tx, { connectionId: c.id, reason, now, accessAction: 'verify_failed' }));
    return 'failed';
  }
  await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`update connections set last_verified_at = ${now} where id = ${c.id}`);
    if (result.dataAccessExpiresAt !== undefined) {
      await tx.execute(sql`update connections set data_access_expires_at = ${result.dataAccessExpiresAt} where id = ${c.id}`);
    }
    await transitionConnection(tx, { connectionId: c.id, to: 'active', reason: 'verify_succeeded', now, from: ['degraded'] });
  });
  const fresh = (await getLifecycleConnection(ctx.db, c.id, lifecycleReadOptions(ctx))) ?? c;
  await planNext(ctx, fresh, now, now);
  return 'verified';
}
