import { AppError } from '../http/errors.ts';
import { connectionLabel, type ConnectionRef } from './connectionsLookup.ts';
import { localToInstant, type LocalTimeAdjustment } from './localTime.ts';
import type { PostContent } from './postContent.ts';
import type { NewTarget } from './postsRepo.ts';
import { validatePostContent, type MediaInfo, type TargetIssue, type ValidationTarget } from './validatePost.ts';

/**
 * The one place that turns what a user composed into what gets stored: the instant (from a local
 * time in the workspace's zone), one target per connection with its first status, and every
 * problem found. Pure (everything it needs is passed in), so single posts, campaigns and the CSV
 * import (10,000 rows against preloaded maps) share it.
 *
 * - A draft (or a post without a time) is only checked for what makes it meaningless (unknown
 *   connections or uploads); platform rules apply when it is scheduled.
 * - A scheduled target whose connection needs reconnecting starts `paused`, so it is held, shown
 *   and resumed on reconnect rather than failing on the day.
 */
export type ComposeInput = {
  content: PostContent;
  connectionIds: string[];
  /** Local date-time in `ComposeEnv.timeZone`; null or absent: no time (a draft). */
  scheduledAt?: string | null;
  /** An instant kept from before (an edit that does not touch the time): used as is, not re-read from local time. */
  keepInstant?: Date | null;
  draft?: boolean;
};

export type ComposeEnv = {
  connections: ReadonlyMap<string, ConnectionRef>;
  media: ReadonlyMap<string, MediaInfo>;
  timeZone: string;
  now: Date;
};

export type ComposedPost = {
  scheduledAt: Date | null;
  adjustment: LocalTimeAdjustment | null;
  targets: NewTarget[];
  issues: TargetIssue[];
  /** The time given is already past (scheduled posts only). */
  timeInPast: boolean;
};

/** A time within the current minute still counts as "now": people type minutes, not seconds. */
export const PAST_TOLERANCE_MS = 60_000;

export function composePost(input: ComposeInput, env: ComposeEnv): ComposedPost {
  const resolved = input.keepInstant
    ? { instant: input.keepInstant, adjustment: null }
    : input.scheduledAt
      ? localToInstant(input.scheduledAt, env.timeZone)
      : null;
  const scheduling = !input.draft && resolved !== null;
  const issues: TargetIssue[] = [];
  const targets: NewTarget[] = [];
  const valid: ValidationTarget[] = [];
  for (const id of new Set(input.connectionIds)) {
    const c = env.connections.get(id);
    if (!c) {
      issues.push({ connectionId: id, platform: null, field: 'connection', code: 'connection_not_found', message: `No connection ${id} in this workspace` });
      continue;
    }
    if (c.state === 'disconnected') {
      issues.push({
        connectionId: id,
        platform: c.platform,
        field: 'connection',
        code: 'connection_disconnected',
        message: `${connectionLabel(c)} is disconnected; reconnect it or choose another account`,
      });
      continue;
    }
    valid.push({ connectionId: id, platform: c.platform, label: connectionLabel(c), account: c.account });
    const status = !scheduling ? 'draft' : c.state === 'needs_reconnect' ? 'paused' : 'scheduled';
    targets.push({ connectionId: id, platform: c.platform, status, pausedReason: status === 'paused' ? 'connection_needs_reconnect' : null });
  }
  const contentIssues = validatePostContent(input.content, valid, env.media);
  issues.push(...(scheduling ? contentIssues : contentIssues.filter((i) => i.code === 'media_not_found')));
  return {
    scheduledAt: resolved?.instant ?? null,
    adjustment: resolved?.adjustment ?? null,
    targets,
    issues,
    timeInPast: scheduling && resolved!.instant.getTime() < env.now.getTime() - PAST_TOLERANCE_MS,
  };
}

/** Throws the API's errors for a composed post that cannot be stored as asked. */
export function assertComposable(composed: ComposedPost, input: ComposeInput): void {
  if (composed.issues.length > 0) {
    throw new AppError('post_invalid', summarize(composed.issues), { details: { issues: composed.issues } });
  }
  if (composed.timeInPast) {
    throw new AppError('time_in_past', `${input.scheduledAt ?? composed.scheduledAt?.toISOString()} is in the past; choose a later time or save a draft`);
  }
}

function summarize(issues: TargetIssue[]): string {
  const first = issues[0]!.message;
  return issues.length === 1 ? `The post cannot be scheduled: ${first}` : `The post cannot be scheduled: ${first} (and ${issues.length - 1} more)`;
}
