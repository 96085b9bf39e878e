import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { RouteModule } from '../http/app.ts';
import { requireWorkspaceRole } from '../workspaces/membership.ts';
import type { CallbackResult } from './completeAuthorization.ts';
import { connectWithPassword } from './connectWithPassword.ts';
import { getWorkspaceConnection, listWorkspaceConnections, toPublicConnection } from './connectionsRepo.ts';
import { disconnectConnection } from './disconnectConnection.ts';
import { getPendingSelection, selectAccount } from './pendingSelections.ts';
// Registers the due queue that erases expired authorizations (every process loads the routes).
import './sweepExpiredAuthorizations.ts';
import { startAuthorization } from './startAuthorization.ts';

/**
 * Connections of a workspace: list and read (viewer), connect / reconnect / pick an account
 * (editor), disconnect (admin). Responses never carry a token.
 */
export const connectionSchema = z.object({
  id: z.uuid(),
  workspaceId: z.uuid(),
  platform: z.string(),
  platformAccountId: z.string(),
  displayName: z.string(),
  handle: z.string().nullable(),
  kind: z.string(),
  state: z.enum(['active', 'degraded', 'needs_reconnect', 'disconnected']),
  stateReason: z.string().nullable(),
  stateChangedAt: z.string(),
  accessExpiresAt: z.string().nullable(),
  refreshExpiresAt: z.string().nullable(),
  dataAccessExpiresAt: z.string().nullable(),
  hardEndAt: z.string().nullable(),
  scopes: z.array(z.string()),
  lastRefreshedAt: z.string().nullable(),
  lastVerifiedAt: z.string().nullable(),
  connectedBy: z.uuid().nullable(),
  connectedAt: z.string(),
  disconnectedAt: z.string().nullable(),
  hasRefreshToken: z.boolean(),
  meta: z.record(z.string(), z.unknown()),
});

export const connectResultSchema = z.union([
  z.object({ result: z.enum(['connected', 'reconnected']), connection: connectionSchema }),
  z.object({
    result: z.literal('select_account'),
    selectionId: z.uuid(),
    workspaceId: z.uuid(),
    accounts: z.array(z.object({ platformAccountId: z.string(), kind: z.string(), displayName: z.string(), handle: z.string().optional() })),
  }),
]);

const selectionSchema = z.object({
  selectionId: z.uuid(),
  workspaceId: z.uuid(),
  platform: z.string(),
  accounts: z.array(z.object({ platformAccountId: z.string(), kind: z.string(), displayName: z.string(), handle: z.string().optional() })),
  expiresAt: z.string(),
});

export function publicResult(result: CallbackResult): z.infer<typeof connectResultSchema> {
  return result.result === 'select_account' ? result : { result: result.result, connection: toPublicConnection(result.connection) };
}

const workspaceParams = z.object({ workspaceId: z.string() });
const connectionParams = z.object({ workspaceId: z.string(), connectionId: z.string() });
const authorizeResponse = z.object({ authorizationUrl: z.string(), expiresAt: z.string() });
const tags = ['connections'];

