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

export type Occurrence = { id: string; campaignOccurrence: string | null };

/**
 * The future occurrences of a series (not edited one by one, not cancelled, ahead of `now`),
 * split into those an edit (or cancel) may still change and those it must leave alone (`busy`):
 * a target went out, may have, or is claimed right now. The posts are locked first, then their targets (`FOR UPDATE`, in the publisher's
 * claim order: due time, then id); the target rows are what the publisher claims, so holding
 * them is what keeps a claim from starting under the edit. A claim that committed while we
 * waited for a target's lock is seen after it (the row is re-read once locked).
 */
export async function lockFutureEditableOccurrences(db: Database, campaignId: string, now: Date): Promise<{ editable: Occurrence[]; busy: Occurrence[] }> {
  const res = await db.execute(sql`
    select p.id, p.campaign_occurrence from posts p
    where p.campaign_id = ${campaignId} and p.detached_from_campaign = false and p.cancelled_at is null
      and p.scheduled_at > ${now}
    order by p.scheduled_at, p.id
    for update of p`);
  const candidates = (res.rows as { id: string; campaign_occurrence: string | null }[]).map((r) => ({ id: r.id, campaignOccurrence: r.campaign_occurrence }));
  if (candidates.length === 0) return { editable: [], busy: [] };
  const targets = await db.execute(sql`
    select t.post_id, t.status, t.lease_until from post_targets t
    where t.post_id in (${sql.join(candidates.map((c) => sql`${c.id}::uuid`), sql`, `)})
    order by t.due_at nulls last, t.id
    for update of t`);
  const locked = new Set<string>(LOCKED_STATUSES);
  const busyIds = new Set(
    (targets.rows as { post_id: string; status: string; lease_until: Date | string | null }[])
      .filter((t) => locked.has(t.status) || (t.status === 'scheduled' && t.lease_until !== null && new Date(t.lease_until).getTime() > now.getTime()))
      .map((t) => t.post_id),
  );
  return { editable: candidates.filter((c) => !busyIds.has(c.id)), busy: candidates.filter((c) => busyIds.has(c.id)) };
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
