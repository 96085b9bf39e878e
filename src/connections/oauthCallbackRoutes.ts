import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { AppError } from '../http/errors.ts';
import { completeAuthorization } from './completeAuthorization.ts';
import { connectResultSchema, publicResult } from './connectionRoutes.ts';

/**
 * Where platforms send the browser back: `GET /api/oauth/callback/:platform?code&state` (or
 * `?error`). API clients (Accept: application/json) get the result as JSON; a browser is sent on
 * to the web app's connections screen with the outcome in the query
 * (`?connected=<id>`, `?select=<selectionId>`, `?error=<code>`), never with a token.
 */
const callbackQuery = z.object({
  state: z.string().max(1000).optional(),
  code: z.string().max(4000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
  error_reason: z.string().max(200).optional(),
});

function wantsHtml(accept: string | undefined): boolean {
  return !!accept && accept.includes('text/html') && !accept.startsWith('application/json');
}

export const oauthCallbackRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/api/oauth/callback/:platform',
    {
      schema: {
        tags: ['connections'],
        summary: 'OAuth redirect target: exchanges the code and stores the connection',
        params: z.object({ platform: z.string().max(40) }),
        querystring: callbackQuery,
        response: { 200: connectResultSchema },
      },
    },
    async (request, reply) => {
      const html = wantsHtml(request.headers.accept);
      const screen = (params: Record<string, string>) => `${ctx.config.publicUrl}/connections?${new URLSearchParams(params).toString()}`;
      try {
        const user = await requireUser(ctx, request);
        const result = publicResult(await completeAuthorization(ctx, { userId: user.id, platform: request.params.platform, query: request.query }));
        if (!html) return result;
        return reply.redirect(
          result.result === 'select_account'
            ? screen({ workspace: result.workspaceId, select: result.selectionId })
            : screen({ workspace: result.connection.workspaceId, [result.result]: result.connection.id }),
          303,
        );
      } catch (err) {
        if (!html || !(err instanceof AppError)) throw err;
        return reply.redirect(screen({ error: err.code, message: err.message }), 303);
      }
    },
  );
};
