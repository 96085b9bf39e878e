import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { SystemClock } from '../clock.ts';
import { createHttpClient } from './httpClient.ts';
import {
  buildAuthorizationUrl,
  classifyOAuth2Error,
  exchangeAuthorizationCode,
  introspectOAuthToken,
  refreshAccessToken,
  revokeOAuthToken,
} from './oauth2Client.ts';
import { createPkcePair } from './oauthHelpers.ts';
import { ProviderError, type ProviderContext } from './types.ts';

/**
 * The generic OAuth 2.0 path against an independent server: oidc-provider in this process,
 * with short lifetimes and refresh-token rotation.
 */
const CLIENT = { clientId: 'perennial-test', clientSecret: 'a-long-enough-client-secret-for-tests' };
const REDIRECT = 'http://localhost:3000/api/oauth/callback/generic';

describe('generic OAuth 2.0 client against oidc-provider', () => {
  let server: http.Server;
  let issuer: string;
  let ctx: ProviderContext;
  const endpoint = (path: string) => ({
    provider: { classifyError: classifyOAuth2Error },
    facts: { id: 'x' as const, defaultAccessTtlMs: null, defaultRefreshTtlMs: null },
    url: `${issuer}${path}`,
    auth: { method: 'basic' as const, ...CLIENT },
  });

  before(async () => {
    server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const oidc = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
          redirect_uris: [REDIRECT],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      cookies: { keys: ['test-cookie-key-1'] },
      features: { devInteractions: { enabled: false }, revocation: { enabled: true }, introspection: { enabled: true } },
      pkce: { required: () => true },
      rotateRefreshToken: true,
      ttl: { AccessToken: 60, AuthorizationCode: 30, RefreshToken: 600, Grant: 3600, Session: 3600, Interaction: 600, IdToken: 60 },
      findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    });
    // The login and consent "screen": signs in account-1 and grants what was asked.
    server.on('request', async (req, res) => {
      if (!req.url?.startsWith('/interaction/')) return oidc.callback()(req, res);
      const details = await oidc.interactionDetails(req, res);
      const grant = new oidc.Grant({ accountId: 'account-1', clientId: CLIENT.clientId });
      grant.addOIDCScope(String(details.params.scope));
      const grantId = await grant.save();
      await oidc.interactionFinished(req, res, { login: { accountId: 'account-1' }, consent: { grantId } }, { mergeWithLastSubmission: false });
    });
    ctx = { clock: new SystemClock(), http: createHttpClient({ trustedOrigins: [issuer] }), client: CLIENT, hosts: {}, redirectUri: REDIRECT, sandbox: true };
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Follows the browser redirects (with cookies) until the server sends us to REDIRECT. */
  async function authorizeInBrowser(url: URL): Promise<URL> {
    const jar = new Map<string, string>();
    let next = url.toString();
    for (let i = 0; i < 10; i += 1) {
      const res = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, v] = pair!.split('=');
        jar.set(k!, v ?? '');
      }
      const location = res.headers.get('location');
      if (!location) throw new Error(`no redirect from ${next}: ${res.status} ${await res.text()}`);
      next = new URL(location, next).toString();
      if (next.startsWith(REDIRECT)) return new URL(next);
    }
    throw new Error('too many redirects');
  }

  async function authorizeCode() {
    const pkce = createPkcePair();
    const url = buildAuthorizationUrl(`${issuer}/auth`, {
      clientId: CLIENT.clientId,
      redirectUri: REDIRECT,
      state: 'state-123',
      scopes: ['openid', 'offline_access'],
      codeChallenge: pkce.codeChallenge,
      extra: { prompt: 'consent' },
    });
    const back = await authorizeInBrowser(url);
    assert.equal(back.searchParams.get('state'), 'state-123');
    return { code: back.searchParams.get('code')!, pkce };
  }

  async function connect() {
    const { code, pkce } = await authorizeCode();
    return { code, pkce, tokens: await exchangeAuthorizationCode(ctx, endpoint('/token'), { code, codeVerifier: pkce.codeVerifier }) };
  }

  it('authorization code + PKCE gives an expiring access token and a refresh token', async () => {
    const { tokens } = await connect();
    assert.ok(tokens.accessToken);
    assert.ok(tokens.refreshToken);
    const ttl = tokens.accessExpiresAt!.getTime() - Date.now();
    assert.ok(ttl > 50_000 && ttl <= 60_000, String(ttl));
    assert.deepEqual(tokens.scopes.sort(), ['offline_access', 'openid']);
  });

  it('refuses a code used twice and a wrong verifier (reconnect_needed, invalid_grant)', async () => {
    const { code, pkce } = await connect();
    await assert.rejects(exchangeAuthorizationCode(ctx, endpoint('/token'), { code, codeVerifier: pkce.codeVerifier }), (e: ProviderError) => e.reason === 'invalid_grant');
    const other = await authorizeCode();
    await assert.rejects(
      exchangeAuthorizationCode(ctx, endpoint('/token'), { code: other.code, codeVerifier: createPkcePair().codeVerifier }),
      (e: ProviderError) => e.errorClass === 'reconnect_needed' && e.reason === 'invalid_grant',
    );
  });

  it('rotates refresh tokens; reusing a rotated one kills the grant', async () => {
    const { tokens } = await connect();
    const next = await refreshAccessToken(ctx, endpoint('/token'), { refreshToken: tokens.refreshToken! });
    assert.ok(next.refreshToken && next.refreshToken !== tokens.refreshToken, 'rotated');
    await assert.rejects(refreshAccessToken(ctx, endpoint('/token'), { refreshToken: tokens.refreshToken! }), (e: ProviderError) => e.errorClass === 'reconnect_needed' && e.reason === 'invalid_grant');
    // Reuse detection revoked the whole grant: the newest refresh token is dead too.
    await assert.rejects(refreshAccessToken(ctx, endpoint('/token'), { refreshToken: next.refreshToken! }), (e: ProviderError) => e.reason === 'invalid_grant');
    const introspected = await introspectOAuthToken(ctx, endpoint('/token/introspection'), { token: next.accessToken });
    assert.equal(introspected.active, false);
  });

  it('introspects and revokes', async () => {
    const { tokens } = await connect();
    const live = await introspectOAuthToken(ctx, endpoint('/token/introspection'), { token: tokens.accessToken });
    assert.equal(live.active, true);
    assert.equal(live.subject, 'account-1');
    assert.equal(live.clientId, CLIENT.clientId);
    await revokeOAuthToken(ctx, endpoint('/token/revocation'), { token: tokens.refreshToken!, tokenTypeHint: 'refresh_token' });
    await assert.rejects(refreshAccessToken(ctx, endpoint('/token'), { refreshToken: tokens.refreshToken! }), (e: ProviderError) => e.reason === 'invalid_grant');
  });

  it('reports a wrong client secret as app_misconfigured', async () => {
    const { tokens } = await connect();
    const wrong = { ...endpoint('/token'), auth: { method: 'basic' as const, clientId: CLIENT.clientId, clientSecret: 'wrong' } };
    await assert.rejects(refreshAccessToken(ctx, wrong, { refreshToken: tokens.refreshToken! }), (e: ProviderError) => e.errorClass === 'app_misconfigured');
  });
});
