import type { FastifyRequest } from 'fastify';
import { requireUser } from '../accounts/authenticate.ts';
import type { AppContext } from '../context.ts';
import { notFound } from '../http/errors.ts';
import { findMembership } from './membership.ts';

/** The path parameter every workspace route names its workspace with. */
export const WORKSPACE_PARAM = 'workspaceId';

/**
 * Fails closed for every route with a `:workspaceId` parameter, whoever wrote it: before the body
 * is read or validated, the caller must be signed in (401) and a member of that workspace;
 * otherwise the answer is the same 404 as for a workspace that does not exist, so nothing
 * about another workspace (not even whether a body would have been valid) leaks.
 * The route's own `requireWorkspaceRole` then checks the role and the archived state.
 * Registered by `buildApp` as an onRequest hook (it runs before parsing).
 */
export async function guardWorkspaceRoute(ctx: AppContext, request: FastifyRequest): Promise<void> {
  const params = request.params as Record<string, string | undefined> | undefined;
  const workspaceId = params?.[WORKSPACE_PARAM];
  if (workspaceId === undefined) return;
  const user = await requireUser(ctx, request);
  if (!(await findMembership(ctx.db, user.id, workspaceId))) throw notFound('workspace');
}
