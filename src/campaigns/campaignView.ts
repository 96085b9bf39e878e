import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { postContentSchema } from '../posts/postContent.ts';
import { countCampaignPosts, type CampaignRow } from './campaignsRepo.ts';
import { recurrenceSchema } from './recurrence.ts';

export const campaignViewSchema = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  name: z.string(),
  recurrence: recurrenceSchema,
  timeZone: z.string(),
  content: postContentSchema,
  connectionIds: z.array(z.uuid()),
  cancelledAt: z.string().nullable(),
  /** Posts of the series (edited and cancelled ones included) and those still ahead. */
  posts: z.object({ total: z.number().int(), upcoming: z.number().int() }),
  /** After a series edit: future occurrences left as they were because they were being published. */
  occurrencesSkipped: z.number().int().optional(),
  /** After creating or re-timing a series: occurrences whose local time fell in a daylight-saving gap or overlap. */
  timeAdjustments: z
    .array(z.object({ occurrence: z.string(), scheduledLocal: z.string(), adjustment: z.enum(['dst_gap_shifted_forward', 'dst_overlap_earlier_offset']) }))
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

export type CampaignView = z.infer<typeof campaignViewSchema>;

export async function toCampaignView(db: Database, row: CampaignRow, now: Date): Promise<CampaignView> {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    recurrence: row.recurrence,
    timeZone: row.timeZone,
    content: row.content,
    connectionIds: row.connectionIds,
    cancelledAt: row.cancelledAt?.toISOString() ?? null,
    posts: await countCampaignPosts(db, row.id, now),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}
