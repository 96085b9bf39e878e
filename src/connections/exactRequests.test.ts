import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { eq, isNull } from 'drizzle-orm';
import { answerConsent } from '../emulator/core/consentPages.ts';
import type { LoggedRequest } from '../emulator/core/requestLog.ts';
import { getProvider, redirectUriFor } from '../providers/registry.ts';
import type { PlatformId } from '../providers/types.ts';
import { authorize, callback, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { loadCredential, saveRefreshedTokens } from './credentials.ts';
import { connectionProviderContext } from './platformApps.ts';
import { connections } from './schema.ts';

/**
 * The exact requests each adapter sends, through Perennial, to the emulator (platforms.md): the
 * code exchange and account lookups of a connect, a verify, a refresh and the revocation of a
 * disconnect; method, path, every query and form parameter, client authentication and bearer.
 * Secrets are named: the stored `<access>` / `<refresh>` tokens, the `<code>`, the app secret
 * as itself; other one-time tokens (a short-lived token, a PKCE verifier) are `<token>`.
 */
type Call = { call: string; query?: Record<string, string>; body?: Record<string, unknown> | null; auth?: LoggedRequest['clientAuth']; bearer?: string | null };
type Spec = {
  platform: PlatformId;
  account: string;
  pick?: string;
  /** Bluesky: an app password instead of a consent page. */
  password?: { identifier: string; password: string };
  instanceUrl?: string;
  connect: Call[];
  verify: Call[];
  /** 'none': the platform has nothing to refresh (no request is sent). */
  refresh: Call[] | 'none';
  /** How old the token must be before it can be refreshed (IG/Threads 24 h). */
  refreshAfterMs?: number;
  revoke: Call[];
};

const HOUR = 3_600_000;
const APP = (p: string) => ({ client_id: `sandbox-${p}`, client_secret: `sandbox-secret-${p}` });
const appToken = (p: string) => `sandbox-${p}|sandbox-secret-${p}`;
const FB_EXCHANGE = (p: string): Call[] => [
  { call: 'GET /graph/v22.0/oauth/access_token', query: { client_id: `sandbox-${p}`, redirect_uri: '<redirect>', client_secret: `sandbox-secret-${p}`, code: '<code>' }, auth: 'body' },
  { call: 'GET /graph/v22.0/oauth/access_token', query: { grant_type: 'fb_exchange_token', ...APP(p), fb_exchange_token: '<token>' }, auth: 'body' },
  { call: 'GET /graph/debug_token', query: { input_token: '<token>', access_token: appToken(p) } },
];

const specs: Spec[] = [
  {
    platform: 'facebook', account: '10001', pick: '20001',
    connect: [...FB_EXCHANGE('facebook'), { call: 'GET /graph/v22.0/me/accounts', query: { fields: 'id,name,access_token,picture{url},tasks', limit: '100', access_token: '<token>' } }],
    verify: [{ call: 'GET /graph/debug_token', query: { input_token: '<access>', access_token: appToken('facebook') } }],
    refresh: 'none',
    revoke: [{ call: 'DELETE /graph/v22.0/10001/permissions', query: { access_token: appToken('facebook') } }],
  },
  {
    platform: 'instagram_fb', account: '11001',
    connect: [...FB_EXCHANGE('instagram_fb'), { call: 'GET /graph/v22.0/me/accounts', query: { fields: 'id,name,access_token,instagram_business_account{id,username,name,profile_picture_url}', limit: '100', access_token: '<token>' } }],
    verify: [{ call: 'GET /graph/debug_token', query: { input_token: '<access>', access_token: appToken('instagram_fb') } }],
    refresh: 'none',
    revoke: [{ call: 'DELETE /graph/v22.0/11001/permissions', query: { access_token: appToken('instagram_fb') } }],
  },
  {
    platform: 'instagram', account: '17841400000021001', refreshAfterMs: 25 * HOUR,
    connect: [
      { call: 'POST /api/oauth/access_token', body: { ...APP('instagram'), grant_type: 'authorization_code', redirect_uri: '<redirect>', code: '<code>' }, auth: 'body' },
      { call: 'GET /graph/access_token', query: { grant_type: 'ig_exchange_token', client_secret: 'sandbox-secret-instagram', access_token: '<token>' } },
      { call: 'GET /graph/v22.0/me', query: { fields: 'user_id,username,name,profile_picture_url', access_token: '<token>' } },
    ],
    verify: [{ call: 'GET /graph/v22.0/me', query: { fields: 'user_id,username,name,profile_picture_url', access_token: '<access>' } }],
    refresh: [{ call: 'GET /graph/refresh_access_token', query: { grant_type: 'ig_refresh_token', access_token: '<access>' } }],
    revoke: [],
  },
  {
    platform: 'threads', account: '25000000000000001', refreshAfterMs: 25 * HOUR,
    connect: [
      { call: 'POST /graph/oauth/access_token', body: { ...APP('threads'), code: '<code>', grant_type: 'authorization_code', redirect_uri: '<redirect>' }, auth: 'body' },
      { call: 'GET /graph/access_token', query: { grant_type: 'th_exchange_token', client_secret: 'sandbox-secret-threads', access_token: '<token>' } },
      { call: 'GET /graph/v1.0/me', query: { fields: 'id,username,name,threads_profile_picture_url', access_token: '<token>' } },
    ],
    verify: [{ call: 'GET /graph/v1.0/me', query: { fields: 'id,username,name,threads_profile_picture_url', access_token: '<access>' } }],
    refresh: [{ call: 'GET /graph/refresh_access_token', query: { grant_type: 'th_refresh_token', access_token: '<access>' } }],
    revoke: [],
  },
  {
    platform: 'linkedin', account: 'li-alice', pick: 'urn:li:person:li-alice',
    connect: [
      { call: 'POST /www/oauth/v2/accessToken', body: { grant_type: 'authorization_code', code: '<code>', redirect_uri: '<redirect>', ...APP('linkedin') }, auth: 'body' },
      { call: 'GET /api/v2/userinfo', bearer: '<token>' },
      { call: 'GET /api/rest/organizationAcls', query: { q: 'roleAssignee', role: 'ADMINISTRATOR', state: 'APPROVED' }, bearer: '<token>' },
      { call: 'GET /api/rest/organizations/2414183', bearer: '<token>' },
      { call: 'GET /api/rest/organizations/1035', bearer: '<token>' },
    ],
    verify: [{ call: 'POST /www/oauth/v2/introspectToken', body: { token: '<access>', ...APP('linkedin') }, auth: 'body' }],
    refresh: [{ call: 'POST /www/oauth/v2/accessToken', body: { grant_type: 'refresh_token', refresh_token: '<refresh>', ...APP('linkedin') }, auth: 'body' }],
    revoke: [],
  },
  {
    platform: 'x', account: '1500000000000000001',
    connect: [
      { call: 'POST /api/2/oauth2/token', body: { grant_type: 'authorization_code', code: '<code>', redirect_uri: '<redirect>', code_verifier: '<token>' }, auth: 'basic' },
      { call: 'GET /api/2/users/me', bearer: '<token>' },
    ],
    verify: [{ call: 'GET /api/2/users/me', bearer: '<access>' }],
    refresh: [{ call: 'POST /api/2/oauth2/token', body: { grant_type: 'refresh_token', refresh_token: '<refresh>' }, auth: 'basic' }],
    revoke: [{ call: 'POST /api/2/oauth2/revoke', body: { token: '<refresh>', token_type_hint: 'refresh_token' }, auth: 'basic' }],
  },
  {
    platform: 'tiktok', account: '-000AbCdEfGhAlice',
    connect: [
      { call: 'POST /api/v2/oauth/token/', body: { client_key: 'sandbox-tiktok', client_secret: 'sandbox-secret-tiktok', code: '<code>', grant_type: 'authorization_code', redirect_uri: '<redirect>' }, auth: 'body' },
      { call: 'GET /api/v2/user/info/', query: { fields: 'open_id,union_id,avatar_url,display_name,username' }, bearer: '<token>' },
    ],
    verify: [{ call: 'GET /api/v2/user/info/', query: { fields: 'open_id,union_id,avatar_url,display_name,username' }, bearer: '<access>' }],
    refresh: [{ call: 'POST /api/v2/oauth/token/', body: { client_key: 'sandbox-tiktok', client_secret: 'sandbox-secret-tiktok', grant_type: 'refresh_token', refresh_token: '<refresh>' }, auth: 'body' }],
    revoke: [{ call: 'POST /api/v2/oauth/revoke/', body: { client_key: 'sandbox-tiktok', client_secret: 'sandbox-secret-tiktok', token: '<access>' }, auth: 'body' }],
  },
  {
    platform: 'youtube', account: '109876543210000000001',
    connect: [
      { call: 'POST /oauth2/token', body: { grant_type: 'authorization_code', code: '<code>', redirect_uri: '<redirect>', code_verifier: '<token>', ...APP('youtube') }, auth: 'body' },
      { call: 'GET /api/youtube/v3/channels', query: { part: 'snippet', mine: 'true' }, bearer: '<token>' },
      { call: 'GET /oauth2/tokeninfo', query: { access_token: '<token>' } },
    ],
    verify: [{ call: 'GET /oauth2/tokeninfo', query: { access_token: '<access>' } }],
    refresh: [{ call: 'POST /oauth2/token', body: { grant_type: 'refresh_token', refresh_token: '<refresh>', ...APP('youtube') }, auth: 'body' }],
    revoke: [{ call: 'POST /oauth2/revoke', body: { token: '<refresh>' } }],
  },
  {
    platform: 'pinterest', account: '1150000000000000001',
    connect: [
      { call: 'POST /api/v5/oauth/token', body: { grant_type: 'authorization_code', code: '<code>', redirect_uri: '<redirect>', continuous_refresh: 'true' }, auth: 'basic' },
      { call: 'GET /api/v5/user_account', bearer: '<token>' },
      { call: 'GET /api/v5/boards', query: { page_size: '100' }, bearer: '<token>' },
    ],
    verify: [{ call: 'GET /api/v5/user_account', bearer: '<access>' }],
    refresh: [{ call: 'POST /api/v5/oauth/token', body: { grant_type: 'refresh_token', refresh_token: '<refresh>' }, auth: 'basic' }],
    revoke: [],
  },
  {
    platform: 'bluesky', account: 'did:plc:sandboxalice000000000001', password: { identifier: 'alice.sandbox.bsky.social', password: 'abcd-efgh-ijkl-mnop' },
    connect: [{ call: 'POST /pds/xrpc/com.atproto.server.createSession', body: { identifier: 'alice.sandbox.bsky.social', password: '<password>' } }],
    verify: [{ call: 'GET /pds/xrpc/com.atproto.server.getSession', bearer: '<access>' }],
    refresh: [{ call: 'POST /pds/xrpc/com.atproto.server.refreshSession', bearer: '<refresh>' }],
    revoke: [{ call: 'POST /pds/xrpc/com.atproto.server.deleteSession', bearer: '<refresh>' }],
  },
  {
    platform: 'mastodon', account: '109000000000000001', instanceUrl: 'mastodon.example',
    connect: [
      { call: 'POST /mastodon.example/oauth/token', body: { grant_type: 'authorization_code', code: '<code>', redirect_uri: '<redirect>', code_verifier: '<token>', client_id: '<token>', client_secret: '<token>' }, auth: 'body' },
      { call: 'GET /mastodon.example/api/v1/accounts/verify_credentials', bearer: '<token>' },
    ],
    verify: [{ call: 'GET /mastodon.example/api/v1/accounts/verify_credentials', bearer: '<access>' }],
    refresh: 'none',
    revoke: [{ call: 'POST /mastodon.example/oauth/revoke', body: { token: '<access>', client_id: '<token>', client_secret: '<token>' }, auth: 'body' }],
  },
];

let h: ConnectionHarness;
before(async () => {
  h = await openConnectionHarness();
});
after(async () => h?.close());
beforeEach(async () => {
  h.emulator.core.reset();
  await h.ctx.db.update(connections).set({ state: 'disconnected', disconnectedAt: h.ctx.clock.now(), accessTokenEnc: null, refreshTokenEnc: null }).where(isNull(connections.disconnectedAt));
});

/** Replaces secrets by their names (see the file comment), so a call can be compared exactly. */
function describeCalls(platform: PlatformId, named: Record<string, string>): Call[] {
  const label = (v: unknown): unknown => {
    if (typeof v !== 'string') return v;
    const name = Object.entries(named).find(([, secret]) => secret === v)?.[0];
    if (name) return name;
    // A one-time random value: long, with digits or mixed case (unlike a grant type or field list).
    const random = /\d/.test(v) || (/[a-z]/.test(v) && /[A-Z]/.test(v));
    return /^[A-Za-z0-9._~+/=-]{16,}$/.test(v) && random && !v.startsWith('sandbox-') ? '<token>' : v;
  };
  const labelAll = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, label(v)]));
  return h.emulator.core.requests.list({ platform }).map((r) => {
    const call: Call = { call: `${r.method} ${r.path}` };
    if (Object.keys(r.query).length > 0) call.query = labelAll(r.query) as Record<string, string>;
    if (r.body && Object.keys(r.body).length > 0) call.body = labelAll(r.body);
    if (r.clientAuth !== 'none') call.auth = r.clientAuth;
    if (r.bearer) call.bearer = label(r.bearer) as string;
    return call;
  });
}

