import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { instantToLocal, localToInstant } from './localTime.ts';
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

type CountRow = { workspace_id: string; status: TargetStatus; day: string | null; n: number | string };

/**
 * Everything is computed by the database: the counts are one aggregate (per workspace, local
 * day and status), the list is a page of post ids in a stable order (earliest matching target
 * time, drafts last, then post id) with LIMIT/OFFSET, and only that page's posts are loaded.
 * Nothing here grows with the number of matching rows but the page.
 */
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
  const matching = sql`
    select t.post_id, t.workspace_id, t.status, t.scheduled_at
    from post_targets t join posts p on p.id = t.post_id
    where ${sql.join(where, sql` and `)}`;

  const counts = await db.execute(sql`
    select m.workspace_id, m.status, ((m.scheduled_at at time zone w.time_zone)::date)::text as day, count(*) as n
    from (${matching}) m join workspaces w on w.id = m.workspace_id
    group by m.workspace_id, m.status, day`);
  const days = new Map<string, { date: string; workspaceId: string; total: number; byStatus: StatusCounts }>();
  for (const r of counts.rows as CountRow[]) {
    const n = Number(r.n);
    result.counts.byStatus[r.status] += n;
    if (r.day === null) continue;
    const key = `${r.workspace_id}/${r.day}`;
    let day = days.get(key);
    if (!day) days.set(key, (day = { date: r.day, workspaceId: r.workspace_id, total: 0, byStatus: emptyCounts() }));
    day.total += n;
    day.byStatus[r.status] += n;
  }
  result.counts.byDay = [...days.values()].sort((a, b) => a.date.localeCompare(b.date) || a.workspaceId.localeCompare(b.workspaceId));

  const total = await db.execute(sql`select count(distinct m.post_id) as n from (${matching}) m`);
  result.total = Number((total.rows[0] as { n: number | string } | undefined)?.n ?? 0);
  if (result.total <= q.offset) return result;
  const page = await db.execute(sql`
    select m.post_id from (${matching}) m
    group by m.post_id
    order by min(m.scheduled_at) nulls last, m.post_id
    limit ${q.limit} offset ${q.offset}`);
  const posts = await findPostsByIds(db, (page.rows as { post_id: string }[]).map((r) => r.post_id));
  result.items = posts.map((p) => toPostView(p));
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
