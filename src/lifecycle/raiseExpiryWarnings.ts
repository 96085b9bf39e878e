/**
 * The 7/3/1-day warnings before an end no refresh can pass, and the end itself. Each threshold
 * is raised once (dedupe key: connection, end instant, threshold); a connection first seen inside
 * a threshold gets that threshold's warning at once, not the larger ones it already passed.
 */
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { AppContext } from '../context.ts';
import type { LifecycleConnection } from './connectionLifecycleRow.ts';
import { connectionEnd } from './planNext.ts';
import { reasonText } from './reasonText.ts';
import { accountLabel, platformName } from './accountLabel.ts';

const DAY = 86_400_000;

/** Returns the end when it has been reached (the caller moves the connection to needs_reconnect). */
export async function raiseExpiryWarnings(ctx: AppContext, c: LifecycleConnection, now: Date): Promise<{ at: Date; reason: string } | null> {
  const end = connectionEnd(ctx, c, c.hasRefreshToken);
  if (!end) return null;
  const left = end.at.getTime() - now.getTime();
  if (left <= 0) return end;
  const threshold = currentThreshold(ctx.config.alertThresholdDays, left);
  if (threshold === null) return null;
  const account = accountLabel(c);
  const daysLeft = Math.ceil(left / DAY);
  await ctx.db.transaction((tx) =>
    raiseAlert(
      ctx,
      tx,
      {
        kind: 'expiring',
        dedupeKey: `connection:${c.id}:expiring:${end.at.toISOString()}:${threshold}d`,
        workspaceId: c.workspaceId,
        connectionId: c.id,
        title: `${account} on ${platformName(c.platform)} needs reconnecting within ${daysLeft} day(s)`,
        body:
          `On ${end.at.toISOString()} Perennial will lose access to ${account} on ${platformName(c.platform)}: ${reasonText(end.reason)}. ` +
          'Automatic renewal cannot prevent it; reconnect before then to keep your scheduled posts going.',
        data: { connectionId: c.id, platform: c.platform, account, reason: end.reason, endsAt: end.at.toISOString(), thresholdDays: threshold, daysLeft },
        audience: 'workspace',
        webhookEvent: 'connection.expiring',
      },
      now,
    ),
  );
  return null;
}

/** The smallest configured threshold that the time left has reached (7 d left -> 7; 2 d left -> 3). */
export function currentThreshold(thresholdDays: readonly number[], leftMs: number): number | null {
  const reached = thresholdDays.filter((d) => leftMs <= d * DAY);
  return reached.length === 0 ? null : Math.min(...reached);
}
