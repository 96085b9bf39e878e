/**
 * Moves a connection to needs_reconnect: state change + event, its scheduled posts paused, the
 * access log entry, the refresh plan cleared, and the alert (in-app, email, webhook), all in one
 * transaction: either everything happened or nothing did.
 */
import { raiseAlert } from '../alerts/raiseAlert.ts';
import { recordAccess } from '../connections/accessLog.ts';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { pauseTargetsOfConnection } from '../posts/targetsRepo.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { reasonText } from './reasonText.ts';
import { NO_STREAK, planConnectionRefresh } from './refreshesRepo.ts';
import { transitionConnection } from './transitionConnection.ts';
import { accountLabel, platformName } from './accountLabel.ts';

export async function markNeedsReconnect(
  ctx: AppContext,
  tx: Database,
  input: { connectionId: string; reason: string; now: Date; accessAction?: 'revoked' | 'refresh_failed' | 'verify_failed' },
): Promise<boolean> {
  const moved = await transitionConnection(tx, {
    connectionId: input.connectionId,
    to: 'needs_reconnect',
    reason: input.reason,
    now: input.now,
    from: ['active', 'degraded'],
  });
  if (!moved) return false;
  const c = (await getLifecycleConnection(tx, input.connectionId))!;
  const paused = await pauseTargetsOfConnection(tx, input.connectionId, input.reason, input.now);
  await recordAccess(tx, {
    workspaceId: c.workspaceId,
    connectionId: c.id,
    actorUserId: null,
    action: input.accessAction ?? 'refresh_failed',
    platform: c.platform,
    app: c.appClientId,
    scopes: c.scopes,
    detail: { reason: input.reason },
    at: input.now,
  });
  await planConnectionRefresh(tx, { connectionId: c.id, platform: c.platform, dueAt: null, purpose: 'verify', now: input.now, streak: { ...NO_STREAK, lastError: input.reason } });
  const account = accountLabel(c);
  await raiseAlert(
    ctx,
    tx,
    {
      kind: 'needs_reconnect',
      dedupeKey: `connection:${c.id}:needs_reconnect:${input.now.toISOString()}`,
      workspaceId: c.workspaceId,
      connectionId: c.id,
      title: `Reconnect ${account} on ${platformName(c.platform)}`,
      body:
        `Perennial can no longer act for ${account} on ${platformName(c.platform)} since ${input.now.toISOString()}: ${reasonText(input.reason)}. ` +
        `${paused} scheduled post(s) are paused and resume once you reconnect.`,
      data: { connectionId: c.id, platform: c.platform, account, reason: input.reason, at: input.now.toISOString(), pausedPosts: paused },
      audience: 'workspace',
      webhookEvent: 'connection.needs_reconnect',
    },
    input.now,
  );
  return true;
}
