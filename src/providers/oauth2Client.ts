import { expectJson, postForm, readJson, tokenSetFromResponse, type ClientAuth } from './oauthHelpers.ts';
import { ProviderError, type ErrorClass, type PlatformFacts, type Provider, type ProviderContext, type TokenSet } from './types.ts';

/**
 * The generic OAuth 2.0 client (RFC 6749 code + refresh grants, RFC 7636 PKCE, RFC 7009
 * revocation, RFC 7662 introspection). Platform adapters call it with their endpoints and client
 * authentication; the oidc-provider tests run it against an independent server.
 */

type Endpoint = {
  provider: Pick<Provider, 'classifyError'>;
  facts: Pick<PlatformFacts, 'id' | 'defaultAccessTtlMs' | 'defaultRefreshTtlMs'>;
  url: string;
  auth: ClientAuth;
};

export function buildAuthorizationUrl(
  endpoint: string,
  params: { clientId: string; redirectUri: string; state: string; scopes: string[]; scopeSeparator?: string; codeChallenge?: string; extra?: Record<string, string> },
): URL {
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  if (params.scopes.length > 0) url.searchParams.set('scope', params.scopes.join(params.scopeSeparator ?? ' '));
  url.searchParams.set('state', params.state);
  if (params.codeChallenge) {
    url.searchParams.set('code_challenge', params.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  for (const [k, v] of Object.entries(params.extra ?? {})) url.searchParams.set(k, v);
  return url;
}

export async function exchangeAuthorizationCode(
  ctx: ProviderContext,
  endpoint: Endpoint,
  input: { code: string; codeVerifier?: string; requestedScopes?: string[] },
): Promise<TokenSet> {
  const response = await postForm(
    ctx.http,
    endpoint.url,
    { grant_type: 'authorization_code', code: input.code, redirect_uri: ctx.redirectUri, code_verifier: input.codeVerifier },
    endpoint.auth,
  );
  const body = await expectJson(response, endpoint.provider, endpoint.facts.id, ctx.clock.nowMs());
  return tokenSetFromResponse(body, {
    platform: endpoint.facts.id,
    now: ctx.clock.now(),
    requestedScopes: input.requestedScopes,
    defaultAccessTtlMs: endpoint.facts.defaultAccessTtlMs,
    defaultRefreshTtlMs: endpoint.facts.defaultRefreshTtlMs,
  });
}

/** A refresh grant. The result's `refreshToken` is undefined when the server kept the old one. */
export async function refreshAccessToken(
  ctx: ProviderContext,
  endpoint: Endpoint,
  input: { refreshToken: string; scopes?: string[] },
): Promise<TokenSet> {
  const response = await postForm(ctx.http, endpoint.url, { grant_type: 'refresh_token', refresh_token: input.refreshToken }, endpoint.auth);
  const body = await expectJson(response, endpoint.provider, endpoint.facts.id, ctx.clock.nowMs());
  return tokenSetFromResponse(body, {
    platform: endpoint.facts.id,
    now: ctx.clock.now(),
    requestedScopes: input.scopes,
    defaultAccessTtlMs: endpoint.facts.defaultAccessTtlMs,
    defaultRefreshTtlMs: endpoint.facts.defaultRefreshTtlMs,
  });
}

/** RFC 7009: success is any 2xx (the token may already have been invalid). */
export async function revokeOAuthToken(ctx: ProviderContext, endpoint: Endpoint, input: { token: string; tokenTypeHint?: 'access_token' | 'refresh_token' }): Promise<void> {
  const response = await postForm(ctx.http, endpoint.url, { token: input.token, token_type_hint: input.tokenTypeHint }, endpoint.auth);
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel();
    return;
  }
  await expectJson(response, endpoint.provider, endpoint.facts.id, ctx.clock.nowMs());
}

export type Introspection = { active: boolean; expiresAt: Date | null; scopes: string[]; subject?: string; clientId?: string };

/** RFC 7662. */
export async function introspectOAuthToken(ctx: ProviderContext, endpoint: Endpoint, input: { token: string }): Promise<Introspection> {
  const response = await postForm(ctx.http, endpoint.url, { token: input.token }, endpoint.auth);
  const body = (await expectJson(response, endpoint.provider, endpoint.facts.id, ctx.clock.nowMs())) as Record<string, unknown>;
  if (typeof body.active !== 'boolean') {
    throw new ProviderError('transient', 'malformed_response', `${endpoint.facts.id} returned an introspection response without "active"`);
  }
  return {
    active: body.active,
    expiresAt: typeof body.exp === 'number' ? new Date(body.exp * 1000) : null,
    scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [],
    subject: typeof body.sub === 'string' ? body.sub : undefined,
    clientId: typeof body.client_id === 'string' ? body.client_id : undefined,
  };
}

/** GET with a bearer token, returning the parsed JSON or the classified error. */
export async function getWithBearer(ctx: ProviderContext, endpoint: Omit<Endpoint, 'auth'>, accessToken: string): Promise<unknown> {
  const response = await ctx.http(endpoint.url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
  return expectJson(response, endpoint.provider, endpoint.facts.id, ctx.clock.nowMs());
}

export { readJson };

/**
 * RFC 6749 §5.2 error codes, for servers that follow the spec (and the generic path): a refused
 * grant means reconnecting, a refused client means the instance's app is wrong.
 */
export function classifyOAuth2Error(status: number, body: unknown): { errorClass: ErrorClass; reason: string; platformCode?: string } | null {
  const error = body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : undefined;
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode: error };
  if (status >= 500 || error === 'temporarily_unavailable' || error === 'server_error') return { errorClass: 'transient', reason: 'platform_unavailable', platformCode: error };
  if (error === 'invalid_grant') return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode: error };
  if (error === 'invalid_client' || error === 'unauthorized_client') return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode: error };
  if (error === 'invalid_token' || status === 401) return { errorClass: 'refresh_needed', reason: 'access_token_invalid', platformCode: error };
  if (error) return { errorClass: 'bad_request', reason: error, platformCode: error };
  return null;
}
