import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { listUserWorkspaceIds, requireWorkspaceRole } from '../workspaces/membership.ts';
import { accessRegister, registerCsv } from './accessRegister.ts';
import { healthOfWorkspaces } from './connectionHealth.ts';

const iso = z.string().nullable();
const healthSchema = z.object({
  connectionId: z.string(),
  workspaceId: z.string(),
  platform: z.string(),
  account: z.string(),
  state: z.enum(['active', 'degraded', 'needs_reconnect', 'disconnected']),
  stateReason: z.string().nullable(),
  status: z.enum(['healthy', 'expiring_soon', 'refresh_failing', 'needs_reconnect', 'revoked', 'disconnected']),
  accessExpiresAt: iso,
  refreshExpiresAt: iso,
  endsAt: iso,
  endReason: z.string().nullable(),
  daysLeft: z.number().nullable(),
  lastRefreshedAt: iso,
  nextRefreshAt: iso,
  nextRefreshPurpose: z.string().nullable(),
  lastVerifiedAt: iso,
  lastError: z.string().nullable(),
  urgency: z.number(),
});
const workspaceParams = z.object({ workspaceId: z.string() });

/** Connection health (per connection, per workspace, across all my workspaces) and the access register export. */
export const healthRoutes: RouteModule = (app, ctx) => {
  const tags = ['connection health'];

  app.get(
    '/api/workspaces/:workspaceId/connections/:connectionId/health',
    { schema: { tags, summary: 'Health of one connection', params: z.object({ workspaceId: z.string(), connectionId: z.string() }), response: { 200: healthSchema } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      const access = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      const found = (await healthOfWorkspaces(ctx, ctx.db, [access.workspaceId])).find((h) => h.connectionId === request.params.connectionId);
      if (!found) throw notFound('connection');
      return found;
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/connections-health',
    { schema: { tags, summary: "Health of the workspace's connections, most urgent first", params: workspaceParams, response: { 200: z.object({ items: z.array(healthSchema) }) } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      const access = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      return { items: await healthOfWorkspaces(ctx, ctx.db, [access.workspaceId]) };
    },
  );

  app.get(
    '/api/me/connections-health',
    { schema: { tags, summary: 'Every connection of all my workspaces, most urgent first (agency overview)', response: { 200: z.object({ items: z.array(healthSchema) }) } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      return { items: await healthOfWorkspaces(ctx, ctx.db, await listUserWorkspaceIds(ctx.db, user.id)) };
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/access-register',
    {
      schema: {
        tags,
        summary: 'Access register export: which app can act for which account, granted by whom and when, refreshes, revocations (admin)',
        params: workspaceParams,
        querystring: z.strictObject({ format: z.enum(['json', 'csv']).default('json') }),
      },
    },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const access = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'admin');
      const register = await accessRegister(ctx.db, access.workspaceId);
      const stamp = ctx.clock.now().toISOString().slice(0, 10);
      if (request.query.format === 'csv') {
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="access-register-${stamp}.csv"`)
          .send(registerCsv(register.entries));
      }
      return reply.header('content-disposition', `attachment; filename="access-register-${stamp}.json"`).send({ workspaceId: access.workspaceId, exportedAt: ctx.clock.now().toISOString(), ...register });
    },
  );
};
