import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TIKTOK_LIFETIMES } from '../../providers/tiktok/tiktokFacts.ts';
import { signTikTokWebhook } from '../../providers/tiktok/tiktokWebhook.ts';
import type { Grant, Issued } from '../core/grantStore.ts';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';
import { bearerToken } from './emulatorRequests.ts';
import { moduleState } from './moduleState.ts';
import { registerTikTokPostRoutes } from './tiktokPosts.ts';

/**
 * TikTok Login Kit v2 and Content Posting (platforms.md §5): `client_key`, the secret in the
 * form body, rotating refresh tokens (the previous one stops working), lifetimes switchable
 * between the Nov 2026 pages (2 h / 180 d, default) and the legacy page (24 h / 365 d) with
 * POST /tiktok/_admin/lifetimes {preset}, revoke, and the signed `authorization.removed` webhook
 * (POST /tiktok/_admin/webhook {url}, then POST /tiktok/_admin/users/:openId/remove-authorization).
 */
export function logId(): string {
  return `2026${randomBytes(12).toString('hex').toUpperCase()}`;
}

function oauthError(error: string, description: string) {
  return { error, error_description: description, log_id: logId() };
}

export function apiError(code: string, message: string) {
  return { data: {}, error: { code, message, log_id: logId() } };
}

export function apiOk(data: Record<string, unknown>) {
  return { data, error: { code: 'ok', message: '', log_id: logId() } };
}

/** The live grant behind the bearer token, or null after replying TikTok's 401. */
export function tiktokUser(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply, scope?: string): Grant | null {
  const token = bearerToken(request);
  const auth = token ? core.grants.authenticate('tiktok', token) : null;
  if (!auth?.ok) {
    void reply.status(401).send(apiError('access_token_invalid', 'The access token is invalid or not found in the request. Please refresh the token and retry.'));
    return null;
  }
  if (scope && !auth.value.grant.scopes.includes(scope)) {
    void reply.status(401).send(apiError('scope_not_authorized', `The user did not authorize the scope required for completing this request: ${scope}`));
    return null;
  }
  return auth.value.grant;
}

function tokenResponse(issued: Issued, nowMs: number) {
  const { access, refresh, grant } = issued;
  const seconds = (ms: number | null) => (ms === null ? undefined : Math.max(0, Math.round((ms - nowMs) / 1000)));
  return {
    access_token: access.token,
    expires_in: seconds(access.expiresAtMs),
    open_id: grant.accountId,
    ...(refresh ? { refresh_token: refresh.token, refresh_expires_in: seconds(refresh.expiresAtMs) } : {}),
    scope: grant.scopes.join(','),
    token_type: 'Bearer',
  };
}

const webhookUrls = new WeakMap<EmulatorCore, { url: string | null }>();

