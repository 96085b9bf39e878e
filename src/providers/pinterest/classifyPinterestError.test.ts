import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../types.ts';
import { classifyPinterestError } from './classifyPinterestError.ts';
import { parsePinterestTokens } from './pinterestTokens.ts';

describe('classifyPinterestError (platforms.md §7)', () => {
  const cases: [string, number, unknown, string | null, string?][] = [
    ['code 2', 401, { code: 2, message: 'Authentication failed.', status: 'failure' }, 'refresh_needed', 'token_invalid'],
    ['code 29', 403, { code: 29, message: 'You are not permitted to access that resource.' }, 'bad_request', 'not_permitted'],
    ['code 283', 400, { code: 283, message: 'The authorization grant is invalid' }, 'reconnect_needed', 'invalid_grant'],
    ['client authentication', 401, { code: 1, message: 'Client authentication failed.', status: 'failure' }, 'app_misconfigured', 'invalid_client'],
    ['rate limit', 429, { code: 8, message: 'You have exceeded your rate limit. Try again later.' }, 'transient', 'rate_limited'],
    ['board not found', 404, { code: 40, message: 'Board not found.' }, 'bad_request', 'not_found'],
    ['invalid parameters', 400, { code: 1, message: 'Invalid request: title is limited to 100 characters' }, 'bad_request', 'content_rejected'],
    ['a bare 503', 503, undefined, 'transient', 'platform_unavailable'],
    ['success', 201, { id: '1' }, null],
  ];
  for (const [name, status, body, errorClass, reason] of cases) {
    it(name, () => {
      const result = classifyPinterestError(status, body);
      if (errorClass === null) return assert.equal(result, null);
      assert.equal(result?.errorClass, errorClass);
      assert.equal(result?.reason, reason);
    });
  }
});

describe('parsePinterestTokens', () => {
  const now = new Date(Date.UTC(2026, 0, 5));
  it('prefers refresh_token_expires_at over _in', () => {
    const at = Math.floor(now.getTime() / 1000) + 100;
    const t = parsePinterestTokens({ access_token: 'pina_a', expires_in: 2592000, refresh_token: 'pinr_r', refresh_token_expires_in: 5184000, refresh_token_expires_at: at, scope: 'pins:read,boards:read' }, now);
    assert.equal(t.refreshExpiresAt?.getTime(), at * 1000);
    assert.equal(t.accessExpiresAt?.getTime(), now.getTime() + 2_592_000_000);
    assert.deepEqual(t.scopes, ['pins:read', 'boards:read']);
  });
  it('uses _in, then the 60-day default', () => {
    assert.equal(parsePinterestTokens({ access_token: 'a', refresh_token: 'r', refresh_token_expires_in: 10 }, now).refreshExpiresAt?.getTime(), now.getTime() + 10_000);
    assert.equal(parsePinterestTokens({ access_token: 'a', refresh_token: 'r' }, now).refreshExpiresAt?.getTime(), now.getTime() + 60 * 86_400_000);
  });
  it('rejects a body without an access token', () => {
    assert.throws(() => parsePinterestTokens({ code: 283 }, now), (err: unknown) => err instanceof ProviderError && err.reason === 'malformed_response');
  });
});
