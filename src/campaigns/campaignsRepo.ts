import { and, asc, count, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { CANCELLABLE_STATUSES, LOCKED_STATUSES } from '../posts/postEditability.ts';
import { postTargets, posts } from '../posts/schema.ts';
import { isUuid } from '../workspaces/membership.ts';
import { campaigns } from './schema.ts';

export type CampaignRow = typeof campaigns.$inferSelect;

export async function findCampaign(db: Database, workspaceId: string, id: string, options: { lock?: boolean } = {}): Promise<CampaignRow | undefined> {
  if (!isUuid(id)) return undefined;
  const q = db.select().from(campaigns).where(and(eq(campaigns.id, id), eq(campaigns.workspaceId, workspaceId)));
  const [row] = options.lock ? await q.for('update') : await q;
  return row;
}

export async function listCampaigns(db: Database, workspaceId: string): Promise<CampaignRow[]> {
  return db.select().from(campaigns).where(eq(campaigns.workspaceId, workspaceId)).orderBy(asc(campaigns.createdAt));
}

/**
 * The occurrences a series edit may still change: in the series (not edited one by one), not
 * cancelled, ahead of `now`, with no target that went out, may have, or is claimed right now.
 * Locked for the transaction (the publisher's claim skips locked rows).
 */
export async function lockFutureEditableOccurrences(db: Database, campaignId: string, now: Date): Promise<{ id: string; campaignOccurrence: string | null }[]> {
  const res = await db.execute(sql`
    select p.id, p.campaign_occurrence from posts p
    where p.campaign_id = ${campaignId} and p.detached_from_campaign = false and p.cancelled_at is null
      and p.scheduled_at > ${now}
      and not exists (
        select 1 from post_targets t where t.post_id = p.id
          and (t.status in (${statusList(LOCKED_STATUSES)}) or (t.status = 'scheduled' and t.lease_until > ${now})))
    order by p.scheduled_at
    for update of p`);
  return (res.rows as { id: string; campaign_occurrence: string | null }[]).map((r) => ({ id: r.id, campaignOccurrence: r.campaign_occurrence }));
}

/** The local slots ("2026-03-01T09:00") of the series' posts that a series edit keeps as they are. */
export async function keptOccurrenceSlots(db: Database, campaignId: string, editable: Set<string>): Promise<Set<string>> {
  const rows = await db
    .select({ id: posts.id, slot: posts.campaignOccurrence })
    .from(posts)
    .where(and(eq(posts.campaignId, campaignId), isNull(posts.cancelledAt)));
  return new Set(rows.filter((r) => !editable.has(r.id) && r.slot).map((r) => r.slot!));
}

export async function countCampaignPosts(db: Database, campaignId: string, now: Date): Promise<{ total: number; upcoming: number }> {
  const [total] = await db.select({ n: count() }).from(posts).where(eq(posts.campaignId, campaignId));
  const [upcoming] = await db
    .select({ n: count() })
    .from(posts)
    .where(and(eq(posts.campaignId, campaignId), isNull(posts.cancelledAt), gt(posts.scheduledAt, now)));
  return { total: Number(total?.n ?? 0), upcoming: Number(upcoming?.n ?? 0) };
}

/** Cancels the targets of the given posts that have not gone out, and marks the posts cancelled. */
export async function cancelPostsById(db: Database, postIds: string[], now: Date): Promise<void> {
  if (postIds.length === 0) return;
  const list = sql.join(postIds.map((id) => sql`${id}`), sql`, `);
  await db.execute(sql`
    update ${postTargets} set status = 'cancelled', due_at = null, updated_at = ${now}, version = version + 1
    where post_id in (${list}) and status in (${statusList(CANCELLABLE_STATUSES)})`);
  await db.execute(sql`update ${posts} set cancelled_at = ${now}, updated_at = ${now}, version = version + 1 where id in (${list})`);
}

const statusList = (statuses: readonly string[]) => sql.join(statuses.map((s) => sql`${s}`), sql`, `);
