import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
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
 * application's clock, so `npm start` can connect sandbox accounts at once.
 */
export const emulatorRoutes: RouteModule = async (app, ctx) => {
  if (ctx.config.emulatorUrl) return;
  if (!PLATFORM_IDS.some((p) => isSandboxed(ctx.config, p))) return;
  const core = await registerEmulator(app as unknown as FastifyInstance, { clock: ctx.clock, prefix: EMULATOR_PREFIX, ownsClock: false });
  mounted.set(ctx.config, core);
  ctx.log.info({ url: `${ctx.config.publicUrl}${EMULATOR_PREFIX}` }, 'platform emulator mounted (sandbox)');
};

/** The in-process emulator of this app, if mounted (for the sandbox and tests). */
export function inProcessEmulator(ctx: Pick<AppContext, 'config'>): EmulatorCore | undefined {
  return mounted.get(ctx.config);
}
