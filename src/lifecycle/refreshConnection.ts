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
import { ProviderError, type PlatformId, type StoredCredential } from '../providers/types.ts';
import { getLifecycleConnection, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { handleRefreshFailure } from './handleRefreshFailure.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';
import { planNext } from './planNext.ts';
import { clearRefreshInFlight, markRefreshInFlight, planConnectionRefresh, type ClaimedRefresh } from './refreshesRepo.ts';
import { raiseExpiryWarnings } from './raiseExpiryWarnings.ts';
import { transitionConnection } from './transitionConnection.ts';

export type RefreshOutcome = 'refreshed' | 'sibling_refreshed' | 'verified' | 'warned' | 'ended' | 'failed' | 'skipped';

export async function refreshConnection(ctx: AppContext, item: ClaimedRefresh, owner: string): Promise<RefreshOutcome> {
  const now = ctx.clock.now();
  const c = await getLifecycleConnection(ctx.db, item.connectionId);
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
    await planNext(ctx, c, null, now);
    return 'warned';
  }
  const { credential, tokenVersion } = await loadCredential(ctx, ctx.db, c.id);
  const provider = getProvider(c.platform);
  const accessUsable = c.accessExpiresAt === null || c.accessExpiresAt.getTime() > now.getTime() + 60_000;
  const canRefresh = provider.facts.refresh.kind !== 'none' && (credential.refreshToken !== null || provider.facts.refresh.kind === 'extend_same_token');
  // A check of a token that is still usable is a verification; an expired one is checked by refreshing it.
  const wantsVerify = item.purpose === 'verify' && provider.facts.canVerify && accessUsable;
  if (wantsVerify || !canRefresh) {
    return verifyConnection(ctx, c, credential, item.attempts, now);
  }
  return runRefresh(ctx, { c, credential, tokenVersion, item, owner, now });
}

/**
 * One refresh call. An in-flight marker left by a previous attempt against the same token
 * version means that attempt's outcome is unknown (crash, lost response): if the platform now
 * refuses the old refresh token of a rotating grant, the rotation was lost.
 */
export async function runRefresh(
  ctx: AppContext,
  input: { c: LifecycleConnection; credential: StoredCredential; tokenVersion: number; item: ClaimedRefresh; owner: string; now: Date },
): Promise<RefreshOutcome> {
  const { c, credential, tokenVersion, item, owner, now } = input;
  const provider = getProvider(c.platform);
  const unknownOutcome = item.inFlightTokenVersion !== null && item.inFlightTokenVersion === tokenVersion;
  if (!(await markRefreshInFlight(ctx.db, { connectionId: c.id, owner, tokenVersion, now }))) return 'skipped';
  let tokens;
  try {
    tokens = await provider.refresh(providerContext(ctx, c.platform as PlatformId), credential);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return handleRefreshFailure(ctx, { c, error: err, tokenVersion, attempts: item.attempts, unknownOutcome, rotates: provider.facts.refresh.rotates });
  }
  // Persist first: nothing else happens with the new tokens before this one conditional write.
  const saved = await saveRefreshedTokens(ctx, ctx.db, c.id, tokens, tokenVersion);
  const doneAt = ctx.clock.now();
  await ctx.db.transaction(async (tx) => {
    await clearRefreshInFlight(tx, c.id);
    if (!saved) return; // a sibling (or a reconnect) wrote newer tokens: its write stands
    await tx.execute(sql`update connections set last_verified_at = ${doneAt} where id = ${c.id}`);
    await transitionConnection(tx, { connectionId: c.id, to: 'active', reason: 'refresh_succeeded', now: doneAt, from: ['degraded'] });
    await tx.execute(sql`delete from platform_pauses where platform = ${c.platform}`);
    await recordAccess(tx, {
      workspaceId: c.workspaceId, connectionId: c.id, actorUserId: null, action: 'refreshed', platform: c.platform,
      app: c.appClientId, scopes: tokens.scopes, at: doneAt,
    });
  });
  const fresh = (await getLifecycleConnection(ctx.db, c.id)) ?? c;
  await planNext(ctx, fresh, null, doneAt);
  return saved ? 'refreshed' : 'sibling_refreshed';
}

async function verifyConnection(ctx: AppContext, c: LifecycleConnection, credential: StoredCredential, attempts: number, now: Date): Promise<RefreshOutcome> {
  const provider = getProvider(c.platform);
  if (!provider.facts.canVerify) {
    await planNext(ctx, c, now, now);
    return 'verified';
  }
  let result;
  try {
    result = await provider.verify(providerContext(ctx, c.platform as PlatformId), credential);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return handleRefreshFailure(ctx, { c, error: err, tokenVersion: null, attempts, unknownOutcome: false, rotates: false });
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
  const fresh = (await getLifecycleConnection(ctx.db, c.id)) ?? c;
  await planNext(ctx, fresh, now, now);
  return 'verified';
}
