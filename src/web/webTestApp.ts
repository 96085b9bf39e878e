import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../config.ts';
import { TEST_ENCRYPTION_KEYS } from '../connections/connectionTestHarness.ts';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import { sandboxRoutes } from '../sandbox/sandboxRoutes.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';

/**
 * For the web app's browser tests: the full app (API, web app, the emulator mounted in-process
 * under /_emulator) listening on port 0, with PUBLIC_URL set to the address it got, so OAuth
 * redirects and the callback land back on the same origin as the browser (the session cookie
 * goes with them). The clock starts at `startMs` (browser tests pass the wall-clock time, so
 * the browser's "now" and the server's agree); it stays frozen unless a test moves it.
 */
export type WebTestApp = { ctx: TestContext; app: App; base: string; close(): Promise<void> };

/** `timeTravel`: the sandbox routes on (as `perennial serve --time-travel` mounts them), with no due runners. */
export async function openWebTestApp(options: { startMs: number; timeTravel?: boolean }): Promise<WebTestApp> {
  const base = await openTestContext({ env: { ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS }, startMs: options.startMs });
  // A mutable copy: the address is known only after listen() on port 0. The object keeps its
  // identity, so everything that captured it at build time (the emulator mount) sees the address.
  const config: { -readonly [K in keyof Config]: Config[K] } = { ...loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, TIME_TRAVEL: String(options.timeTravel ?? false) }) };
  const ctx: TestContext = { ...base, config };
  await ctx.jobs.start();
  const app = await buildApp(ctx, { routes: [...routeModules, sandboxRoutes(createSandbox(ctx, () => []))] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  config.publicUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    ctx,
    app,
    base: config.publicUrl,
    async close() {
      await app.close();
      await base.close();
    },
  };
}
