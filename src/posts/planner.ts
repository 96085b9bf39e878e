import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { instantToLocal, localDateOf, localToInstant } from './localTime.ts';
import { findPostsByIds } from './postsRepo.ts';
import { toPostView, type PostView } from './postView.ts';
import { TARGET_STATUSES, type TargetStatus } from './schema.ts';

/**
 * The planner: posts in a calendar range or as a list, for one workspace or all of a user's,
 * filtered by target status, connection, platform and campaign, with counts per status and per
 * day. Days are local to each post's workspace: a range "2026-03-01..2026-03-31" means those
 * dates in each workspace's own time zone, and a post at 23:30 in Berlin counts on its Berlin day.
 *
 * A post is listed when at least one of its targets matches; counts are over matching targets.
 * Posts without a time (drafts) appear only when no range is given, after the dated ones.
 */
export type PlannerQuery = {
  workspaceIds: string[];
  /** Local dates, inclusive, in each workspace's zone. */
  from?: string;
  to?: string;
  statuses?: TargetStatus[];
  connectionIds?: string[];
  platforms?: string[];
  campaignId?: string;
  limit: number;
  offset: number;
};

export type StatusCounts = Record<TargetStatus, number>;

export type PlannerResult = {
  items: PostView[];
  /** Posts matching, before paging. */
  total: number;
  counts: { byStatus: StatusCounts; byDay: { date: string; workspaceId: string; total: number; byStatus: StatusCounts }[] };
};

const emptyCounts = (): StatusCounts => Object.fromEntries(TARGET_STATUSES.map((s) => [s, 0])) as StatusCounts;

type MatchRow = { post_id: string; workspace_id: string; status: TargetStatus; scheduled_at: Date | string | null };

export async function queryPlanner(db: Database, q: PlannerQuery): Promise<PlannerResult> {
  const result: PlannerResult = { items: [], total: 0, counts: { byStatus: emptyCounts(), byDay: [] } };
  if (q.workspaceIds.length === 0) return result;
  const zones = await workspaceZones(db, q.workspaceIds);
  const where: SQL[] = [sql`t.workspace_id in (${sql.join(q.workspaceIds.map((id) => sql`${id}::uuid`), sql`, `)})`];
  if (q.from || q.to) where.push(rangeCondition(q, zones));
  if (q.statuses?.length) where.push(sql`t.status in (${sql.join(q.statuses.map((s) => sql`${s}`), sql`, `)})`);
  if (q.connectionIds?.length) where.push(sql`t.connection_id in (${sql.join(q.connectionIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
  if (q.platforms?.length) where.push(sql`t.platform in (${sql.join(q.platforms.map((p) => sql`${p}`), sql`, `)})`);
  if (q.campaignId) where.push(sql`p.campaign_id = ${q.campaignId}::uuid`);
  const res = await db.execute(sql`
    select t.post_id, t.workspace_id, t.status, t.scheduled_at
    from post_targets t join posts p on p.id = t.post_id
    where ${sql.join(where, sql` and `)}
    order by t.scheduled_at nulls last, t.post_id`);
  const rows = res.rows as MatchRow[];

  const days = new Map<string, { date: string; workspaceId: string; total: number; byStatus: StatusCounts }>();
  const postOrder: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    result.counts.byStatus[r.status]++;
    if (!seen.has(r.post_id)) {
      seen.add(r.post_id);
      postOrder.push(r.post_id);
    }
    if (r.scheduled_at === null) continue;
    const date = localDateOf(new Date(r.scheduled_at), zones.get(r.workspace_id) ?? 'UTC');
    const key = `${r.workspace_id}/${date}`;
    let day = days.get(key);
    if (!day) days.set(key, (day = { date, workspaceId: r.workspace_id, total: 0, byStatus: emptyCounts() }));
    day.total++;
    day.byStatus[r.status]++;
  }
  result.total = postOrder.length;
  result.counts.byDay = [...days.values()].sort((a, b) => a.date.localeCompare(b.date) || a.workspaceId.localeCompare(b.workspaceId));
  const page = await findPostsByIds(db, postOrder.slice(q.offset, q.offset + q.limit));
  result.items = page.map((p) => toPostView(p));
  return result;
}

async function workspaceZones(db: Database, ids: string[]): Promise<Map<string, string>> {
  const res = await db.execute(sql`select id, time_zone from workspaces where id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`);
  return new Map((res.rows as { id: string; time_zone: string }[]).map((r) => [r.id, r.time_zone]));
}

/** Each workspace's local [from 00:00, the day after `to` 00:00) as instants. */
function rangeCondition(q: PlannerQuery, zones: Map<string, string>): SQL {
  const perWorkspace = q.workspaceIds.map((id) => {
    const zone = zones.get(id) ?? 'UTC';
    const parts: SQL[] = [sql`t.workspace_id = ${id}::uuid`];
    if (q.from) parts.push(sql`t.scheduled_at >= ${localToInstant(`${q.from}T00:00`, zone).instant}`);
    if (q.to) parts.push(sql`t.scheduled_at < ${localToInstant(`${nextDay(q.to)}T00:00`, zone).instant}`);
    return sql`(${sql.join(parts, sql` and `)})`;
  });
  return sql`(${sql.join(perWorkspace, sql` or `)})`;
}

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return instantToLocal(d, 'UTC').slice(0, 10);
}
