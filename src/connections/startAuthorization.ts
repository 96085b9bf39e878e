import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { getProvider, isSandboxed, parseInstanceUrl } from '../providers/registry.ts';
import { createPkcePair } from '../providers/oauthHelpers.ts';
import type { PlatformId } from '../providers/types.ts';
import { getWorkspaceConnection } from './connectionsRepo.ts';
import { createOAuthState } from './oauthStatesRepo.ts';
import { instanceProviderContext } from './platformApps.ts';
import { connectFailure } from './providerFailure.ts';

/**
 * Step 1 of connect and reconnect: the platform's consent URL with a one-time, expiring state
 * bound to the user and workspace (and the connection, for a reconnect), and PKCE where the
 * platform supports it.
 */
export async function startAuthorization(
  ctx: AppContext,
  input: { userId: string; workspaceId: string; platform: string; instanceUrl?: string; connectionId?: string },
): Promise<{ authorizationUrl: string; expiresAt: Date }> {
  const provider = getProvider(input.platform);
  const platform: PlatformId = provider.facts.id;
  if (provider.facts.connectMethod !== 'oauth2') {
    throw new AppError('bad_request', `${provider.facts.displayName} connects with an app password, not a redirect (POST .../connections/password)`);
  }
  let instanceUrl = input.instanceUrl;
  if (input.connectionId) {
    const connection = await getWorkspaceConnection(ctx.db, input.workspaceId, input.connectionId);
    if (connection.platform !== platform) throw new AppError('bad_request', `This connection is on ${connection.platform}, not ${platform}`);
    if (connection.disconnectedAt) throw new AppError('conflict', 'This connection was disconnected; connect the account again instead');
    instanceUrl = typeof connection.meta.instanceUrl === 'string' ? connection.meta.instanceUrl : instanceUrl;
  }
  if (provider.facts.instanceUrl === 'required' && !instanceUrl) {
    throw new AppError('invalid_url', `${provider.facts.displayName} needs the address of your server (instanceUrl)`);
  }
  const instance = instanceUrl ? parseInstanceUrl(instanceUrl, { sandbox: isSandboxed(ctx.config, platform) }) : undefined;
  let pctx;
  try {
    pctx = await instanceProviderContext(ctx, platform, instance);
  } catch (err) {
    throw connectFailure(err, provider.facts.displayName);
  }
  const pkce = provider.facts.pkce ? createPkcePair() : null;
  const { state, expiresAt } = await createOAuthState(ctx, ctx.db, {
    userId: input.userId,
    workspaceId: input.workspaceId,
    platform,
    connectionId: input.connectionId ?? null,
    instanceUrl: instance?.origin ?? null,
    codeVerifier: pkce?.codeVerifier ?? null,
  });
  const url = provider.authorizationUrl(pctx, { state, codeChallenge: pkce?.codeChallenge });
  return { authorizationUrl: url.toString(), expiresAt };
}
