import { z } from 'zod';
import { AUTHENTICATED, requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { AppError, notFound } from '../http/errors.ts';
import { requireWorkspaceRole } from './membership.ts';
import { roleSchema } from './roles.ts';
import { timeZoneSchema } from './timeZone.ts';
import { createWorkspace, getWorkspaceOfUser, listWorkspacesOfUser, updateWorkspace } from './workspacesRepo.ts';

export const workspaceSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  timeZone: z.string(),
  role: roleSchema,
  archivedAt: z.date().nullable(),
  createdAt: z.date(),
});

/** Path ids are plain strings: a malformed id answers 404 like any workspace the caller cannot see. */
export const workspaceParams = z.object({ workspaceId: z.string() });

const nameSchema = z.string().trim().min(1).max(100);

/** Workspaces: list, create, read, rename / change time zone, archive and unarchive. */
export const workspaceRoutes: RouteModule = (app, ctx) => {
  const viewOf = async (userId: string, workspaceId: string) => {
    const view = await getWorkspaceOfUser(ctx.db, userId, workspaceId);
    if (!view) throw notFound('workspace');
    return view;
  };

  app.get(
    '/api/workspaces',
    {
      schema: {
        tags: ['workspaces'],
        security: AUTHENTICATED,
        summary: 'All your workspaces with your role; archived ones separately',
        response: { 200: z.object({ workspaces: z.array(workspaceSchema), archived: z.array(workspaceSchema) }) },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const all = await listWorkspacesOfUser(ctx.db, user.id);
      return { workspaces: all.filter((w) => !w.archivedAt), archived: all.filter((w) => w.archivedAt) };
    },
  );

  app.post(
    '/api/workspaces',
    {
      schema: {
        tags: ['workspaces'],
        security: AUTHENTICATED,
        summary: 'Create a workspace; you become its owner',
        body: z.strictObject({ name: nameSchema, timeZone: timeZoneSchema.optional() }),
        response: { 201: workspaceSchema },
      },
    },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const { name, timeZone = 'UTC' } = request.body;
      const workspace = await createWorkspace(ctx.db, { name, timeZone, ownerId: user.id }, ctx.clock.now());
      ctx.log.info({ userId: user.id, workspaceId: workspace.id }, 'workspace created');
      return reply.status(201).send(workspace);
    },
  );

  app.get(
    '/api/workspaces/:workspaceId',
    { schema: { tags: ['workspaces'], security: AUTHENTICATED, summary: 'One workspace', params: workspaceParams, response: { 200: workspaceSchema } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      return viewOf(user.id, workspaceId);
    },
  );

  app.patch(
    '/api/workspaces/:workspaceId',
    {
      schema: {
        tags: ['workspaces'],
        security: AUTHENTICATED,
        summary: 'Rename a workspace or change its time zone (admin)',
        params: workspaceParams,
        body: z.strictObject({ name: nameSchema.optional(), timeZone: timeZoneSchema.optional() }),
        response: { 200: workspaceSchema },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'admin');
      await updateWorkspace(ctx.db, workspaceId, request.body);
      return viewOf(user.id, workspaceId);
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/archive',
    {
      schema: {
        tags: ['workspaces'],
        security: AUTHENTICATED,
        summary: 'Archive a workspace (owner): it stays readable, listed apart, and refuses changes',
        params: workspaceParams,
        response: { 200: workspaceSchema },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'owner');
      await updateWorkspace(ctx.db, workspaceId, { archivedAt: ctx.clock.now() });
      ctx.log.info({ userId: user.id, workspaceId }, 'workspace archived');
      return viewOf(user.id, workspaceId);
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/unarchive',
    { schema: { tags: ['workspaces'], security: AUTHENTICATED, summary: 'Bring an archived workspace back (owner)', params: workspaceParams, response: { 200: workspaceSchema } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      // 'viewer' because an archived workspace refuses every stronger requirement; the owner check follows.
      const { workspaceId, role } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      if (role !== 'owner') throw new AppError('forbidden', `This needs the owner role in the workspace (you are ${role})`);
      await updateWorkspace(ctx.db, workspaceId, { archivedAt: null });
      ctx.log.info({ userId: user.id, workspaceId }, 'workspace unarchived');
      return viewOf(user.id, workspaceId);
    },
  );
};
