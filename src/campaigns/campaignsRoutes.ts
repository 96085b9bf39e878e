import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { postContentSchema } from '../posts/postContent.ts';
import { connectionIds, postScopeOf } from '../posts/postsRoutes.ts';
import { workspaceParams } from '../workspaces/workspaceRoutes.ts';
import { cancelCampaign } from './cancelCampaign.ts';
import { findCampaign, listCampaigns } from './campaignsRepo.ts';
import { campaignViewSchema, toCampaignView } from './campaignView.ts';
import { createCampaign } from './createCampaign.ts';
import { editCampaignSeries } from './editCampaignSeries.ts';
import { recurrenceSchema } from './recurrence.ts';

const params = workspaceParams.extend({ campaignId: z.string() });
const nameSchema = z.string().trim().min(1).max(200);

/**
 * Campaigns: recurring series materialised as posts. One occurrence is edited like any post
 * (PATCH /posts/:id, which takes it out of the series); PATCH /campaigns/:id edits the series
 * and all its future occurrences.
 */
export const campaignsRoutes: RouteModule = (app, ctx) => {
  const tags = ['campaigns'];

  app.post(
    '/api/workspaces/:workspaceId/campaigns',
    {
      schema: {
        tags,
        summary: 'Create a recurring series; its occurrences become scheduled posts (editor)',
        params: workspaceParams,
        body: z.strictObject({ name: nameSchema, recurrence: recurrenceSchema, content: postContentSchema, connectionIds }),
        response: { 201: campaignViewSchema },
      },
    },
    async (request, reply) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return reply.status(201).send(await createCampaign(ctx, scope, request.body));
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/campaigns',
    { schema: { tags, summary: 'The workspace’s campaigns', params: workspaceParams, response: { 200: z.object({ campaigns: z.array(campaignViewSchema) }) } } },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'viewer');
      const now = ctx.clock.now();
      const rows = await listCampaigns(ctx.db, scope.workspaceId);
      return { campaigns: await Promise.all(rows.map((r) => toCampaignView(ctx.db, r, now))) };
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/campaigns/:campaignId',
    { schema: { tags, summary: 'One campaign (its posts are in the planner, filter campaignId)', params, response: { 200: campaignViewSchema } } },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'viewer');
      const row = await findCampaign(ctx.db, scope.workspaceId, request.params.campaignId);
      if (!row) throw notFound('campaign');
      return toCampaignView(ctx.db, row, ctx.clock.now());
    },
  );

  app.patch(
    '/api/workspaces/:workspaceId/campaigns/:campaignId',
    {
      schema: {
        tags,
        summary: 'Edit the series and all its future occurrences (editor)',
        params,
        body: z.strictObject({
          name: nameSchema.optional(),
          recurrence: recurrenceSchema.optional(),
          content: postContentSchema.optional(),
          connectionIds: connectionIds.optional(),
          version: z.number().int().optional(),
        }),
        response: { 200: campaignViewSchema },
      },
    },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return editCampaignSeries(ctx, scope, request.params.campaignId, request.body);
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/campaigns/:campaignId/cancel',
    { schema: { tags, summary: 'End the series: its future occurrences are cancelled (editor)', params, response: { 200: campaignViewSchema } } },
    async (request) => {
      const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
      return cancelCampaign(ctx, scope, request.params.campaignId);
    },
  );
};
