import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import { getProvider } from '../providers/registry.ts';
import type { AccountChoice, PlatformId, Provider, TokenSet } from '../providers/types.ts';
import { recordAccess } from './accessLog.ts';
import { getWorkspaceConnection, type ConnectionRow } from './connectionsRepo.ts';
import { consumeOAuthState, decryptCodeVerifier, type OAuthStateRow } from './oauthStatesRepo.ts';
import { createPendingSelection } from './pendingSelections.ts';
import { instanceProviderContext } from './platformApps.ts';
import { connectFailure } from './providerFailure.ts';
import { storeGrant } from './storeGrant.ts';

export type CallbackQuery = { state?: string; code?: string; error?: string; error_description?: string };

export type CallbackResult =
  | { result: 'connected' | 'reconnected'; connection: ConnectionRow }
  | { result: 'select_account'; selectionId: string; workspaceId: string; accounts: { platformAccountId: string; kind: string; displayName: string; handle?: string }[] };

async function logFailure(ctx: AppContext, state: OAuthStateRow, userId: string, reason: string, app: string | null): Promise<void> {
  await recordAccess(ctx.db, {
    workspaceId: state.workspaceId,
    connectionId: state.connectionId,
    actorUserId: userId,
    action: 'connect_failed',
    platform: state.platform,
    app,
    scopes: [],
    detail: { reason },
    at: ctx.clock.now(),
  });
}

/**
 * Step 2: the platform redirected back. The state must exist, be unused, unexpired, for this
 * platform and this user. Then the code is exchanged, the account identified, and the grant
 * stored (or parked for the user to pick a Page / organization). Any failure leaves no
 * connection behind and, once the state is known, an access-log entry.
 */
export async function completeAuthorization(ctx: AppContext, input: { userId: string; platform: string; query: CallbackQuery }): Promise<CallbackResult> {
  const provider = getProvider(input.platform);
  const platform: PlatformId = provider.facts.id;
  const { query } = input;
  if (!query.state) throw new AppError('invalid_state', 'The callback carries no state; start connecting again');
  const now = ctx.clock.now();
  const consumed = await consumeOAuthState(ctx.db, { state: query.state, userId: input.userId, platform, now });
  if (!('row' in consumed)) {
    throw new AppError('invalid_state', 'This authorization was not started here (unknown state); start connecting again');
  }
  const state = consumed.row;
  if (consumed.outcome === 'reused') {
    await logFailure(ctx, state, input.userId, 'state_reused', null);
    throw new AppError('invalid_state', 'This authorization link was already used; start connecting again');
  }
  if (state.expiresAt.getTime() <= now.getTime()) {
    await logFailure(ctx, state, input.userId, 'state_expired', null);
    throw new AppError('invalid_state', 'This authorization took too long and expired; start connecting again');
  }
  if (query.error) {
    await logFailure(ctx, state, input.userId, `platform_error:${query.error.slice(0, 60)}`, null);
    const denied = query.error === 'access_denied' || query.error === 'user_denied';
    throw new AppError(denied ? 'oauth_denied' : 'oauth_failed', denied
      ? `You did not allow Perennial on ${provider.facts.displayName}`
      : `${provider.facts.displayName} reported an error (${query.error.slice(0, 60)})`);
  }
  if (!query.code) {
    await logFailure(ctx, state, input.userId, 'no_code', null);
    throw new AppError('oauth_failed', `${provider.facts.displayName} sent no authorization code; start connecting again`);
  }

  const instance = state.instanceUrl ? new URL(state.instanceUrl) : undefined;
  let exchanged: { tokens: TokenSet; accounts: AccountChoice[] };
  let app: string | null = null;
  try {
    const pctx = await instanceProviderContext(ctx, platform, instance);
    app = pctx.client?.clientId ?? null;
    exchanged = await provider.exchangeCode(pctx, { code: query.code, codeVerifier: decryptCodeVerifier(ctx, state) });
  } catch (err) {
    const failure = connectFailure(err, provider.facts.displayName);
    await logFailure(ctx, state, input.userId, (failure.details as { reason?: string } | undefined)?.reason ?? failure.code, app);
    throw failure;
  }
  return finishGrant(ctx, { provider, state, userId: input.userId, exchanged, app, instanceUrl: state.instanceUrl });
}

/** Stores the single account, picks the reconnect's account, or parks a choice for the user. */
export async function finishGrant(
  ctx: AppContext,
  input: { provider: Provider; state: Pick<OAuthStateRow, 'workspaceId' | 'connectionId' | 'platform'>; userId: string; exchanged: { tokens: TokenSet; accounts: AccountChoice[] }; app: string | null; instanceUrl: string | null },
): Promise<CallbackResult> {
  const { provider, state, exchanged } = input;
  let accounts = exchanged.accounts;
  if (accounts.length === 0) throw new AppError('oauth_failed', `${provider.facts.displayName} gave access to no account we can post to`);
  if (state.connectionId && accounts.length > 1) {
    const connection = await getWorkspaceConnection(ctx.db, state.workspaceId, state.connectionId);
    const match = accounts.find((a) => a.platformAccountId === connection.platformAccountId);
    accounts = match ? [match] : [accounts[0]!];
  }
  const meta = input.instanceUrl ? { instanceUrl: input.instanceUrl } : undefined;
  if (accounts.length > 1) {
    const selection = await createPendingSelection(ctx, { userId: input.userId, workspaceId: state.workspaceId, platform: provider.facts.id, connectionId: null, app: input.app, meta, exchanged });
    return { result: 'select_account', selectionId: selection.id, workspaceId: state.workspaceId, accounts: selection.accounts };
  }
  const stored = await ctx.db.transaction((tx) =>
    storeGrant(ctx, tx, {
      userId: input.userId,
      workspaceId: state.workspaceId,
      facts: provider.facts,
      account: accounts[0]!,
      tokens: exchanged.tokens,
      connectionId: state.connectionId,
      appClientId: input.app,
      meta,
    }),
  ).catch(async (err: unknown) => {
    if (err instanceof AppError && err.code === 'account_mismatch') {
      await recordAccess(ctx.db, {
        workspaceId: state.workspaceId, connectionId: state.connectionId, actorUserId: input.userId, action: 'connect_failed',
        platform: state.platform, app: input.app, scopes: [], detail: { reason: 'account_mismatch' }, at: ctx.clock.now(),
      });
    }
    throw err;
  });
  return { result: stored.created ? 'connected' : 'reconnected', connection: stored.connection };
}
