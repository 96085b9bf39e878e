import { fastifyCookie } from '@fastify/cookie';
import { z } from 'zod';
import type { RouteModule } from '../http/app.ts';
import { PASSWORD_MAX_LENGTH } from './passwordPolicy.ts';
import { authenticate, AUTHENTICATED } from './authenticate.ts';
import { clearSessionCookie, setSessionCookie } from './sessionCookie.ts';
import { deleteSession } from './sessionsRepo.ts';
import { signIn } from './signIn.ts';
import { signUp } from './signUp.ts';

export const userSchema = z.object({ id: z.uuid(), email: z.string(), name: z.string(), isInstanceOwner: z.boolean() });

/** Surrounding spaces (pasted addresses) are trimmed before the format check. */
export const emailSchema = z.string().trim().max(254).pipe(z.email());
const passwordSchema = z.string().min(1).max(PASSWORD_MAX_LENGTH);

/** What sign-up and sign-in answer; the session id itself travels only in the HttpOnly cookie. */
const signedInSchema = z.object({ user: userSchema, csrfToken: z.string(), expiresAt: z.date() });

/**
 * POST /api/auth/signup, /signin, /signout and GET /api/session. Registers @fastify/cookie,
 * whose parse/serialize functions (src/accounts/sessionCookie.ts) are ready once it is loaded.
 */
export const authRoutes: RouteModule = async (app, ctx) => {
  await app.register(fastifyCookie);
  app.post(
    '/api/auth/signup',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account (the first user, an invited person, or anyone when sign-up is open) and sign in',
        body: z.strictObject({
          email: emailSchema,
          password: passwordSchema,
          name: z.string().trim().min(1).max(100).optional(),
          invitationToken: z.string().min(1).max(200).optional(),
        }),
        response: { 201: signedInSchema },
      },
    },
    async (request, reply) => {
      const { user, token, session } = await signUp(ctx, request.body);
      setSessionCookie(reply, ctx.config, token, session.expiresAt);
      return reply.status(201).send({ user, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
    },
  );

  app.post(
    '/api/auth/signin',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password (sets the session cookie)',
        body: z.strictObject({ email: emailSchema, password: passwordSchema }),
        response: { 200: signedInSchema },
      },
    },
    async (request, reply) => {
      const { user, token, session } = await signIn(ctx, { ...request.body, ip: request.ip });
      setSessionCookie(reply, ctx.config, token, session.expiresAt);
      return { user, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    },
  );

  app.post(
    '/api/auth/signout',
    { schema: { tags: ['auth'], summary: 'End the current session', security: AUTHENTICATED, response: { 204: z.null() } } },
    async (request, reply) => {
      const auth = await authenticate(ctx, request);
      if (auth.via === 'session') await deleteSession(ctx.db, auth.session.id);
      clearSessionCookie(reply, ctx.config);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who is signed in, and the CSRF token for cookie-authenticated writes',
        security: AUTHENTICATED,
        response: {
          200: z.object({
            user: userSchema,
            via: z.enum(['session', 'api_token']),
            csrfToken: z.string().nullable(),
            expiresAt: z.date().nullable(),
          }),
        },
      },
    },
    async (request) => {
      const auth = await authenticate(ctx, request);
      return auth.via === 'session'
        ? { user: auth.user, via: auth.via, csrfToken: auth.session.csrfToken, expiresAt: auth.session.expiresAt }
        : { user: auth.user, via: auth.via, csrfToken: null, expiresAt: null };
    },
  );
};
