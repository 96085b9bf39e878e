import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { notFound } from '../http/errors.ts';
import type { PostScope } from '../posts/createPost.ts';
import { cancelPostsById, findCampaign, lockFutureEditableOccurrences } from './campaignsRepo.ts';
import { toCampaignView, type CampaignView } from './campaignView.ts';
import { campaigns } from './schema.ts';

/**
 * Ends the series: every future occurrence still in it is cancelled (targets `cancelled`, kept
 * in the planner as history); what went out, and occurrences edited one by one, stay as they
 * are. Cancelling twice is harmless.
 */
export async function cancelCampaign(ctx: AppContext, scope: PostScope, campaignId: string): Promise<CampaignView> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const campaign = await findCampaign(tx, scope.workspaceId, campaignId, { lock: true });
    if (!campaign) throw notFound('campaign');
    if (!campaign.cancelledAt) {
      // An occurrence being published this instant goes out; the rest are cancelled.
      const { editable } = await lockFutureEditableOccurrences(tx, campaignId, now);
      await cancelPostsById(tx, editable.map((o) => o.id), now);
      await tx.update(campaigns).set({ cancelledAt: now, updatedAt: now, version: sql`${campaigns.version} + 1` }).where(eq(campaigns.id, campaignId));
    }
    return toCampaignView(tx, (await findCampaign(tx, scope.workspaceId, campaignId))!, now);
  });
}
