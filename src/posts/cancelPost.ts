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
 * Cancels every target that has not gone out; what was published stays published. While a
 * target is being published (`publishing`, or claimed under a live lease) the cancel is refused
 * (`not_editable`) and nothing changes: the outcome of that call is not ours to stop. Cancelling
 * twice is harmless. A post with nothing left to cancel answers `not_editable`.
 */
export async function cancelPost(ctx: AppContext, scope: PostScope, postId: string, version?: number): Promise<PostView> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const post = await lockPost(tx, scope.workspaceId, postId);
    if (!post) throw notFound('post');
    if (post.cancelledAt) return toPostView(post);
    assertVersion(post, version);
    // A target on its way to the platform cannot be called back: refuse rather than cancel around it.
    const inFlight = post.targets.find((t) => t.status === 'publishing' || isClaimed(t, now));
    if (inFlight) {
      throw new AppError('not_editable', `The post cannot be cancelled now: its ${inFlight.platform} target is being published; try again once it has finished`);
    }
    const ids = post.targets.filter((t) => CANCELLABLE.has(t.status)).map((t) => t.id);
    if (ids.length === 0) throw new AppError('not_editable', 'Nothing left to cancel: every target is published or being published');
    await tx
      .update(postTargets)
      .set({ status: 'cancelled', dueAt: null, updatedAt: now, version: sql`${postTargets.version} + 1` })
      .where(and(eq(postTargets.postId, postId), inArray(postTargets.id, ids)));
    await updatePostRow(tx, postId, { cancelledAt: now }, now);
    return toPostView((await findPost(tx, scope.workspaceId, postId))!);
  });
}
