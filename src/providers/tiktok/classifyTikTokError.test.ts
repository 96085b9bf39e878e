import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderError } from '../types.ts';
import { classifyTikTokError } from './classifyTikTokError.ts';
import { parseTikTokTokens } from './tiktokTokens.ts';

const api = (code: string, message = '') => ({ data: {}, error: { code, message, log_id: '202601050900' } });
const oauth = (error: string) => ({ error, error_description: 'description', log_id: '202601050900' });

describe('classifyTikTokError (platforms.md §5)', () => {
  const cases: [string, number, unknown, string | null, string?][] = [
    ['access_token_invalid', 401, api('access_token_invalid', 'The access token is invalid or not found in the request. Please refresh the token and retry.'), 'refresh_needed', 'token_invalid'],
    ['scope_not_authorized', 401, api('scope_not_authorized'), 'reconnect_needed', 'insufficient_scope'],
    ['scope_permission_missed', 403, api('scope_permission_missed'), 'reconnect_needed', 'insufficient_scope'],
    ['rate_limit_exceeded', 429, api('rate_limit_exceeded'), 'transient', 'rate_limited'],
    ['reached_active_user_cap', 403, api('reached_active_user_cap'), 'app_misconfigured', 'active_user_cap'],
    ['an API error on HTTP 200', 200, api('spam_risk_too_many_posts'), 'transient', 'rate_limited'],
    ['an unknown API error', 400, api('invalid_params'), 'bad_request', 'content_rejected'],
    ['error.code ok on 200 is a success', 200, api('ok'), null],
    ['invalid_grant', 400, oauth('invalid_grant'), 'reconnect_needed', 'invalid_grant'],
    ['invalid_grant on HTTP 200', 200, oauth('invalid_grant'), 'reconnect_needed', 'invalid_grant'],
    ['invalid_client', 401, oauth('invalid_client'), 'app_misconfigured', 'invalid_client'],
    ['invalid_scope', 400, oauth('invalid_scope'), 'app_misconfigured', 'invalid_scope'],
    ['access_denied', 400, oauth('access_denied'), 'reconnect_needed', 'access_denied'],
    ['invalid_request', 400, oauth('invalid_request'), 'bad_request', 'invalid_request'],
    ['server_error', 500, oauth('server_error'), 'transient', 'platform_unavailable'],
    ['temporarily_unavailable', 503, oauth('temporarily_unavailable'), 'transient', 'platform_unavailable'],
    ['a bare 502', 502, undefined, 'transient', 'platform_unavailable'],
    ['a plain success', 200, { open_id: 'x' }, null],
  ];
  for (const [name, status, body, errorClass, reason] of cases) {
    it(name, () => {
      const result = classifyTikTokError(status, body);
      if (errorClass === null) return assert.equal(result, null);
      assert.equal(result?.errorClass, errorClass);
      assert.equal(result?.reason, reason);
    });
  }
});

describe('parseTikTokTokens', () => {
  const now = new Date(Date.UTC(2026, 0, 5));
  it('reads the returned lifetimes, whatever the docs say', () => {
    const { tokens, openId } = parseTikTokTokens(
      { open_id: 'o1', scope: 'user.info.basic,video.publish', access_token: 'act.1', expires_in: 86400, refresh_token: 'rft.1', refresh_expires_in: 31536000, token_type: 'Bearer' },
      now,
    );
    assert.equal(openId, 'o1');
    assert.equal(tokens.accessExpiresAt?.getTime(), now.getTime() + 86_400_000);
    assert.equal(tokens.refreshExpiresAt?.getTime(), now.getTime() + 31_536_000_000);
    assert.deepEqual(tokens.scopes, ['user.info.basic', 'video.publish']);
  });
  it('falls back to the current documented lifetimes (2 h / 180 d) when fields are missing', () => {
    const { tokens } = parseTikTokTokens({ open_id: 'o1', access_token: 'a', refresh_token: 'r' }, now);
    assert.equal(tokens.accessExpiresAt?.getTime(), now.getTime() + 2 * 3_600_000);
    assert.equal(tokens.refreshExpiresAt?.getTime(), now.getTime() + 180 * 86_400_000);
  });
  it('rejects a response without open_id or access token', () => {
    for (const body of [{ access_token: 'a' }, { open_id: 'o' }, null, 'text']) {
      assert.throws(() => parseTikTokTokens(body, now), (err: unknown) => err instanceof ProviderError && err.reason === 'malformed_response');
    }
  });
});

describe('firstPostId', () => {
  it('keeps every digit of a 64-bit id that JSON.parse would round', async () => {
    const { firstPostId } = await import('./publishTikTokPost.ts');
    const text = '{"data":{"status":"PUBLISH_COMPLETE","publicaly_available_post_id":[7276473405614950658]},"error":{"code":"ok"}}';
    const parsed = (JSON.parse(text) as { data: { publicaly_available_post_id: unknown } }).data.publicaly_available_post_id;
    assert.notEqual(String((parsed as number[])[0]), '7276473405614950658');
    assert.equal(firstPostId(text, parsed), '7276473405614950658');
    assert.equal(firstPostId('{"data":{"publicaly_available_post_id":[]}}', []), undefined);
  });
});
