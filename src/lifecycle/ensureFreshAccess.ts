/**
 * For the publishing engine: a credential whose access token stays valid for at least
 * `validForMs`, refreshing just in time if needed. Single flight with the background engine:
 * it takes the same lease on the same row; if another worker holds it, it waits for that
 * worker's outcome (the lease released) instead of refreshing a second time. Whatever was read
 * before the claim is read again after it: a sibling that refreshed in between is seen (its
 * fresh token returned), never raced with the rotated refresh token.
 * Throws ProviderError: 'reconnect_needed' when the connection needs reconnecting, 'transient'
 * when a renewal failed for now (the engine retries on its own schedule) or the platform is
 * paused for an app error; AppError not_found.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { loadCredential } from '../connections/credentials.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { ProviderError, type StoredCredential } from '../providers/types.ts';
import { platformName } from './accountLabel.ts';
import { getLifecycleConnection, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { runRefresh } from './refreshConnection.ts';
import { REFRESH_LEASE_MS } from './refreshQueue.ts';
import { claimDueRefreshes, releaseRefreshLease, toDate } from './refreshesRepo.ts';

/** Real-time poll while a sibling's refresh is in flight (the clock may be frozen in tests and sandboxes). */
const WAIT_POLL_MS = 25;
const WAIT_MAX_POLLS = Math.ceil(REFRESH_LEASE_MS / WAIT_POLL_MS);

type Fresh = { credential: StoredCredential; tokenVersion: number };

export async function ensureFreshAccess(ctx: AppContext, connectionId: string, options: { validForMs: number }): Promise<Fresh> {
  let refreshedOnce = false;
  for (let poll = 0; poll <= WAIT_MAX_POLLS; poll++) {
    const now = ctx.clock.now();
    const c = await liveConnection(ctx, connectionId);
    const loaded = await loadCredential(ctx, ctx.db, connectionId);
    if (freshEnough(loaded, now, options.validForMs)) return loaded;
    if (refreshedOnce) {
      // Our own attempt failed temporarily (the engine has planned its retry): the caller retries later.
      throw new ProviderError('transient', 'refresh_failed', `Access to the account could not be renewed just now (${c.stateReason ?? 'retrying'})`);
    }
    await refuseWhilePaused(ctx, c, now);
    const owner = `ondemand-${randomUUID()}`;
    await ctx.db.execute(sql`insert into connection_refreshes (connection_id, platform, due_at, purpose, updated_at)
      values (${c.id}, ${c.platform}, ${now}, 'refresh', ${now}) on conflict (connection_id) do nothing`);
    const [claimed] = await claimDueRefreshes(ctx.db, { now, limit: 1, leaseMs: REFRESH_LEASE_MS, owner, connectionId });
    if (!claimed) {
      await sleep(WAIT_POLL_MS); // a sibling holds the lease: wait for its outcome
      continue;
    }
    try {
      // Under the lease: a sibling may have refreshed between the read above and the claim.
      const again = await loadCredential(ctx, ctx.db, connectionId);
      if (freshEnough(again, now, options.validForMs)) return again;
      await runRefresh(ctx, { c: await liveConnection(ctx, connectionId), item: claimed, owner, now, purpose: 'refresh' });
    } finally {
      await releaseRefreshLease(ctx.db, c.id, owner);
    }
    refreshedOnce = true;
  }
  throw new ProviderError('transient', 'refresh_in_progress', 'The connection is being refreshed by another worker; try again shortly');
}

function freshEnough(loaded: Fresh, now: Date, validForMs: number): boolean {
  const expires = loaded.credential.accessExpiresAt?.getTime() ?? null;
  return expires === null || expires > now.getTime() + validForMs;
}

async function liveConnection(ctx: AppContext, connectionId: string): Promise<LifecycleConnection> {
  const c = await getLifecycleConnection(ctx.db, connectionId);
  if (!c) throw new AppError('not_found', 'No such connection');
  if (c.state === 'needs_reconnect' || c.state === 'disconnected') {
    throw new ProviderError('reconnect_needed', c.stateReason ?? c.state, `The connection needs reconnecting (${c.stateReason ?? c.state})`);
  }
  return c;
}

/** A platform paused for an app error (invalid_client) refuses refreshes until its retry time: fail now, do not wait. */
async function refuseWhilePaused(ctx: AppContext, c: LifecycleConnection, now: Date): Promise<void> {
  const res = await ctx.db.execute(sql`select reason, retry_at from platform_pauses where platform = ${c.platform} and retry_at > ${now}`);
  const pause = res.rows[0];
  if (!pause) return;
  const until = toDate(pause.retry_at)!;
  throw new ProviderError(
    'transient',
    'platform_paused',
    `${platformName(c.platform)} rejected this instance's app (${String(pause.reason)}); renewals are paused until ${until.toISOString()} or until the app is fixed`,
    { retryAfterMs: until.getTime() - now.getTime() },
  );
}
