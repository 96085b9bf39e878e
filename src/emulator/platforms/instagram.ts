/**
 * Instagram API with Instagram Login in the emulator: the authorize page, the code exchange in
 * its three shapes (policy `codeResponseWrapped` / `permissionsAsArray`) with Instagram's own
 * error shape, ig_exchange_token, ig_refresh_token (24 h minimum age, GET only), /me, container
 * publishing and the deauthorize callback.
 */
import type { EmulatorPlatformModule, FastifyReply } from '../core/types.ts';
import { registerContainerRoutes } from './meta/containerRoutes.ts';
import { registerDeauthorizeRoutes } from './meta/deauthorizeRoutes.ts';
import { authenticateGraph, graphError, META_POLICY, metaPolicy, stringField } from './meta/graphReplies.ts';
import { registerLongLivedTokenRoutes } from './meta/longLivedTokenRoutes.ts';

const HOUR_MS = 3_600_000;

/** Instagram's code-exchange error shape (platforms.md §2a). */
function igError(reply: FastifyReply, message: string): FastifyReply {
  return reply.status(400).send({ error_type: 'OAuthException', code: 400, error_message: message });
}

const CODE_ERRORS: Record<string, string> = {
  code_used: 'This authorization code has been used',
  code_expired: 'This authorization code has expired',
  redirect_mismatch: 'Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request',
};

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'instagram',
  policy: { ...META_POLICY, minRefreshAgeMs: 24 * HOUR_MS },
  accounts: [
    { id: '17841400000021001', username: 'alice.sandbox', displayName: 'Alice (sandbox)' },
    { id: '17841400000021002', username: 'bob.sandbox', displayName: 'Bob (sandbox)' },
  ],
  routes(app, core) {
    app.get('/www/oauth/authorize', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('instagram', q.client_id);
      if (!client) return igError(reply, 'Invalid platform app');
      if (!core.clients.allowsRedirect(client, q.redirect_uri)) return igError(reply, 'Invalid redirect_uri');
      if (q.response_type !== 'code') return igError(reply, 'Invalid response_type: only code is supported');
      const scopes = (q.scope ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      return core.consent.show(reply, { platform: 'instagram', platformName: 'Instagram', clientId: client.clientId, redirectUri: q.redirect_uri!, state: q.state, scopes });
    });

    app.post('/api/oauth/access_token', async (request, reply) => {
      const auth = core.clients.authenticate('instagram', request, ['body']);
      if (!auth.ok) return igError(reply, auth.error === 'missing' ? 'Missing required parameter client_secret' : 'Invalid platform app');
      if (stringField(request.body, 'grant_type') !== 'authorization_code') return igError(reply, 'Unsupported grant_type');
      const redeemed = core.grants.redeemCode('instagram', stringField(request.body, 'code') ?? '', {
        clientId: auth.client.clientId,
        redirectUri: stringField(request.body, 'redirect_uri'),
        codeVerifier: undefined,
      });
      if (!redeemed.ok) return igError(reply, CODE_ERRORS[redeemed.error] ?? 'Invalid authorization code');
      const policy = metaPolicy(core, 'instagram');
      const { access, grant } = redeemed.value;
      access.expiresAtMs = core.clock.nowMs() + policy.shortTtlMs;
      const entry = { access_token: access.token, user_id: Number(grant.accountId), permissions: policy.permissionsAsArray ? grant.scopes : grant.scopes.join(',') };
      return policy.codeResponseWrapped ? { data: [entry] } : entry;
    });

    registerLongLivedTokenRoutes(app, core, 'instagram', { exchange: 'ig_exchange_token', refresh: 'ig_refresh_token' });

    app.get('/graph/:version/me', async (request, reply) => {
      const auth = authenticateGraph(core, 'instagram', request, reply);
      if (!auth) return reply;
      const account = core.account('instagram', auth.grant.accountId);
      return {
        user_id: auth.grant.accountId,
        id: `app-scoped-${auth.grant.accountId}`,
        username: account?.username,
        name: account?.displayName,
        profile_picture_url: `https://sandbox.invalid/ig/${auth.grant.accountId}.png`,
      };
    });

    registerContainerRoutes(
      app,
      core,
      'instagram',
      {
        createEdge: 'media',
        publishEdge: 'media_publish',
        textField: 'caption',
        statusField: 'status_code',
        textMax: 2200,
        maxChildren: 10,
        allowsText: false,
        permalink: (postId) => `https://www.instagram.com/p/SBX${postId}/`,
      },
      (request, reply, accountId) => {
        const auth = authenticateGraph(core, 'instagram', request, reply);
        if (!auth) return false;
        const mayPublish = request.method !== 'POST' || auth.grant.scopes.includes('instagram_business_content_publish');
        if ((accountId !== null && accountId !== auth.grant.accountId) || !mayPublish) {
          graphError(reply, 403, { message: '(#10) Application does not have permission for this action', code: 10 });
          return false;
        }
        return true;
      },
    );

    registerDeauthorizeRoutes(app, core, 'instagram');
  },
};
