import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { workspaceParams } from '../workspaces/workspaceRoutes.ts';
import { importCsv } from './importCsv.ts';
import { postScopeOf } from './postsRoutes.ts';

/** A 10,000-row file is about 1-2 MB; this leaves room for long texts. */
const CSV_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * POST /api/workspaces/:id/imports/csv with the file as the body (`Content-Type: text/csv`).
 * `?dryRun=true` validates only. Errors answer `csv_invalid` with `details.errors` by row.
 */
export const importRoutes: RouteModule = async (root, ctx) => {
  await root.register(async (scoped) => {
    scoped.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'buffer', bodyLimit: CSV_BODY_LIMIT }, (_request, body, done) => done(null, body));
    const app = scoped.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/api/workspaces/:workspaceId/imports/csv',
      {
        bodyLimit: CSV_BODY_LIMIT,
        schema: {
          tags: ['posts'],
          summary: 'Import scheduled posts from CSV (columns time, connections, text, media, link): all rows or none (editor)',
          params: workspaceParams,
          querystring: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
          consumes: ['text/csv'],
          response: {
            200: z.object({
              dryRun: z.boolean(),
              imported: z.number().int(),
              targets: z.number().int(),
              /** Rows whose time fell in a daylight-saving gap or overlap: what it became. */
              adjustments: z.array(
                z.object({
                  row: z.number().int(),
                  time: z.string(),
                  scheduledLocal: z.string(),
                  adjustment: z.enum(['dst_gap_shifted_forward', 'dst_overlap_earlier_offset']),
                }),
              ),
              adjustmentCount: z.number().int(),
            }),
          },
        },
      },
      async (request) => {
        const scope = await postScopeOf(ctx, request, request.params.workspaceId, 'editor');
        const dryRun = request.query.dryRun === 'true';
        const result = await importCsv(ctx, scope, request.body as Buffer, { dryRun });
        ctx.log.info({ workspaceId: scope.workspaceId, imported: result.imported, targets: result.targets, dryRun }, 'CSV import');
        return { dryRun, imported: result.imported, targets: result.targets, adjustments: result.adjustments, adjustmentCount: result.adjustmentCount };
      },
    );
  });
};
