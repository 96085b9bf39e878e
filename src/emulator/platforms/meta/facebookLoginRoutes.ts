/**
 * Facebook Login as the emulator speaks it (facebook and instagram_fb): the dialog, code →
 * short-lived user token, fb_exchange_token, Page tokens from /me/accounts (no expiry when the
 * user token is long-lived), debug_token, /me and DELETE /{user}/permissions. The fake accounts
 * are people; their Pages (and linked Instagram accounts) are in `extra.pages`.
 */
import type { PlatformId } from '../../../providers/types.ts';
import type { EmulatorApp, EmulatorCore, FakeAccount, FastifyReply, FastifyRequest } from '../../core/types.ts';
import {
  authenticateGraph,
  clientErrorBody,
  codeErrorBody,
  DataAccess,
  graphError,
  metaPolicy,
  stringField,
  tokenErrorBody,
} from './graphReplies.ts';

export type FakePage = { id: string; name: string; instagram?: { id: string; username: string; name: string } };

export function pagesOf(account: FakeAccount | undefined): FakePage[] {
  return ((account?.extra?.pages as FakePage[] | undefined) ?? []).map((p) => ({ ...p }));
}

/** Per-emulator state of one Facebook-Login platform. */
export type FacebookLoginState = {
  platform: PlatformId;
  dataAccess: DataAccess;
  /** Tokens straight from a code (1 h); everything else is long-lived. */
  shortTokens: Set<string>;
  /** Page token → which Page, for which user. */
  pageTokens: Map<string, { pageId: string; userId: string }>;
  /** `${userGrantId}:${pageId}` → its Page token (one per user grant and Page, as Meta answers). */
  pageTokenByGrant: Map<string, string>;
};

export function createFacebookLoginState(platform: PlatformId): FacebookLoginState {
  return { platform, dataAccess: new DataAccess(), shortTokens: new Set(), pageTokens: new Map(), pageTokenByGrant: new Map() };
}

const sec = (ms: number | null | undefined) => (ms == null ? 0 : Math.floor(ms / 1000));

