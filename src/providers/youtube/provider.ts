/**
 * The YouTube adapter (Google OAuth 2.0, ../shared/platforms.md §6). `access_type=offline` and
 * `prompt=consent` on every authorization (a refresh token is only issued on consent), PKCE,
 * the secret in the form body. Refreshes do not rotate; tokeninfo verifies an access token.
 */
import { buildAuthorizationUrl } from '../oauth2Client.ts';
import { postForm } from '../oauthHelpers.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type StoredCredential, type VerifyResult } from '../types.ts';
import { classifyGoogleError } from './classifyGoogleError.ts';
import { parseGoogleTokens } from './googleTokens.ts';
import { findRecentYouTubeVideo, publishYouTubeVideo } from './publishYouTubeVideo.ts';
import { googleClient, googleJson, youtubeGet } from './youtubeApi.ts';
import { GOOGLE_TESTING_MODE_GRANT_TTL_MS, youtubeFacts, youtubePaths } from './youtubeFacts.ts';

async function postToken(ctx: ProviderContext, params: Record<string, string | undefined>): Promise<Record<string, unknown>> {
  const response = await postForm(ctx.http, `${ctx.hosts.oauth2}${youtubePaths.token}`, params, { method: 'body', ...googleClient(ctx) });
  return googleJson(ctx, response);
}

async function listChannels(ctx: ProviderContext, accessToken: string): Promise<AccountChoice[]> {
  const page = await youtubeGet(ctx, `${youtubePaths.channels}?part=snippet&mine=true`, accessToken);
  const items = Array.isArray(page.items) ? (page.items as Record<string, unknown>[]) : [];
  const channels = items.flatMap((item): AccountChoice[] => {
    if (typeof item.id !== 'string' || item.id === '') return [];
    const snippet = (item.snippet ?? {}) as Record<string, unknown>;
    const avatar = (snippet.thumbnails as { default?: { url?: unknown } } | undefined)?.default?.url;
    return [
      {
        platformAccountId: item.id,
        kind: 'channel',
        displayName: typeof snippet.title === 'string' && snippet.title ? snippet.title : item.id,
        ...(typeof snippet.customUrl === 'string' ? { handle: snippet.customUrl } : {}),
        ...(typeof avatar === 'string' ? { avatarUrl: avatar } : {}),
      },
    ];
  });
  if (channels.length === 0) throw new ProviderError('bad_request', 'no_channel', 'This Google account has no YouTube channel; create one, then connect again');
  return channels;
}

/** tokeninfo of an access token, or null when Google says it is invalid (400 invalid_token). */
async function tokenInfo(ctx: ProviderContext, accessToken: string): Promise<Record<string, unknown> | null> {
  const url = new URL(`${ctx.hosts.oauth2}${youtubePaths.tokeninfo}`);
  url.searchParams.set('access_token', accessToken);
  const response = await ctx.http(url, { headers: { accept: 'application/json' } });
  if (response.status === 400) {
    await response.body?.cancel();
    return null;
  }
  return googleJson(ctx, response);
}

/** tokeninfo: 400 invalid_token for a dead access token; `aud` must be our client. */
async function verify(ctx: ProviderContext, credential: StoredCredential): Promise<VerifyResult> {
  const info = await tokenInfo(ctx, credential.accessToken);
  if (!info) return { valid: false, reason: 'token_invalid' };
  if (info.aud !== googleClient(ctx).clientId) return { valid: false, reason: 'wrong_audience' };
  const expiresIn = Number(info.expires_in);
  return {
    valid: true,
    ...(Number.isFinite(expiresIn) ? { accessExpiresAt: new Date(ctx.clock.nowMs() + expiresIn * 1000) } : {}),
    ...(typeof info.scope === 'string' ? { scopes: info.scope.split(' ').filter(Boolean) } : {}),
  };
}

export const provider: Provider = {
  facts: youtubeFacts,

  authorizationUrl(ctx, input) {
    return buildAuthorizationUrl(`${ctx.hosts.accounts}${youtubePaths.authorize}`, {
      clientId: googleClient(ctx).clientId,
      redirectUri: ctx.redirectUri,
      state: input.state,
      scopes: input.scopes ?? youtubeFacts.defaultScopes,
      scopeSeparator: youtubeFacts.scopeSeparator,
      codeChallenge: input.codeChallenge,
      extra: { access_type: 'offline', prompt: 'consent' },
    });
  },

  async exchangeCode(ctx, input) {
    const body = await postToken(ctx, { grant_type: 'authorization_code', code: input.code, redirect_uri: ctx.redirectUri, code_verifier: input.codeVerifier });
    const tokens = parseGoogleTokens(body, ctx.clock.now());
    if (ctx.appTestingMode && tokens.refreshToken) {
      // Testing mode: the refresh token, and with it the grant, ends 7 days after this consent.
      const end = new Date(tokens.issuedAt.getTime() + GOOGLE_TESTING_MODE_GRANT_TTL_MS);
      tokens.refreshExpiresAt = end;
      tokens.hardEndAt = end;
    }
    const channels = await listChannels(ctx, tokens.accessToken);
    // The Google account behind the channels (tokeninfo `sub`): whose authorization a revoke ends.
    const sub = (await tokenInfo(ctx, tokens.accessToken))?.sub;
    const meta = typeof sub === 'string' && sub ? { googleUserId: sub } : {};
    return { tokens, accounts: channels.map((c) => ({ ...c, meta: { ...c.meta, ...meta } })) };
  },

  async refresh(ctx, credential) {
    if (!credential.refreshToken) throw new ProviderError('reconnect_needed', 'no_refresh_token', 'No Google refresh token is stored');
    return parseGoogleTokens(await postToken(ctx, { grant_type: 'refresh_token', refresh_token: credential.refreshToken }), ctx.clock.now());
  },

  verify,

  /**
   * Revoking removes the app's access to the Google account ([UNC] whether other refresh tokens
   * of the same account for our client survive: assumed not), so the grant is the account's.
   */
  grantKey: (c) => {
    if (!c.appClientId) return null;
    const user = typeof c.meta.googleUserId === 'string' && c.meta.googleUserId ? c.meta.googleUserId : `channel:${c.platformAccountId}`;
    return `google:${c.appClientId}:${user}`;
  },

  /** Revoking the refresh token ends the whole grant; an already dead token counts as revoked. */
  async revoke(ctx, credential) {
    const response = await postForm(ctx.http, `${ctx.hosts.oauth2}${youtubePaths.revoke}`, { token: credential.refreshToken ?? credential.accessToken });
    if (response.status === 400) {
      const body = await response.json().catch(() => ({}) as unknown);
      if ((body as { error?: unknown }).error === 'invalid_token') return;
      throw new ProviderError('bad_request', 'revoke_failed', 'Google refused to revoke the token', { httpStatus: 400 });
    }
    await googleJson(ctx, response);
  },

  publish: publishYouTubeVideo,
  findRecentPost: findRecentYouTubeVideo,
  classifyError: classifyGoogleError,
};
