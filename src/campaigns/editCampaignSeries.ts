import { isDeepStrictEqual } from 'node:util';
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { PostScope } from '../posts/createPost.ts';
import { findWorkspaceConnections } from '../posts/connectionsLookup.ts';
import type { PostContent } from '../posts/postContent.ts';
import { newTargetRow, type NewTarget } from '../posts/postsRepo.ts';
import { postTargets, posts } from '../posts/schema.ts';
import { targetsScheduled } from '../posts/targetsRepo.ts';
import { findCampaign, keptOccurrenceSlots, lockFutureEditableOccurrences } from './campaignsRepo.ts';
import { toCampaignView, type CampaignView } from './campaignView.ts';
import { assertSeriesContentValid, materializeOccurrences, type OccurrenceAdjustment } from './materializeOccurrences.ts';
import { expandRecurrence, type Recurrence } from './recurrence.ts';
import { campaigns } from './schema.ts';

export type SeriesEdit = { name?: string; recurrence?: Recurrence; content?: PostContent; connectionIds?: string[]; version?: number };

/**
 * Edits the series and every future occurrence still in it, in one transaction. Occurrences that
 * were edited one by one, have gone out, are being published (counted in `occurrencesSkipped`)
 * or are past keep what they are.
 * - content or connections: the occurrences are updated in place (same post ids);
 * - recurrence: the future occurrences are replaced by the new series' (new posts), except at
 *   local slots an occurrence kept by the rule above already holds.
 * The new content is validated once against every connection, like a new series.
 */
export async function editCampaignSeries(ctx: AppContext, scope: PostScope, campaignId: string, edit: SeriesEdit): Promise<CampaignView> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const campaign = await findCampaign(tx, scope.workspaceId, campaignId, { lock: true });
    if (!campaign) throw notFound('campaign');
    if (campaign.cancelledAt) throw new AppError('not_editable', 'The campaign was cancelled');
    if (edit.version !== undefined && edit.version !== campaign.version) {
      throw new AppError('conflict', `The campaign changed since you loaded it (version ${campaign.version}, yours ${edit.version}); reload and try again`);
    }
    const content = edit.content ?? campaign.content;
    const connectionIds = edit.connectionIds ? [...new Set(edit.connectionIds)] : campaign.connectionIds;
    const recurrence = edit.recurrence ?? campaign.recurrence;
    const template = { campaignId, workspaceId: scope.workspaceId, timeZone: campaign.timeZone, content, connectionIds, createdBy: scope.userId };
    // Occurrences a publisher claimed meanwhile (`busy`) keep what they are, like those already out.
    const { editable, busy } = await lockFutureEditableOccurrences(tx, campaignId, now);
    if (busy.length > 0) ctx.log.info({ campaignId, busy: busy.length }, 'series edit: occurrences being published were left as they are');

    let adjustments: OccurrenceAdjustment[] | undefined;
    // A form that sends the whole series back with the same rhythm changes content, not posts.
    if (edit.recurrence && !sameRecurrence(edit.recurrence, campaign.recurrence)) {
      const occurrences = expandRecurrence(recurrence, campaign.timeZone);
      const ids = editable.map((o) => o.id);
      if (ids.length > 0) await tx.delete(posts).where(inArray(posts.id, ids));
      const kept = await keptOccurrenceSlots(tx, campaignId, new Set(ids));
      adjustments = (await materializeOccurrences(tx, template, occurrences.filter((o) => !kept.has(o.local)), now)).adjustments;
    } else if (editable.length > 0) {
      // Validates the new content against every connection (and throws) before anything changes.
      await assertSeriesContentValid(tx, template, now);
      await updateOccurrencesInPlace(tx, scope.workspaceId, editable.map((o) => o.id), content, connectionIds, now);
    }
    await tx
      .update(campaigns)
      .set({ ...(edit.name ? { name: edit.name } : {}), content, connectionIds, recurrence, updatedAt: now, version: sql`${campaigns.version} + 1` })
      .where(eq(campaigns.id, campaignId));
    await targetsScheduled(tx, connectionIds, now);
    return { ...(await toCampaignView(tx, (await findCampaign(tx, scope.workspaceId, campaignId))!, now)), occurrencesSkipped: busy.length, ...(adjustments ? { timeAdjustments: adjustments } : {}) };
  });
}

/** As stored (JSON: no undefined keys, any key order). */
function sameRecurrence(a: Recurrence, b: Recurrence): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

async function updateOccurrencesInPlace(db: Database, workspaceId: string, postIds: string[], content: PostContent, connectionIds: string[], now: Date): Promise<void> {
  await db.update(posts).set({ content, updatedAt: now, version: sql`${posts.version} + 1` }).where(inArray(posts.id, postIds));
  await db.delete(postTargets).where(and(inArray(postTargets.postId, postIds), notInArray(postTargets.connectionId, connectionIds)));
  const existing = await db.select({ postId: postTargets.postId, connectionId: postTargets.connectionId }).from(postTargets).where(inArray(postTargets.postId, postIds));
  const have = new Set(existing.map((t) => `${t.postId}/${t.connectionId}`));
  // The content was validated against these connections already; only their state decides the status.
  const connections = await findWorkspaceConnections(db, workspaceId, connectionIds);
  const targets: NewTarget[] = [...connections.values()].map((c) =>
    c.state === 'needs_reconnect'
      ? { connectionId: c.id, platform: c.platform, status: 'paused', pausedReason: 'connection_needs_reconnect' }
      : { connectionId: c.id, platform: c.platform, status: 'scheduled' },
  );
  const scheduled = await db.select({ id: posts.id, scheduledAt: posts.scheduledAt }).from(posts).where(inArray(posts.id, postIds));
  const rows = scheduled.flatMap((p) =>
    targets.filter((t) => !have.has(`${p.id}/${t.connectionId}`)).map((t) => newTargetRow(p.id, workspaceId, p.scheduledAt, t, now)),
  );
  for (let i = 0; i < rows.length; i += 1000) await db.insert(postTargets).values(rows.slice(i, i + 1000));
}