export function registerFacebookLoginRoutes(app: EmulatorApp, core: EmulatorCore, state: FacebookLoginState, platformName: string): void {
  const { platform } = state;

  app.get('/www/:version/dialog/oauth', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const client = core.clients.get(platform, q.client_id);
    if (!client) return graphError(reply, 400, { message: 'Invalid App ID: the app id is not valid.', code: 101 });
    if (!core.clients.allowsRedirect(client, q.redirect_uri)) {
      return graphError(reply, 400, { message: "URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings.", code: 191 });
    }
    const scopes = (q.scope ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    return core.consent.show(reply, { platform, platformName, clientId: client.clientId, redirectUri: q.redirect_uri!, state: q.state, scopes });
  });

  app.get('/graph/:version/oauth/access_token', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const auth = core.clients.authenticate(platform, request, ['body']);
    if (!auth.ok) return graphError(reply, 400, clientErrorBody(auth.error));
    const nowMs = core.clock.nowMs();
    const policy = metaPolicy(core, platform);

    if (q.grant_type === 'fb_exchange_token') {
      const token = q.fb_exchange_token ?? '';
      const current = core.grants.authenticate(platform, token);
      if (!current.ok) {
        const reason = current.error === 'revoked' ? (current.grant?.revoked?.reason ?? 'app_revoked') : current.error;
        return graphError(reply, 400, tokenErrorBody(reason, { clientId: auth.client.clientId, expiresAtMs: core.grants.find(token)?.record.expiresAtMs, nowMs }));
      }
      const { grant, access } = current.value;
      if (grant.clientId !== auth.client.clientId) return graphError(reply, 400, { message: 'Error validating access token: the token belongs to another app.', code: 190 });
      if (state.shortTokens.has(token)) {
        // Short → long: a new long-lived grant for the same person and scopes.
        const issued = core.grants.createGrant({ platform, clientId: grant.clientId, accountId: grant.accountId, scopes: grant.scopes });
        return { access_token: issued.access.token, token_type: 'bearer', expires_in: sec(issued.access.expiresAtMs! - nowMs) };
      }
      if (policy.exchangeExtends) {
        const extended = core.grants.extendAccess(platform, token);
        if (extended.ok) {
          core.requests.countRefresh(grant.id);
          return { access_token: extended.value.access.token, token_type: 'bearer', expires_in: sec(extended.value.access.expiresAtMs! - nowMs) };
        }
      }
      // Not extended: the same token, with what is left of its life.
      return { access_token: token, token_type: 'bearer', expires_in: sec((access.expiresAtMs ?? nowMs) - nowMs) };
    }

    const redeemed = core.grants.redeemCode(platform, q.code ?? '', { clientId: auth.client.clientId, redirectUri: q.redirect_uri, codeVerifier: undefined });
    if (!redeemed.ok) return graphError(reply, 400, codeErrorBody(redeemed.error));
    const { access, grant } = redeemed.value;
    access.expiresAtMs = nowMs + policy.shortTtlMs;
    state.shortTokens.add(access.token);
    state.dataAccess.touch(platform, grant.accountId, nowMs);
    return { access_token: access.token, token_type: 'bearer', expires_in: sec(policy.shortTtlMs) };
  });

  const debugToken = async (request: FastifyRequest, reply: FastifyReply) => {
    const q = request.query as Record<string, string | undefined>;
    const [appId, appSecret] = (q.access_token ?? '').split('|');
    const client = core.clients.get(platform, appId);
    if (!client || client.clientSecret !== appSecret) return graphError(reply, 400, { message: 'Invalid OAuth access token signature.', code: 190 });
    const input = q.input_token ?? '';
    const found = core.grants.find(input);
    if (!found || found.record.kind !== 'access') {
      return { data: { is_valid: false, error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, scopes: [] } };
    }
    const { grant, record } = found;
    const nowMs = core.clock.nowMs();
    const page = state.pageTokens.get(input);
    const auth = core.grants.authenticate(platform, input);
    const reason = auth.ok ? null : auth.error === 'revoked' ? (grant.revoked?.reason ?? 'app_revoked') : auth.error;
    const data: Record<string, unknown> = {
      app_id: grant.clientId,
      type: page ? 'PAGE' : 'USER',
      application: platformName,
      is_valid: auth.ok && grant.clientId === client.clientId,
      expires_at: sec(record.expiresAtMs),
      data_access_expires_at: sec(state.dataAccess.expiresAtMs(core, platform, grant.accountId)),
      issued_at: sec(record.issuedAtMs),
      scopes: grant.scopes,
      user_id: grant.accountId,
    };
    if (page) data.profile_id = page.pageId;
    if (reason) {
      const body = tokenErrorBody(reason, { clientId: grant.clientId, expiresAtMs: record.expiresAtMs, nowMs });
      data.error = { code: body.code, message: body.message, ...(body.error_subcode ? { subcode: body.error_subcode } : {}) };
    }
    return { data };
  };
  app.get('/graph/debug_token', debugToken);
  app.get('/graph/:version/debug_token', debugToken);

  app.get('/graph/:version/me/accounts', async (request, reply) => {
    const auth = authenticateGraph(core, platform, request, reply, state.dataAccess);
    if (!auth) return reply;
    if (state.pageTokens.has(auth.token)) return graphError(reply, 400, { message: '(#100) Tried accessing nonexisting field (accounts) on node type (Page)', code: 100 });
    const fields = new Set((stringField(request.query, 'fields') ?? 'id,name,access_token').split(/,(?![^{]*})/).map((f) => f.replace(/\{.*$/, '')));
    const shortLived = state.shortTokens.has(auth.token);
    const data = pagesOf(core.account(platform, auth.grant.accountId)).map((page) => {
      const token = pageTokenFor(core, state, auth.grant, page.id, shortLived ? auth.expiresAtMs : null);
      const entry: Record<string, unknown> = { id: page.id, name: page.name };
      if (fields.has('access_token')) entry.access_token = token;
      if (fields.has('tasks')) entry.tasks = ['ADVERTISE', 'ANALYZE', 'CREATE_CONTENT', 'MESSAGING', 'MODERATE', 'MANAGE'];
      if (fields.has('picture')) entry.picture = { data: { url: `https://sandbox.invalid/pages/${page.id}.png` } };
      if (fields.has('instagram_business_account') && page.instagram) {
        entry.instagram_business_account = { ...page.instagram, profile_picture_url: `https://sandbox.invalid/ig/${page.instagram.id}.png` };
      }
      return entry;
    });
    return { data, paging: { cursors: { before: 'MA==', after: 'MA==' } } };
  });

  app.get('/graph/:version/me', async (request, reply) => {
    const auth = authenticateGraph(core, platform, request, reply, state.dataAccess);
    if (!auth) return reply;
    const page = state.pageTokens.get(auth.token);
    if (page) {
      const p = pagesOf(core.account(platform, page.userId)).find((x) => x.id === page.pageId);
      return { id: page.pageId, name: p?.name ?? 'Page' };
    }
    const account = core.account(platform, auth.grant.accountId);
    return { id: auth.grant.accountId, name: account?.displayName ?? 'User' };
  });

  /** DELETE /{user-id}/permissions with the app token or the user's own token: the app is removed. */
  app.delete('/graph/:version/:userId/permissions', async (request, reply) => {
    const { userId } = request.params as { userId: string };
    const token = stringField(request.query, 'access_token') ?? '';
    const [appId, appSecret] = token.split('|');
    const client = core.clients.get(platform, appId);
    let target = userId;
    let app = client?.clientId;
    if (!(client && client.clientSecret === appSecret)) {
      const auth = authenticateGraph(core, platform, request, reply);
      if (!auth) return reply;
      if (userId !== 'me' && userId !== auth.grant.accountId) return graphError(reply, 403, { message: '(#200) Cannot revoke permissions of another user', code: 200 });
      target = auth.grant.accountId;
      app = auth.grant.clientId;
    } else if (userId === 'me') {
      return graphError(reply, 400, { message: 'An active access token must be used to query information about the current user.', code: 2500 });
    }
    // The app is removed from the user's account: every token of every grant the user gave this app dies.
    core.grants.revokeAccount(platform, target, 'app_revoked', { clientId: app });
    return { success: true };
  });
}

/** One non-expiring (or user-token-bound) Page token per user grant and Page. */
function pageTokenFor(
  core: EmulatorCore,
  state: FacebookLoginState,
  userGrant: { id: string; clientId: string; accountId: string; scopes: string[] },
  pageId: string,
  expiresAtMs: number | null,
): string {
  const key = `${userGrant.id}:${pageId}`;
  const existing = state.pageTokenByGrant.get(key);
  if (existing) return existing;
  const issued = core.grants.createGrant({ platform: state.platform, clientId: userGrant.clientId, accountId: userGrant.accountId, scopes: userGrant.scopes });
  state.pageTokenByGrant.set(key, issued.access.token);
  issued.access.expiresAtMs = expiresAtMs;
  state.pageTokens.set(issued.access.token, { pageId, userId: userGrant.accountId });
  return issued.access.token;
}
