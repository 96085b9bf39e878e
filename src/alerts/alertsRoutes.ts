import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { reconnectUrl } from './raiseAlert.ts';
import {
  acknowledgePopup,
  countUnread,
  getPreferences,
  listNotifications,
  listPopupAlerts,
  markAllRead,
  markRead,
  savePreferences,
} from './notificationsRepo.ts';

const notificationSchema = z.object({
  id: z.string(),
  kind: z.string(),
  workspaceId: z.string().nullable(),
  connectionId: z.string().nullable(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});
const idParams = z.object({ notificationId: z.uuid() });
const preferencesSchema = z.object({ emailMode: z.enum(['immediate', 'daily_digest', 'off']), digestHourUtc: z.number().int().min(0).max(23) });

/** In-app notifications, the reconnect pop-up and alert preferences of the signed-in user. */
export const alertsRoutes: RouteModule = (app, ctx) => {
  const tags = ['alerts'];

  app.get(
    '/api/notifications',
    {
      schema: {
        tags,
        summary: 'My notifications, newest first, with the unread count',
        querystring: z.strictObject({
          unreadOnly: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          before: z.iso.datetime().optional(),
        }),
        response: { 200: z.object({ items: z.array(notificationSchema), unread: z.number() }) },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const q = request.query;
      const items = await listNotifications(ctx.db, user.id, { unreadOnly: q.unreadOnly === 'true', limit: q.limit, ...(q.before ? { before: new Date(q.before) } : {}) });
      return { items, unread: await countUnread(ctx.db, user.id) };
    },
  );

  app.get(
    '/api/notifications/unread-count',
    { schema: { tags, summary: 'How many of my notifications are unread', response: { 200: z.object({ unread: z.number() }) } } },
    async (request) => ({ unread: await countUnread(ctx.db, (await requireUser(ctx, request)).id) }),
  );

  app.post(
    '/api/notifications/:notificationId/read',
    { schema: { tags, summary: 'Mark one notification read', params: idParams, response: { 204: z.null() } } },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      if (!(await markRead(ctx.db, user.id, request.params.notificationId, ctx.clock.now()))) throw notFound('notification');
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/notifications/read-all',
    { schema: { tags, summary: 'Mark all my notifications read', response: { 200: z.object({ marked: z.number() }) } } },
    async (request) => ({ marked: await markAllRead(ctx.db, (await requireUser(ctx, request)).id, ctx.clock.now()) }),
  );

  app.get(
    '/api/alerts/popup',
    {
      schema: {
        tags,
        summary: 'Connections already expired or revoked that I have not acknowledged (for the reconnect modal)',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                notificationId: z.string(),
                connectionId: z.string(),
                workspaceId: z.string().nullable(),
                platform: z.string(),
                reason: z.string().nullable(),
                title: z.string(),
                body: z.string(),
                since: z.string(),
                reconnectUrl: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const alerts = await listPopupAlerts(ctx.db, user.id);
      return {
        items: alerts.map((a) => ({
          notificationId: a.id,
          connectionId: a.connectionId!,
          workspaceId: a.workspaceId,
          platform: a.platform,
          reason: a.stateReason,
          title: a.title,
          body: a.body,
          since: a.createdAt,
          reconnectUrl: reconnectUrl(ctx, a.connectionId!),
        })),
      };
    },
  );

  app.post(
    '/api/alerts/popup/:notificationId/acknowledge',
    { schema: { tags, summary: 'Dismiss a pop-up alert (it also counts as read)', params: idParams, response: { 204: z.null() } } },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      if (!(await acknowledgePopup(ctx.db, user.id, request.params.notificationId, ctx.clock.now()))) throw notFound('pop-up alert');
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/me/notification-preferences',
    { schema: { tags, summary: 'My alert email preferences', response: { 200: preferencesSchema } } },
    async (request) => getPreferences(ctx.db, (await requireUser(ctx, request)).id),
  );

  app.put(
    '/api/me/notification-preferences',
    {
      schema: {
        tags,
        summary: 'Set my alert emails: one per alert, one daily digest for all my workspaces, or none (in-app alerts always stay)',
        body: z.strictObject({ emailMode: preferencesSchema.shape.emailMode, digestHourUtc: preferencesSchema.shape.digestHourUtc.optional() }),
        response: { 200: preferencesSchema },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const current = await getPreferences(ctx.db, user.id);
      const prefs = { emailMode: request.body.emailMode, digestHourUtc: request.body.digestHourUtc ?? current.digestHourUtc };
      await savePreferences(ctx.db, user.id, prefs, ctx.clock.now());
      return prefs;
    },
  );
};
