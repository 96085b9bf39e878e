import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { isSandboxed, listProviders } from '../providers/registry.ts';

/** GET /api/platforms: what can be connected here, and whether each runs against the sandbox emulator. */
export const platformRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/api/platforms',
    {
      schema: {
        tags: ['connections'],
        summary: 'Platforms that can be connected, sandbox (emulator) or real',
        response: {
          200: z.object({
            platforms: z.array(
              z.object({
                id: z.string(),
                displayName: z.string(),
                mode: z.enum(['sandbox', 'real']),
                connectMethod: z.enum(['oauth2', 'app_password']),
                instanceUrl: z.enum(['required', 'optional', 'none']),
                canRevoke: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      await requireUser(ctx, request);
      return {
        platforms: listProviders().map((p) => ({
          id: p.facts.id,
          displayName: p.facts.displayName,
          mode: isSandboxed(ctx.config, p.facts.id) ? ('sandbox' as const) : ('real' as const),
          connectMethod: p.facts.connectMethod,
          instanceUrl: p.facts.instanceUrl ?? ('none' as const),
          canRevoke: p.facts.canRevoke,
        })),
      };
    },
  );
};
