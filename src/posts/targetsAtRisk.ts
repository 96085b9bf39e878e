import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { listProviders } from '../providers/registry.ts';

/**
 * Posts at risk (product point 10): scheduled targets whose connection will not be able to
 * publish at their time, flagged now so the user can act before the day:
 * - `needs_reconnect`: the connection already needs the user (its new targets start paused);
 * - `refresh_failing`: refreshes are failing (`degraded`);
 * - `hard_end_before_post`: the connection reaches an end no refresh can pass (`hard_end_at`)
 *   before the target's time;
 * - `refresh_expires_before_post`: the refresh token expires before the target's time on a
 *   platform whose refresh does not renew it (no rotation, or LinkedIn's fixed end).
 * The most pressing reason is given when several apply.
 */
export type AtRiskReason = 'needs_reconnect' | 'refresh_failing' | 'hard_end_before_post' | 'refresh_expires_before_post';

export type TargetAtRisk = {
  targetId: string;
  postId: string;
  workspaceId: string;
  connectionId: string;
  platform: string;
  scheduledAt: Date;
  reason: AtRiskReason;
  /** When the connection stops working, where known (the hard end or refresh expiry). */
  connectionEndsAt: Date | null;
};

/**
 * Platforms whose refresh token keeps its first expiry however often it is used: a fixed end
 * (LinkedIn), or an OAuth refresh token that is never replaced and has no idle rule (an idle
 * rule, like Google's, means use moves the end, so it is not a deadline).
 */
function fixedRefreshEndPlatforms(): string[] {
  return listProviders()
    .filter((p) => {
      const r = p.facts.refresh;
      return r.fixedRefreshEnd === true || (r.kind === 'oauth_refresh' && !r.rotates && r.idleDeathMs === undefined);
    })
    .map((p) => p.facts.id);
}

type Row = {
  id: string;
  post_id: string;
  workspace_id: string;
  connection_id: string;
  platform: string;
  scheduled_at: Date | string;
  state: string;
  hard_end_at: Date | string | null;
  refresh_expires_at: Date | string | null;
  fixed_refresh_end: boolean;
};

export async function targetsAtRisk(db: Database, workspaceIds: string[], now: Date): Promise<TargetAtRisk[]> {
  if (workspaceIds.length === 0) return [];
  const fixed = fixedRefreshEndPlatforms();
  const fixedList = fixed.length ? sql.join(fixed.map((p) => sql`${p}`), sql`, `) : sql`null`;
  const res = await db.execute(sql`
    select t.id, t.post_id, t.workspace_id, t.connection_id, t.platform, t.scheduled_at,
           c.state, c.hard_end_at, c.refresh_expires_at, (c.platform in (${fixedList})) as fixed_refresh_end
    from post_targets t join connections c on c.id = t.connection_id
    where t.workspace_id in (${sql.join(workspaceIds.map((id) => sql`${id}::uuid`), sql`, `)})
      and t.status = 'scheduled' and t.scheduled_at >= ${now}
      and (c.state in ('degraded', 'needs_reconnect')
           or c.hard_end_at <= t.scheduled_at
           or (c.refresh_expires_at <= t.scheduled_at and c.platform in (${fixedList})))
    order by t.scheduled_at, t.id`);
  return (res.rows as Row[]).map((r) => {
    const hardEnd = r.hard_end_at ? new Date(r.hard_end_at) : null;
    const refreshEnd = r.refresh_expires_at ? new Date(r.refresh_expires_at) : null;
    const scheduledAt = new Date(r.scheduled_at);
    const reason: AtRiskReason =
      r.state === 'needs_reconnect'
        ? 'needs_reconnect'
        : r.state === 'degraded'
          ? 'refresh_failing'
          : hardEnd && hardEnd <= scheduledAt
            ? 'hard_end_before_post'
            : 'refresh_expires_before_post';
    const ends = [hardEnd, r.fixed_refresh_end ? refreshEnd : null].filter((d): d is Date => d !== null);
    return {
      targetId: r.id,
      postId: r.post_id,
      workspaceId: r.workspace_id,
      connectionId: r.connection_id,
      platform: r.platform,
      scheduledAt,
      reason,
      connectionEndsAt: ends.length ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null,
    };
  });
}
