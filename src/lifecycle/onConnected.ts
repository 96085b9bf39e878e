/**
 * Called by the connect flow, in its transaction, after a new connection is stored: the refresh
 * engine plans it on its first run (due now, purpose 'plan'; no platform call). Connections
 * created without this call are adopted by the refresh queue within a minute.
 */
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { planConnectionRefresh } from './refreshesRepo.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';

export async function onConnected(ctx: AppContext, tx: Database, connectionId: string): Promise<void> {
  const c = await getLifecycleConnection(tx, connectionId);
  if (c) await planFromScratch(tx, connectionId, c.platform, ctx.clock.now());
}

export async function planFromScratch(tx: Database, connectionId: string, platform: string, now: Date): Promise<void> {
  await planConnectionRefresh(tx, { connectionId, platform, dueAt: now, purpose: 'plan', now, attempts: 0, lastError: null });
  await notifyDue(tx, REFRESH_NOTIFY_CHANNEL);
}
