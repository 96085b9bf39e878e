/** Plans a connection's next piece of work from its current row and the instance's policy. */
import type { AppContext } from '../context.ts';
import { getProvider } from '../providers/registry.ts';
import { nextScheduledPostAt, type LifecycleConnection } from './connectionLifecycleRow.ts';
import { planRefresh, unpreventableEnd } from './planRefresh.ts';
import { planConnectionRefresh } from './refreshesRepo.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';

export async function planNext(ctx: AppContext, c: LifecycleConnection, checkedAt: Date | null, now: Date): Promise<Date | null> {
  const provider = getProvider(c.platform);
  const hasRefreshToken = c.hasRefreshToken;
  const end = connectionEnd(ctx, c, hasRefreshToken);
  const lastChecked = [checkedAt, c.lastVerifiedAt, c.lastRefreshedAt].filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0] ?? null;
  const plan = planRefresh({
    facts: provider.facts,
    accessExpiresAt: c.accessExpiresAt,
    refreshExpiresAt: c.refreshExpiresAt,
    endAt: end?.at ?? null,
    issuedAt: c.issuedAt,
    lastRefreshedAt: c.lastRefreshedAt,
    lastCheckedAt: lastChecked,
    nextPostAt: await nextScheduledPostAt(ctx.db, c.id),
    hasRefreshToken,
    warnDays: ctx.config.alertThresholdDays,
    verifyIntervalMs: ctx.config.connectionVerifyIntervalMs,
    now,
    random: Math.random,
  });
  await planConnectionRefresh(ctx.db, { connectionId: c.id, platform: c.platform, dueAt: plan.dueAt, purpose: plan.purpose, now });
  await notifyDue(ctx.db, REFRESH_NOTIFY_CHANNEL);
  return plan.dueAt;
}

export function connectionEnd(ctx: Pick<AppContext, 'config'>, c: LifecycleConnection, hasRefreshToken: boolean) {
  return unpreventableEnd({
    facts: getProvider(c.platform).facts,
    accessExpiresAt: c.accessExpiresAt,
    refreshExpiresAt: c.refreshExpiresAt,
    dataAccessExpiresAt: c.dataAccessExpiresAt,
    hardEndAt: c.hardEndAt,
    hasRefreshToken,
    lastUsedAt: c.lastUsedAt,
    connectedAt: c.connectedAt,
    reauthAfterMs: ctx.config.connectionReauthAfterMs,
  });
}
