import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../types.ts';
import { classifyGoogleError } from './classifyGoogleError.ts';
import { parseGoogleTokens } from './googleTokens.ts';
import { msUntilQuotaReset } from './youtubeApi.ts';

const api = (code: number, reason: string, status?: string) => ({ error: { code, message: 'm', errors: [{ message: 'm', domain: 'global', reason }], ...(status ? { status } : {}) } });

describe('classifyGoogleError (platforms.md §6)', () => {
  const cases: [string, number, unknown, string | null, string?][] = [
    ['invalid_grant', 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }, 'reconnect_needed', 'invalid_grant'],
    ['invalid_client', 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' }, 'app_misconfigured', 'invalid_client'],
    ['unauthorized_client', 400, { error: 'unauthorized_client' }, 'app_misconfigured', 'invalid_client'],
    ['invalid_token (tokeninfo)', 400, { error: 'invalid_token', error_description: 'Invalid Value' }, 'refresh_needed', 'token_invalid'],
    ['authError', 401, api(401, 'authError', 'UNAUTHENTICATED'), 'refresh_needed', 'token_invalid'],
    ['UNAUTHENTICATED without a reason', 401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } }, 'refresh_needed', 'unauthorized'],
    ['quotaExceeded', 403, api(403, 'quotaExceeded'), 'transient', 'quota_exceeded'],
    ['rateLimitExceeded', 403, api(403, 'rateLimitExceeded'), 'transient', 'rate_limited'],
    ['insufficientPermissions', 403, api(403, 'insufficientPermissions', 'PERMISSION_DENIED'), 'reconnect_needed', 'insufficient_scope'],
    ['youtubeSignupRequired', 401, api(401, 'youtubeSignupRequired'), 'reconnect_needed', 'no_channel'],
    ['invalidTitle', 400, api(400, 'invalidTitle'), 'bad_request', 'invalid_title'],
    ['backendError', 503, api(503, 'backendError'), 'transient', 'platform_unavailable'],
    ['unknown 403', 403, api(403, 'somethingElse'), 'reconnect_needed', 'permission_denied'],
    ['a bare 500', 500, undefined, 'transient', 'platform_unavailable'],
    ['success', 200, { items: [] }, null],
  ];
  for (const [name, status, body, errorClass, reason] of cases) {
    it(name, () => {
      const result = classifyGoogleError(status, body);
      if (errorClass === null) return assert.equal(result, null);
      assert.equal(result?.errorClass, errorClass);
      assert.equal(result?.reason, reason);
    });
  }
});

describe('parseGoogleTokens and the quota reset', () => {
  const now = new Date(Date.UTC(2026, 0, 5, 9));
  it('keeps no refresh token when a refresh returns none, and reads time-based access when present', () => {
    const refreshed = parseGoogleTokens({ access_token: 'ya29.a', expires_in: 3599, scope: 'a b', token_type: 'Bearer' }, now);
    assert.equal(refreshed.refreshToken, undefined);
    assert.deepEqual(refreshed.scopes, ['a', 'b']);
    const timed = parseGoogleTokens({ access_token: 'ya29.a', expires_in: 3599, refresh_token: '1//r', refresh_token_expires_in: 86400 }, now);
    assert.equal(timed.refreshExpiresAt?.getTime(), now.getTime() + 86_400_000);
    assert.equal(parseGoogleTokens({ access_token: 'a', refresh_token: 'r' }, now).refreshExpiresAt, null);
  });
  it('rejects a body without an access token', () => {
    assert.throws(() => parseGoogleTokens({ error: 'x' }, now), (err: unknown) => err instanceof ProviderError && err.reason === 'malformed_response');
  });
  it('waits until midnight Pacific for the quota', () => {
    // 09:00 UTC on 5 Jan = 01:00 PST: the reset is 23 hours away.
    assert.equal(msUntilQuotaReset(now), 23 * 3_600_000);
  });
});
