import type { AppContext } from '../context.ts';
import { notFound } from '../http/errors.ts';
import { createPost, type PostScope } from './createPost.ts';
import { findPost } from './postsRepo.ts';
import type { PostView } from './postView.ts';

/**
 * A new post with the same content and connections (whatever the original's state: a published
 * post can be reused). Without `scheduledAt` the copy is a draft; with it, it is scheduled and
 * validated like any new post. The copy does not belong to the original's campaign.
 */
export async function duplicatePost(ctx: AppContext, scope: PostScope, postId: string, options: { scheduledAt?: string }): Promise<PostView> {
  const source = await findPost(ctx.db, scope.workspaceId, postId);
  if (!source) throw notFound('post');
  return createPost(ctx, scope, {
    content: source.content,
    connectionIds: source.targets.map((t) => t.connectionId),
    ...(options.scheduledAt ? { scheduledAt: options.scheduledAt } : { draft: true }),
  });
}
