import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { AppError } from '../http/errors.ts';
import { listUserWorkspaceIds, requireWorkspaceRole } from '../workspaces/membership.ts';
import { workspaceParams } from '../workspaces/workspaceRoutes.ts';
import { queryPlanner } from './planner.ts';
import { postViewSchema } from './postView.ts';
import { TARGET_STATUSES } from './schema.ts';
import { targetsAtRisk } from './targetsAtRisk.ts';

const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a local date YYYY-MM-DD');
/** "a,b,c" → ["a","b","c"] (query strings carry lists comma-separated). */
const list = <T extends z.ZodType<string, string>>(item: T) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z.array(item).max(100),
  );

const plannerQuery = z.object({
  from: localDate.optional(),
  to: localDate.optional(),
  status: list(z.enum(TARGET_STATUSES)).optional(),
  connectionId: list(z.uuid()).optional(),
  platform: list(z.string().max(40)).optional(),
  campaignId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const statusCounts = z.record(z.string(), z.number().int());
const plannerResponse = z.object({
  items: z.array(postViewSchema),
  total: z.number().int(),
  counts: z.object({
    byStatus: statusCounts,
    byDay: z.array(z.object({ date: z.string(), workspaceId: z.uuid(), total: z.number().int(), byStatus: statusCounts })),
  }),
});

const atRiskResponse = z.object({
  targets: z.array(
    z.object({
      targetId: z.uuid(),
      postId: z.uuid(),
      workspaceId: z.uuid(),
      connectionId: z.uuid(),
      platform: z.string(),
      scheduledAt: z.string(),
      reason: z.enum(['needs_reconnect', 'refresh_failing', 'hard_end_before_post', 'refresh_expires_before_post']),
      connectionEndsAt: z.string().nullable(),
    }),
  ),
});

/** The planner (calendar range or list) and the posts at risk, per workspace or across all of yours. */
export const plannerRoutes: RouteModule = (app, ctx) => {
  const tags = ['planner'];

  const plan = async (workspaceIds: string[], q: z.infer<typeof plannerQuery>) => {
    if (q.from && q.to && q.to < q.from) throw new AppError('validation_failed', '"to" is before "from"');
    return queryPlanner(ctx.db, {
      workspaceIds,
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.status ? { statuses: q.status } : {}),
      ...(q.connectionId ? { connectionIds: q.connectionId } : {}),
      ...(q.platform ? { platforms: q.platform } : {}),
      ...(q.campaignId ? { campaignId: q.campaignId } : {}),
      limit: q.limit,
      offset: q.offset,
    });
  };
  const atRisk = async (workspaceIds: string[]) => ({
    targets: (await targetsAtRisk(ctx.db, workspaceIds, ctx.clock.now())).map((t) => ({
      ...t,
      scheduledAt: t.scheduledAt.toISOString(),
      connectionEndsAt: t.connectionEndsAt?.toISOString() ?? null,
    })),
  });

  app.get(
    '/api/workspaces/:workspaceId/planner',
    {
      schema: {
        tags,
        summary: 'Posts of the workspace in a local date range or as a list, filtered, with counts per status and per day',
        params: workspaceParams,
        querystring: plannerQuery,
        response: { 200: plannerResponse },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      return plan([workspaceId], request.query);
    },
  );

  app.get(
    '/api/planner',
    {
      schema: {
        tags,
        summary: 'The planner across all your workspaces (days are local to each workspace)',
        querystring: plannerQuery.extend({ workspaceId: list(z.uuid()).optional() }),
        response: { 200: plannerResponse },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      const mine = await listUserWorkspaceIds(ctx.db, user.id);
      const wanted = request.query.workspaceId;
      return plan(wanted ? mine.filter((id) => wanted.includes(id)) : mine, request.query);
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/posts-at-risk',
    { schema: { tags, summary: 'Scheduled targets whose connection will not last until their time', params: workspaceParams, response: { 200: atRiskResponse } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      const { workspaceId } = await requireWorkspaceRole(ctx.db, user, request.params.workspaceId, 'viewer');
      return atRisk([workspaceId]);
    },
  );

  app.get(
    '/api/posts-at-risk',
    { schema: { tags, summary: 'Posts at risk across all your workspaces', response: { 200: atRiskResponse } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      return atRisk(await listUserWorkspaceIds(ctx.db, user.id));
    },
  );
};
