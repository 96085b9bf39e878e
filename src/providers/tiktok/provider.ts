/**
 * The TikTok adapter (../shared/platforms.md §5, Login Kit v2). The app is identified by
 * `client_key` (not client_id), and key and secret travel in the form body. Refresh tokens
 * rotate: the previous one dies once a new one is issued, so the new one must be stored first.
 */
import { postForm } from '../oauthHelpers.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type StoredCredential, type VerifyResult } from '../types.ts';
import { classifyTikTokError } from './classifyTikTokError.ts';
import { tiktokApiGet, tiktokClient, tiktokJson } from './tiktokApi.ts';
import { tiktokFacts, tiktokPaths } from './tiktokFacts.ts';
import { parseTikTokTokens } from './tiktokTokens.ts';
import { findRecentTikTokPost, publishTikTokPost } from './publishTikTokPost.ts';

const USER_FIELDS = 'open_id,union_id,avatar_url,display_name,username';

async function postOAuth(ctx: ProviderContext, path: string, params: Record<string, string>): Promise<Record<string, unknown>> {
  const { clientKey, clientSecret } = tiktokClient(ctx);
  const response = await postForm(ctx.http, `${ctx.hosts.api}${path}`, { client_key: clientKey, client_secret: clientSecret, ...params });
  return tiktokJson(ctx, response);
}

async function fetchUser(ctx: ProviderContext, accessToken: string): Promise<AccountChoice> {
  const data = await tiktokApiGet(ctx, `${tiktokPaths.userInfo}?fields=${USER_FIELDS}`, accessToken);
  const user = (data.user ?? {}) as Record<string, unknown>;
  if (typeof user.open_id !== 'string' || user.open_id === '') throw new ProviderError('transient', 'malformed_response', 'TikTok user info has no open_id');
  const username = typeof user.username === 'string' && user.username ? user.username : undefined;
  return {
    platformAccountId: user.open_id,
    kind: 'user',
    displayName: typeof user.display_name === 'string' && user.display_name ? user.display_name : (username ?? 'TikTok user'),
    ...(username ? { handle: username } : {}),
    ...(typeof user.avatar_url === 'string' ? { avatarUrl: user.avatar_url } : {}),
    meta: { ...(username ? { username } : {}), ...(typeof user.union_id === 'string' ? { unionId: user.union_id } : {}) },
  };
}

async function verify(ctx: ProviderContext, credential: StoredCredential): Promise<VerifyResult> {
  try {
    const user = await fetchUser(ctx, credential.accessToken);
    if (user.platformAccountId !== credential.platformAccountId) return { valid: false, reason: 'account_changed' };
    return { valid: true };
  } catch (err) {
    if (err instanceof ProviderError && (err.errorClass === 'refresh_needed' || err.errorClass === 'reconnect_needed')) {
      return { valid: false, reason: err.reason };
    }
    throw err;
  }
}

export const provider: Provider = {
  facts: tiktokFacts,

  authorizationUrl(ctx, input) {
    const url = new URL(`${ctx.hosts.www}${tiktokPaths.authorize}`);
    url.searchParams.set('client_key', tiktokClient(ctx).clientKey);
    url.searchParams.set('scope', (input.scopes ?? tiktokFacts.defaultScopes).join(tiktokFacts.scopeSeparator));
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('redirect_uri', ctx.redirectUri);
    url.searchParams.set('state', input.state);
    return url;
  },

  async exchangeCode(ctx, input) {
    const body = await postOAuth(ctx, tiktokPaths.token, { code: input.code, grant_type: 'authorization_code', redirect_uri: ctx.redirectUri });
    const { tokens, openId } = parseTikTokTokens(body, ctx.clock.now());
    const account = await fetchUser(ctx, tokens.accessToken);
    if (account.platformAccountId !== openId) throw new ProviderError('transient', 'malformed_response', 'TikTok user info names another account than the token');
    return { tokens, accounts: [account] };
  },

  async refresh(ctx, credential) {
    if (!credential.refreshToken) throw new ProviderError('reconnect_needed', 'no_refresh_token', 'No TikTok refresh token is stored');
    const body = await postOAuth(ctx, tiktokPaths.token, { grant_type: 'refresh_token', refresh_token: credential.refreshToken });
    // The old refresh token is already dead here: whatever came back must reach the caller to be stored.
    return parseTikTokTokens(body, ctx.clock.now()).tokens;
  },

  verify,

  async revoke(ctx, credential) {
    try {
      await postOAuth(ctx, tiktokPaths.revoke, { token: credential.accessToken });
    } catch (err) {
      // A grant that is already gone has nothing left to revoke.
      if (err instanceof ProviderError && err.errorClass === 'reconnect_needed') return;
      throw err;
    }
  },

  /**
   * Revoking a token removes the app from the user's TikTok account ([UNC]: platforms.md names
   * the endpoint only), which would end any other connection of the same user to our app.
   */
  grantKey: (c) => (c.appClientId ? `tiktok:${c.appClientId}:${c.platformAccountId}` : null),

  publish: publishTikTokPost,
  findRecentPost: findRecentTikTokPost,
  classifyError: classifyTikTokError,
};
