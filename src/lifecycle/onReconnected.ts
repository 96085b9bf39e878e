/**
 * Called by the platform engineer's reconnect flow, in its transaction, after the new tokens of
 * an existing connection are stored: back to active (event recorded), paused posts resumed, a
 * "reconnected" notice naming the posts whose time passed meanwhile, and a fresh refresh plan.
 */
import { sql } from 'drizzle-orm';
import { raiseAlert } from '../alerts/raiseAlert.ts';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { NEEDS_RECONNECT_FAILURE } from '../posts/targetsRepo.ts';
import { resumeTargetsOfConnection } from '../publishing/resumeTargetsOfConnection.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { planFromScratch, startGrant } from './onConnected.ts';
import { transitionConnection } from './transitionConnection.ts';
import { accountLabel, platformName } from './accountLabel.ts';

export async function onReconnected(ctx: AppContext, tx: Database, connectionId: string): Promise<{ resumed: string[]; passed: string[] }> {
  const now = ctx.clock.now();
  const before = await getLifecycleConnection(tx, connectionId);
  const moved = await transitionConnection(tx, { connectionId, to: 'active', reason: 'reconnected', now, from: ['needs_reconnect', 'degraded'] });
  const result = await resumeTargetsOfConnection(ctx, tx, connectionId, now);
  const c = await getLifecycleConnection(tx, connectionId);
  if (!c) return result;
  await startGrant(tx, connectionId, now);
  await planFromScratch(tx, connectionId, c.platform, now);
  if (moved?.from === 'needs_reconnect') {
    // Posts whose time passed while the connection was broken: failed at the reconnect just now,
    // or earlier by the grace sweep (publishing-grace), since the connection needed reconnecting.
    const since = before?.stateChangedAt ?? now;
    const sweptRes = await tx.execute(sql`
      select id from post_targets
       where connection_id = ${connectionId} and status = 'failed' and failure_code = ${NEEDS_RECONNECT_FAILURE} and updated_at >= ${since}
       order by scheduled_at, id`);
    const passed = [...new Set([...result.passed, ...sweptRes.rows.map((r) => String(r.id))])];
    const account = accountLabel(c);
    const passedText = passed.length > 0 ? ` ${passed.length} post(s) whose time passed meanwhile wait for you to retry or reschedule them.` : '';
    await raiseAlert(ctx, tx, {
      kind: 'reconnected',
      dedupeKey: `connection:${connectionId}:reconnected:${now.toISOString()}`,
      workspaceId: c.workspaceId,
      connectionId,
      title: `${account} on ${platformName(c.platform)} is reconnected`,
      body: `${account} on ${platformName(c.platform)} works again. ${result.resumed.length} paused post(s) are scheduled again.${passedText}`,
      data: { connectionId, platform: c.platform, account, resumedTargetIds: result.resumed, passedTargetIds: passed },
      audience: 'workspace',
      webhookEvent: 'connection.reconnected',
    }, now);
    return { resumed: result.resumed, passed };
  }
  return result;
}
