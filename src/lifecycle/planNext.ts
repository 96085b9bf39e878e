/** Plans a connection's next piece of work from its current row and the instance's policy. */
import type { AppContext } from '../context.ts';
import { getProvider } from '../providers/registry.ts';
import { nextScheduledPostAt, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { checkPhase, planRefresh, PREPOST_LEAD_MS, unpreventableEnd } from './planRefresh.ts';
import { NO_STREAK, planConnectionRefresh, type FailureStreak } from './refreshesRepo.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { DEFAULT_POLL_MS } from '../jobs/dueRunner.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';
import { verifyIntervalFor } from './verificationPolicy.ts';

/**
 * `streak`: the failure streak that continues (its retry time is planned, warnings and the end
 * still come first), or none after a success. Returns the planned instant.
 */
export async function planNext(ctx: AppContext, c: LifecycleConnection, checkedAt: Date | null, now: Date, streak: FailureStreak = NO_STREAK): Promise<Date | null> {
  const provider = getProvider(c.platform);
  const end = connectionEnd(ctx, c, c.hasRefreshToken);
  const lastChecked = [checkedAt, c.lastVerifiedAt, c.lastRefreshedAt].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
  const verifyIntervalMs = verifyIntervalFor(c.platform, ctx.config.connectionVerifyIntervalMs);
  const plan = planRefresh({
    facts: provider.facts,
    accessExpiresAt: c.accessExpiresAt,
    refreshExpiresAt: c.refreshExpiresAt,
    endAt: end?.at ?? null,
    issuedAt: c.issuedAt,
    lastRefreshedAt: c.lastRefreshedAt,
    lastCheckedAt: lastChecked,
    // A post the current token covers needs no refresh; the one after it may (prepost).
    nextPostAt: await nextScheduledPostAt(ctx.db, c.id, c.accessExpiresAt ? new Date(c.accessExpiresAt.getTime() - PREPOST_LEAD_MS) : null),
    hasRefreshToken: c.hasRefreshToken,
    warnDays: ctx.config.alertThresholdDays,
    verifyIntervalMs,
    checkPhaseMs: verifyIntervalMs === null ? 0 : checkPhase(c.id, verifyIntervalMs),
    retry: streak.retryAt ? { at: streak.retryAt, purpose: streak.retryPurpose ?? 'refresh' } : null,
    now,
    random: Math.random,
  });
  await planConnectionRefresh(ctx.db, { connectionId: c.id, platform: c.platform, dueAt: plan.dueAt, purpose: plan.purpose, now, streak });
  // Runners re-read the next due time at least every poll, so only work due sooner needs waking
  // them (a NOTIFY after every refresh would wake every worker process for nothing).
  if (plan.dueAt && plan.dueAt.getTime() <= now.getTime() + DEFAULT_POLL_MS) await notifyDue(ctx.db, REFRESH_NOTIFY_CHANNEL);
  return plan.dueAt;
}

/** The end no refresh can pass, with the instance's policies (inactivity, Google testing mode). */
export function connectionEnd(ctx: Pick<AppContext, 'config'>, c: LifecycleConnection, hasRefreshToken: boolean) {
  return unpreventableEnd({
    facts: getProvider(c.platform).facts,
    accessExpiresAt: c.accessExpiresAt,
    refreshExpiresAt: c.refreshExpiresAt,
    dataAccessExpiresAt: c.dataAccessExpiresAt,
    hardEndAt: c.hardEndAt,
    ...(c.platform === 'youtube' && ctx.config.googleOAuthTestingMode ? { hardEndReason: 'google_testing_mode' } : {}),
    hasRefreshToken,
    lastUsedAt: c.lastUsedAt,
    connectedAt: c.connectedAt,
    reauthAfterMs: ctx.config.connectionReauthAfterMs,
  });
}
