/**
 * The Pinterest adapter (API v5, ../shared/platforms.md §7). The token endpoint requires HTTP
 * Basic client authentication. Continuous refresh: every refresh returns a new refresh token
 * (60 days, renewed each time), which must replace the stored one.
 */
import { buildAuthorizationUrl } from '../oauth2Client.ts';
import { postForm } from '../oauthHelpers.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type StoredCredential, type VerifyResult } from '../types.ts';
import { classifyPinterestError } from './classifyPinterestError.ts';
import { pinterestClient, pinterestJson, pinterestRequest } from './pinterestApi.ts';
import { pinterestFacts, pinterestOptions, pinterestPaths } from './pinterestFacts.ts';
import { parsePinterestTokens } from './pinterestTokens.ts';
import { findRecentPin, publishPin } from './publishPin.ts';

async function postToken(ctx: ProviderContext, params: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await postForm(ctx.http, `${ctx.hosts.api}${pinterestPaths.token}`, params, { method: 'basic', ...pinterestClient(ctx) });
  return pinterestJson(ctx, response);
}

/** The user account, with its boards as non-secret meta (the first one is the default board). */
async function fetchAccount(ctx: ProviderContext, accessToken: string): Promise<AccountChoice> {
  const user = await pinterestRequest(ctx, 'GET', pinterestPaths.userAccount, accessToken);
  const username = typeof user.username === 'string' && user.username ? user.username : undefined;
  const id = typeof user.id === 'string' && user.id ? user.id : username;
  if (!id) throw new ProviderError('transient', 'malformed_response', 'Pinterest user_account has neither id nor username');
  const page = await pinterestRequest(ctx, 'GET', `${pinterestPaths.boards}?page_size=100`, accessToken);
  const boards = (Array.isArray(page.items) ? (page.items as Record<string, unknown>[]) : [])
    .filter((b) => typeof b.id === 'string')
    .map((b) => ({ id: b.id as string, name: typeof b.name === 'string' ? b.name : (b.id as string) }));
  return {
    platformAccountId: id,
    kind: 'profile',
    displayName: typeof user.business_name === 'string' && user.business_name ? user.business_name : (username ?? id),
    ...(username ? { handle: username } : {}),
    ...(typeof user.profile_image === 'string' ? { avatarUrl: user.profile_image } : {}),
    meta: { boards, ...(boards[0] ? { defaultBoardId: boards[0].id } : {}) },
  };
}

async function verify(ctx: ProviderContext, credential: StoredCredential): Promise<VerifyResult> {
  try {
    const user = await pinterestRequest(ctx, 'GET', pinterestPaths.userAccount, credential.accessToken);
    const id = typeof user.id === 'string' && user.id ? user.id : user.username;
    return id === credential.platformAccountId ? { valid: true } : { valid: false, reason: 'account_changed' };
  } catch (err) {
    if (err instanceof ProviderError && (err.errorClass === 'refresh_needed' || err.errorClass === 'reconnect_needed')) return { valid: false, reason: err.reason };
    throw err;
  }
}

export const provider: Provider = {
  facts: pinterestFacts,

  authorizationUrl(ctx, input) {
    return buildAuthorizationUrl(`${ctx.hosts.www}${pinterestPaths.authorize}`, {
      clientId: pinterestClient(ctx).clientId,
      redirectUri: ctx.redirectUri,
      state: input.state,
      scopes: input.scopes ?? pinterestFacts.defaultScopes,
      scopeSeparator: pinterestFacts.scopeSeparator,
    });
  },

  async exchangeCode(ctx, input) {
    const body = await postToken(ctx, {
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: ctx.redirectUri,
      ...(pinterestOptions.requestContinuousRefresh ? { continuous_refresh: 'true' } : {}),
    });
    const tokens = parsePinterestTokens(body, ctx.clock.now());
    return { tokens, accounts: [await fetchAccount(ctx, tokens.accessToken)] };
  },

  async refresh(ctx, credential) {
    if (!credential.refreshToken) throw new ProviderError('reconnect_needed', 'no_refresh_token', 'No Pinterest refresh token is stored');
    return parsePinterestTokens(await postToken(ctx, { grant_type: 'refresh_token', refresh_token: credential.refreshToken }), ctx.clock.now());
  },

  verify,
  publish: (ctx, credential, post) => publishPin(ctx, credential, post),
  findRecentPost: (ctx, credential, post) => findRecentPin(ctx, credential, post),
  classifyError: classifyPinterestError,
};
