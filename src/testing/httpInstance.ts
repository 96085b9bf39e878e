/**
 * For end-to-end tests: one Perennial instance started by `startInstance`, the very composition
 * `perennial serve` runs (src/main.js): the full app with every route module and the sandbox API,
 * the in-process emulator under `/_emulator`, pg-boss, the due runners, the publishing queues;
 * with `TIME_TRAVEL` (the default here) a sandbox clock flowing from the real time, as
 * `serve --time-travel`. The one difference from `serve`: the database is a fresh test database
 * (openTestDatabase: PGlite in memory, or a new database on the server under `npm run test:pg`)
 * instead of DATA_DIR.
 *
 * The app listens on a real port on 127.0.0.1 because the adapters call the emulator over HTTP
 * at PUBLIC_URL, exactly as in `serve`; tests talk to it only over HTTP (`request`), including
 * sign-up and reading the sandbox clock (GET /api/sandbox).
 */
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { answerConsent } from '../emulator/core/consentPages.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { App } from '../http/app.ts';
import { startInstance } from '../startInstance.ts';
import { openTestDatabase } from './testDatabase.ts';
import { TEST_PASSWORD } from './testUsers.ts';

export type HttpInstance = {
  /** The app, for what HTTP cannot show (the route list: `listRoutes(app)`); talk to it over HTTP. */
  app: App;
  /** The test database, for setup no API offers. */
  database: DatabaseHandle;
  /** http://127.0.0.1:<port>, the instance's PUBLIC_URL. */
  url: string;
  /** The in-process emulator's base URL (its admin API is `${emulatorUrl}/_admin/...`). */
  emulatorUrl: string;
  /** An HTTP call to the instance; `json` is the parsed body (or undefined). */
  request(method: string, path: string, options?: { headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; json: unknown; headers: Headers }>;
  /** Every log line the instance wrote, as raw JSON text. */
  logText(): string;
  close(): Promise<void>;
};

/** What the HTTP helpers below need from a signed-in user. */
export type HttpAuth = { userId: string; cookie: string; headers: { cookie: string; 'x-csrf-token': string } };

const ENCRYPTION_KEYS = `s1:${Buffer.alloc(32, 11).toString('base64')}`;

/** A port that was free a moment ago (PUBLIC_URL must name it before the app is built). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function openHttpInstance(options: { env?: Record<string, string> } = {}): Promise<HttpInstance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'test',
    DATA_DIR: '.tmp/test-data',
    TIME_TRAVEL: 'true',
    ENCRYPTION_KEYS,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    SHUTDOWN_GRACE_MS: '3000',
    ...options.env,
  };
  const chunks: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
  });
  const database = await openTestDatabase();
  // On the server, the instance knows its URL as `serve` does (pg-boss then opens its own pool).
  const config = loadConfig({ ...env, ...(database.url ? { DATABASE_URL: database.url } : {}) });
  const instance = await startInstance(config, log, { role: 'all', database }).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });

  const request: HttpInstance['request'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
  };

  return {
    app: instance.app!,
    database,
    url,
    emulatorUrl: `${url}/_emulator`,
    request,
    logText: () => chunks.join(''),
    async close() {
      await instance.stop();
      await database.close();
    },
  };
}

/** Signs up over HTTP (the first account owns the instance) and returns the session. */
export async function signUpOverHttp(s: HttpInstance, email: string): Promise<HttpAuth> {
  const res = await s.request('POST', '/api/auth/signup', { body: { email, password: TEST_PASSWORD, name: email.split('@')[0] } });
  if (res.status !== 201) throw new Error(`sign-up of ${email}: ${res.status} ${JSON.stringify(res.json)}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const body = res.json as { user: { id: string }; csrfToken: string };
  return { userId: body.user.id, cookie, headers: { cookie, 'x-csrf-token': body.csrfToken } };
}

/** A connection as GET /api/workspaces/:id/connections lists it (the fields these tests read). */
export type ListedConnection = {
  id: string;
  platform: string;
  platformAccountId: string;
  displayName: string;
  connectedAt: string;
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
  s: HttpInstance,
  auth: HttpAuth,
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
  s: HttpInstance,
  auth: HttpAuth,
  workspaceId: string,
  input: { platform: string; identifier: string; password: string },
): Promise<ListedConnection> {
  const res = await s.request('POST', `/api/workspaces/${workspaceId}/connections/password`, { headers: auth.headers, body: input });
  return connectResult(s, auth, workspaceId, { platform: input.platform }, res);
}

type ConnectAnswer = { result: string; connection?: ListedConnection; selectionId?: string; accounts?: { platformAccountId: string }[] };

async function connectResult(
  s: HttpInstance,
  auth: HttpAuth,
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
