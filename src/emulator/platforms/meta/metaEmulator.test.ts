import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { connectThroughConsent, rejection, storedCredential } from '../../../providers/meta/adapterTestSupport.ts';
import { verifySignedRequest } from '../../../providers/meta/signedRequest.ts';
import { provider as facebook } from '../../../providers/facebook/provider.ts';
import { createInstagramProvider, provider as instagram } from '../../../providers/instagram/provider.ts';
import { memoryProgress, openSandboxForTests, type SandboxForTests } from '../sandboxForTests.ts';

const HOUR = 3_600_000;
let fb: SandboxForTests;
let ig: SandboxForTests;

before(async () => {
  fb = await openSandboxForTests(facebook);
  ig = await openSandboxForTests(instagram);
});
after(async () => {
  await fb.close();
  await ig.close();
});
beforeEach(() => {
  fb.emulator.core.reset();
  ig.emulator.core.reset();
});

type GraphErrorBody = { error: { type: string; code: number; error_subcode?: number; message: string; fbtrace_id: string } };
async function graphError(response: Response, status: number): Promise<GraphErrorBody['error']> {
  assert.equal(response.status, status);
  const body = (await response.json()) as GraphErrorBody;
  assert.ok(body.error.fbtrace_id);
  return body.error;
}

describe('emulated Facebook Login: bad requests', () => {
  it('refuses an unknown app and an unregistered redirect', async () => {
    const base = `${fb.ctx.hosts.www}/v22.0/dialog/oauth`;
    const unknown = await graphError(await fetch(`${base}?client_id=nope&redirect_uri=http://x.test/cb`), 400);
    assert.equal(unknown.code, 101);
    const badRedirect = await graphError(await fetch(`${base}?client_id=sandbox-facebook&redirect_uri=javascript:alert(1)`), 400);
    assert.equal(badRedirect.code, 191);
  });

  it('debug_token needs the app token of the same app', async () => {
    const bad = await fetch(`${fb.ctx.hosts.graph}/debug_token?input_token=x&access_token=sandbox-facebook|wrong`);
    assert.equal((await graphError(bad, 400)).code, 190);
    const unknownToken = await fetch(`${fb.ctx.hosts.graph}/debug_token?input_token=garbage&access_token=sandbox-facebook|sandbox-secret-facebook`);
    const body = (await unknownToken.json()) as { data: { is_valid: boolean } };
    assert.equal(body.data.is_valid, false);
  });

  it('only a Page token of that Page may post to it', async () => {
    const { tokens, accounts } = await connectThroughConsent(fb, facebook, '10001');
    const userToken = new URLSearchParams({ message: 'hi', access_token: tokens.accessToken });
    const asUser = await fetch(`${fb.ctx.hosts.graph}/v22.0/20001/feed`, { method: 'POST', body: userToken });
    assert.equal((await graphError(asUser, 403)).code, 200);
    const otherPage = new URLSearchParams({ message: 'hi', access_token: accounts[1]!.tokens!.accessToken });
    assert.equal((await graphError(await fetch(`${fb.ctx.hosts.graph}/v22.0/20001/feed`, { method: 'POST', body: otherPage }), 403)).code, 200);
    const empty = new URLSearchParams({ access_token: accounts[0]!.tokens!.accessToken });
    assert.equal((await graphError(await fetch(`${fb.ctx.hosts.graph}/v22.0/20001/feed`, { method: 'POST', body: empty }), 400)).code, 100);
    assert.equal(fb.emulator.core.posts.list().length, 0);
  });

  it('a missing or unknown token answers the Graph errors', async () => {
    assert.equal((await graphError(await fetch(`${fb.ctx.hosts.graph}/v22.0/me`), 400)).code, 2500);
    const unknown = await graphError(await fetch(`${fb.ctx.hosts.graph}/v22.0/me?access_token=forged`), 400);
    assert.deepEqual([unknown.code, unknown.message], [190, 'Invalid OAuth access token - Cannot parse access token']);
  });

  it('the deauthorize admin routes validate their input', async () => {
    const admin = `${fb.emulator.url}/facebook/_meta`;
    const json = { 'content-type': 'application/json' };
    assert.equal((await fetch(`${admin}/deauthorize-callback`, { method: 'PUT', headers: json, body: JSON.stringify({ url: 'ftp://x' }) })).status, 400);
    assert.equal((await fetch(`${admin}/users/nobody/deauthorize`, { method: 'POST' })).status, 404);
    const noCallback = await fetch(`${admin}/users/10001/deauthorize`, { method: 'POST' });
    assert.deepEqual(await noCallback.json(), { revoked: 0, deliveries: [] });
  });
});