/** Revokes the user's grants and POSTs `authorization.removed` to the configured URL, per app. */
async function removeAuthorization(core: EmulatorCore, openId: string, reason: number): Promise<{ revoked: number; deliveries: { clientKey: string; status: number | null }[] }> {
  const clientKeys = [...new Set(core.grants.listGrants('tiktok').filter((g) => g.accountId === openId && !g.revoked).map((g) => g.clientId))];
  const revoked = core.grants.revokeAccount('tiktok', openId, reason === 5 ? 'app_revoked' : 'user_revoked');
  const url = moduleState(webhookUrls, core, () => ({ url: null as string | null })).url;
  const deliveries: { clientKey: string; status: number | null }[] = [];
  for (const clientKey of url ? clientKeys : []) {
    const client = core.clients.get('tiktok', clientKey);
    if (!client) continue;
    const nowS = Math.floor(core.clock.nowMs() / 1000);
    const body = JSON.stringify({ client_key: clientKey, event: 'authorization.removed', create_time: nowS, user_openid: openId, content: JSON.stringify({ reason }) });
    try {
      const response = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'tiktok-signature': signTikTokWebhook(body, client.clientSecret, nowS) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      deliveries.push({ clientKey, status: response.status });
    } catch {
      // The receiver is down: TikTok would retry later; the admin caller sees the failed delivery.
      deliveries.push({ clientKey, status: null });
    }
  }
  return { revoked, deliveries };
}

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'tiktok',
  policy: {
    ...DEFAULT_POLICY,
    accessTtlMs: TIKTOK_LIFETIMES.current.accessTtlMs,
    refreshTtlMs: TIKTOK_LIFETIMES.current.refreshTtlMs,
    rotation: true, // "The previous refresh token stops working once a new one is issued."
    reuseKillsFamily: false,
    slidingRefreshEnd: true, // [UNC] whether the refresh TTL slides; PATCH the policy to fix it
  },
  accounts: [
    { id: '-000AbCdEfGhAlice', username: 'alice.sandbox', displayName: 'Alice (sandbox)' },
    { id: '-000AbCdEfGhBobby', username: 'bob.sandbox', displayName: 'Bob (sandbox)' },
  ],

  routes(app, core) {
    app.get('/www/v2/auth/authorize/', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('tiktok', q.client_key);
      if (!client || !core.clients.allowsRedirect(client, q.redirect_uri) || q.response_type !== 'code') {
        return reply.status(400).type('text/html').send('<!doctype html><p>Something went wrong: client_key or redirect_uri is invalid.</p>');
      }
      return core.consent.show(reply, {
        platform: 'tiktok',
        platformName: 'TikTok',
        clientId: client.clientId,
        redirectUri: q.redirect_uri!,
        state: q.state,
        scopes: (q.scope ?? '').split(',').filter(Boolean),
        codeChallenge: q.code_challenge,
        codeChallengeMethod: q.code_challenge_method,
      });
    });

    app.post('/api/v2/oauth/token/', async (request, reply) => {
      const auth = core.clients.authenticate('tiktok', request, ['body']);
      if (!auth.ok) return reply.status(401).send(oauthError('invalid_client', 'Client key or secret is incorrect.'));
      const body = request.body as Record<string, string | undefined>;
      const now = core.clock.nowMs();
      if (body.grant_type === 'authorization_code') {
        const result = core.grants.redeemCode('tiktok', body.code ?? '', { clientId: auth.client.clientId, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier });
        if (!result.ok) {
          const description = result.error === 'code_expired' ? 'Authorization code is expired.' : result.error === 'redirect_mismatch' ? 'Redirect URI mismatch.' : 'Authorization code is invalid.';
          return reply.status(400).send(oauthError('invalid_grant', description));
        }
        return tokenResponse(result.value, now);
      }
      if (body.grant_type === 'refresh_token') {
        const result = core.grants.refresh('tiktok', body.refresh_token ?? '', { clientId: auth.client.clientId });
        if (!result.ok) return reply.status(400).send(oauthError('invalid_grant', 'Refresh token is invalid or expired.'));
        core.requests.countRefresh(result.value.grant.id);
        return tokenResponse(result.value, now);
      }
      return reply.status(400).send(oauthError('unsupported_grant_type', 'The grant type is not supported.'));
    });

    app.post('/api/v2/oauth/revoke/', async (request, reply) => {
      const auth = core.clients.authenticate('tiktok', request, ['body']);
      if (!auth.ok) return reply.status(401).send(oauthError('invalid_client', 'Client key or secret is incorrect.'));
      const { token } = request.body as { token?: string };
      const found = token ? core.grants.find(token) : undefined;
      if (!found || found.grant.clientId !== auth.client.clientId || found.grant.revoked) {
        return reply.status(401).send(apiError('access_token_invalid', 'The access token is invalid or not found in the request.'));
      }
      core.grants.revokeToken(token!, { wholeGrant: true, reason: 'app_revoked' });
      return {};
    });

    app.get('/api/v2/user/info/', async (request, reply) => {
      const grant = tiktokUser(core, request, reply, 'user.info.basic');
      if (!grant) return reply;
      const fields = ((request.query as { fields?: string }).fields ?? '').split(',').filter(Boolean);
      if (fields.length === 0) return reply.status(400).send(apiError('invalid_params', 'The fields parameter is required.'));
      if (fields.includes('username') && !grant.scopes.includes('user.info.profile')) {
        return reply.status(401).send(apiError('scope_not_authorized', 'The user did not authorize the scope required for completing this request: user.info.profile'));
      }
      const account = core.account('tiktok', grant.accountId);
      const all: Record<string, unknown> = {
        open_id: grant.accountId,
        union_id: `union-${grant.accountId}`,
        avatar_url: `https://p16-sign.tiktokcdn-us.com/sandbox/${account?.username ?? 'user'}.jpeg`,
        display_name: account?.displayName ?? '',
        username: account?.username ?? '',
      };
      return apiOk({ user: Object.fromEntries(fields.filter((f) => f in all).map((f) => [f, all[f]])) });
    });

    app.post('/_admin/lifetimes', async (request, reply) => {
      const { preset } = (request.body ?? {}) as { preset?: string };
      if (preset !== 'current' && preset !== 'legacy') return reply.status(400).send({ error: 'preset must be "current" (2 h / 180 d) or "legacy" (24 h / 365 d)' });
      core.setPolicy('tiktok', { accessTtlMs: TIKTOK_LIFETIMES[preset].accessTtlMs, refreshTtlMs: TIKTOK_LIFETIMES[preset].refreshTtlMs });
      return { preset };
    });

    app.post('/_admin/webhook', async (request, reply) => {
      const { url } = (request.body ?? {}) as { url?: string };
      if (typeof url !== 'string' || !core.callbackAllowed(url)) return reply.status(400).send({ error: 'url must be an http(s) URL (in the sandbox, on Perennial itself)' });
      moduleState(webhookUrls, core, () => ({ url: null as string | null })).url = url;
      return { url };
    });

    app.post('/_admin/users/:openId/remove-authorization', async (request, reply) => {
      const { openId } = request.params as { openId: string };
      const { reason = 1 } = (request.body ?? {}) as { reason?: number };
      if (!core.account('tiktok', openId)) return reply.status(404).send({ error: 'unknown user' });
      if (!Number.isInteger(reason) || reason < 0 || reason > 5) return reply.status(400).send({ error: 'reason must be 0 to 5' });
      return removeAuthorization(core, openId, reason);
    });

    registerTikTokPostRoutes(app, core);
  },
};
