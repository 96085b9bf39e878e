import { buildAuthorizationUrl, exchangeAuthorizationCode, getWithBearer, refreshAccessToken, revokeOAuthToken } from '../oauth2Client.ts';
import { expectJson, type ClientAuth } from '../oauthHelpers.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type StoredCredential } from '../types.ts';
import { classifyXError } from './classifyXError.ts';
import { uploadXMedia } from './uploadXMedia.ts';
import { xFacts } from './xFacts.ts';

/** X (Twitter) API v2 with OAuth 2.0 code + PKCE, rotating refresh tokens (platforms.md §4). */

function requireClient(ctx: ProviderContext): { clientId: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'no_client', 'No X app is configured');
  return ctx.client;
}

function clientAuth(ctx: ProviderContext): ClientAuth {
  return { method: 'basic', ...requireClient(ctx) };
}

function endpoint(ctx: ProviderContext, path: string, withAuth = true) {
  return { provider: { classifyError: classifyXError }, facts: xFacts, url: `${ctx.hosts.api}${path}`, auth: withAuth ? clientAuth(ctx) : ({ method: 'none' } as const) };
}

function accountFrom(body: unknown): AccountChoice {
  const data = (body as { data?: { id?: unknown; name?: unknown; username?: unknown; profile_image_url?: unknown } }).data;
  if (!data || typeof data.id !== 'string' || typeof data.username !== 'string') {
    throw new ProviderError('transient', 'malformed_response', 'X returned a user without id or username');
  }
  return {
    platformAccountId: data.id,
    kind: 'user',
    displayName: typeof data.name === 'string' ? data.name : data.username,
    handle: data.username,
    avatarUrl: typeof data.profile_image_url === 'string' ? data.profile_image_url : undefined,
  };
}

async function me(ctx: ProviderContext, accessToken: string): Promise<AccountChoice> {
  return accountFrom(await getWithBearer(ctx, endpoint(ctx, '/2/users/me', false), accessToken));
}

export const provider: Provider = {
  facts: xFacts,

  authorizationUrl(ctx, input) {
    return buildAuthorizationUrl(`${ctx.hosts.www}/i/oauth2/authorize`, {
      clientId: requireClient(ctx).clientId,
      redirectUri: ctx.redirectUri,
      state: input.state,
      scopes: input.scopes ?? xFacts.defaultScopes,
      codeChallenge: input.codeChallenge,
    });
  },

  async exchangeCode(ctx, input) {
    const tokens = await exchangeAuthorizationCode(ctx, endpoint(ctx, '/2/oauth2/token'), { ...input, requestedScopes: xFacts.defaultScopes });
    return { tokens, accounts: [await me(ctx, tokens.accessToken)] };
  },

  async refresh(ctx, credential) {
    if (!credential.refreshToken) {
      throw new ProviderError('reconnect_needed', 'no_refresh_token', 'This X connection has no refresh token (offline.access was not granted)');
    }
    return refreshAccessToken(ctx, endpoint(ctx, '/2/oauth2/token'), { refreshToken: credential.refreshToken, scopes: credential.scopes });
  },

  async verify(ctx, credential) {
    try {
      const account = await me(ctx, credential.accessToken);
      if (account.platformAccountId !== credential.platformAccountId) return { valid: false, reason: 'account_mismatch' };
      return { valid: true };
    } catch (err) {
      if (err instanceof ProviderError && err.errorClass !== 'transient') return { valid: false, reason: err.reason };
      throw err;
    }
  },

  async publish(ctx, credential, post, progress) {
    const text = post.link && !post.text.includes(post.link) ? `${post.text} ${post.link}`.trim() : post.text;
    const mediaIds = post.media.length > 0 ? await uploadXMedia(ctx, credential, post.media, progress) : [];
    const response = await ctx.http(`${ctx.hosts.api}/2/tweets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': 'application/json', accept: 'application/json' },
      // Per-post options (src/posts/platformOptions.ts): who may reply.
      body: JSON.stringify({
        text,
        ...(mediaIds.length > 0 ? { media: { media_ids: mediaIds } } : {}),
        ...(typeof post.options.replySettings === 'string' ? { reply_settings: post.options.replySettings } : {}),
      }),
    });
    const body = (await expectJson(response, provider, 'x', ctx.clock.nowMs())) as { data?: { id?: unknown } };
    if (typeof body.data?.id !== 'string') throw new ProviderError('transient', 'malformed_response', 'X accepted the post but returned no id');
    return { platformPostId: body.data.id, url: `https://x.com/i/web/status/${body.data.id}` };
  },

  async findRecentPost(ctx, credential, post, since, skip) {
    const url = new URL(`${ctx.hosts.api}/2/users/${encodeURIComponent(credential.platformAccountId)}/tweets`);
    url.searchParams.set('start_time', since.toISOString());
    url.searchParams.set('max_results', '100');
    url.searchParams.set('tweet.fields', 'created_at');
    const response = await ctx.http(url, { headers: { authorization: `Bearer ${credential.accessToken}`, accept: 'application/json' } });
    const list = (await expectJson(response, provider, 'x', ctx.clock.nowMs())) as { data?: { id: string; text: string; created_at?: string }[] };
    const found = (list.data ?? []).find(
      (t) => !skip?.has(t.id) && !(Date.parse(t.created_at ?? '') < since.getTime()) && t.text.startsWith(post.text.slice(0, 200)),
    );
    return found ? { platformPostId: found.id, url: `https://x.com/i/web/status/${found.id}` } : null;
  },

  /** Revoking the refresh token ends the whole grant at X. */
  async revoke(ctx, credential: StoredCredential) {
    const token = credential.refreshToken ?? credential.accessToken;
    await revokeOAuthToken(ctx, endpoint(ctx, '/2/oauth2/revoke'), { token, tokenTypeHint: credential.refreshToken ? 'refresh_token' : 'access_token' });
  },

  classifyError: classifyXError,
};
