/**
 * Fans one event out to the workspace's enabled endpoints subscribed to it: a delivery row per
 * endpoint (the delivery log) and a pg-boss job each, in the caller's transaction.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { WEBHOOK_DELIVER_QUEUE } from './deliverWebhook.ts';

export const WEBHOOK_EVENT_TYPES = ['connection.expiring', 'connection.needs_reconnect', 'connection.reconnected', 'post.failed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];


export async function enqueueWebhookEvent(
  ctx: Pick<AppContext, 'jobs'>,
  tx: Database,
  event: { workspaceId: string; type: WebhookEventType; data: Record<string, unknown>; now: Date },
): Promise<number> {
  const eventId = randomUUID();
  const payload = { id: eventId, type: event.type, createdAt: event.now.toISOString(), workspaceId: event.workspaceId, data: event.data };
  const res = await tx.execute(sql`
    insert into webhook_deliveries (endpoint_id, workspace_id, event_id, event_type, payload, created_at)
    select e.id, e.workspace_id, ${eventId}, ${event.type}, ${JSON.stringify(payload)}::jsonb, ${event.now}
      from webhook_endpoints e
     where e.workspace_id = ${event.workspaceId} and e.enabled and ${event.type} = any(e.events)
    returning id`);
  for (const row of res.rows) {
    await ctx.jobs.send(tx, WEBHOOK_DELIVER_QUEUE, { deliveryId: String(row.id) });
  }
  return res.rows.length;
}
