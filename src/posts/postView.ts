import { z } from 'zod';
import { instantToLocal, type LocalTimeAdjustment } from './localTime.ts';
import { postContentSchema } from './postContent.ts';
import type { PostWithTargets, TargetRow } from './postsRepo.ts';
import { TARGET_STATUSES, type TargetStatus } from './schema.ts';

/** How posts look in the API: instants as ISO strings plus the local time in the post's zone. */
export const targetViewSchema = z.object({
  id: z.uuid(),
  connectionId: z.uuid(),
  platform: z.string(),
  status: z.enum(TARGET_STATUSES),
  scheduledAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
  platformPostId: z.string().nullable(),
  platformUrl: z.string().nullable(),
  failureCode: z.string().nullable(),
  failureMessage: z.string().nullable(),
  pausedReason: z.string().nullable(),
  attempts: z.number().int(),
});

export const postViewSchema = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  campaignId: z.uuid().nullable(),
  /** An occurrence edited on its own: it keeps its campaign id, and series edits leave it alone. */
  detachedFromCampaign: z.boolean(),
  content: postContentSchema,
  /** The status that needs the most attention among the targets (see `postStatus`). */
  status: z.enum(TARGET_STATUSES),
  scheduledAt: z.string().nullable(),
  /** `scheduledAt` in `timeZone`, as entered ("2026-03-29T09:00"). */
  scheduledLocal: z.string().nullable(),
  timeZone: z.string(),
  /** Set when the local time fell in a daylight-saving gap or overlap (see localTime.ts). */
  timeAdjustment: z.enum(['dst_gap_shifted_forward', 'dst_overlap_earlier_offset']).nullable().optional(),
  targets: z.array(targetViewSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

export type PostView = z.infer<typeof postViewSchema>;

/** Most urgent first: a post with one failed target shows as failed, whatever its others do. */
const ATTENTION_ORDER: TargetStatus[] = ['unknown', 'failed', 'paused', 'publishing', 'scheduled', 'draft', 'published', 'cancelled'];

export function postStatus(targets: Pick<TargetRow, 'status'>[]): TargetStatus {
  const present = new Set(targets.map((t) => t.status));
  return ATTENTION_ORDER.find((s) => present.has(s)) ?? 'draft';
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toPostView(post: PostWithTargets, adjustment?: LocalTimeAdjustment | null): PostView {
  return {
    id: post.id,
    workspaceId: post.workspaceId,
    campaignId: post.campaignId,
    detachedFromCampaign: post.detachedFromCampaign,
    content: post.content,
    status: postStatus(post.targets),
    scheduledAt: iso(post.scheduledAt),
    scheduledLocal: post.scheduledAt ? instantToLocal(post.scheduledAt, post.timeZone) : null,
    timeZone: post.timeZone,
    ...(adjustment === undefined ? {} : { timeAdjustment: adjustment }),
    targets: post.targets.map((t) => ({
      id: t.id,
      connectionId: t.connectionId,
      platform: t.platform,
      status: t.status,
      scheduledAt: iso(t.scheduledAt),
      publishedAt: iso(t.publishedAt),
      platformPostId: t.platformPostId,
      platformUrl: t.platformUrl,
      failureCode: t.failureCode,
      failureMessage: t.failureMessage,
      pausedReason: t.pausedReason,
      attempts: t.attempts,
    })),
    createdAt: post.createdAt.toISOString(),
    updatedAt: post.updatedAt.toISOString(),
    version: post.version,
  };
}
