import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig, type Config } from '../config.ts';
import { TEST_ENCRYPTION_KEYS } from '../connections/connectionTestHarness.ts';
import { buildApp, type App } from '../http/app.ts';
import { routeModules } from '../http/routes.ts';
import { answerConsent } from '../emulator/core/consentPages.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import { sandboxRoutes } from '../sandbox/sandboxRoutes.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { BROWSER_STEP_TIMEOUT_MS } from '../testing/browser.ts';
import type { TestAuth } from '../testing/testUsers.ts';

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

/**
 * A page signed in as `auth` (its session cookie set on the app's origin), in a fresh browser
 * context. Uncaught errors of the page's scripts are collected: `pageErrors` should stay empty.
 */
export async function openSignedInPage(browser: Browser, w: WebTestApp, auth: Pick<TestAuth, 'cookie'>): Promise<{ page: Page; context: BrowserContext; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const [name, value] = auth.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: w.base }]);
  const page = await context.newPage();
  page.setDefaultTimeout(BROWSER_STEP_TIMEOUT_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { page, context, pageErrors };
}

/** Calls the API from inside the page, as the app does (session cookie, CSRF header): for "the API refuses it too". */
export async function apiFromPage(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; code: string | null }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const res = await fetch(path, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-csrf-token': session.csrfToken },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = (await res.json().catch(() => null)) as { error?: { code: string } } | null;
      return { status: res.status, code: data?.error?.code ?? null };
    },
    { method, path, body },
  );
}

/** The emulator's X sandbox accounts (src/emulator/platforms/x.ts). */
export const X_ALICE = '1500000000000000001';

export function connectX(w: WebTestApp, auth: TestAuth, workspaceId: string, accountId = X_ALICE): Promise<string> {
  return connectOAuth(w, auth, workspaceId, 'x', accountId);
}

/**
 * Connects a sandbox account of an OAuth platform to the workspace through the real flow,
 * without the browser: authorize, the emulator's consent form, the callback (as JSON).
 * Returns the connection id.
 */
export async function connectOAuth(w: WebTestApp, auth: TestAuth, workspaceId: string, platform: string, accountId: string): Promise<string> {
  const res = await w.app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/connections/authorize`, headers: auth.headers, payload: { platform } });
  if (res.statusCode !== 200) throw new Error(`authorize failed: ${res.statusCode} ${res.body}`);
  const redirect = await answerConsent((res.json() as { authorizationUrl: string }).authorizationUrl, { accountId });
  const done = await w.app.inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}`, headers: { cookie: auth.cookie, accept: 'application/json' } });
  if (done.statusCode !== 200) throw new Error(`callback failed: ${done.statusCode} ${done.body}`);
  return (done.json() as { connection: { id: string } }).connection.id;
}

/** Connects the emulator's Bluesky sandbox account with its app password. Returns the connection id. */
export async function connectBluesky(w: WebTestApp, auth: TestAuth, workspaceId: string): Promise<string> {
  const res = await w.app.inject({
    method: 'POST',
    url: `/api/workspaces/${workspaceId}/connections/password`,
    headers: auth.headers,
    payload: { platform: 'bluesky', identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' },
  });
  if (res.statusCode !== 200) throw new Error(`bluesky connect failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { connection: { id: string } }).connection.id;
}

/** Waits until the app's current screen has loaded (web/main.js marks <main> busy meanwhile). */
export async function settled(page: Page): Promise<void> {
  await page.locator('main:not([aria-busy])').waitFor({ state: 'attached' });
}
