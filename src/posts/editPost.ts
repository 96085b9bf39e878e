import { eq, inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { notFound } from '../http/errors.ts';
import { composeInWorkspace, type PostScope } from './createPost.ts';
import type { PostContent } from './postContent.ts';
import { assertEditable, assertVersion } from './postEditability.ts';
import { dueAtOf, findPost, lockPost, newTargetRow, pausedReasonOf, updatePostRow, type NewTarget, type PostWithTargets } from './postsRepo.ts';
import { toPostView, type PostView } from './postView.ts';
import { postTargets } from './schema.ts';
import { targetsScheduled } from './targetsRepo.ts';

/**
 * Edit, reschedule, schedule a draft or turn a post back into a draft. Absent fields keep their
 * value; `scheduledAt: null` removes the time (the post becomes a draft). The targets follow in
 * the same transaction: their time and due time move with the post (the publisher claims by
 * `due_at`, so a reschedule is this plain update), new connections get targets, removed ones
 * lose theirs. An occurrence of a campaign edited here leaves the series (series edits skip it).
 */
export type PostEdit = {
  content?: PostContent;
  connectionIds?: string[];
  scheduledAt?: string | null;
  draft?: boolean;
  /** The version the editor loaded; a mismatch answers `conflict`. */
  version?: number;
};

export async function editPost(ctx: AppContext, scope: PostScope, postId: string, edit: PostEdit): Promise<PostView> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const post = await lockPost(tx, scope.workspaceId, postId);
    if (!post) throw notFound('post');
    assertVersion(post, edit.version);
    assertEditable(post, now);
    const adjustment = await applyEdit(tx, scope, post, edit, now);
    return toPostView((await findPost(tx, scope.workspaceId, postId))!, adjustment);
  });
}

/** The edit on a locked, editable post. */
async function applyEdit(db: Database, scope: PostScope, post: PostWithTargets, edit: PostEdit, now: Date) {
  const content = edit.content ?? post.content;
  const connectionIds = edit.connectionIds ?? post.targets.map((t) => t.connectionId);
  const wasDraft = post.targets.every((t) => t.status === 'draft');
  const draft = edit.draft ?? (edit.scheduledAt !== undefined && edit.scheduledAt !== null ? false : wasDraft);
  // A time given again is read in the workspace's zone; an untouched one keeps its instant.
  const timeTouched = edit.scheduledAt !== undefined;
  const timeZone = timeTouched ? scope.timeZone : post.timeZone;
  const composed = await composeInWorkspace(
    db,
    { ...scope, timeZone },
    { content, connectionIds, draft, ...(timeTouched ? { scheduledAt: edit.scheduledAt } : { keepInstant: post.scheduledAt }) },
    now,
  );

  await updatePostRow(
    db,
    post.id,
    {
      content,
      scheduledAt: composed.scheduledAt,
      timeZone,
      ...(post.campaignId ? { detachedFromCampaign: true } : {}),
    },
    now,
  );

  const wanted = new Map(composed.targets.map((t) => [t.connectionId, t]));
  const removed = post.targets.filter((t) => !wanted.has(t.connectionId)).map((t) => t.id);
  if (removed.length > 0) await db.delete(postTargets).where(inArray(postTargets.id, removed));
  const existing = new Map(post.targets.map((t) => [t.connectionId, t]));
  for (const composedTarget of composed.targets) {
    const current = existing.get(composedTarget.connectionId);
    if (!current) {
      await db.insert(postTargets).values(newTargetRow(post.id, post.workspaceId, composed.scheduledAt, composedTarget, now));
      continue;
    }
    const target = stillPaused(current, composedTarget);
    await db
      .update(postTargets)
      .set({
        status: target.status,
        scheduledAt: composed.scheduledAt,
        dueAt: dueAtOf(target, composed.scheduledAt),
        pausedReason: pausedReasonOf(target),
        failureCode: null,
        failureMessage: null,
        nextAttemptAt: null,
        leaseOwner: null,
        leaseUntil: null,
        updatedAt: now,
        version: sql`${postTargets.version} + 1`,
      })
      .where(eq(postTargets.id, current.id));
  }
  const scheduled = composed.targets.filter((t) => t.status === 'scheduled');
  if (scheduled.length > 0) await targetsScheduled(db, scheduled.map((t) => t.connectionId), now);
  return composed.adjustment;
}

/**
 * A paused target stays paused when its post is edited or rescheduled (it is held until its
 * account is reconnected, whoever paused it: the lifecycle engine or the publisher on a token
 * error), keeping its reason; only turning the post into a draft takes it off the schedule.
 */
function stillPaused(current: PostWithTargets['targets'][number], composed: NewTarget): NewTarget {
  if (current.status !== 'paused' || composed.status !== 'scheduled') return composed;
  return { ...composed, status: 'paused', pausedReason: current.pausedReason ?? 'connection_needs_reconnect' };
}
