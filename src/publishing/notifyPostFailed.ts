import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { enqueueWebhookEvent } from '../webhooks/enqueueWebhookEvent.ts';

/** The target a `post.failed` event is about. */
export type FailedTargetRef = { id: string; postId: string; workspaceId: string; connectionId: string; platform: string; scheduledAt: Date | null };

/**
 * The workspace's `post.failed` webhook, enqueued in `tx`: call it in the transaction of the
 * write that failed the target (it commits or rolls back with it). `status` is `failed` (the
 * post is not on the platform) or `unknown` (the engine gave up not knowing: it may be there).
 */
export async function notifyPostFailed(
  ctx: Pick<AppContext, 'jobs'>,
  tx: Database,
  target: FailedTargetRef,
  failure: { status: 'failed' | 'unknown'; code: string; message: string },
  now: Date,
): Promise<void> {
  await enqueueWebhookEvent(ctx, tx, {
    workspaceId: target.workspaceId,
    type: 'post.failed',
    now,
    data: {
      targetId: target.id,
      postId: target.postId,
      connectionId: target.connectionId,
      platform: target.platform,
      scheduledAt: target.scheduledAt?.toISOString() ?? null,
      status: failure.status,
      reason: failure.code,
      message: failure.message,
    },
  });
}
