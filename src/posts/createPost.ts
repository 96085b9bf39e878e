import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { findMediaByIds } from '../media/mediaRepo.ts';
import { assertComposable, composePost, type ComposeInput, type ComposedPost } from './composePost.ts';
import { findWorkspaceConnections } from './connectionsLookup.ts';
import { referencedMediaIds } from './postContent.ts';
import { findPost, insertPosts } from './postsRepo.ts';
import { toPostView, type PostView } from './postView.ts';
import { targetsScheduled } from './targetsRepo.ts';

/** Who acts where: the workspace (with its zone) and the user. */
export type PostScope = { workspaceId: string; timeZone: string; userId: string | null };

/**
 * Composes against the workspace's connections and uploads (loaded in `db`) and throws the API's
 * error when the post cannot be stored as asked.
 */
export async function composeInWorkspace(db: Database, scope: PostScope, input: ComposeInput, now: Date): Promise<ComposedPost> {
  const connections = await findWorkspaceConnections(db, scope.workspaceId, input.connectionIds);
  const media = await findMediaByIds(db, scope.workspaceId, referencedMediaIds(input.content));
  const composed = composePost(input, { connections, media, timeZone: scope.timeZone, now });
  assertComposable(composed, input);
  return composed;
}

/** Creates a draft or scheduled post with one target per connection, in one transaction. */
export async function createPost(ctx: AppContext, scope: PostScope, input: ComposeInput): Promise<PostView> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const composed = await composeInWorkspace(tx, scope, input, now);
    const [id] = await insertPosts(
      tx,
      [
        {
          workspaceId: scope.workspaceId,
          content: input.content,
          scheduledAt: composed.scheduledAt,
          timeZone: scope.timeZone,
          createdBy: scope.userId,
          targets: composed.targets,
        },
      ],
      now,
    );
    const scheduled = composed.targets.filter((t) => t.status === 'scheduled');
    if (scheduled.length > 0) await targetsScheduled(tx, scheduled.map((t) => t.connectionId), now);
    return toPostView((await findPost(tx, scope.workspaceId, id!))!, composed.adjustment);
  });
}
