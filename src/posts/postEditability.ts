import { AppError } from '../http/errors.ts';
import type { PostWithTargets, TargetRow } from './postsRepo.ts';

/**
 * When a post may still change. Once any target has reached the platform (or may have:
 * `publishing`, `unknown`), or a publisher holds a live lease on it, the content and time are
 * fixed: the post that went out must stay the post we show. A cancelled post stays cancelled
 * (duplicate it to reuse it).
 */
export const LOCKED_STATUSES: readonly TargetRow['status'][] = ['publishing', 'published', 'unknown'];
const LOCKED = new Set(LOCKED_STATUSES);

/** What cancelling a post (or ending its series) turns into `cancelled`: what has not gone out. */
export const CANCELLABLE_STATUSES: readonly TargetRow['status'][] = ['draft', 'scheduled', 'paused', 'failed'];

export function isClaimed(t: TargetRow, now: Date): boolean {
  return t.status === 'scheduled' && t.leaseUntil !== null && t.leaseUntil.getTime() > now.getTime();
}

export function assertEditable(post: PostWithTargets, now: Date): void {
  if (post.cancelledAt) throw new AppError('not_editable', 'The post was cancelled; duplicate it to schedule it again');
  const locked = post.targets.find((t) => LOCKED.has(t.status));
  if (locked) {
    throw new AppError('not_editable', `The post can no longer be changed: its ${locked.platform} target is ${locked.status}`);
  }
  const claimed = post.targets.find((t) => isClaimed(t, now));
  if (claimed) throw new AppError('not_editable', `The post can no longer be changed: its ${claimed.platform} target is being published`);
}

export function assertVersion(post: PostWithTargets, version: number | undefined): void {
  if (version !== undefined && version !== post.version) {
    throw new AppError('conflict', `The post changed since you loaded it (version ${post.version}, yours ${version}); reload and try again`);
  }
}
