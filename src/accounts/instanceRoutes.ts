import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { AppError } from '../http/errors.ts';
import { AUTHENTICATED, requireUser } from './authenticate.ts';
import { getInstanceSettings, updateInstanceSettings } from './instanceSettings.ts';

const settingsSchema = z.object({ openSignUp: z.boolean() });

/** Instance-wide settings: every signed-in user may read them, only the instance owner may change them. */
export const instanceRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/api/instance/settings',
    { schema: { tags: ['instance'], security: AUTHENTICATED, summary: 'Instance settings', response: { 200: settingsSchema } } },
    async (request) => {
      await requireUser(ctx, request);
      return getInstanceSettings(ctx.db);
    },
  );

  app.patch(
    '/api/instance/settings',
    {
      schema: {
        tags: ['instance'],
        security: AUTHENTICATED,
        summary: 'Change instance settings (instance owner only); openSignUp lets anyone create an account',
        body: z.strictObject({ openSignUp: z.boolean().optional() }),
        response: { 200: settingsSchema },
      },
    },
    async (request) => {
      const user = await requireUser(ctx, request);
      if (!user.isInstanceOwner) throw new AppError('forbidden', 'Only the instance owner can change instance settings');
      const settings = await updateInstanceSettings(ctx.db, request.body, ctx.clock.now());
      ctx.log.info({ userId: user.id, settings }, 'instance settings changed');
      return settings;
    },
  );
};
