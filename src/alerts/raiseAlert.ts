/**
 * Raises one alert: in-app notifications for its recipients, an email (at once, or in the daily
 * digest, per user preference) and the workspace's outbound webhook, all in the caller's
 * transaction. The alert's dedupe key makes it happen once per connection, event and threshold,
 * across processes and restarts: a second raise with the same key writes nothing.
 */
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { enqueueEmail } from '../mail/enqueueEmail.ts';
import { enqueueWebhookEvent, type WebhookEventType } from '../webhooks/enqueueWebhookEvent.ts';

export type AlertKind = 'expiring' | 'needs_reconnect' | 'reconnected' | 'refresh_failing' | 'app_misconfigured';

export type Alert = {
  kind: AlertKind;
  /** `connection:<id>:<event>:<episode, grant or end day>[:<threshold>]`; the same key never alerts twice. */
  dedupeKey: string;
  workspaceId: string | null;
  connectionId: string | null;
  title: string;
  /** Plain text for the notification and the email: account, reason, date, what to do. */
  body: string;
  /** Non-secret facts for the web app and the webhook payload. */
  data: Record<string, unknown>;
  /** The workspace's members (owners, admins, editors), or the instance's owners. */
  audience: 'workspace' | 'instance_owners';
  webhookEvent?: WebhookEventType;
};

type Recipient = { userId: string; email: string; emailMode: string };

/** True when the alert was raised now; false when it had been raised before (nothing written). */
export async function raiseAlert(ctx: AppContext, tx: Database, alert: Alert, now: Date): Promise<boolean> {
  const fresh = await tx.execute(sql`
    insert into alert_events (dedupe_key, kind, workspace_id, connection_id, created_at)
    values (${alert.dedupeKey}, ${alert.kind}, ${alert.workspaceId}, ${alert.connectionId}, ${now})
    on conflict (dedupe_key) do nothing returning dedupe_key`);
  if (fresh.rows.length === 0) return false;

  for (const r of await recipients(tx, alert)) {
    const digest = r.emailMode === 'daily_digest';
    await tx.execute(sql`
      insert into notifications (user_id, workspace_id, connection_id, kind, dedupe_key, title, body, data, created_at, digest_pending)
      values (${r.userId}, ${alert.workspaceId}, ${alert.connectionId}, ${alert.kind}, ${alert.dedupeKey}, ${alert.title}, ${alert.body},
              ${JSON.stringify(alert.data)}::jsonb, ${now}, ${digest})
      on conflict (user_id, dedupe_key) do nothing`);
    if (r.emailMode === 'immediate') {
      await enqueueEmail(ctx, tx, { to: r.email, subject: `[Perennial] ${alert.title}`, text: emailText(ctx, alert) });
    }
  }
  if (alert.webhookEvent && alert.workspaceId) {
    await enqueueWebhookEvent(ctx, tx, { workspaceId: alert.workspaceId, type: alert.webhookEvent, data: alert.data, now });
  }
  return true;
}

async function recipients(tx: Database, alert: Alert): Promise<Recipient[]> {
  const res =
    alert.audience === 'instance_owners'
      ? await tx.execute(sql`
          select u.id, u.email, coalesce(p.email_mode, 'immediate') as email_mode
            from users u left join notification_preferences p on p.user_id = u.id
           where u.is_instance_owner order by u.id`)
      : await tx.execute(sql`
          select u.id, u.email, coalesce(p.email_mode, 'immediate') as email_mode
            from workspace_members m join users u on u.id = m.user_id
            left join notification_preferences p on p.user_id = u.id
           where m.workspace_id = ${alert.workspaceId} and m.role in ('owner', 'admin', 'editor') order by u.id`);
  return res.rows.map((r) => ({ userId: String(r.id), email: String(r.email), emailMode: String(r.email_mode) }));
}

export function reconnectUrl(ctx: Pick<AppContext, 'config'>, connectionId: string): string {
  return `${ctx.config.publicUrl}/connections/${connectionId}/reconnect`;
}

export function emailText(ctx: Pick<AppContext, 'config'>, alert: Pick<Alert, 'body' | 'connectionId' | 'kind'>): string {
  const lines = [alert.body];
  if (alert.connectionId && alert.kind !== 'reconnected') lines.push('', `Reconnect: ${reconnectUrl(ctx, alert.connectionId)}`);
  lines.push('', `Notification settings: ${ctx.config.publicUrl}/settings/notifications`);
  return lines.join('\n');
}
