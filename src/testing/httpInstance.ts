/**
 * For end-to-end sandbox tests: one Perennial instance wired as `perennial serve --time-travel
 * --role all` wires it (src/main.ts): the full app with every route module and the sandbox API,
 * the in-process emulator mounted under `/_emulator` on the application's clock, pg-boss, the due
 * runners of every registered due queue, the publishing queues. The differences from `serve`:
 * a fresh test database (openTestContext), a clock frozen at TEST_START_MS instead of flowing
 * from the real time (so every run sees the same instants), and a real-time backstop poll long
 * enough that only sandbox advances move work.
 *
 * The app listens on a real port on 127.0.0.1 because the adapters call the emulator over HTTP
 * at PUBLIC_URL, exactly as in `serve`; tests talk to it only through HTTP (`request`).
 */
import { createServer, type AddressInfo } from 'node:net';
import { answerConsent } from '../emulator/core/consentPages.ts';
import { loadConfig } from '../config.ts';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { startWorkers, type Workers } from '../jobs/workers.ts';
import { defaultPublishDeps } from '../publishing/defaultPublishDeps.ts';
import { registerPublishingQueues } from '../publishing/publishingQueues.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import type { TestAuth } from '../testing/testUsers.ts';
import { createSandbox } from './sandbox.ts';
import { sandboxRoutes } from './sandboxRoutes.ts';
// As in src/main.ts: the lifecycle's due queues and job handlers register on import.
import '../lifecycle/refreshQueue.ts';
import '../alerts/digestQueue.ts';
import '../webhooks/deliverWebhook.ts';

export type SandboxInstance = {
  ctx: TestContext;
  app: App;
  /** http://127.0.0.1:<port>, the instance's PUBLIC_URL. */
  url: string;
  /** The in-process emulator's base URL (its admin API is `${emulatorUrl}/_admin/...`). */
  emulatorUrl: string;
  /** An HTTP call to the instance; `json` is the parsed body (or undefined). */
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; json: unknown }>;
  close(): Promise<void>;
};

const ENCRYPTION_KEYS = `s1:${Buffer.alloc(32, 11).toString('base64')}`;

/** A port that was free a moment ago (PUBLIC_URL must name it before the app is built). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function openSandboxInstance(options: { env?: Record<string, string> } = {}): Promise<SandboxInstance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { NODE_ENV: 'test', DATA_DIR: '.tmp/test-data', TIME_TRAVEL: 'true', ENCRYPTION_KEYS, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: url, ...options.env };
  const base = await openTestContext({ env });
  const ctx: TestContext = { ...base, config: loadConfig(env) };

  // Read at each advance, once the workers below have started (as in src/main.ts).
  const sandbox = createSandbox(ctx, () => workers.dueRunners);
  await ctx.jobs.start();
  const app = await buildApp(ctx, { routes: [...routeModules, sandboxRoutes(sandbox)] });
  await app.listen({ port, host: '127.0.0.1' });
  registerPublishingQueues(ctx.config, defaultPublishDeps);
  const workers: Workers = await startWorkers(ctx, 'all', { duePollMs: 3_600_000 });

  const request: SandboxInstance['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  };

  return {
    ctx,
    app,
    url,
    emulatorUrl: `${url}/_emulator`,
    request,
    async close() {
      await workers.stop();
      await app.close();
      await base.close();
    },
  };
}

/** A connection as GET /api/workspaces/:id/connections lists it (the fields these tests read). */
export type ListedConnection = {
  id: string;
  platform: string;
  platformAccountId: string;
  state: string;
  stateReason: string | null;
  accessExpiresAt: string | null;
  refreshExpiresAt: string | null;
  dataAccessExpiresAt: string | null;
  hardEndAt: string | null;
  lastRefreshedAt: string | null;
};

/**
 * Connects a sandbox account through the API and the emulator's consent page, as a user would:
 * POST .../connections/authorize, consent as `accountId`, follow the redirect back with the
 * session cookie and, when the platform grants several accounts (Pages, organizations), pick
 * `pick`. Returns the connection.
 */
export async function connectThroughApi(
  s: SandboxInstance,
  auth: TestAuth,
  workspaceId: string,
  input: { platform: string; accountId: string; pick?: string; instanceUrl?: string },
): Promise<ListedConnection> {
  const body = { platform: input.platform, ...(input.instanceUrl ? { instanceUrl: input.instanceUrl } : {}) };
  const started = await s.request('POST', `/api/workspaces/${workspaceId}/connections/authorize`, { headers: auth.headers, body });
  if (started.status !== 200) throw new Error(`authorize ${input.platform}: ${started.status} ${JSON.stringify(started.json)}`);
  const redirect = await answerConsent((started.json as { authorizationUrl: string }).authorizationUrl, { accountId: input.accountId });
  const back = await s.request('GET', `${redirect.pathname}${redirect.search}`, { headers: { cookie: auth.cookie, accept: 'application/json' } });
  return connectResult(s, auth, workspaceId, input, back);
}

/** Bluesky: connects with an app password (POST .../connections/password). */
export async function connectWithAppPassword(
  s: SandboxInstance,
  auth: TestAuth,
  workspaceId: string,
  input: { platform: string; identifier: string; password: string },
): Promise<ListedConnection> {
  const res = await s.request('POST', `/api/workspaces/${workspaceId}/connections/password`, { headers: auth.headers, body: input });
  return connectResult(s, auth, workspaceId, { platform: input.platform }, res);
}

type ConnectAnswer = { result: string; connection?: ListedConnection; selectionId?: string; accounts?: { platformAccountId: string }[] };

async function connectResult(
  s: SandboxInstance,
  auth: TestAuth,
  workspaceId: string,
  input: { platform: string; pick?: string },
  res: { status: number; json: unknown },
): Promise<ListedConnection> {
  if (res.status !== 200) throw new Error(`connect ${input.platform}: ${res.status} ${JSON.stringify(res.json)}`);
  let answer = res.json as ConnectAnswer;
  if (answer.result === 'select_account') {
    const platformAccountId = input.pick ?? answer.accounts?.[0]?.platformAccountId;
    const picked = await s.request('POST', `/api/workspaces/${workspaceId}/connections/select`, { headers: auth.headers, body: { selectionId: answer.selectionId, platformAccountId } });
    if (picked.status !== 200) throw new Error(`select ${input.platform}: ${picked.status} ${JSON.stringify(picked.json)}`);
    answer = picked.json as ConnectAnswer;
  }
  if (!answer.connection) throw new Error(`connect ${input.platform}: no connection in ${JSON.stringify(answer)}`);
  return answer.connection;
}
