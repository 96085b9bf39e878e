import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpClient } from '../../providers/httpClient.ts';
import { createPkcePair } from '../../providers/oauthHelpers.ts';
import { getProvider, sandboxClient } from '../../providers/registry.ts';
import { ProviderError, type ProviderContext, type StoredCredential } from '../../providers/types.ts';
import { answerConsent } from './consentPages.ts';
import { startEmulator, type RunningEmulator } from './registerEmulator.ts';

const ALICE = '1500000000000000001';

describe('standalone emulator: admin API, faults, counters', () => {
  let emu: RunningEmulator;
  let pctx: ProviderContext;
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${emu.url}/_admin${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const connect = async (): Promise<StoredCredential> => {
    const x = getProvider('x');
    const pkce = createPkcePair();
    const redirect = await answerConsent(x.authorizationUrl(pctx, { state: 's', codeChallenge: pkce.codeChallenge }), { accountId: ALICE });
    const { tokens, accounts } = await x.exchangeCode(pctx, { code: redirect.searchParams.get('code')!, codeVerifier: pkce.codeVerifier });
    return { ...tokens, refreshToken: tokens.refreshToken ?? null, refreshExpiresAt: null, platformAccountId: accounts[0]!.platformAccountId, meta: {} };
  };

  before(async () => {
    emu = await startEmulator();
    pctx = {
      clock: emu.core.clock,
      http: createHttpClient({ trustedOrigins: [emu.url], timeoutMs: 2_000 }),
      client: sandboxClient('x'),
      hosts: { www: `${emu.url}/x/www`, api: `${emu.url}/x/api` },
      redirectUri: 'http://localhost:3000/api/oauth/callback/x',
      sandbox: true,
    };
  });
  after(async () => emu?.close());

  it('moves its own clock through the admin API; access tokens expire after 2 h', async () => {
    const credential = await connect();
    const x = getProvider('x');
    assert.deepEqual(await x.verify(pctx, credential), { valid: true });
    const moved = await admin('POST', '/clock/advance', { ms: 2 * 3_600_000 });
    assert.equal(moved.status, 200);
    assert.deepEqual(await x.verify(pctx, credential), { valid: false, reason: 'access_token_invalid' });
    assert.equal((await admin('POST', '/clock/advance', { ms: -1 })).status, 400);
  });

  it('a response lost after the server rotated: the retry with the old token trips reuse detection', async () => {
    const credential = await connect();
    const x = getProvider('x');
    await admin('POST', '/faults', { platform: 'x', endpoint: '/2/oauth2/token', kind: 'drop_after_commit' });
    await assert.rejects(x.refresh(pctx, credential), (e: ProviderError) => e.errorClass === 'transient' && e.reason === 'network_error');
    await assert.rejects(x.refresh(pctx, credential), (e: ProviderError) => e.errorClass === 'reconnect_needed');
    const counters = (await admin('GET', '/counters')).json as { reuseDetections: Record<string, number>; refreshesByGrant: Record<string, number>; requestsByEndpoint: Record<string, number> };
    assert.equal(counters.reuseDetections.x, 1);
    assert.deepEqual(Object.values(counters.refreshesByGrant), [1]);
    assert.ok((counters.requestsByEndpoint['x POST /api/2/oauth2/token'] ?? 0) >= 4);
  });

  it('slow responses time out; rate limits carry Retry-After', async () => {
    const credential = await connect();
    const x = getProvider('x');
    await admin('POST', '/faults', { platform: 'x', endpoint: '/2/users/me', kind: 'slow', delayMs: 3_000 });
    await assert.rejects(x.verify(pctx, credential), (e: ProviderError) => e.reason === 'timeout');
    await admin('POST', '/faults', { platform: 'x', endpoint: '/2/oauth2/token', kind: 'rate_limit', retryAfterS: 42, times: 2 });
    await assert.rejects(x.refresh(pctx, credential), (e: ProviderError) => e.reason === 'rate_limited' && e.retryAfterMs === 42_000);
    await assert.rejects(x.refresh(pctx, credential), (e: ProviderError) => e.reason === 'rate_limited');
    assert.ok(await x.refresh(pctx, credential), 'the fault was used up');
  });

  it('user actions through the admin API end the grant', async () => {
    const credential = await connect();
    const res = await admin('POST', `/users/x/${ALICE}/password-change`);
    assert.ok(Number(res.json.affected) >= 1);
    await assert.rejects(getProvider('x').refresh(pctx, credential), (e: ProviderError) => e.errorClass === 'reconnect_needed');
    assert.equal((await admin('POST', '/users/x/1/unknown-action')).status, 404);
  });

  it('policies can be changed at run time ([UNC] facts), and reset restores them', async () => {
    const patched = await admin('PATCH', '/policies/x', { accessTtlMs: 60_000 });
    assert.equal((patched.json.policy as { accessTtlMs: number }).accessTtlMs, 60_000);
    const credential = await connect();
    // The standalone clock flows: allow the milliseconds the exchange took.
    assert.ok(Math.abs(credential.accessExpiresAt!.getTime() - (emu.core.clock.nowMs() + 60_000)) < 1_000);
    await admin('POST', '/reset');
    assert.equal(emu.core.policy('x').accessTtlMs, 7_200_000);
    assert.deepEqual((await admin('GET', '/requests')).json.requests, []);
  });
});
