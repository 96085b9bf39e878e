import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { notFound } from '../http/errors.ts';
import { createApiToken, listApiTokens, revokeApiToken } from './apiTokensRepo.ts';
import { AUTHENTICATED, requireUser } from './authenticate.ts';

const tokenSummarySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
});

/** Personal API tokens of the signed-in user: `Authorization: Bearer <token>`, no CSRF header needed. */
export const tokenRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/api/tokens',
    { schema: { tags: ['tokens'], security: AUTHENTICATED, summary: 'List your live API tokens (never the tokens themselves)', response: { 200: z.object({ tokens: z.array(tokenSummarySchema) }) } } },
    async (request) => {
      const user = await requireUser(ctx, request);
      return { tokens: await listApiTokens(ctx.db, user.id) };
    },
  );

  app.post(
    '/api/tokens',
    {
      schema: {
        tags: ['tokens'],
        security: AUTHENTICATED,
        summary: 'Create an API token; the response is the only time the token is shown',
        body: z.strictObject({ name: z.string().trim().min(1).max(100) }),
        response: { 201: tokenSummarySchema.extend({ token: z.string() }) },
      },
    },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const { token, summary } = await createApiToken(ctx.db, user.id, request.body.name, ctx.clock.now());
      ctx.log.info({ userId: user.id, tokenId: summary.id }, 'api token created');
      return reply.status(201).send({ ...summary, token });
    },
  );

  app.delete(
    '/api/tokens/:tokenId',
    { schema: { tags: ['tokens'], security: AUTHENTICATED, summary: 'Revoke an API token', params: z.object({ tokenId: z.string() }), response: { 204: z.null() } } },
    async (request, reply) => {
      const user = await requireUser(ctx, request);
      const { tokenId } = request.params;
      const revoked = z.uuid().safeParse(tokenId).success && (await revokeApiToken(ctx.db, user.id, tokenId, ctx.clock.now()));
      if (!revoked) throw notFound('API token');
      ctx.log.info({ userId: user.id, tokenId }, 'api token revoked');
      return reply.status(204).send(null);
    },
  );
};
