import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { findUserByApiToken } from './apiTokensRepo.ts';
import { readSessionCookie } from './sessionCookie.ts';
import { deleteSession, findSessionByToken, type Session } from './sessionsRepo.ts';
import { safeEqual } from './secretTokens.ts';
import type { AuthUser } from './usersRepo.ts';

export type { AuthUser };

/** How a request proved who it is: a session cookie (with its CSRF token) or a personal API token. */
export type Authentication = { user: AuthUser; via: 'session'; session: Session } | { user: AuthUser; via: 'api_token' };

export const CSRF_HEADER = 'x-csrf-token';

/** OpenAPI `security` for routes that call requireUser: the session cookie or a personal API token. */
export const AUTHENTICATED: { [scheme: string]: string[] }[] = [{ session: [] }, { bearer: [] }];

/** Methods that never change anything, so they need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One lookup per request, however many times a route asks. */
const cache = new WeakMap<FastifyRequest, Promise<Authentication>>();

/**
 * Contract (all routes): the signed-in user, from `Authorization: Bearer <personal API token>`
 * or the `perennial_session` cookie. Throws AppError `unauthenticated` (no or unknown
 * credentials), `session_expired` (the session outlived SESSION_TTL_HOURS), or `csrf_failed`
 * (a cookie-authenticated write without the session's `x-csrf-token`).
 */
export async function requireUser(ctx: AppContext, request: FastifyRequest): Promise<AuthUser> {
  return (await authenticate(ctx, request)).user;
}

export function authenticate(ctx: AppContext, request: FastifyRequest): Promise<Authentication> {
  let pending = cache.get(request);
  if (!pending) {
    pending = resolveAuthentication(ctx, request);
    cache.set(request, pending);
  }
  return pending;
}

async function resolveAuthentication(ctx: AppContext, request: FastifyRequest): Promise<Authentication> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const user = match?.[1] ? await findUserByApiToken(ctx.db, match[1], ctx.clock.now()) : undefined;
    if (!user) throw new AppError('unauthenticated', 'The API token is invalid or has been revoked');
    return { user, via: 'api_token' };
  }

  const token = readSessionCookie(request);
  if (!token) throw new AppError('unauthenticated', 'Sign in first');
  const found = await findSessionByToken(ctx.db, token);
  if (!found) throw new AppError('unauthenticated', 'The session has ended; sign in again');
  if (found.session.expiresAt.getTime() <= ctx.clock.nowMs()) {
    await deleteSession(ctx.db, found.session.id);
    throw new AppError('session_expired', 'The session has expired; sign in again');
  }
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, found.session.csrfToken)) {
      throw new AppError('csrf_failed', `Missing or wrong ${CSRF_HEADER} header (GET /api/session returns the token)`);
    }
  }
  return { user: found.user, via: 'session', session: found.session };
}
