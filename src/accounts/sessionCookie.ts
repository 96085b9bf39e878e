import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';

export const SESSION_COOKIE = 'perennial_session';

/**
 * The session cookie: HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries
 * it), Secure when the instance is served over https (SECURE_COOKIES). Parsed and written with
 * @fastify/cookie's functions, so it works whatever plugins the app registered.
 */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const value = fastifyCookie.parse(header)[SESSION_COOKIE];
  return value || undefined;
}

export function setSessionCookie(reply: FastifyReply, config: Config, token: string, expiresAt: Date): void {
  reply.header(
    'set-cookie',
    fastifyCookie.serialize(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      path: '/',
      expires: expiresAt,
    }),
  );
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.header(
    'set-cookie',
    fastifyCookie.serialize(SESSION_COOKIE, '', {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      path: '/',
      maxAge: 0,
    }),
  );
}
