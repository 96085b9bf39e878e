/**
 * The Instagram-Login and Threads token model (platforms.md §2a, §8, §11.3 item 5):
 *   GET /graph/access_token?grant_type=<ig|th>_exchange_token&client_secret&access_token
 *       a valid short-lived token → a new 60-day token
 *   GET /graph/refresh_access_token?grant_type=<ig|th>_refresh_token&access_token   (GET only)
 *       a token at least `minRefreshAgeMs` old and unexpired → a fresh 60-day token; younger:
 *       the configurable `tooYoungStatus`/`tooYoungCode` error; expired: 190 "Session has expired"
 */
import type { PlatformId } from '../../../providers/types.ts';
import type { EmulatorApp, EmulatorCore, FastifyReply } from '../../core/types.ts';
import { clientErrorBody, graphError, metaPolicy, stringField, tokenErrorBody } from './graphReplies.ts';

export type LongLivedGrants = { exchange: 'ig_exchange_token' | 'th_exchange_token'; refresh: 'ig_refresh_token' | 'th_refresh_token' };

const sec = (ms: number) => Math.max(0, Math.floor(ms / 1000));

export function registerLongLivedTokenRoutes(app: EmulatorApp, core: EmulatorCore, platform: PlatformId, grants: LongLivedGrants): void {
  const tokenError = (reply: FastifyReply, token: string, error: string, clientId: string) =>
    graphError(reply, 400, tokenErrorBody(error, { clientId, expiresAtMs: core.grants.find(token)?.record.expiresAtMs, nowMs: core.clock.nowMs() }));

  app.get('/graph/access_token', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    if (q.grant_type !== grants.exchange) return graphError(reply, 400, { message: `(#100) grant_type must be ${grants.exchange}`, code: 100 });
    const token = q.access_token ?? '';
    const auth = core.grants.authenticate(platform, token);
    if (!auth.ok) return tokenError(reply, token, auth.error === 'revoked' ? (auth.grant?.revoked?.reason ?? 'app_revoked') : auth.error, auth.grant?.clientId ?? '');
    const { grant } = auth.value;
    const client = core.clients.get(platform, grant.clientId);
    if (!q.client_secret) return graphError(reply, 400, clientErrorBody('missing'));
    if (!client || client.clientSecret !== q.client_secret) return graphError(reply, 400, clientErrorBody('invalid'));
    const issued = core.grants.createGrant({ platform, clientId: grant.clientId, accountId: grant.accountId, scopes: grant.scopes });
    return { access_token: issued.access.token, token_type: 'bearer', expires_in: sec(issued.access.expiresAtMs! - core.clock.nowMs()) };
  });

  app.post('/graph/refresh_access_token', async (_request, reply) =>
    graphError(reply, 400, { message: 'Unsupported request - method type: post', type: 'GraphMethodException', code: 100 }),
  );

  app.get('/graph/refresh_access_token', async (request, reply) => {
    if (stringField(request.query, 'grant_type') !== grants.refresh) {
      return graphError(reply, 400, { message: `(#100) grant_type must be ${grants.refresh}`, code: 100 });
    }
    const token = stringField(request.query, 'access_token') ?? '';
    const extended = core.grants.extendAccess(platform, token);
    if (!extended.ok) {
      if (extended.error === 'too_young') {
        const policy = metaPolicy(core, platform);
        return graphError(reply, policy.tooYoungStatus, {
          message: '(#100) The access token must be at least 24 hours old to be refreshed.',
          code: policy.tooYoungCode,
        });
      }
      const reason = extended.error === 'revoked' ? (extended.grant?.revoked?.reason ?? 'app_revoked') : extended.error;
      return tokenError(reply, token, reason, extended.grant?.clientId ?? '');
    }
    core.requests.countRefresh(extended.value.grant.id);
    return { access_token: extended.value.access.token, token_type: 'bearer', expires_in: sec(extended.value.access.expiresAtMs! - core.clock.nowMs()) };
  });
}
