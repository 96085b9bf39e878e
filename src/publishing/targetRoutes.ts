import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { AppError, notFound } from '../http/errors.ts';
import { localToInstant } from '../posts/localTime.ts';
import { localDateTimeSchema, postScopeOf } from '../posts/postsRoutes.ts';
import { isUuid } from '../workspaces/membership.ts';
import { markTargetPublished, retryFailedTargetsOfConnection, retryTarget } from './resolveTargets.ts';

const targetSummarySchema = z.object({
  id: z.uuid(),
  postId: z.uuid(),
  connectionId: z.uuid(),
  platform: z.string(),
  status: z.string(),
  scheduledAt: z.date().nullable(),
  platformUrl: z.string().nullable(),
  failureCode: z.string().nullable(),
  failureMessage: z.string().nullable(),
});

const targetParams = z.object({ workspaceId: z.string(), targetId: z.string() });
const connectionParams = z.object({ workspaceId: z.string(), connectionId: z.string() });
/** A moment ago still counts as now (the user's click and the server's clock differ a little). */
const PAST_TOLERANCE_MS = 60_000;

function requireId(value: string, what: string): string {
  if (!isUuid(value)) throw notFound(what);
  return value;
}

/**
 * What users do with targets that did not go out: retry now, reschedule (a local time in the
 * workspace's time zone), retry every failed target of a connection, mark an unknown one
 * published. Editors and above.
 */
export const targetRoutes: RouteModule = (app, ctx) => {
  const tags = ['publishing'];
  const futureInstant = (local: string, timeZone: string): Date => {
    const at = localToInstant(local, timeZone).instant;
    if (at.getTime() < ctx.clock.nowMs() - PAST_TOLERANCE_MS) throw new AppError('time_in_past', `${local} is in the past`);
    return at;
  };

  app.post(
    '/api/workspaces/:workspaceId/targets/:targetId/retry',
    {
      schema: {
        tags,
        summary: 'Retry a failed target now, or an unknown one the user found missing on the platform (editor)',
        params: targetParams,
        response: { 200: targetSummarySchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return retryTarget(ctx, scope.workspaceId, requireId(request.params.targetId, 'target'), ctx.clock.now());
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/targets/:targetId/reschedule',
    {
      schema: {
        tags,
        summary: 'Reschedule a failed or unknown target to a local time in the workspace time zone (editor)',
        params: targetParams,
        body: z.strictObject({ scheduledAt: localDateTimeSchema }),
        response: { 200: targetSummarySchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      const targetId = requireId(request.params.targetId, 'target');
      return retryTarget(ctx, scope.workspaceId, targetId, futureInstant(request.body.scheduledAt, scope.timeZone));
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/connections/:connectionId/targets/retry',
    {
      schema: {
        tags,
        summary: 'Retry every failed target of a connection now, or at a local time (editor)',
        params: connectionParams,
        body: z.strictObject({ scheduledAt: localDateTimeSchema.optional() }).optional(),
        response: { 200: z.object({ rescheduled: z.array(z.uuid()) }) },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      const connectionId = requireId(request.params.connectionId, 'connection');
      const local = request.body?.scheduledAt;
      const at = local ? futureInstant(local, scope.timeZone) : ctx.clock.now();
      return { rescheduled: await retryFailedTargetsOfConnection(ctx, scope.workspaceId, connectionId, at) };
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/targets/:targetId/mark-published',
    {
      schema: {
        tags,
        summary: 'Resolve an unknown target: the post is on the platform at this URL (editor)',
        params: targetParams,
        body: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2048) }),
        response: { 200: targetSummarySchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return markTargetPublished(ctx, scope.workspaceId, requireId(request.params.targetId, 'target'), request.body.url);
    },
  );
};
