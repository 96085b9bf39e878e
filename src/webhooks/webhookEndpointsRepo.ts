/** Data functions of webhook endpoints and their delivery log. The signing secret lives only as vault ciphertext. */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Database } from '../db/database.ts';
import { notFound } from '../http/errors.ts';
import { getVault } from '../vault/vaultKeys.ts';
import { webhookDeliveries, webhookEndpoints } from './schema.ts';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

const SECRET_FIELD = 'webhook_secret';

/** Creates an endpoint; returns it with its clear secret, which is shown this once. */
export async function createWebhookEndpoint(
  ctx: Pick<AppContext, 'config' | 'log'>,
  db: Database,
  input: { workspaceId: string; url: string; events: string[]; description: string; createdBy: string | null; now: Date },
): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
  const id = randomUUID();
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  const [endpoint] = await db
    .insert(webhookEndpoints)
    .values({
      id,
      workspaceId: input.workspaceId,
      url: input.url,
      events: input.events,
      description: input.description,
      secretEnc: getVault(ctx).encrypt(secret, { rowId: id, field: SECRET_FIELD }),
      createdBy: input.createdBy,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .returning();
  return { endpoint: endpoint!, secret };
}

export function endpointSecret(ctx: Pick<AppContext, 'config' | 'log'>, endpoint: Pick<WebhookEndpointRow, 'id' | 'secretEnc'>): string {
  return getVault(ctx).decrypt(endpoint.secretEnc, { rowId: endpoint.id, field: SECRET_FIELD });
}

export async function listWebhookEndpoints(db: Database, workspaceId: string): Promise<WebhookEndpointRow[]> {
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.workspaceId, workspaceId)).orderBy(webhookEndpoints.createdAt);
}

/** The endpoint if it belongs to the workspace; another workspace's endpoint is "not found". */
export async function getWebhookEndpoint(db: Database, workspaceId: string, endpointId: string): Promise<WebhookEndpointRow> {
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.workspaceId, workspaceId)));
  if (!row) throw notFound('webhook endpoint');
  return row;
}

export async function updateWebhookEndpoint(
  db: Database,
  workspaceId: string,
  endpointId: string,
  patch: { url?: string; events?: string[]; description?: string; enabled?: boolean; now: Date },
): Promise<WebhookEndpointRow> {
  const { now, ...fields } = patch;
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...fields, updatedAt: now })
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.workspaceId, workspaceId)))
    .returning();
  if (!row) throw notFound('webhook endpoint');
  return row;
}

export async function deleteWebhookEndpoint(db: Database, workspaceId: string, endpointId: string): Promise<void> {
  const deleted = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.workspaceId, workspaceId)))
    .returning({ id: webhookEndpoints.id });
  if (deleted.length === 0) throw notFound('webhook endpoint');
}

export async function listWebhookDeliveries(db: Database, endpointId: string, limit: number): Promise<WebhookDeliveryRow[]> {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId)).orderBy(desc(webhookDeliveries.createdAt)).limit(limit);
}
