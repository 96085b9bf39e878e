import type { AppContext } from '../context.ts';
import type { PostScope } from '../posts/createPost.ts';
import type { PostContent } from '../posts/postContent.ts';
import { targetsScheduled } from '../posts/targetsRepo.ts';
import { findCampaign } from './campaignsRepo.ts';
import { toCampaignView, type CampaignView } from './campaignView.ts';
import { materializeOccurrences } from './materializeOccurrences.ts';
import { expandRecurrence, type Recurrence } from './recurrence.ts';
import { campaigns } from './schema.ts';

export type CampaignInput = { name: string; recurrence: Recurrence; content: PostContent; connectionIds: string[] };

/**
 * Creates the series and materialises its occurrences as scheduled posts, all in one
 * transaction: a content problem (too long for X, Instagram without media) refuses the whole
 * series. Occurrences already past when it is created are skipped (a series starting today at
 * 09:00, created at 10:00, begins tomorrow). Occurrences whose local time falls in a
 * daylight-saving gap or overlap are listed in `timeAdjustments` (localTime.ts has the rules).
 */
export async function createCampaign(ctx: AppContext, scope: PostScope, input: CampaignInput): Promise<CampaignView> {
  const now = ctx.clock.now();
  const occurrences = expandRecurrence(input.recurrence, scope.timeZone);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(campaigns)
      .values({
        workspaceId: scope.workspaceId,
        name: input.name,
        recurrence: input.recurrence,
        timeZone: scope.timeZone,
        content: input.content,
        connectionIds: [...new Set(input.connectionIds)],
        createdBy: scope.userId,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const { ids, adjustments } = await materializeOccurrences(
      tx,
      { campaignId: row!.id, workspaceId: scope.workspaceId, timeZone: scope.timeZone, content: input.content, connectionIds: row!.connectionIds, createdBy: scope.userId },
      occurrences,
      now,
    );
    if (ids.length > 0) await targetsScheduled(tx, row!.connectionIds, now);
    return { ...(await toCampaignView(tx, (await findCampaign(tx, scope.workspaceId, row!.id))!, now)), timeAdjustments: adjustments };
  });
}