async function connect(spec: Spec): Promise<{ connectionId: string; code: string }> {
  if (spec.password) {
    h.emulator.core.requests.clear();
    const res = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/password`, headers: h.auth.headers, payload: { platform: spec.platform, ...spec.password } });
    assert.equal(res.statusCode, 200, res.body);
    return { connectionId: res.json().connection.id, code: '' };
  }
  const consent = await answerConsent(await authorize(h, { platform: spec.platform, ...(spec.instanceUrl ? { instanceUrl: spec.instanceUrl } : {}) }), { accountId: spec.account });
  h.emulator.core.requests.clear();
  const res = await callback(h, consent);
  assert.equal(res.statusCode, 200, res.body);
  const code = consent.searchParams.get('code')!;
  if (res.json().result !== 'select_account') return { connectionId: res.json().connection.id, code };
  const picked = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/select`, headers: h.auth.headers, payload: { selectionId: res.json().selectionId, platformAccountId: spec.pick } });
  assert.equal(picked.statusCode, 200, picked.body);
  return { connectionId: picked.json().connection.id, code };
}

for (const spec of specs) {
  describe(`${spec.platform}: the exact requests`, () => {
    it(`connect, verify, ${spec.refresh === 'none' ? 'no refresh' : 'refresh'} and disconnect send exactly what ${spec.platform} documents`, async () => {
      const provider = getProvider(spec.platform);
      const { connectionId, code } = await connect(spec);
      const secrets = (credential: { accessToken: string; refreshToken: string | null }) => ({
        '<access>': credential.accessToken,
        ...(credential.refreshToken ? { '<refresh>': credential.refreshToken } : {}),
        ...(code ? { '<code>': code } : {}),
        '<redirect>': redirectUriFor(h.ctx.config, spec.platform),
        ...(spec.password ? { '<password>': spec.password.password } : {}),
      });
      const { '<access>': _a, ...connectSecrets } = secrets({ accessToken: '', refreshToken: null });
      assert.deepEqual(describeCalls(spec.platform, connectSecrets), spec.connect, 'connect');

      const [row] = await h.ctx.db.select().from(connections).where(eq(connections.id, connectionId));
      const pctx = await connectionProviderContext(h.ctx, row!);
      let { credential } = await loadCredential(h.ctx, h.ctx.db, connectionId);
      h.emulator.core.requests.clear();
      assert.equal((await provider.verify(pctx, credential)).valid, true);
      assert.deepEqual(describeCalls(spec.platform, secrets(credential)), spec.verify, 'verify');

      h.ctx.clock.advance(spec.refreshAfterMs ?? 60_000);
      h.emulator.core.requests.clear();
      if (spec.refresh === 'none') {
        await assert.rejects(provider.refresh(pctx, credential));
        assert.deepEqual(describeCalls(spec.platform, {}), [], 'nothing to refresh, nothing sent');
      } else {
        const refreshed = await provider.refresh(pctx, credential);
        assert.deepEqual(describeCalls(spec.platform, secrets(credential)), spec.refresh, 'refresh');
        // Stored as the refresh engine stores it; the disconnect below revokes the new tokens.
        assert.equal(await saveRefreshedTokens(h.ctx, h.ctx.db, connectionId, refreshed, (await loadCredential(h.ctx, h.ctx.db, connectionId)).tokenVersion), true);
        credential = (await loadCredential(h.ctx, h.ctx.db, connectionId)).credential;
        assert.equal(credential.accessToken, refreshed.accessToken);
      }

      h.emulator.core.requests.clear();
      const res = await h.app.inject({ method: 'DELETE', url: `/api/workspaces/${h.workspaceId}/connections/${connectionId}`, headers: h.auth.headers });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(describeCalls(spec.platform, secrets(credential)), spec.revoke, 'revoke');
    });
  });
}
