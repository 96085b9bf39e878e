/**
 * The LinkedIn adapter (../shared/platforms.md §3): members and the organizations they
 * administer. The client secret travels in the form body; refresh tokens (partner apps only)
 * keep the end fixed at the first grant; `introspectToken` checks a grant without posting.
 */
import { buildAuthorizationUrl } from '../oauth2Client.ts';
import { expectJson, postForm } from '../oauthHelpers.ts';
import { ProviderError, type Provider, type ProviderContext, type StoredCredential, type TokenSet, type VerifyResult } from '../types.ts';
import { classifyLinkedInError } from './classifyLinkedInError.ts';
import { listLinkedInAccounts } from './linkedinAccounts.ts';
import { linkedinClient, linkedinErrors } from './linkedinApi.ts';
import { linkedinFacts, linkedinPaths } from './linkedinFacts.ts';
import { parseLinkedInTokens } from './linkedinTokens.ts';
import { findRecentLinkedInPost, publishLinkedInPost } from './publishLinkedInPost.ts';

async function postToken(ctx: ProviderContext, params: Record<string, string>): Promise<Response> {
  const client = linkedinClient(ctx);
  return postForm(ctx.http, `${ctx.hosts.www}${linkedinPaths.token}`, params, { method: 'body', ...client });
}

async function refresh(ctx: ProviderContext, credential: StoredCredential): Promise<TokenSet> {
  if (!credential.refreshToken) {
    throw new ProviderError('reconnect_needed', 'no_refresh_token', 'This LinkedIn app gets no refresh tokens: reconnect every 60 days');
  }
  const response = await postToken(ctx, { grant_type: 'refresh_token', refresh_token: credential.refreshToken });
  try {
    const body = await expectJson(response, linkedinErrors, 'LinkedIn', ctx.clock.nowMs());
    const tokens = parseLinkedInTokens(body, ctx.clock.now(), 'refresh_token');
    // The end is fixed; the remaining seconds LinkedIn reports only round around it. Keep the stored end unless it really moved.
    const stored = credential.refreshExpiresAt?.getTime();
    const reported = tokens.refreshExpiresAt?.getTime();
    if (stored !== undefined && reported !== undefined && Math.abs(reported - stored) < 60_000) tokens.refreshExpiresAt = new Date(stored);
    return tokens;
  } catch (err) {
    // platforms.md §3: any 400 from a refresh is permanent, whatever its error code says.
    if (err instanceof ProviderError && err.httpStatus === 400) {
      throw new ProviderError('reconnect_needed', 'invalid_grant', 'LinkedIn refused the refresh token (invalid, expired or revoked)', {
        httpStatus: 400,
        platformCode: err.platformCode,
        cause: err,
      });
    }
    throw err;
  }
}

/** introspectToken: 400 = unknown token (or client id), 401 = wrong client secret. */
async function verify(ctx: ProviderContext, credential: StoredCredential): Promise<VerifyResult> {
  const client = linkedinClient(ctx);
  const response = await postForm(ctx.http, `${ctx.hosts.www}${linkedinPaths.introspect}`, { token: credential.accessToken }, { method: 'body', ...client });
  if (response.status === 400) {
    await response.body?.cancel();
    return { valid: false, reason: 'token_invalid' };
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw new ProviderError('app_misconfigured', 'invalid_client', 'LinkedIn rejected the app credentials (introspectToken answered 401)', { httpStatus: 401 });
  }
  const body = (await expectJson(response, linkedinErrors, 'LinkedIn', ctx.clock.nowMs())) as Record<string, unknown>;
  if (typeof body.active !== 'boolean') throw new ProviderError('transient', 'malformed_response', 'LinkedIn introspection has no "active" field');
  const expiresAt = typeof body.expires_at === 'number' ? new Date(body.expires_at * 1000) : undefined;
  const scopes = typeof body.scope === 'string' ? body.scope.split(/[\s,]+/).filter(Boolean) : undefined;
  if (body.active) return { valid: true, ...(expiresAt ? { accessExpiresAt: expiresAt } : {}), ...(scopes ? { scopes } : {}) };
  return { valid: false, reason: body.status === 'revoked' ? 'token_revoked' : body.status === 'expired' ? 'token_expired' : 'token_invalid' };
}

export const provider: Provider = {
  facts: linkedinFacts,

  authorizationUrl(ctx, input) {
    return buildAuthorizationUrl(`${ctx.hosts.www}${linkedinPaths.authorize}`, {
      clientId: linkedinClient(ctx).clientId,
      redirectUri: ctx.redirectUri,
      state: input.state,
      scopes: input.scopes ?? linkedinFacts.defaultScopes,
      scopeSeparator: linkedinFacts.scopeSeparator,
    });
  },

  async exchangeCode(ctx, input) {
    const response = await postToken(ctx, { grant_type: 'authorization_code', code: input.code, redirect_uri: ctx.redirectUri });
    const body = await expectJson(response, linkedinErrors, 'LinkedIn', ctx.clock.nowMs());
    const tokens = parseLinkedInTokens(body, ctx.clock.now(), 'authorization_code');
    return { tokens, accounts: await listLinkedInAccounts(ctx, tokens) };
  },

  refresh,
  verify,
  publish: publishLinkedInPost,
  findRecentPost: findRecentLinkedInPost,
  classifyError: classifyLinkedInError,
};