describe('emulated Instagram: refresh and container rules', () => {
  it('refresh is GET only', async () => {
    const res = await fetch(`${ig.ctx.hosts.graph}/refresh_access_token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'ig_refresh_token', access_token: 'x' }) });
    const error = await graphError(res, 400);
    assert.deepEqual([error.code, error.message], [100, 'Unsupported request - method type: post']);
  });

  it('the too-young answer is configurable through the admin API', async () => {
    const { tokens, accounts } = await connectThroughConsent(ig, instagram, '17841400000021001');
    const patch = await fetch(`${ig.emulator.url}/_admin/policies/instagram`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tooYoungStatus: 403, tooYoungCode: 10 }),
    });
    assert.equal(patch.status, 200);
    const res = await fetch(`${ig.ctx.hosts.graph}/refresh_access_token?grant_type=ig_refresh_token&access_token=${encodeURIComponent(tokens.accessToken)}`);
    assert.equal((await graphError(res, 403)).code, 10);
    // The adapter is configured the same way: code 10 then means "too young", not "permission missing".
    const credential = { ...storedCredential(tokens, accounts[0]!), issuedAt: new Date(ig.clock.nowMs() - 48 * HOUR) };
    const defaults = await rejection(instagram.refresh(ig.ctx, credential));
    assert.deepEqual([defaults.errorClass, defaults.reason], ['reconnect_needed', 'permission_missing']);
    const configured = createInstagramProvider({ tokenRules: { minAgeErrorCodes: [10] } });
    const err = await rejection(configured.refresh(ig.ctx, credential));
    assert.deepEqual([err.errorClass, err.reason, err.httpStatus], ['transient', 'min_age_not_reached', 403]);
  });

  it('validates containers: carousel size, unknown creation ids, publishing before processing ends', async () => {
    const { tokens } = await connectThroughConsent(ig, instagram, '17841400000021001');
    const base = `${ig.ctx.hosts.graph}/v22.0/17841400000021001`;
    const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams({ ...fields, access_token: tokens.accessToken }) });
    assert.equal((await graphError(await fetch(`${base}/media`, form({ caption: 'no media' })), 400)).code, 100);
    assert.equal((await graphError(await fetch(`${base}/media`, form({ media_type: 'CAROUSEL', children: '1' })), 400)).code, 100);
    assert.equal((await graphError(await fetch(`${base}/media_publish`, form({ creation_id: '42' })), 400)).code, 100);
    const video = (await (await fetch(`${base}/media`, form({ media_type: 'REELS', video_url: ig.mediaUrl('v.mp4') }))).json()) as { id: string };
    const early = await graphError(await fetch(`${base}/media_publish`, form({ creation_id: video.id })), 400);
    assert.deepEqual([early.code, early.error_subcode], [9007, 2207027]);
    const other = await fetch(`${ig.ctx.hosts.graph}/v22.0/17841400000021002/media`, form({ image_url: 'https://cdn.example/a.jpg' }));
    assert.equal((await graphError(other, 403)).code, 10);
  });

  it('an expired container is dropped from the progress and rebuilt on the next attempt', async () => {
    const { tokens, accounts } = await connectThroughConsent(ig, instagram, '17841400000021001');
    const credential = storedCredential(tokens, accounts[0]!);
    const request = { idempotencyKey: 't', text: 'late', media: [{ kind: 'video' as const, url: ig.mediaUrl('v.mp4'), mimeType: 'video/mp4', bytes: 1 }], options: {} };
    const progress = memoryProgress();
    assert.equal((await rejection(instagram.publish(ig.ctx, credential, request, progress))).reason, 'media_processing');
    ig.clock.advance(25 * HOUR);
    assert.equal((await rejection(instagram.publish(ig.ctx, credential, request, progress))).reason, 'container_expired');
    assert.deepEqual(progress.state, {});
    assert.equal((await rejection(instagram.publish(ig.ctx, credential, request, progress))).reason, 'media_processing');
    ig.clock.advance(HOUR);
    await instagram.publish(ig.ctx, credential, request, progress);
    assert.equal(ig.emulator.core.posts.list({ platform: 'instagram' }).length, 1);
    assert.equal(ig.requests('/media').length, 2, 'one expired container, one new');
  });
});

describe('emulated Instagram: deauthorize callback', () => {
  it('signs the callback with the Instagram app secret and ends the grant (190 afterwards)', async () => {
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { tokens, accounts } = await connectThroughConsent(ig, instagram, '17841400000021001');
      const admin = `${ig.emulator.url}/instagram/_meta`;
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
      await fetch(`${admin}/deauthorize-callback`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
      const answer = (await (await fetch(`${admin}/users/17841400000021001/deauthorize`, { method: 'POST' })).json()) as { deliveries: { status: number }[] };
      assert.deepEqual(answer.deliveries.map((d) => d.status), [200]);
      const signed = new URLSearchParams(bodies[0]).get('signed_request')!;
      assert.equal(verifySignedRequest(signed, 'sandbox-secret-instagram').user_id, '17841400000021001');
      assert.throws(() => verifySignedRequest(signed, 'sandbox-secret-facebook'));
      assert.deepEqual(await instagram.verify(ig.ctx, storedCredential(tokens, accounts[0]!)), { valid: false, reason: 'deauthorized' });
    } finally {
      await fetch(`${ig.emulator.url}/instagram/_meta/deauthorize-callback`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: null }) });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
