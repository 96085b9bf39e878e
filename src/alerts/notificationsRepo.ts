/** Data functions of in-app notifications, the pop-up list and per-user alert preferences. */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { toDate } from '../lifecycle/refreshesRepo.ts';

export type NotificationView = {
  id: string;
  kind: string;
  workspaceId: string | null;
  connectionId: string | null;
  title: string;
  body: string;
  data: Record<string, unknown>;
  createdAt: string;
  readAt: string | null;
};

function toView(r: Record<string, unknown>): NotificationView {
  return {
    id: String(r.id),
    kind: String(r.kind),
    workspaceId: r.workspace_id === null ? null : String(r.workspace_id),
    connectionId: r.connection_id === null ? null : String(r.connection_id),
    title: String(r.title),
    body: String(r.body),
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>,
    createdAt: toDate(r.created_at)!.toISOString(),
    readAt: toDate(r.read_at)?.toISOString() ?? null,
  };
}

export async function listNotifications(db: Database, userId: string, options: { unreadOnly: boolean; limit: number; before?: Date }): Promise<NotificationView[]> {
  const unread = options.unreadOnly ? sql`and read_at is null` : sql``;
  const before = options.before ? sql`and created_at < ${options.before}` : sql``;
  const res = await db.execute(sql`
    select id, kind, workspace_id, connection_id, title, body, data, created_at, read_at from notifications
     where user_id = ${userId} ${unread} ${before} order by created_at desc, id limit ${options.limit}`);
  return res.rows.map(toView);
}

export async function countUnread(db: Database, userId: string): Promise<number> {
  const res = await db.execute(sql`select count(*)::int as n from notifications where user_id = ${userId} and read_at is null`);
  return Number(res.rows[0]?.n ?? 0);
}

/** False when the notification is not the user's (answered as not found). */
export async function markRead(db: Database, userId: string, notificationId: string, now: Date): Promise<boolean> {
  const res = await db.execute(sql`
    update notifications set read_at = coalesce(read_at, ${now}) where id = ${notificationId} and user_id = ${userId} returning id`);
  return res.rows.length === 1;
}

export async function markAllRead(db: Database, userId: string, now: Date): Promise<number> {
  const res = await db.execute(sql`update notifications set read_at = ${now} where user_id = ${userId} and read_at is null returning id`);
  return res.rows.length;
}

/**
 * The pop-up: the user's needs_reconnect alerts not yet acknowledged whose connection is still
 * expired or revoked (a reconnect clears it without a click), newest first.
 */
export async function listPopupAlerts(db: Database, userId: string): Promise<(NotificationView & { platform: string; stateReason: string | null })[]> {
  const res = await db.execute(sql`
    select n.id, n.kind, n.workspace_id, n.connection_id, n.title, n.body, n.data, n.created_at, n.read_at, c.platform, c.state_reason
      from notifications n join connections c on c.id = n.connection_id
     where n.user_id = ${userId} and n.kind = 'needs_reconnect' and n.acknowledged_at is null and c.state = 'needs_reconnect'
     order by n.created_at desc limit 50`);
  return res.rows.map((r) => ({ ...toView(r), platform: String(r.platform), stateReason: r.state_reason === null ? null : String(r.state_reason) }));
}

export async function acknowledgePopup(db: Database, userId: string, notificationId: string, now: Date): Promise<boolean> {
  const res = await db.execute(sql`
    update notifications set acknowledged_at = coalesce(acknowledged_at, ${now}), read_at = coalesce(read_at, ${now})
     where id = ${notificationId} and user_id = ${userId} and kind = 'needs_reconnect' returning id`);
  return res.rows.length === 1;
}

export type EmailMode = 'immediate' | 'daily_digest' | 'off';
export type Preferences = { emailMode: EmailMode; digestHourUtc: number };
export const DEFAULT_PREFERENCES: Preferences = { emailMode: 'immediate', digestHourUtc: 8 };

export async function getPreferences(db: Database, userId: string): Promise<Preferences> {
  const res = await db.execute(sql`select email_mode, digest_hour_utc from notification_preferences where user_id = ${userId}`);
  const r = res.rows[0];
  return r ? { emailMode: r.email_mode as EmailMode, digestHourUtc: Number(r.digest_hour_utc) } : DEFAULT_PREFERENCES;
}

/** Saves preferences; a daily digest gets its next run planned at the chosen hour. */
export async function savePreferences(db: Database, userId: string, prefs: Preferences, now: Date): Promise<void> {
  const next = prefs.emailMode === 'daily_digest' ? nextDigestAt(now, prefs.digestHourUtc) : null;
  await db.execute(sql`
    insert into notification_preferences (user_id, email_mode, digest_hour_utc, next_digest_at, updated_at)
    values (${userId}, ${prefs.emailMode}, ${prefs.digestHourUtc}, ${next}, ${now})
    on conflict (user_id) do update set email_mode = excluded.email_mode, digest_hour_utc = excluded.digest_hour_utc,
      next_digest_at = excluded.next_digest_at, updated_at = excluded.updated_at`);
  if (prefs.emailMode !== 'daily_digest') {
    // Leaving the digest: what waited for it is not mailed later by surprise (it stays in-app).
    await db.execute(sql`update notifications set digest_pending = false where user_id = ${userId} and digest_pending`);
  }
}

/** The next instant at `hourUtc`:00 UTC strictly after `now`. */
export function nextDigestAt(now: Date, hourUtc: number): Date {
  const at = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hourUtc));
  if (at.getTime() <= now.getTime()) at.setUTCDate(at.getUTCDate() + 1);
  return at;
}
