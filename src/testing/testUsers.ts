import { randomBytes } from 'node:crypto';
import { authRoutes } from '../accounts/authRoutes.ts';
import { instanceRoutes } from '../accounts/instanceRoutes.ts';
import { tokenRoutes } from '../accounts/tokenRoutes.ts';
import type { App, RouteModule } from '../http/app.ts';
import { invitationRoutes } from '../workspaces/invitationRoutes.ts';
import { memberRoutes } from '../workspaces/memberRoutes.ts';
import { workspaceRoutes } from '../workspaces/workspaceRoutes.ts';

/**
 * HTTP test helpers for every domain (contract). They drive the real routes, so the app must be
 * built with the account and workspace route modules: `buildApp(ctx, { routes: routeModules })`,
 * or a lean app `buildApp(ctx, { routes: [...accountRouteModules, myRoutes] })`.
 */

/** The route modules of accounts and workspaces (the ones these helpers call). */
export const accountRouteModules: RouteModule[] = [authRoutes, tokenRoutes, instanceRoutes, workspaceRoutes, memberRoutes, invitationRoutes];

export type TestAuth = {
  userId: string;
  email: string;
  password: string;
  /** `perennial_session=...`, for the `cookie` header. */
  cookie: string;
  csrfToken: string;
  /** Ready for `app.inject` reads and writes: the cookie and the CSRF header. */
  headers: { cookie: string; 'x-csrf-token': string };
};

export const TEST_PASSWORD = 'Correct horse battery 42';

type Injectable = Pick<App, 'inject'>;

/**
 * Signs up a new user (the first one becomes instance owner) and returns their session.
 * Sign-up is by invitation after the first user, so the first call also opens sign-up on the
 * instance: later calls (other users, for isolation tests) can then sign up directly.
 */
export async function signUpAndSignIn(app: Injectable, options: { email?: string; name?: string } = {}): Promise<TestAuth> {
  const email = options.email ?? `user-${randomBytes(5).toString('hex')}@example.test`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { email, password: TEST_PASSWORD, name: options.name ?? email.split('@')[0] },
  });
  if (res.statusCode !== 201) throw new Error(`sign-up of ${email} failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { user: { id: string; isInstanceOwner: boolean }; csrfToken: string };
  const setCookie = res.headers['set-cookie'];
  const cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0] ?? '';
  const auth: TestAuth = {
    userId: body.user.id,
    email,
    password: TEST_PASSWORD,
    cookie,
    csrfToken: body.csrfToken,
    headers: { cookie, 'x-csrf-token': body.csrfToken },
  };
  if (body.user.isInstanceOwner) {
    const open = await app.inject({ method: 'PATCH', url: '/api/instance/settings', headers: auth.headers, payload: { openSignUp: true } });
    if (open.statusCode !== 200) throw new Error(`opening sign-up failed: ${open.statusCode} ${open.body}`);
  }
  return auth;
}

/** Creates a workspace owned by `auth`'s user and returns its id. */
export async function createWorkspace(app: Injectable, auth: Pick<TestAuth, 'headers'>, name: string, timeZone = 'UTC'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/workspaces', headers: auth.headers, payload: { name, timeZone } });
  if (res.statusCode !== 201) throw new Error(`creating workspace ${name} failed: ${res.statusCode} ${res.body}`);
  return (res.json() as { id: string }).id;
}
