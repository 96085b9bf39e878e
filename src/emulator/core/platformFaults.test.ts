import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllableClock } from '../../clock.ts';
import { errorFromResponse } from '../../providers/oauthHelpers.ts';
import { getProvider } from '../../providers/registry.ts';
import type { PlatformId } from '../../providers/types.ts';
import type { FaultKind } from './faults.ts';
import { startEmulator, type RunningEmulator } from './registerEmulator.ts';

/**
 * Injected server errors and rate limits answer with each platform's own error body (one case
 * per family of envelopes), with Retry-After; the adapter's classification reads them as
 * temporary, with the wait.
 */
type Case = {
  platform: PlatformId;
  kind: FaultKind;
  method: 'GET' | 'POST';
  path: string;
  status: number;
  body: (b: Record<string, unknown>) => void;
  reason: 'rate_limited' | 'platform_unavailable';
  headers?: string[];
  contentType?: RegExp;
};

const error = (b: Record<string, unknown>) => b.error as Record<string, unknown>;
const cases: Case[] = [
  { platform: 'facebook', kind: 'rate_limit', method: 'GET', path: '/graph/debug_token', status: 400, body: (b) => assert.equal(error(b).code, 4), reason: 'rate_limited' },
  { platform: 'facebook', kind: 'rate_limit', method: 'POST', path: '/graph/v22.0/20001/feed', status: 400, body: (b) => assert.equal(error(b).code, 32), reason: 'rate_limited' },
  { platform: 'instagram', kind: 'rate_limit', method: 'GET', path: '/graph/v22.0/me', status: 400, body: (b) => assert.deepEqual([error(b).code, error(b).type], [17, 'OAuthException']), reason: 'rate_limited' },
  { platform: 'threads', kind: 'server_error', method: 'GET', path: '/graph/refresh_access_token', status: 500, body: (b) => assert.deepEqual([error(b).code, error(b).is_transient], [2, true]), reason: 'platform_unavailable' },
  { platform: 'x', kind: 'rate_limit', method: 'POST', path: '/api/2/tweets', status: 429, body: (b) => assert.deepEqual(b, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }), reason: 'rate_limited', headers: ['x-rate-limit-reset'], contentType: /application\/problem\+json/ },
  { platform: 'x', kind: 'server_error', method: 'GET', path: '/api/2/users/me', status: 503, body: (b) => assert.equal(b.title, 'Service Unavailable'), reason: 'platform_unavailable', contentType: /problem\+json/ },
  { platform: 'tiktok', kind: 'rate_limit', method: 'GET', path: '/api/v2/user/info/', status: 429, body: (b) => assert.equal(error(b).code, 'rate_limit_exceeded'), reason: 'rate_limited' },
  { platform: 'tiktok', kind: 'server_error', method: 'POST', path: '/api/v2/oauth/token/', status: 500, body: (b) => assert.deepEqual([b.error, typeof b.log_id], ['server_error', 'string']), reason: 'platform_unavailable' },
  { platform: 'youtube', kind: 'rate_limit', method: 'POST', path: '/oauth2/token', status: 429, body: (b) => assert.equal(b.error, 'rate_limit_exceeded'), reason: 'rate_limited' },
  { platform: 'youtube', kind: 'server_error', method: 'GET', path: '/api/youtube/v3/channels', status: 503, body: (b) => assert.equal((error(b).errors as { reason: string }[])[0]?.reason, 'backendError'), reason: 'platform_unavailable' },
  { platform: 'linkedin', kind: 'rate_limit', method: 'GET', path: '/api/v2/userinfo', status: 429, body: (b) => assert.equal(b.code, 'TOO_MANY_REQUESTS'), reason: 'rate_limited' },
  { platform: 'pinterest', kind: 'rate_limit', method: 'GET', path: '/api/v5/user_account', status: 429, body: (b) => assert.equal(b.code, 8), reason: 'rate_limited' },
  { platform: 'bluesky', kind: 'rate_limit', method: 'POST', path: '/bsky.social/xrpc/com.atproto.server.refreshSession', status: 429, body: (b) => assert.equal(b.error, 'RateLimitExceeded'), reason: 'rate_limited', headers: ['ratelimit-reset', 'ratelimit-policy'] },
  { platform: 'mastodon', kind: 'rate_limit', method: 'GET', path: '/mastodon.example/api/v1/accounts/verify_credentials', status: 429, body: (b) => assert.deepEqual(b, { error: 'Too many requests' }), reason: 'rate_limited', headers: ['x-ratelimit-reset'] },
];

describe('injected faults answer in each platform\'s own words', () => {
  let emu: RunningEmulator;
  const clock = new ControllableClock({ startMs: Date.UTC(2026, 0, 5) });
  before(async () => {
    emu = await startEmulator({ clock });
  });
  after(async () => emu?.close());

  for (const c of cases) {
    it(`${c.platform} ${c.kind} on ${c.path}`, async () => {
      emu.core.faults.add({ platform: c.platform, endpoint: c.path, kind: c.kind, retryAfterS: 90 });
      const res = await fetch(`${emu.url}/${c.platform}${c.path}`, { method: c.method, ...(c.method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}) });
      assert.equal(res.status, c.status);
      if (c.kind === 'rate_limit') assert.equal(res.headers.get('retry-after'), '90');
      for (const header of c.headers ?? []) assert.ok(res.headers.get(header), `${header} header`);
      assert.match(res.headers.get('content-type') ?? '', c.contentType ?? /application\/json/);
      const failure = await errorFromResponse(res.clone(), getProvider(c.platform), c.platform, clock.nowMs());
      c.body((await res.json()) as Record<string, unknown>);
      assert.deepEqual([failure.errorClass, failure.reason], ['transient', c.reason]);
      if (c.kind === 'rate_limit') assert.equal(failure.retryAfterMs, 90_000);
    });
  }
});
