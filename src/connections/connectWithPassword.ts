import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { getProvider, isSandboxed, parseInstanceUrl, providerContext } from '../providers/registry.ts';
import { recordAccess } from './accessLog.ts';
import { finishGrant, type CallbackResult } from './completeAuthorization.ts';
import { getWorkspaceConnection } from './connectionsRepo.ts';
import { connectFailure } from './providerFailure.ts';

/**
 * Connect (or reconnect) a password-style platform (Bluesky app passwords): the session is
 * created directly; the password is used once and never stored or logged.
 */
export async function connectWithPassword(
  ctx: AppContext,
  input: { userId: string; workspaceId: string; platform: string; identifier: string; password: string; instanceUrl?: string; connectionId?: string },
): Promise<CallbackResult> {
  const provider = getProvider(input.platform);
  const platform = provider.facts.id;
  if (!provider.connectWithPassword) throw new AppError('bad_request', `${provider.facts.displayName} connects through its consent page, not a password`);
  let instanceUrl = input.instanceUrl;
  if (input.connectionId) {
    const connection = await getWorkspaceConnection(ctx.db, input.workspaceId, input.connectionId);
    if (connection.platform !== platform) throw new AppError('bad_request', `This connection is on ${connection.platform}, not ${platform}`);
    instanceUrl ??= typeof connection.meta.instanceUrl === 'string' ? connection.meta.instanceUrl : undefined;
  }
  const instance = instanceUrl ? parseInstanceUrl(instanceUrl, { sandbox: isSandboxed(ctx.config, platform) }) : undefined;
  const pctx = providerContext(ctx, platform, { instanceUrl: instance });
  let exchanged;
  try {
    exchanged = await provider.connectWithPassword(pctx, { identifier: input.identifier, password: input.password });
  } catch (err) {
    const failure = connectFailure(err, provider.facts.displayName);
    await recordAccess(ctx.db, {
      workspaceId: input.workspaceId, connectionId: input.connectionId ?? null, actorUserId: input.userId, action: 'connect_failed',
      platform, app: null, scopes: [], detail: { reason: (failure.details as { reason?: string } | undefined)?.reason ?? failure.code }, at: ctx.clock.now(),
    });
    throw failure;
  }
  return finishGrant(ctx, {
    provider,
    state: { workspaceId: input.workspaceId, connectionId: input.connectionId ?? null, platform },
    userId: input.userId,
    exchanged,
    app: null,
    instanceUrl: instance?.origin ?? null,
  });
}
