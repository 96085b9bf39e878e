import type { EmulatorApp, EmulatorCore } from '../core/types.ts';

/**
 * Per-emulator state of a module (publish jobs, uploads, settings), forgotten by `core.reset()`
 * like the core's own state: the first use wraps `reset` once to drop it.
 */
export function moduleState<T extends object>(store: WeakMap<EmulatorCore, T>, core: EmulatorCore, create: () => T): T {
  let value = store.get(core);
  if (!value) {
    value = create();
    store.set(core, value);
    const reset = core.reset;
    core.reset = () => {
      reset();
      store.delete(core);
    };
  }
  return value;
}

/**
 * Numeric knobs of a module (rate limits, quotas, processing delays), per emulator, read through
 * `settings(core)` and changed by `POST /<platform>/_admin/settings` with a partial object.
 */
export function defineSettings<T extends Record<string, number>>(defaults: T): { settings(core: EmulatorCore): T; routes(app: EmulatorApp, core: EmulatorCore): void } {
  const store = new WeakMap<EmulatorCore, T>();
  const settings = (core: EmulatorCore) => moduleState(store, core, () => ({ ...defaults }));
  return {
    settings,
    routes(app, core) {
      app.post('/_admin/settings', async (request, reply) => {
        const patch = (request.body ?? {}) as Record<string, unknown>;
        for (const [key, value] of Object.entries(patch)) {
          if (!(key in defaults) || typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
            return reply.status(400).send({ error: `unknown setting or not a non-negative number: ${key}`, settings: Object.keys(defaults) });
          }
        }
        return Object.assign(settings(core), patch);
      });
    },
  };
}
