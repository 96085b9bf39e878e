import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyLinkedInError } from './classifyLinkedInError.ts';
import { parseLinkedInTokens } from './linkedinTokens.ts';
import { ProviderError } from '../types.ts';

describe('classifyLinkedInError (every body in platforms.md §3)', () => {
  const cases: [string, number, unknown, string | null, string?, string?][] = [
    ['65602 expired', 401, { status: 401, serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', message: 'The token used in the request has expired' }, 'refresh_needed', 'token_expired', '65602'],
    ['65601 revoked', 401, { status: 401, serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', message: 'The token used in the request has been revoked by the user' }, 'reconnect_needed', 'token_revoked', '65601'],
    ['65600 invalid', 401, { status: 401, serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', message: 'Invalid access token' }, 'reconnect_needed', 'token_invalid', '65600'],
    ['empty token', 401, { message: 'Empty oauth2_access_token', serviceErrorCode: 401, status: 401 }, 'reconnect_needed', 'token_missing'],
    ['refresh refused', 400, { error: 'invalid_request', error_description: 'The provided authorization grant or refresh token is invalid, expired or revoked' }, 'reconnect_needed', 'invalid_grant'],
    ['invalid_grant variant', 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }, 'reconnect_needed', 'invalid_grant'],
    ['bad code', 400, { error: 'invalid_redirect_uri', error_description: 'appid/redirect uri/code verifier does not match authorization code. Or authorization code expired' }, 'bad_request', 'code_rejected'],
    ['missing parameter', 400, { error: 'invalid_request', error_description: 'A required parameter "refresh_token" is missing' }, 'bad_request', 'invalid_request'],
    ['wrong secret', 401, { error: 'invalid_client', error_description: 'Client authentication failed' }, 'app_misconfigured', 'invalid_client'],
    ['throttled', 429, { status: 429, serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: 'limit reached' }, 'transient', 'rate_limited'],
    ['unavailable', 503, { message: 'Service Unavailable', status: 503 }, 'transient', 'platform_unavailable'],
    ['access denied', 403, { status: 403, serviceErrorCode: 100, code: 'ACCESS_DENIED', message: 'Not enough permissions' }, 'reconnect_needed', 'permission_denied'],
    ['duplicate', 422, { status: 422, code: 'DUPLICATE_POST', message: 'Content is a duplicate of urn:li:share:1' }, 'bad_request', 'duplicate_post'],
    ['validation', 422, { status: 422, code: 'UNPROCESSABLE_ENTITY', message: '/commentary: length exceeds 3000' }, 'bad_request', 'content_rejected'],
    ['no body', 500, undefined, 'transient', 'platform_unavailable'],
    ['success', 200, { id: 'x' }, null],
  ];
  for (const [name, status, body, errorClass, reason, platformCode] of cases) {
    it(name, () => {
      const result = classifyLinkedInError(status, body);
      if (errorClass === null) return assert.equal(result, null);
      assert.equal(result?.errorClass, errorClass);
      assert.equal(result?.reason, reason);
      if (platformCode) assert.equal(result?.platformCode, platformCode);
    });
  }
});

describe('parseLinkedInTokens', () => {
  const now = new Date(Date.UTC(2026, 0, 5));
  it('reads lifetimes and comma-separated scopes', () => {
    const t = parseLinkedInTokens({ access_token: 'a', expires_in: 5184000, refresh_token: 'r', refresh_token_expires_in: 31536000, scope: 'openid,profile,w_member_social' }, now, 'authorization_code');
    assert.equal(t.accessExpiresAt?.getTime(), now.getTime() + 5184000_000);
    assert.equal(t.refreshExpiresAt?.getTime(), now.getTime() + 31536000_000);
    assert.deepEqual(t.scopes, ['openid', 'profile', 'w_member_social']);
  });
  it('keeps the stored refresh end when a refresh response omits the remaining lifetime', () => {
    const t = parseLinkedInTokens({ access_token: 'a', expires_in: 5184000, refresh_token: 'r' }, now, 'refresh_token');
    assert.equal(t.refreshExpiresAt, undefined);
    assert.equal(t.refreshToken, 'r');
  });
  it('has no refresh token for self-serve apps (the stored one is kept)', () => {
    const t = parseLinkedInTokens({ access_token: 'a', expires_in: 5184000, scope: 'w_member_social' }, now, 'authorization_code');
    assert.equal(t.refreshToken, undefined);
  });
  it('rejects a response without an access token', () => {
    assert.throws(() => parseLinkedInTokens({ expires_in: 10 }, now, 'refresh_token'), (err: unknown) => err instanceof ProviderError && err.reason === 'malformed_response');
    assert.throws(() => parseLinkedInTokens('<html>', now, 'refresh_token'), ProviderError);
  });
});
