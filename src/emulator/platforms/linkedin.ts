import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Grant, Issued } from '../core/grantStore.ts';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';
import { bearerToken } from './emulatorRequests.ts';
import { registerLinkedInPostRoutes } from './linkedinPosts.ts';

/**
 * LinkedIn OAuth and REST (platforms.md §3): 60-day access tokens, 365-day refresh tokens whose
 * end is fixed at the first grant (`refresh_token_expires_in` counts down), the client secret in
 * the form body, `introspectToken`, and members who administer organizations. Refresh tokens are
 * for partner apps only: POST /linkedin/_admin/refresh-tokens {enabled} switches them.
 */
const DAY = 86_400_000;

export type LinkedInOrganization = { id: string; name: string; vanityName: string };

const INVALID_GRANT = { error: 'invalid_request', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked' };
const BAD_CODE = {
  error: 'invalid_redirect_uri',
  error_description: 'Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists',
};
const API_401 = {
  invalid_token: { status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' },
  revoked: { status: 401, serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', message: 'The token used in the request has been revoked by the user' },
  expired: { status: 401, serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', message: 'The token used in the request has expired' },
};

export function accessDenied(what: string) {
  return { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: `Not enough permissions to access: ${what}` };
}

export function organizationsOf(core: EmulatorCore, memberId: string): LinkedInOrganization[] {
  const orgs = core.account('linkedin', memberId)?.extra?.organizations;
  return Array.isArray(orgs) ? (orgs as LinkedInOrganization[]) : [];
}

/** The live grant behind the request's bearer token, or null after replying with LinkedIn's 401. */
export function linkedinMember(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply): Grant | null {
  const token = bearerToken(request);
  if (!token) {
    void reply.status(401).send({ message: 'Empty oauth2_access_token', serviceErrorCode: 401, status: 401 });
    return null;
  }
  const auth = core.grants.authenticate('linkedin', token);
  if (!auth.ok) {
    void reply.status(401).send(API_401[auth.error]);
    return null;
  }
  return auth.value.grant;
}

function tokenResponse(issued: Issued, nowMs: number) {
  const { access, refresh, grant } = issued;
  const secondsUntil = (ms: number | null) => (ms === null ? undefined : Math.max(0, Math.round((ms - nowMs) / 1000)));
  return {
    access_token: access.token,
    expires_in: secondsUntil(access.expiresAtMs),
    ...(refresh ? { refresh_token: refresh.token, refresh_token_expires_in: secondsUntil(refresh.expiresAtMs) } : {}),
    scope: grant.scopes.join(','),
  };
}

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'linkedin',
  policy: {
    ...DEFAULT_POLICY,
    accessTtlMs: 60 * DAY,
    refreshTtlMs: 365 * DAY,
    slidingRefreshEnd: false, // the refresh end is fixed at the first grant
    rotation: false, // [UNC] whether the string changes; the community says it usually does not
    codeTtlMs: 30 * 60_000,
  },
  accounts: [
    {
      id: 'li-alice',
      username: 'alice-sandbox',
      displayName: 'Alice Martin (sandbox)',
      extra: {
        organizations: [
          { id: '2414183', name: 'Acme Gardens (sandbox)', vanityName: 'acme-gardens' },
          { id: '1035', name: 'Globex Tools (sandbox)', vanityName: 'globex-tools' },
        ],
      },
    },
    { id: 'li-bob', username: 'bob-sandbox', displayName: 'Bob Keller (sandbox)', extra: { organizations: [] } },
  ],

  routes(app, core) {
    app.get('/www/oauth/v2/authorization', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('linkedin', q.client_id);
      if (!client || !core.clients.allowsRedirect(client, q.redirect_uri) || q.response_type !== 'code') {
        return reply.status(400).type('text/html').send('<!doctype html><p>The redirect_uri does not match the registered value, or the client id is unknown.</p>');
      }
      return core.consent.show(reply, {
        platform: 'linkedin',
        platformName: 'LinkedIn',
        clientId: client.clientId,
        redirectUri: q.redirect_uri!,
        state: q.state,
        scopes: (q.scope ?? '').split(/[\s,]+/).filter(Boolean),
      });
    });

    app.post('/www/oauth/v2/accessToken', async (request, reply) => {
      const auth = core.clients.authenticate('linkedin', request, ['body']);
      if (!auth.ok) return reply.status(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
      const body = request.body as Record<string, string | undefined>;
      const now = core.clock.nowMs();
      if (body.grant_type === 'authorization_code') {
        const result = core.grants.redeemCode('linkedin', body.code ?? '', { clientId: auth.client.clientId, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier });
        return result.ok ? tokenResponse(result.value, now) : reply.status(400).send(BAD_CODE);
      }
      if (body.grant_type === 'refresh_token') {
        if (!body.refresh_token) return reply.status(400).send({ error: 'invalid_request', error_description: 'A required parameter "refresh_token" is missing' });
        const result = core.grants.refresh('linkedin', body.refresh_token, { clientId: auth.client.clientId });
        if (!result.ok) return reply.status(400).send(INVALID_GRANT);
        core.requests.countRefresh(result.value.grant.id);
        return tokenResponse(result.value, now);
      }
      return reply.status(400).send({ error: 'unsupported_grant_type', error_description: 'The grant type is not supported' });
    });

    // 400: unknown client id or token; 401: wrong client secret (learn.microsoft.com token-introspection).
    app.post('/www/oauth/v2/introspectToken', async (request, reply) => {
      const body = request.body as Record<string, string | undefined>;
      const client = core.clients.get('linkedin', body.client_id);
      if (!client) return reply.status(400).send({ error: 'invalid_request', error_description: 'Invalid client id' });
      if (body.client_secret !== client.clientSecret) return reply.status(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
      const found = body.token ? core.grants.find(body.token) : undefined;
      if (!found || found.grant.platform !== 'linkedin' || found.grant.clientId !== client.clientId) {
        return reply.status(400).send({ error: 'invalid_request', error_description: 'Invalid token' });
      }
      const { record, grant } = found;
      const now = core.clock.nowMs();
      const revoked = grant.revoked !== null || record.revokedAtMs !== null;
      const expired = record.expiresAtMs !== null && now >= record.expiresAtMs;
      const status = revoked ? 'revoked' : expired ? 'expired' : 'active';
      return {
        active: status === 'active',
        client_id: client.clientId,
        authorized_at: Math.floor(grant.createdAtMs / 1000),
        created_at: Math.floor(record.issuedAtMs / 1000),
        status,
        ...(record.expiresAtMs !== null ? { expires_at: Math.floor(record.expiresAtMs / 1000) } : {}),
        scope: grant.scopes.join(','),
        auth_type: '3L',
      };
    });

    app.get('/api/v2/userinfo', async (request, reply) => {
      const grant = linkedinMember(core, request, reply);
      if (!grant) return reply;
      if (!grant.scopes.includes('openid')) return reply.status(403).send(accessDenied('userinfo'));
      const account = core.account('linkedin', grant.accountId);
      const [given = '', ...family] = (account?.displayName ?? '').split(' ');
      return { sub: grant.accountId, name: account?.displayName ?? '', given_name: given, family_name: family.join(' '), locale: { country: 'US', language: 'en' }, email_verified: true };
    });

    app.get('/api/rest/organizationAcls', async (request, reply) => {
      const grant = linkedinMember(core, request, reply);
      if (!grant) return reply;
      const q = request.query as Record<string, string | undefined>;
      if (!grant.scopes.includes('rw_organization_admin')) return reply.status(403).send(accessDenied('organizationAcls.FINDER-roleAssignee'));
      if (q.q !== 'roleAssignee') return reply.status(400).send({ status: 400, message: 'Invalid query parameters passed to request' });
      const elements = organizationsOf(core, grant.accountId)
        .filter(() => (q.role ?? 'ADMINISTRATOR') === 'ADMINISTRATOR')
        .map((o) => ({ roleAssignee: `urn:li:person:${grant.accountId}`, role: 'ADMINISTRATOR', state: 'APPROVED', organization: `urn:li:organization:${o.id}` }));
      return { elements, paging: { start: 0, count: elements.length, total: elements.length } };
    });

    app.get('/api/rest/organizations/:id', async (request, reply) => {
      const grant = linkedinMember(core, request, reply);
      if (!grant) return reply;
      const { id } = request.params as { id: string };
      const org = core.accounts('linkedin').flatMap((a) => organizationsOf(core, a.id)).find((o) => o.id === id);
      if (!org) return reply.status(404).send({ status: 404, serviceErrorCode: 0, code: 'RESOURCE_NOT_FOUND', message: `Organization ${id} not found` });
      return { id: Number(org.id), localizedName: org.name, vanityName: org.vanityName };
    });

    app.post('/_admin/refresh-tokens', async (request) => {
      const { enabled } = (request.body ?? {}) as { enabled?: boolean };
      core.setPolicy('linkedin', { issueRefreshToken: () => enabled !== false });
      return { refreshTokens: enabled !== false };
    });

    /** Takes away a member's admin role on one organization (posting as it then answers 403). */
    app.delete('/_admin/members/:memberId/organizations/:orgId', async (request, reply) => {
      const { memberId, orgId } = request.params as { memberId: string; orgId: string };
      const account = core.account('linkedin', memberId);
      if (!account) return reply.status(404).send({ error: 'unknown member' });
      core.addAccount('linkedin', { ...account, extra: { ...account.extra, organizations: organizationsOf(core, memberId).filter((o) => o.id !== orgId) } });
      return { organizations: organizationsOf(core, memberId) };
    });

    registerLinkedInPostRoutes(app, core);
  },
};
