import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppContext } from '../context.ts';
import { AppError } from './errors.ts';
import { guardWorkspaceRoute } from '../workspaces/workspaceGuard.ts';
import { registerHealthRoutes } from './health.ts';

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** A route module: registers its endpoints on the app with what it needs from the context. */
export type RouteModule = (app: App, ctx: AppContext) => void | Promise<void>;

export type BuildAppOptions = {
  /** Route modules of the domains, registered after the common plugins. */
  routes?: RouteModule[];
  bodyLimit?: number;
};

/** A route as registered (every method of it), for tests that must cover every route. */
export type RegisteredRoute = { method: string; url: string; hasBody: boolean; config: unknown };

const registered = new WeakMap<object, RegisteredRoute[]>();

/** Every route the app registered, in order (HEAD routes Fastify adds for GET included). */
export function listRoutes(app: App): readonly RegisteredRoute[] {
  return registered.get(app) ?? [];
}

/**
 * The app factory, kept apart from `listen()` so tests drive it with `app.inject`.
 */
export async function buildApp(ctx: AppContext, options: BuildAppOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    // Only configured proxies may set the client address (login rate limits key on it).
    trustProxy: ctx.config.trustProxy.length > 0 ? [...ctx.config.trustProxy] : false,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();

  const routes: RegisteredRoute[] = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, hasBody: Boolean((route.schema as { body?: unknown } | undefined)?.body), config: route.config });
    }
  });
  // Every route with a :workspaceId answers 404 to a non-member before its body is read (workspaceGuard.ts).
  app.addHook('onRequest', async (request) => guardWorkspaceRoute(ctx, request));
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Perennial API', version: '1', description: 'Connect once, post forever.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A personal API token' },
          session: { type: 'apiKey', in: 'cookie', name: 'perennial_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    const body = toErrorBody(err);
    if (body.status >= 500) request.log.error({ err }, 'request failed');
    if (body.retryAfter !== undefined) reply.header('retry-after', String(body.retryAfter));
    return reply.status(body.status).send({ error: body.error });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  registerHealthRoutes(app, ctx);
  for (const register of options.routes ?? []) await register(app, ctx);
  return app;
}

type ErrorReply = {
  status: number;
  retryAfter?: number;
  error: { code: string; message: string; details?: unknown };
};

function toErrorBody(err: FastifyError | AppError | Error): ErrorReply {
  if (err instanceof AppError) {
    return { status: err.status, retryAfter: err.retryAfter, error: err.toBody().error };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    return {
      status: 400,
      error: {
        code: 'validation_failed',
        message: `Invalid ${err.validationContext ?? 'request'}: ${err.validation.map((v) => `${v.instancePath || '/'} ${v.message}`).join('; ')}`,
        details: err.validation.map((v) => ({ path: v.instancePath, message: v.message, keyword: v.keyword })),
      },
    };
  }
  if (isResponseSerializationError(err)) {
    return { status: 500, error: { code: 'internal', message: 'Internal error' } };
  }
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: { code: 'invalid_json', message: 'The request body is not valid JSON' } };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, error: { code: 'payload_too_large', message: 'The request body is too large' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: { code: 'unsupported_media_type', message: 'Unsupported content type' } };
    case 'FST_ERR_RATE_LIMITED':
      return { status: 429, error: { code: 'rate_limited', message: 'Too many requests' } };
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return { status: 400, error: { code: 'invalid_json', message: 'The request body is not valid JSON' } };
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, error: { code: 'bad_request', message: fe.message } };
  }
  return { status: 500, error: { code: 'internal', message: 'Internal error' } };
}
