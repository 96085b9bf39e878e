import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { AppContext } from '../context.ts';
import type { RouteModule } from '../http/app.ts';
import { AppError } from '../http/errors.ts';
import { assertPublicUrl } from '../providers/httpClient.ts';
import { ProviderError } from '../providers/types.ts';
import { requireWorkspaceRole } from '../workspaces/membership.ts';
import { WEBHOOK_EVENT_TYPES } from './enqueueWebhookEvent.ts';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  updateWebhookEndpoint,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from './webhookEndpointsRepo.ts';

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  createdAt: z.string(),
});
const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.string(),
  attempts: z.number(),
  lastStatusCode: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});
const urlField = z.url({ protocol: /^https?$/ }).max(2000);
const eventsField = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).max(WEBHOOK_EVENT_TYPES.length);
const params = z.object({ workspaceId: z.string(), endpointId: z.uuid() });
const workspaceParams = z.object({ workspaceId: z.string() });

function view(e: WebhookEndpointRow) {
  return { id: e.id, url: e.url, events: e.events, description: e.description, enabled: e.enabled, createdAt: e.createdAt.toISOString() };
}

function deliveryView(d: WebhookDeliveryRow) {
  const iso = (v: Date | null) => v?.toISOString() ?? null;
  return {
    id: d.id, eventId: d.eventId, eventType: d.eventType, status: d.status, attempts: d.attempts, lastStatusCode: d.lastStatusCode,
    lastError: d.lastError, createdAt: d.createdAt.toISOString(), lastAttemptAt: iso(d.lastAttemptAt), deliveredAt: iso(d.deliveredAt),
  };
}

/** Endpoint URLs must resolve to public addresses now (and again at every delivery). */
async function checkPublicUrl(url: string): Promise<void> {
  try {
    await assertPublicUrl(new URL(url));
  } catch (err) {
    if (err instanceof ProviderError) {
      if (err.reason === 'unsafe_url') throw new AppError('unsafe_url', 'The webhook URL must point to a public address');
      throw new AppError('invalid_url', 'The webhook URL does not resolve');
    }
    throw err;
  }
}

async function admin(ctx: AppContext, request: Parameters<typeof requireUser>[1], workspaceId: string) {
  const user = await requireUser(ctx, request);
  const access = await requireWorkspaceRole(ctx.db, user, workspaceId, 'admin');
  return { user, workspaceId: access.workspaceId };
}

/** Outbound webhooks of a workspace (admins): endpoints CRUD and the delivery log. */
export const webhookRoutes: RouteModule = (app, ctx) => {
  const tags = ['webhooks'];

  app.get(
    '/api/workspaces/:workspaceId/webhooks',
    { schema: { tags, summary: 'Webhook endpoints of the workspace', params: workspaceParams, response: { 200: z.object({ items: z.array(endpointSchema) }) } } },
    async (request) => {
      const { workspaceId } = await admin(ctx, request, request.params.workspaceId);
      return { items: (await listWebhookEndpoints(ctx.db, workspaceId)).map(view) };
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/webhooks',
    {
      schema: {
        tags,
        summary: 'Add an endpoint; the signing secret is returned this once',
        params: workspaceParams,
        body: z.strictObject({ url: urlField, events: eventsField, description: z.string().max(200).optional() }),
        response: { 201: z.object({ endpoint: endpointSchema, secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const { user, workspaceId } = await admin(ctx, request, request.params.workspaceId);
      await checkPublicUrl(request.body.url);
      const created = await createWebhookEndpoint(ctx, ctx.db, {
        workspaceId, url: request.body.url, events: [...new Set(request.body.events)], description: request.body.description ?? '', createdBy: user.id, now: ctx.clock.now(),
      });
      return reply.status(201).send({ endpoint: view(created.endpoint), secret: created.secret });
    },
  );

  app.patch(
    '/api/workspaces/:workspaceId/webhooks/:endpointId',
    {
      schema: {
        tags,
        summary: 'Change an endpoint (URL, events, description, enabled)',
        params,
        body: z.strictObject({ url: urlField.optional(), events: eventsField.optional(), description: z.string().max(200).optional(), enabled: z.boolean().optional() }),
        response: { 200: endpointSchema },
      },
    },
    async (request) => {
      const { workspaceId } = await admin(ctx, request, request.params.workspaceId);
      await getWebhookEndpoint(ctx.db, workspaceId, request.params.endpointId);
      if (request.body.url) await checkPublicUrl(request.body.url);
      const events = request.body.events ? [...new Set(request.body.events)] : undefined;
      return view(await updateWebhookEndpoint(ctx.db, workspaceId, request.params.endpointId, { ...request.body, ...(events ? { events } : {}), now: ctx.clock.now() }));
    },
  );

  app.delete(
    '/api/workspaces/:workspaceId/webhooks/:endpointId',
    { schema: { tags, summary: 'Remove an endpoint and its delivery log', params, response: { 204: z.null() } } },
    async (request, reply) => {
      const { workspaceId } = await admin(ctx, request, request.params.workspaceId);
      await deleteWebhookEndpoint(ctx.db, workspaceId, request.params.endpointId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/webhooks/:endpointId/deliveries',
    {
      schema: {
        tags,
        summary: 'The delivery log of an endpoint, newest first',
        params,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: { 200: z.object({ items: z.array(deliverySchema) }) },
      },
    },
    async (request) => {
      const { workspaceId } = await admin(ctx, request, request.params.workspaceId);
      const endpoint = await getWebhookEndpoint(ctx.db, workspaceId, request.params.endpointId);
      return { items: (await listWebhookDeliveries(ctx.db, endpoint.id, request.query.limit)).map(deliveryView) };
    },
  );
};
