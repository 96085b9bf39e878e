import type { FastifyInstance } from 'fastify';
import { requireUser } from '../accounts/authenticate.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import type { RouteModule } from '../http/app.ts';
import { isSandboxed } from '../providers/registry.ts';
import { PLATFORM_IDS } from '../providers/types.ts';
import { registerEmulator } from './core/registerEmulator.ts';
import type { EmulatorCore } from './core/types.ts';

/** Where the in-process emulator is mounted on the main app. */
export const EMULATOR_PREFIX = '/_emulator';

const mounted = new WeakMap<AppContext['config'], EmulatorCore>();

/**
 * Sandbox by default: while any platform runs against the emulator and no external one is
 * configured (EMULATOR_URL), the emulator is mounted on the main app under `/_emulator`, on the
 * application's clock, so `npm start` can connect sandbox accounts at once. Its admin API
 * (`/_emulator/_admin`, `/_emulator/<platform>/_admin|_meta`) answers only the instance owner.
 */
export const emulatorRoutes: RouteModule = async (app, ctx) => {
  if (ctx.config.emulatorUrl) return;
  if (!PLATFORM_IDS.some((p) => isSandboxed(ctx.config, p))) return;
  const core = await registerEmulator(app as unknown as FastifyInstance, {
    clock: ctx.clock,
    prefix: EMULATOR_PREFIX,
    ownsClock: false,
    // Reachable by anyone who reaches Perennial: resets, revocations, faults and callback URLs
    // are the instance owner's (a session with its CSRF token, or an API token).
    guardAdmin: async (request, reply) => {
      try {
        const user = await requireUser(ctx, request);
        if (!user.isInstanceOwner) throw new AppError('forbidden', "Only the instance owner may use the emulator's admin API");
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        await reply.status(err.status).send(err.toBody());
      }
    },
    // No callback to anywhere else: the emulator must not become a way to make Perennial POST to any URL.
    allowCallback: (url) => url.origin === new URL(ctx.config.publicUrl).origin,
  });
  mounted.set(ctx.config, core);
  ctx.log.info({ url: `${ctx.config.publicUrl}${EMULATOR_PREFIX}` }, 'platform emulator mounted (sandbox)');
};

/** The in-process emulator of this app, if mounted (for the sandbox and tests). */
export function inProcessEmulator(ctx: Pick<AppContext, 'config'>): EmulatorCore | undefined {
  return mounted.get(ctx.config);
}
