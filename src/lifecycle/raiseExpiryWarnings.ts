/**
 * The 7/3/1-day warnings before an end no refresh can pass, and the end itself. Each threshold
 * is raised once per end (see expiryAlertKey); a connection first seen inside a threshold gets
 * that threshold's warning at once, not the larger ones it already passed. So a grant shorter
 * than the largest threshold (Google testing mode: 7 days) is warned at connect, then at each
 * smaller threshold (3 and 1 days before).
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
        dedupeKey: expiryAlertKey(c, end, threshold),
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

/** Ends that can move with use: the user's activity (Facebook's data access), the last publish (inactivity). */
const MOVING_ENDS = new Set(['data_access_expired', 'inactivity_reauth']);

/**
 * One alert per connection, end and threshold. An end fixed by the grant (LinkedIn's refresh
 * token, a testing-mode grant, an access token without refresh) is keyed on the grant's start,
 * not the instant: LinkedIn's end shifts by rounding at each refresh. An end that moves with use
 * is keyed on its day: when it moves to another day, the user is warned about the new end.
 */
export function expiryAlertKey(c: Pick<LifecycleConnection, 'id' | 'grantedAt'>, end: { at: Date; reason: string }, threshold: number): string {
  const which = MOVING_ENDS.has(end.reason) ? `day:${end.at.toISOString().slice(0, 10)}` : `grant:${c.grantedAt.toISOString()}`;
  return `connection:${c.id}:expiring:${end.reason}:${which}:${threshold}d`;
}

/** The smallest configured threshold that the time left has reached (7 d left -> 7; 2 d left -> 3). */
export function currentThreshold(thresholdDays: readonly number[], leftMs: number): number | null {
  const reached = thresholdDays.filter((d) => leftMs <= d * DAY);
  return reached.length === 0 ? null : Math.min(...reached);
}
