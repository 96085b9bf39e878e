/**
 * For the publishing engine: a token error the platform reported while publishing. A dead access
 * token (refresh_needed) makes the connection due for a refresh now; a lost grant
 * (reconnect_needed) moves it to needs_reconnect with its posts paused; an app-level error pauses
 * the platform. Transient and content errors are not the lifecycle's business.
 */
import type { AppContext } from '../context.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import type { ProviderError } from '../providers/types.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { handleRefreshFailure } from './handleRefreshFailure.ts';
import { markNeedsReconnect } from './markNeedsReconnect.ts';
import { NO_STREAK, planConnectionRefresh } from './refreshesRepo.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';

export async function reportTokenFailure(ctx: AppContext, connectionId: string, error: ProviderError): Promise<void> {
  const now = ctx.clock.now();
  const c = await getLifecycleConnection(ctx.db, connectionId);
  if (!c || c.state === 'needs_reconnect' || c.state === 'disconnected') return;
  switch (error.errorClass) {
    case 'refresh_needed':
      await ctx.db.transaction(async (tx) => {
        await planConnectionRefresh(tx, { connectionId, platform: c.platform, dueAt: now, purpose: 'refresh', now, streak: 'keep' });
        await notifyDue(tx, REFRESH_NOTIFY_CHANNEL);
      });
      return;
    case 'reconnect_needed':
      await ctx.db.transaction((tx) => markNeedsReconnect(ctx, tx, { connectionId, reason: error.reason, now, accessAction: 'revoked' }));
      return;
    case 'app_misconfigured':
      await handleRefreshFailure(ctx, { c, error, tokenVersion: null, streak: NO_STREAK, unknownOutcome: false, rotates: false, retryPurpose: 'refresh' });
      return;
    default:
      return;
  }
}
