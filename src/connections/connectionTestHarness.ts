import { loadConfig } from '../config.ts';
import { answerConsent } from '../emulator/core/consentPages.ts';
import { startEmulator, type RunningEmulator } from '../emulator/core/registerEmulator.ts';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';

/**
 * For connection and adapter tests: a test context whose sandboxed platforms talk to an emulator
 * on the test's frozen clock, the full app, and a signed-in user with a workspace.
 */
export const TEST_ENCRYPTION_KEYS = `t1:${Buffer.alloc(32, 7).toString('base64')}`;

export type ConnectionHarness = {
  ctx: TestContext;
  emulator: RunningEmulator;
  app: App;
  auth: TestAuth;
  workspaceId: string;
  close(): Promise<void>;
};

export async function openConnectionHarness(options: { env?: Record<string, string> } = {}): Promise<ConnectionHarness> {
  const base = await openTestContext({ env: { ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, ...options.env } });
  const emulator = await startEmulator({ clock: base.clock });
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS, EMULATOR_URL: emulator.url, ...options.env });
  const ctx: TestContext = { ...base, config };
  // Reconnects raise alerts, whose emails go through pg-boss.
  await ctx.jobs.start();
  const app = await buildApp(ctx, { routes: routeModules });
  const auth = await signUpAndSignIn(app);
  const workspaceId = await createWorkspace(app, auth, 'Client A');
  return {
    ctx,
    emulator,
    app,
    auth,
    workspaceId,
    async close() {
      await app.close();
      await emulator.close();
      await base.close();
    },
  };
}

/** POST .../connections/authorize and return the consent URL. */
export async function authorize(h: ConnectionHarness, body: Record<string, unknown>, auth: TestAuth = h.auth): Promise<URL> {
  const res = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/authorize`, headers: auth.headers, payload: body });
  if (res.statusCode !== 200) throw new Error(`authorize failed: ${res.statusCode} ${res.body}`);
  return new URL((res.json() as { authorizationUrl: string }).authorizationUrl);
}

/** Follows the platform's redirect back into the app (as the browser would, with the session cookie). */
export async function callback(h: ConnectionHarness, redirect: URL, auth: TestAuth = h.auth) {
  return h.app.inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}`, headers: { cookie: auth.cookie, accept: 'application/json' } });
}

/** The whole connect (or reconnect) flow: authorize, consent as `accountId`, callback. */
export async function connectThroughConsent(h: ConnectionHarness, body: Record<string, unknown>, accountId: string, options: { reconnect?: string } = {}) {
  let url: URL;
  if (options.reconnect) {
    const res = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/${options.reconnect}/reconnect`, headers: h.auth.headers });
    if (res.statusCode !== 200) throw new Error(`reconnect failed: ${res.statusCode} ${res.body}`);
    url = new URL((res.json() as { authorizationUrl: string }).authorizationUrl);
  } else {
    url = await authorize(h, body);
  }
  const redirect = await answerConsent(url, { accountId });
  return callback(h, redirect);
}

/** Every row of every table as text (for "no secret in clear" assertions). */
export async function dumpAllTables(ctx: TestContext): Promise<string> {
  const { rows } = await ctx.database.query<{ table_schema: string; table_name: string }>(
    "select table_schema, table_name from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'",
  );
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const parts: string[] = [];
  for (const { table_schema, table_name } of rows) {
    const data = await ctx.database.query(`select * from ${quote(table_schema)}.${quote(table_name)}`);
    parts.push(`${table_schema}.${table_name}: ${JSON.stringify(data.rows)}`);
  }
  return parts.join('\n');
}
