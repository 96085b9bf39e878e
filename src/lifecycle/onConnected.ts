/**
 * Called by the connect flow, in its transaction, after a new connection is stored: the grant's
 * start is recorded (the inactivity policy measures from it; Google testing mode ends it after 7
 * days) and the refresh engine plans it on its first run (due now, purpose 'plan'; no platform
 * call). Connections created without this call are adopted by the refresh queue within a minute.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { planConnectionRefresh } from './refreshesRepo.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';

/** Google: "refresh tokens expire in 7 days" for External apps in Testing (platforms.md §6). */
export const GOOGLE_TESTING_GRANT_MS = 7 * 86_400_000;

export async function onConnected(ctx: AppContext, tx: Database, connectionId: string): Promise<void> {
  const c = await getLifecycleConnection(tx, connectionId);
  if (!c) return;
  const now = ctx.clock.now();
  await startGrant(ctx, tx, connectionId, c.platform, now);
  await planFromScratch(tx, connectionId, c.platform, now);
}

/**
 * A grant starts now (connect or reconnect): it counts as a use of the connection, and a YouTube
 * grant of an app in Google's testing mode gets its 7-day end (a reconnect gets 7 new days).
 */
export async function startGrant(ctx: Pick<AppContext, 'config'>, tx: Database, connectionId: string, platform: string, now: Date): Promise<void> {
  const testingEnd = platform === 'youtube' && ctx.config.googleOauthTestingMode ? new Date(now.getTime() + GOOGLE_TESTING_GRANT_MS) : null;
  await tx.execute(sql`update connections set last_used_at = ${now}, hard_end_at = coalesce(${testingEnd}, hard_end_at) where id = ${connectionId}`);
}

export async function planFromScratch(tx: Database, connectionId: string, platform: string, now: Date): Promise<void> {
  await planConnectionRefresh(tx, { connectionId, platform, dueAt: now, purpose: 'plan', now, grantedAt: now });
  await notifyDue(tx, REFRESH_NOTIFY_CHANNEL);
}
