import { and, eq, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { PostScope } from './createPost.ts';
import { assertVersion, CANCELLABLE_STATUSES, isClaimed } from './postEditability.ts';
import { findPost, lockPost, updatePostRow } from './postsRepo.ts';
import { toPostView, type PostView } from './postView.ts';
import { postTargets } from './schema.ts';

const CANCELLABLE = new Set(CANCELLABLE_STATUSES);

/**
 * Cancels every target that has not gone out (and is not being published this instant); what was
 * published stays published. Cancelling twice is harmless. A post with nothing left to cancel
 * answers `not_editable`.
 */
export async function cancelPost(ctx: AppContext, scope: PostScope, postId: string, version?: number): Promise<PostView> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const post = await lockPost(tx, scope.workspaceId, postId);
    if (!post) throw notFound('post');
    if (post.cancelledAt) return toPostView(post);
    assertVersion(post, version);
    const ids = post.targets.filter((t) => CANCELLABLE.has(t.status) && !isClaimed(t, now)).map((t) => t.id);
    if (ids.length === 0) throw new AppError('not_editable', 'Nothing left to cancel: every target is published or being published');
    await tx
      .update(postTargets)
      .set({ status: 'cancelled', dueAt: null, updatedAt: now, version: sql`${postTargets.version} + 1` })
      .where(and(eq(postTargets.postId, postId), inArray(postTargets.id, ids)));
    await updatePostRow(tx, postId, { cancelledAt: now }, now);
    return toPostView((await findPost(tx, scope.workspaceId, postId))!);
  });
}
