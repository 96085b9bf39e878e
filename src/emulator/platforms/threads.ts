/**
 * Threads in the emulator: the authorize page, the code exchange (`{access_token, user_id}`),
 * th_exchange_token, th_refresh_token (24 h minimum age, GET only), debug_token, /me, container
 * publishing (text, image, video, carousel) and the deauthorize callback.
 */
import type { EmulatorPlatformModule, FastifyReply, FastifyRequest } from '../core/types.ts';
import { registerContainerRoutes } from './meta/containerRoutes.ts';
import { registerDeauthorizeRoutes } from './meta/deauthorizeRoutes.ts';
import { authenticateGraph, clientErrorBody, codeErrorBody, graphError, META_POLICY, metaPolicy, stringField, tokenErrorBody } from './meta/graphReplies.ts';
import { registerLongLivedTokenRoutes } from './meta/longLivedTokenRoutes.ts';

const HOUR_MS = 3_600_000;
const sec = (ms: number | null | undefined) => (ms == null ? 0 : Math.floor(ms / 1000));

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'threads',
  policy: { ...META_POLICY, minRefreshAgeMs: 24 * HOUR_MS },
  accounts: [
    { id: '25000000000000001', username: 'alice.sandbox', displayName: 'Alice (sandbox)' },
    { id: '25000000000000002', username: 'bob.sandbox', displayName: 'Bob (sandbox)' },
  ],
  routes(app, core) {
    const authorizePage = async (request: FastifyRequest, reply: FastifyReply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('threads', q.client_id);
      if (!client) return graphError(reply, 400, { message: 'Invalid App ID', code: 101 });
      if (!core.clients.allowsRedirect(client, q.redirect_uri)) return graphError(reply, 400, { message: 'Invalid redirect_uri', code: 191 });
      const scopes = (q.scope ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      return core.consent.show(reply, { platform: 'threads', platformName: 'Threads', clientId: client.clientId, redirectUri: q.redirect_uri!, state: q.state, scopes });
    };
    app.get('/www/oauth/authorize', authorizePage);

    app.post('/graph/oauth/access_token', async (request, reply) => {
      const auth = core.clients.authenticate('threads', request, ['body']);
      if (!auth.ok) return graphError(reply, 400, clientErrorBody(auth.error));
      const redeemed = core.grants.redeemCode('threads', stringField(request.body, 'code') ?? '', {
        clientId: auth.client.clientId,
        redirectUri: stringField(request.body, 'redirect_uri'),
        codeVerifier: undefined,
      });
      if (!redeemed.ok) return graphError(reply, 400, codeErrorBody(redeemed.error));
      redeemed.value.access.expiresAtMs = core.clock.nowMs() + metaPolicy(core, 'threads').shortTtlMs;
      return { access_token: redeemed.value.access.token, user_id: redeemed.value.grant.accountId };
    });

    registerLongLivedTokenRoutes(app, core, 'threads', { exchange: 'th_exchange_token', refresh: 'th_refresh_token' });

    /** The access_token must be a valid token of the same app (Meta: a Threads tester's). */
    app.get('/graph/:version/debug_token', async (request, reply) => {
      const caller = authenticateGraph(core, 'threads', request, reply);
      if (!caller) return reply;
      const input = stringField(request.query, 'input_token') ?? '';
      const found = core.grants.find(input);
      if (!found || found.record.kind !== 'access' || found.grant.clientId !== caller.grant.clientId) {
        return { data: { is_valid: false, error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, scopes: [] } };
      }
      const nowMs = core.clock.nowMs();
      const auth = core.grants.authenticate('threads', input);
      const reason = auth.ok ? null : auth.error === 'revoked' ? (found.grant.revoked?.reason ?? 'app_revoked') : auth.error;
      const data: Record<string, unknown> = {
        type: 'USER',
        application: 'Threads',
        is_valid: auth.ok,
        expires_at: sec(found.record.expiresAtMs),
        // Threads permissions last 90 days from the grant (private profiles: platforms.md §8).
        data_access_expires_at: sec(found.grant.createdAtMs + metaPolicy(core, 'threads').dataAccessTtlMs),
        issued_at: sec(found.record.issuedAtMs),
        scopes: found.grant.scopes,
        user_id: found.grant.accountId,
      };
      if (reason) {
        const body = tokenErrorBody(reason, { clientId: found.grant.clientId, expiresAtMs: found.record.expiresAtMs, nowMs });
        data.error = { code: body.code, message: body.message, ...(body.error_subcode ? { subcode: body.error_subcode } : {}) };
      }
      return { data };
    });

    app.get('/graph/:version/me', async (request, reply) => {
      const auth = authenticateGraph(core, 'threads', request, reply);
      if (!auth) return reply;
      const account = core.account('threads', auth.grant.accountId);
      return {
        id: auth.grant.accountId,
        username: account?.username,
        name: account?.displayName,
        threads_profile_picture_url: `https://sandbox.invalid/threads/${auth.grant.accountId}.png`,
      };
    });

    registerContainerRoutes(
      app,
      core,
      'threads',
      {
        createEdge: 'threads',
        publishEdge: 'threads_publish',
        textField: 'text',
        statusField: 'status',
        textMax: 500,
        maxChildren: 20,
        allowsText: true,
        permalink: (postId, accountId) => `https://www.threads.net/@${core.account('threads', accountId)?.username ?? accountId}/post/SBX${postId}`,
      },
      (request, reply, accountId) => {
        const auth = authenticateGraph(core, 'threads', request, reply);
        if (!auth) return false;
        const mayPublish = request.method !== 'POST' || auth.grant.scopes.includes('threads_content_publish');
        if ((accountId !== null && accountId !== auth.grant.accountId) || !mayPublish) {
          graphError(reply, 403, { message: '(#10) Application does not have permission for this action', code: 10 });
          return false;
        }
        return true;
      },
    );

    registerDeauthorizeRoutes(app, core, 'threads');
  },
};
