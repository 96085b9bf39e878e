/**
 * Called by the connect flow, in its transaction, after a new connection is stored: the grant's
 * start is recorded (the inactivity policy measures from it; a Google testing-mode grant's 7-day
 * end comes with its tokens, see youtube/provider.ts) and the refresh engine plans it on its first run (due now, purpose 'plan'; no platform
 * call). Connections created without this call are adopted by the refresh queue within a minute.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { planConnectionRefresh } from './refreshesRepo.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';

export async function onConnected(ctx: AppContext, tx: Database, connectionId: string): Promise<void> {
  const c = await getLifecycleConnection(tx, connectionId);
  if (!c) return;
  const now = ctx.clock.now();
  await startGrant(tx, connectionId, now);
  await planFromScratch(tx, connectionId, c.platform, now);
}

/** A grant starts now (connect or reconnect): it counts as a use of the connection. */
export async function startGrant(tx: Database, connectionId: string, now: Date): Promise<void> {
  await tx.execute(sql`update connections set last_used_at = ${now} where id = ${connectionId}`);
}

export async function planFromScratch(tx: Database, connectionId: string, platform: string, now: Date): Promise<void> {
  await planConnectionRefresh(tx, { connectionId, platform, dueAt: now, purpose: 'plan', now, grantedAt: now });
  await notifyDue(tx, REFRESH_NOTIFY_CHANNEL);
}
