import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Grant, Issued } from '../core/grantStore.ts';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';
import { bearerToken } from './emulatorRequests.ts';
import { defineSettings, moduleState } from './moduleState.ts';
import { registerYouTubeVideoRoutes } from './youtubeVideos.ts';

/**
 * Google OAuth 2.0 for YouTube (platforms.md §6): a refresh token only with access_type=offline
 * and prompt=consent, no rotation, death after 6 months unused, 7 days for clients in testing
 * mode (POST /youtube/_admin/clients/:clientId/testing-mode {enabled}; only newly issued grants),
 * at most `refreshTokenLimit` (100) live refresh tokens per account and client (the oldest is
 * evicted without warning), tokeninfo and revoke.
 */
const DAY = 86_400_000;

/** Carried in the grant's scopes to remember that this consent asked for offline access. */
const OFFLINE = 'offline (access_type=offline)';
const BASIC_SCOPES = new Set(['openid', 'email', 'profile', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile']);

/** Per-emulator knobs (POST /youtube/_admin/settings): the token limit and the daily API quota per client. */
export const googleSettings = defineSettings({ refreshTokenLimit: 100, quotaPerDay: 10_000, uploadCost: 1_600, searchCost: 100, listCost: 1 });
const testingByCore = new WeakMap<EmulatorCore, Set<string>>();
const testingClients = (core: EmulatorCore) => moduleState(testingByCore, core, () => new Set<string>());

export function publicScopes(grant: Grant): string[] {
  return grant.scopes.filter((s) => s !== OFFLINE);
}

export function googleApiError(code: number, reason: string, message: string, status: string) {
  return { error: { code, message, errors: [{ message, domain: code === 401 ? 'global' : 'youtube.api', reason, ...(code === 401 ? { location: 'Authorization', locationType: 'header' } : {}) }], status } };
}

/** The live grant behind the bearer token (with `scope` if given), or null after replying Google's error. */
export function googleUser(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply, anyOfScopes: string[] = []): Grant | null {
  const token = bearerToken(request);
  const auth = token ? core.grants.authenticate('youtube', token) : null;
  if (!auth?.ok) {
    void reply.status(401).send(googleApiError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'UNAUTHENTICATED'));
    return null;
  }
  if (anyOfScopes.length > 0 && !anyOfScopes.some((s) => auth.value.grant.scopes.includes(s))) {
    void reply.status(403).send(googleApiError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.', 'PERMISSION_DENIED'));
    return null;
  }
  return auth.value.grant;
}

function tokenResponse(issued: Issued, nowMs: number, includeRefresh: boolean) {
  const { access, refresh, grant } = issued;
  return {
    access_token: access.token,
    expires_in: access.expiresAtMs === null ? undefined : Math.max(0, Math.round((access.expiresAtMs - nowMs) / 1000)),
    scope: publicScopes(grant).join(' '),
    token_type: 'Bearer',
    ...(includeRefresh && refresh ? { refresh_token: refresh.token } : {}),
  };
}

/** Testing-mode end and the per-account token limit, applied to a newly created grant. */
function applyGrantRules(core: EmulatorCore, issued: Issued): void {
  const { grant } = issued;
  if (testingClients(core).has(grant.clientId) && publicScopes(grant).some((s) => !BASIC_SCOPES.has(s))) {
    grant.hardEndAtMs = grant.createdAtMs + 7 * DAY;
  }
  if (!issued.refresh) return;
  const live = core.grants
    .listGrants('youtube')
    .filter((g) => g.accountId === grant.accountId && g.clientId === grant.clientId && !g.revoked && g.scopes.includes(OFFLINE))
    .sort((a, b) => a.createdAtMs - b.createdAtMs);
  // "New tokens overwrite the oldest without warning."
  for (const old of live.slice(0, Math.max(0, live.length - googleSettings.settings(core).refreshTokenLimit))) core.grants.revokeGrant(old.id, 'app_revoked');
}

const INVALID_GRANT_REFRESH = { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'youtube',
  policy: {
    ...DEFAULT_POLICY,
    accessTtlMs: 3_599_000,
    issueRefreshToken: (scopes) => scopes.includes(OFFLINE),
    refreshTtlMs: null,
    rotation: false,
    idleDeathMs: 183 * DAY, // "has not been used for six months"
  },
  accounts: [
    { id: '109876543210000000001', username: 'alice.sandbox@gmail.com', displayName: 'Alice (sandbox)', extra: { channelId: 'UCsandboxAlice000000000a', customUrl: '@alicesandbox' } },
    { id: '109876543210000000002', username: 'bob.sandbox@gmail.com', displayName: 'Bob (sandbox)', extra: { channelId: 'UCsandboxBob00000000000b', customUrl: '@bobsandbox' } },
    { id: '109876543210000000003', username: 'nochannel.sandbox@gmail.com', displayName: 'No Channel (sandbox)', extra: {} },
  ],

  routes(app, core) {
    app.get('/accounts/o/oauth2/v2/auth', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('youtube', q.client_id);
      if (!client) return reply.status(401).type('text/html').send('<!doctype html><h1>Access blocked: Authorization Error</h1><p>Error 401: invalid_client</p>');
      if (!core.clients.allowsRedirect(client, q.redirect_uri)) return reply.status(400).type('text/html').send('<!doctype html><p>Error 400: redirect_uri_mismatch</p>');
      if (q.response_type !== 'code') return reply.status(400).type('text/html').send('<!doctype html><p>Error 400: unsupported_response_type</p>');
      const offline = q.access_type === 'offline' && (q.prompt ?? '').split(' ').includes('consent');
      return core.consent.show(reply, {
        platform: 'youtube',
        platformName: 'Google',
        clientId: client.clientId,
        redirectUri: q.redirect_uri!,
        state: q.state,
        scopes: [...(q.scope ?? '').split(' ').filter(Boolean), ...(offline ? [OFFLINE] : [])],
        codeChallenge: q.code_challenge,
        codeChallengeMethod: q.code_challenge_method,
      });
    });

    app.post('/oauth2/token', async (request, reply) => {
      const auth = core.clients.authenticate('youtube', request, ['body', 'basic']);
      if (!auth.ok) return reply.status(401).send({ error: 'invalid_client', error_description: auth.error === 'missing' ? 'The OAuth client was not found.' : 'Unauthorized' });
      const body = request.body as Record<string, string | undefined>;
      const now = core.clock.nowMs();
      if (body.grant_type === 'authorization_code') {
        const result = core.grants.redeemCode('youtube', body.code ?? '', { clientId: auth.client.clientId, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier });
        if (!result.ok) {
          if (result.error === 'redirect_mismatch') return reply.status(400).send({ error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
          return reply.status(400).send({ error: 'invalid_grant', error_description: result.error === 'pkce_failed' ? 'Missing code verifier.' : 'Malformed auth code.' });
        }
        applyGrantRules(core, result.value);
        return tokenResponse(result.value, now, true);
      }
      if (body.grant_type === 'refresh_token') {
        const result = core.grants.refresh('youtube', body.refresh_token ?? '', { clientId: auth.client.clientId });
        if (!result.ok) return reply.status(400).send(INVALID_GRANT_REFRESH);
        core.requests.countRefresh(result.value.grant.id);
        return tokenResponse(result.value, now, false); // no rotation: no new refresh token
      }
      return reply.status(400).send({ error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${body.grant_type ?? ''}` });
    });

    app.get('/oauth2/tokeninfo', async (request, reply) => {
      const { access_token } = request.query as { access_token?: string };
      const auth = access_token ? core.grants.authenticate('youtube', access_token) : null;
      if (!auth?.ok) return reply.status(400).send({ error: 'invalid_token', error_description: 'Invalid Value' });
      const { grant, access } = auth.value;
      const exp = access.expiresAtMs === null ? 0 : Math.floor(access.expiresAtMs / 1000);
      return {
        azp: grant.clientId,
        aud: grant.clientId,
        sub: grant.accountId,
        scope: publicScopes(grant).join(' '),
        exp: String(exp),
        expires_in: String(Math.max(0, exp - Math.floor(core.clock.nowMs() / 1000))),
        access_type: grant.scopes.includes(OFFLINE) ? 'offline' : 'online',
      };
    });

    // Revoking either token ends the whole grant.
    app.post('/oauth2/revoke', async (request, reply) => {
      const token = (request.query as { token?: string }).token ?? (request.body as { token?: string } | undefined)?.token;
      const found = token ? core.grants.find(token) : undefined;
      if (!found || found.grant.platform !== 'youtube' || found.grant.revoked) return reply.status(400).send({ error: 'invalid_token', error_description: 'Token expired or revoked' });
      core.grants.revokeToken(token!, { wholeGrant: true, reason: 'app_revoked' });
      return {};
    });

    app.post('/_admin/clients/:clientId/testing-mode', async (request) => {
      const { clientId } = request.params as { clientId: string };
      const { enabled } = (request.body ?? {}) as { enabled?: boolean };
      const clients = testingClients(core);
      if (enabled === false) clients.delete(clientId);
      else clients.add(clientId);
      return { clientId, testingMode: clients.has(clientId) };
    });

    googleSettings.routes(app, core);

    registerYouTubeVideoRoutes(app, core);
  },
};
