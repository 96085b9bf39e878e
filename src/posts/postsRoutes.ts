import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { AppContext } from '../context.ts';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { requireWorkspaceRole, type Role } from '../workspaces/membership.ts';
import { workspaceParams } from '../workspaces/workspaceRoutes.ts';
import { cancelPost } from './cancelPost.ts';
import { createPost, type PostScope } from './createPost.ts';
import { duplicatePost } from './duplicatePost.ts';
import { editPost } from './editPost.ts';
import { postContentSchema } from './postContent.ts';
import { findPost } from './postsRepo.ts';
import { postViewSchema, toPostView } from './postView.ts';

/** "2026-03-29T09:00" in the workspace's time zone (seconds optional, no offset). */
export const localDateTimeSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'expected a local date-time YYYY-MM-DDTHH:mm in the workspace time zone');

const params = workspaceParams.extend({ postId: z.string() });
/** The connections a post or a series goes out on. */
export const connectionIds = z.array(z.uuid()).min(1).max(50);

/** Resolves the caller and their role in the workspace of the request. */
export async function postScopeOf(ctx: AppContext, request: Parameters<typeof requireUser>[1], workspaceId: string, minRole: Role): Promise<PostScope> {
  const user = await requireUser(ctx, request);
  const access = await requireWorkspaceRole(ctx.db, user, workspaceId, minRole);
  return { workspaceId: access.workspaceId, timeZone: access.timeZone, userId: user.id };
}

/**
 * Posts: compose (draft or scheduled), read, edit, reschedule, cancel, duplicate. Retrying or
 * rescheduling single failed targets is src/publishing/targetRoutes.ts.
 */
export const postsRoutes: RouteModule = (app, ctx) => {
  const tags = ['posts'];

  app.post(
    '/api/workspaces/:workspaceId/posts',
    {
      schema: {
        tags,
        summary: 'Create a post: a draft, or scheduled at a local time in the workspace time zone (editor)',
        params: workspaceParams,
        body: z.strictObject({
          content: postContentSchema,
          connectionIds,
          scheduledAt: localDateTimeSchema.optional(),
          draft: z.boolean().optional(),
        }),
        response: { 201: postViewSchema },
      },
    },
    async (request, reply) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      const post = await createPost(ctx, scope, request.body);
      return reply.status(201).send(post);
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/posts/:postId',
    { schema: { tags, summary: 'One post with its targets', params, response: { 200: postViewSchema } } },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'viewer');
      const post = await findPost(ctx.db, scope.workspaceId, request.params.postId);
      if (!post) throw notFound('post');
      return toPostView(post);
    },
  );

  app.patch(
    '/api/workspaces/:workspaceId/posts/:postId',
    {
      schema: {
        tags,
        summary: 'Edit a post that has not gone out: content, connections, time (null: back to draft) (editor)',
        params,
        body: z.strictObject({
          content: postContentSchema.optional(),
          connectionIds: connectionIds.optional(),
          scheduledAt: localDateTimeSchema.nullable().optional(),
          draft: z.boolean().optional(),
          version: z.number().int().optional(),
        }),
        response: { 200: postViewSchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return editPost(ctx, scope, request.params.postId, request.body);
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/posts/:postId/reschedule',
    {
      schema: {
        tags,
        summary: 'Move a post to another local time (editor)',
        params,
        body: z.strictObject({ scheduledAt: localDateTimeSchema, version: z.number().int().optional() }),
        response: { 200: postViewSchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      const { scheduledAt, version } = request.body;
      return editPost(ctx, scope, request.params.postId, { scheduledAt, draft: false, ...(version === undefined ? {} : { version }) });
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/posts/:postId/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel every target that has not gone out (editor)',
        params,
        body: z.strictObject({ version: z.number().int().optional() }).nullish(),
        response: { 200: postViewSchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return cancelPost(ctx, scope, request.params.postId, request.body?.version);
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/posts/:postId/duplicate',
    {
      schema: {
        tags,
        summary: 'Copy a post: a draft, or scheduled at the time given (editor)',
        params,
        body: z.strictObject({ scheduledAt: localDateTimeSchema.optional() }).nullish(),
        response: { 201: postViewSchema },
      },
    },
    async (request, reply) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      const copy = await duplicatePost(ctx, scope, request.params.postId, { ...(request.body?.scheduledAt ? { scheduledAt: request.body.scheduledAt } : {}) });
      return reply.status(201).send(copy);
    },
  );
};
