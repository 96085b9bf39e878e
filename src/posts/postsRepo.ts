import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { isUuid } from '../workspaces/membership.ts';
import type { PostContent } from './postContent.ts';
import { postTargets, posts, type TargetStatus } from './schema.ts';

export type PostRow = typeof posts.$inferSelect;
export type TargetRow = typeof postTargets.$inferSelect;
export type PostWithTargets = PostRow & { targets: TargetRow[] };

export type NewTarget = {
  connectionId: string;
  platform: string;
  status: Extract<TargetStatus, 'draft' | 'scheduled' | 'paused'>;
  pausedReason?: string | null;
};

export type NewPost = {
  workspaceId: string;
  campaignId?: string | null;
  campaignOccurrence?: string | null;
  content: PostContent;
  scheduledAt: Date | null;
  timeZone: string;
  createdBy: string | null;
  targets: NewTarget[];
};

/** A scheduled target is due (claimable by the publisher) at its time; drafts and paused targets are not due. */
export function dueAtOf<T extends Date | string | null>(target: Pick<NewTarget, 'status'>, scheduledAt: T): T | null {
  return target.status === 'scheduled' ? scheduledAt : null;
}

/** A paused target says why (by default its connection needs reconnecting); others have no reason. */
export function pausedReasonOf(target: Pick<NewTarget, 'status' | 'pausedReason'>): string | null {
  return target.status === 'paused' ? (target.pausedReason ?? 'connection_needs_reconnect') : null;
}

/** Rows per statement: each chunk travels as one JSON parameter. */
const CHUNK = 5000;

/**
 * Inserts posts and their targets in a few statements (the CSV import writes 10,000 at once):
 * each chunk of rows is sent as one JSON array and expanded by `jsonb_to_recordset`, which both
 * engines parse far faster than thousands of bind parameters. Ids are made here so targets need
 * no round trip for their post's id. A scheduled target is due at its time; drafts and paused
 * targets are not due.
 */
export async function insertPosts(db: Database, input: NewPost[], now: Date): Promise<string[]> {
  const postRows: Record<string, unknown>[] = [];
  const targetRows: Record<string, unknown>[] = [];
  const at = now.toISOString();
  for (const p of input) {
    const id = randomUUID();
    const scheduledAt = p.scheduledAt?.toISOString() ?? null;
    postRows.push({
      id,
      workspace_id: p.workspaceId,
      campaign_id: p.campaignId ?? null,
      campaign_occurrence: p.campaignOccurrence ?? null,
      content: p.content,
      scheduled_at: scheduledAt,
      time_zone: p.timeZone,
      created_by: p.createdBy,
    });
    for (const t of p.targets) {
      targetRows.push({
        post_id: id,
        workspace_id: p.workspaceId,
        connection_id: t.connectionId,
        platform: t.platform,
        status: t.status,
        scheduled_at: scheduledAt,
        due_at: dueAtOf(t, scheduledAt),
        paused_reason: pausedReasonOf(t),
      });
    }
  }
  for (let i = 0; i < postRows.length; i += CHUNK) {
    await db.execute(sql`
      insert into posts (id, workspace_id, campaign_id, campaign_occurrence, content, scheduled_at, time_zone, created_by, created_at, updated_at)
      select r.id, r.workspace_id, r.campaign_id, r.campaign_occurrence, r.content, r.scheduled_at, r.time_zone, r.created_by, ${at}::timestamptz, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(postRows.slice(i, i + CHUNK))}::jsonb)
        as r(id uuid, workspace_id uuid, campaign_id uuid, campaign_occurrence text, content jsonb, scheduled_at timestamptz, time_zone text, created_by uuid)`);
  }
  for (let i = 0; i < targetRows.length; i += CHUNK) {
    await db.execute(sql`
      insert into post_targets (post_id, workspace_id, connection_id, platform, status, scheduled_at, due_at, paused_reason, created_at, updated_at)
      select r.post_id, r.workspace_id, r.connection_id, r.platform, r.status, r.scheduled_at, r.due_at, r.paused_reason, ${at}::timestamptz, ${at}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(targetRows.slice(i, i + CHUNK))}::jsonb)
        as r(post_id uuid, workspace_id uuid, connection_id uuid, platform text, status text, scheduled_at timestamptz, due_at timestamptz, paused_reason text)`);
  }
  return postRows.map((r) => String(r.id));
}

export function newTargetRow(postId: string, workspaceId: string, scheduledAt: Date | null, t: NewTarget, now: Date): typeof postTargets.$inferInsert {
  return {
    postId,
    workspaceId,
    connectionId: t.connectionId,
    platform: t.platform,
    status: t.status,
    scheduledAt,
    dueAt: dueAtOf(t, scheduledAt),
    pausedReason: pausedReasonOf(t),
    createdAt: now,
    updatedAt: now,
  };
}

/** The post with its targets, or undefined when it is not in this workspace. */
export async function findPost(db: Database, workspaceId: string, postId: string): Promise<PostWithTargets | undefined> {
  return selectPost(db, workspaceId, postId, { lock: false });
}

/**
 * The same, with the post's and its targets' rows locked for the rest of the transaction. The
 * publisher claims targets with SKIP LOCKED, so while an edit holds them no claim can start.
 */
export async function lockPost(db: Database, workspaceId: string, postId: string): Promise<PostWithTargets | undefined> {
  return selectPost(db, workspaceId, postId, { lock: true });
}

async function selectPost(db: Database, workspaceId: string, postId: string, options: { lock: boolean }): Promise<PostWithTargets | undefined> {
  if (!isUuid(postId)) return undefined;
  const postQuery = db.select().from(posts).where(and(eq(posts.id, postId), eq(posts.workspaceId, workspaceId)));
  const [post] = options.lock ? await postQuery.for('update') : await postQuery;
  if (!post) return undefined;
  const targetsQuery = db.select().from(postTargets).where(eq(postTargets.postId, postId)).orderBy(asc(postTargets.createdAt), asc(postTargets.platform));
  const targets = options.lock ? await targetsQuery.for('update') : await targetsQuery;
  return { ...post, targets };
}

/** Posts with their targets, in the order of `ids`. */
export async function findPostsByIds(db: Database, ids: string[]): Promise<PostWithTargets[]> {
  if (ids.length === 0) return [];
  const rows = await db.select().from(posts).where(inArray(posts.id, ids));
  const targets = await db.select().from(postTargets).where(inArray(postTargets.postId, ids)).orderBy(asc(postTargets.createdAt));
  const byPost = new Map<string, TargetRow[]>();
  for (const t of targets) byPost.set(t.postId, [...(byPost.get(t.postId) ?? []), t]);
  const byId = new Map(rows.map((p) => [p.id, { ...p, targets: byPost.get(p.id) ?? [] }]));
  return ids.map((id) => byId.get(id)).filter((p): p is PostWithTargets => p !== undefined);
}

export async function updatePostRow(
  db: Database,
  postId: string,
  patch: Partial<Pick<PostRow, 'content' | 'scheduledAt' | 'timeZone' | 'detachedFromCampaign' | 'cancelledAt' | 'campaignOccurrence'>>,
  now: Date,
): Promise<void> {
  await db
    .update(posts)
    .set({ ...patch, updatedAt: now, version: sql`${posts.version} + 1` })
    .where(eq(posts.id, postId));
}
