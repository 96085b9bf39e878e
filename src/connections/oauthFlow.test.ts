import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { answerConsent } from '../emulator/core/consentPages.ts';
import { signUpAndSignIn } from '../testing/testUsers.ts';
import { authorize, callback, openConnectionHarness, type ConnectionHarness } from './connectionTestHarness.ts';
import { STATE_TTL_MS } from './oauthStatesRepo.ts';
import { accessLog, connections } from './schema.ts';

const ALICE = '1500000000000000001';

describe('connect flow: bad input ends in a clear error and no half-created connection', () => {
  let h: ConnectionHarness;
  before(async () => {
    h = await openConnectionHarness();
  });
  after(async () => h?.close());
  beforeEach(() => {
    h.emulator.core.faults.clear();
  });

  const connectionCount = async () => (await h.ctx.db.select().from(connections)).length;
  const lastLog = async () => (await h.ctx.db.select().from(accessLog)).at(-1);

  it('lists the platforms, all sandboxed without credentials', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/platforms', headers: h.auth.headers });
    assert.equal(res.statusCode, 200);
    const byId = Object.fromEntries(res.json().platforms.map((p: { id: string }) => [p.id, p]));
    assert.equal(byId.x.mode, 'sandbox');
    assert.equal(byId.mastodon.instanceUrl, 'required');
    assert.ok(res.json().platforms.every((p: { mode: string }) => p.mode === 'sandbox'));
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/platforms' })).statusCode, 401);
  });

  it('rejects an unknown platform', async () => {
    const res = await h.app.inject({ method: 'POST', url: `/api/workspaces/${h.workspaceId}/connections/authorize`, headers: h.auth.headers, payload: { platform: 'myspace' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'unknown_platform');
    const cb = await h.app.inject({ method: 'GET', url: '/api/oauth/callback/myspace?code=a&state=b', headers: { cookie: h.auth.cookie, accept: 'application/json' } });
    assert.equal(cb.json().error.code, 'unknown_platform');
  });

  it('rejects a forged state', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/oauth/callback/x?code=abc&state=forged', headers: { cookie: h.auth.cookie, accept: 'application/json' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'invalid_state');
    const none = await h.app.inject({ method: 'GET', url: '/api/oauth/callback/x?code=abc', headers: { cookie: h.auth.cookie, accept: 'application/json' } });
    assert.equal(none.json().error.code, 'invalid_state');
    assert.equal(await connectionCount(), 0);
  });

  it('rejects a state used twice, and a code exchanged twice', async () => {
    const redirect = await answerConsent(await authorize(h, { platform: 'x' }), { accountId: ALICE });
    const first = await callback(h, redirect);
    assert.equal(first.statusCode, 200, first.body);
    const second = await callback(h, redirect);
    assert.equal(second.statusCode, 400);
    assert.equal(second.json().error.code, 'invalid_state');
    assert.deepEqual((await lastLog())?.detail, { reason: 'state_reused' });

    // The same code behind a fresh state: the platform refuses it (and kills the first grant).
    const other = await answerConsent(await authorize(h, { platform: 'x' }), 'deny');
    const replay = new URL(redirect);
    replay.searchParams.set('state', other.searchParams.get('state')!);
    const res = await callback(h, replay);
    assert.equal(res.statusCode, 502);
    assert.equal(res.json().error.code, 'oauth_failed');
    assert.equal(res.json().error.details.reason, 'invalid_code');
    assert.equal(await connectionCount(), 1);
    await h.ctx.db.delete(connections);
  });

  it('rejects an expired state and a state of another user', async () => {
    const redirect = await answerConsent(await authorize(h, { platform: 'x' }), { accountId: ALICE });
    const bob = await signUpAndSignIn(h.app);
    const stolen = await callback(h, redirect, bob);
    assert.equal(stolen.json().error.code, 'invalid_state');
    // Another user's attempt does not burn the state: its owner can still finish.
    const own = await callback(h, redirect);
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json().result, 'connected');
    // Nor does the same state sent to another platform's callback.
    const other = await answerConsent(await authorize(h, { platform: 'x' }), { accountId: ALICE });
    const wrongPlatform = await h.app.inject({ method: 'GET', url: `/api/oauth/callback/linkedin${other.search}`, headers: { cookie: h.auth.cookie, accept: 'application/json' } });
    assert.equal(wrongPlatform.json().error.code, 'invalid_state');
    assert.equal((await callback(h, other)).json().result, 'reconnected');
    await h.ctx.db.delete(connections);

    const late = await answerConsent(await authorize(h, { platform: 'x' }), { accountId: ALICE });
    h.ctx.clock.advance(STATE_TTL_MS + 1);
    const res = await callback(h, late);
    assert.equal(res.json().error.code, 'invalid_state');
    assert.match(res.json().error.message, /expired/);
    assert.deepEqual((await lastLog())?.detail, { reason: 'state_expired' });
    assert.equal(await connectionCount(), 0);
  });

  it('refuses an X code older than 30 seconds', async () => {
    const redirect = await answerConsent(await authorize(h, { platform: 'x' }), { accountId: ALICE });
    h.ctx.clock.advance(30_000);
    const res = await callback(h, redirect);
    assert.equal(res.statusCode, 502);
    assert.equal(res.json().error.details.reason, 'invalid_code');
    assert.equal((await lastLog())?.action, 'connect_failed');
    assert.equal(await connectionCount(), 0);
  });

  it('turns a denied consent into oauth_denied with an access-log entry', async () => {
    const redirect = await answerConsent(await authorize(h, { platform: 'x' }), 'deny');
    assert.equal(redirect.searchParams.get('error'), 'access_denied');
    const res = await callback(h, redirect);
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'oauth_denied');
    const log = await lastLog();
    assert.equal(log?.action, 'connect_failed');
    assert.equal(log?.workspaceId, h.workspaceId);
    assert.equal(await connectionCount(), 0);
  });

  it('sends a browser back to the connections screen with the outcome', async () => {
    const redirect = await answerConsent(await authorize(h, { platform: 'x' }), 'deny');
    const res = await h.app.inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}`, headers: { cookie: h.auth.cookie, accept: 'text/html,application/xhtml+xml' } });
    assert.equal(res.statusCode, 303);
    const to = new URL(String(res.headers.location));
    assert.equal(to.pathname, '/connections');
    assert.equal(to.searchParams.get('error'), 'oauth_denied');
  });

  for (const [kind, code] of [
    ['html_error', 'platform_unavailable'],
    ['truncated_json', 'platform_unavailable'],
    ['server_error', 'platform_unavailable'],
    ['rate_limit', 'platform_unavailable'],
  ] as const) {
    it(`handles a token endpoint answering ${kind}`, async () => {
      const redirect = await answerConsent(await authorize(h, { platform: 'x' }), { accountId: ALICE });
      h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/oauth2/token', kind, retryAfterS: 30 });
      const res = await callback(h, redirect);
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().error.code, code);
      if (kind === 'rate_limit') assert.equal(res.headers['retry-after'], '30');
      if (kind !== 'rate_limit' && kind !== 'server_error') assert.equal(res.json().error.details.reason, 'malformed_response');
      assert.equal((await lastLog())?.action, 'connect_failed');
      assert.equal(await connectionCount(), 0);
    });
  }

  it('never writes a token into logs or errors', async () => {
    const text = h.ctx.logText();
    for (const grant of h.emulator.core.grants.listGrants('x')) assert.equal(text.includes(grant.id), false);
    assert.equal(/x-(at|rt)-[A-Za-z0-9_-]{20}/.test(text), false);
  });
});
