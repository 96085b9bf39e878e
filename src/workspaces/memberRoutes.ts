import { z } from 'zod';
import { AUTHENTICATED, requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { changeMemberRole, listMembers, removeMember } from './members.ts';
import { isUuid, requireWorkspaceRole } from './membership.ts';
import { roleSchema } from './roles.ts';
import { workspaceParams } from './workspaceRoutes.ts';

const memberSchema = z.object({ userId: z.uuid(), email: z.string(), name: z.string(), role: roleSchema, joinedAt: z.date() });
const memberParams = workspaceParams.extend({ userId: z.string() });

/** Members of a workspace: list (any member), change role and remove (admin; owners for owners), leave (anyone). */
export const memberRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/api/workspaces/:workspaceId/members',
    { schema: { tags: ['members'], security: AUTHENTICATED, summary: 'Members and their roles', params: workspaceParams, response: { 200: z.object({ members: z.array(memberSchema) }) } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      return { members: await listMembers(ctx.db, workspaceId) };
    },
  );

  app.patch(
    '/api/workspaces/:workspaceId/members/:userId',
    {
      schema: {
        tags: ['members'],
        security: AUTHENTICATED,
        summary: "Change a member's role (admin; only owners grant or change the owner role)",
        params: memberParams,
        body: z.strictObject({ role: roleSchema }),
        response: { 200: z.object({ members: z.array(memberSchema) }) },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const access = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'admin');
      const { userId } = request.params;
      if (!isUuid(userId)) throw notFound('member');
      await changeMemberRole(ctx.db, { userId: user.id, role: access.role }, access.workspaceId, userId, request.body.role);
      ctx.log.info({ workspaceId: access.workspaceId, userId, role: request.body.role, by: user.id }, 'member role changed');
      return { members: await listMembers(ctx.db, access.workspaceId) };
    },
  );

  app.delete(
    '/api/workspaces/:workspaceId/members/:userId',
    {
      schema: {
        tags: ['members'],
        security: AUTHENTICATED,
        summary: 'Remove a member (admin), or leave the workspace (your own user id)',
        params: memberParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const { userId } = request.params;
      const leaving = userId === user.id;
      const access = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, leaving ? 'viewer' : 'admin');
      if (!isUuid(userId)) throw notFound('member');
      await removeMember(ctx.db, { userId: user.id, role: access.role }, access.workspaceId, userId);
      ctx.log.info({ workspaceId: access.workspaceId, userId, by: user.id }, leaving ? 'member left' : 'member removed');
      return reply.status(204).send(null);
    },
  );
};