export const connectionRoutes: RouteModule = (app, ctx) => {
  const access = async (request: Parameters<typeof requireUser>[1], workspaceId: string, role: 'viewer' | 'editor' | 'admin') => {
    const user = await requireUser(ctx, request);
    await requireWorkspaceRole(ctx.db, user, workspaceId, role);
    return user;
  };

  app.get(
    '/api/workspaces/:workspaceId/connections',
    {
      schema: {
        tags,
        summary: 'Connections of the workspace (disconnected ones with ?includeDisconnected=true)',
        params: workspaceParams,
        querystring: z.object({ includeDisconnected: z.enum(['true', 'false']).optional() }),
        response: { 200: z.object({ connections: z.array(connectionSchema) }) },
      },
    },
    async (request) => {
      await access(request, request.params.workspaceId, 'viewer');
      const rows = await listWorkspaceConnections(ctx.db, request.params.workspaceId, { includeDisconnected: request.query.includeDisconnected === 'true' });
      return { connections: rows.map(toPublicConnection) };
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/connections/:connectionId',
    { schema: { tags, summary: 'One connection', params: connectionParams, response: { 200: connectionSchema } } },
    async (request) => {
      await access(request, request.params.workspaceId, 'viewer');
      return toPublicConnection(await getWorkspaceConnection(ctx.db, request.params.workspaceId, request.params.connectionId));
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/connections/authorize',
    {
      schema: {
        tags,
        summary: "Start connecting (or, with connectionId, reconnecting): returns the platform's consent URL",
        params: workspaceParams,
        body: z.strictObject({ platform: z.string().min(1).max(40), instanceUrl: z.string().max(300).optional(), connectionId: z.string().optional() }),
        response: { 200: authorizeResponse },
      },
    },
    async (request) => {
      const user = await access(request, request.params.workspaceId, 'editor');
      const started = await startAuthorization(ctx, { userId: user.id, workspaceId: request.params.workspaceId, ...request.body });
      return { authorizationUrl: started.authorizationUrl, expiresAt: started.expiresAt.toISOString() };
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/connections/:connectionId/reconnect',
    {
      schema: { tags, summary: 'Start reconnecting this connection (same id, history and posts)', params: connectionParams, response: { 200: authorizeResponse } },
    },
    async (request) => {
      const user = await access(request, request.params.workspaceId, 'editor');
      const connection = await getWorkspaceConnection(ctx.db, request.params.workspaceId, request.params.connectionId);
      const started = await startAuthorization(ctx, { userId: user.id, workspaceId: connection.workspaceId, platform: connection.platform, connectionId: connection.id });
      return { authorizationUrl: started.authorizationUrl, expiresAt: started.expiresAt.toISOString() };
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/connections/password',
    {
      schema: {
        tags,
        summary: 'Connect (or reconnect) with an app password (Bluesky); the password is not stored',
        params: workspaceParams,
        body: z.strictObject({
          platform: z.string().min(1).max(40),
          identifier: z.string().trim().min(1).max(300),
          password: z.string().min(1).max(300),
          instanceUrl: z.string().max(300).optional(),
          connectionId: z.string().optional(),
        }),
        response: { 200: connectResultSchema },
      },
    },
    async (request) => {
      const user = await access(request, request.params.workspaceId, 'editor');
      return publicResult(await connectWithPassword(ctx, { userId: user.id, workspaceId: request.params.workspaceId, ...request.body }));
    },
  );

  app.get(
    '/api/workspaces/:workspaceId/connections/selections/:selectionId',
    {
      schema: {
        tags,
        summary: 'The accounts (Pages, organizations) a finished authorization offers, for the picker; never tokens',
        params: z.object({ workspaceId: z.string(), selectionId: z.string() }),
        response: { 200: selectionSchema },
      },
    },
    async (request) => {
      const user = await access(request, request.params.workspaceId, 'editor');
      const selection = await getPendingSelection(ctx.db, { userId: user.id, ...request.params, now: ctx.clock.now() });
      return { ...selection, expiresAt: selection.expiresAt.toISOString() };
    },
  );

  app.post(
    '/api/workspaces/:workspaceId/connections/select',
    {
      schema: {
        tags,
        summary: 'Pick the account (Page, organization) of a finished authorization',
        params: workspaceParams,
        body: z.strictObject({ selectionId: z.uuid(), platformAccountId: z.string().min(1) }),
        response: { 200: connectResultSchema },
      },
    },
    async (request) => {
      const user = await access(request, request.params.workspaceId, 'editor');
      const stored = await selectAccount(ctx, { userId: user.id, workspaceId: request.params.workspaceId, ...request.body });
      return publicResult({ result: stored.created ? 'connected' : 'reconnected', connection: stored.connection });
    },
  );

  app.delete(
    '/api/workspaces/:workspaceId/connections/:connectionId',
    {
      schema: {
        tags,
        summary: 'Disconnect: revoke at the platform where possible, erase the tokens, keep history and posts',
        params: connectionParams,
        response: {
          200: z.object({
            connection: connectionSchema,
            revokedAtPlatform: z.boolean(),
            /** shared_grant: other live connections hold the same platform authorization, so it was not revoked. */
            revocation: z.enum(['revoked', 'shared_grant', 'failed', 'not_supported', 'no_token']),
          }),
        },
      },
    },
    async (request) => {
      const user = await access(request, request.params.workspaceId, 'admin');
      const done = await disconnectConnection(ctx, { userId: user.id, ...request.params });
      return { connection: toPublicConnection(done.connection), revokedAtPlatform: done.revokedAtPlatform, revocation: done.revocation };
    },
  );
};
