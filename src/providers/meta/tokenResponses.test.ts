import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MalformedResponse,
  parseBearerToken,
  parseDebugToken,
  parseInstagramCodeExchange,
  parseThreadsCodeExchange,
  splitPermissions,
  unixSecondsToDate,
} from './tokenResponses.ts';

describe('Instagram code exchange: the three shapes of platforms.md §2a', () => {
  const expected = { accessToken: 'IGQ-short', userId: '17841400000021001', permissions: ['instagram_business_basic', 'instagram_business_content_publish'] };

  it('accepts the documented data[] shape with permissions as a string', () => {
    const body = { data: [{ access_token: 'IGQ-short', user_id: '17841400000021001', permissions: 'instagram_business_basic,instagram_business_content_publish' }] };
    assert.deepEqual(parseInstagramCodeExchange(body), expected);
  });

  it('accepts the flat live shape with a numeric user_id', () => {
    // As it arrives: a JSON number beyond 2^53 (JSON.parse rounds it; adapters take ids from /me).
    const body: unknown = JSON.parse('{"access_token":"IGQ-short","user_id":17841400000021001,"permissions":"instagram_business_basic, instagram_business_content_publish"}');
    assert.deepEqual(parseInstagramCodeExchange(body).permissions, expected.permissions);
    assert.match(parseInstagramCodeExchange(body).userId, /^178414000000210\d\d$/);
  });

  it('accepts permissions as a JSON array, and no permissions at all', () => {
    const body = { access_token: 'IGQ-short', user_id: '17841400000021001', permissions: ['instagram_business_basic', 'instagram_business_content_publish'] };
    assert.deepEqual(parseInstagramCodeExchange(body), expected);
    assert.deepEqual(parseInstagramCodeExchange({ access_token: 'x', user_id: '1' }).permissions, []);
  });

  it('rejects anything else with the field names only, never a value', () => {
    for (const body of [{}, { data: [] }, { access_token: '', user_id: '1' }, { access_token: 'secret-token-value' }, null, 'text', { data: [{ user_id: '1' }] }]) {
      assert.throws(
        () => parseInstagramCodeExchange(body),
        (err: unknown) => err instanceof MalformedResponse && !err.message.includes('secret-token-value'),
      );
    }
  });
});

describe('bearer token responses', () => {
  it('reads expires_in as a number or a numeric string, and its absence as null', () => {
    assert.deepEqual(parseBearerToken({ access_token: 'a', token_type: 'bearer', expires_in: 5183944 }, 'x'), { accessToken: 'a', expiresInSec: 5183944 });
    assert.deepEqual(parseBearerToken({ access_token: 'a', expires_in: '3600' }, 'x'), { accessToken: 'a', expiresInSec: 3600 });
    assert.deepEqual(parseBearerToken({ access_token: 'a' }, 'x'), { accessToken: 'a', expiresInSec: null });
  });

  it('rejects a missing token or a nonsensical lifetime', () => {
    assert.throws(() => parseBearerToken({ token_type: 'bearer' }, 'x'), MalformedResponse);
    assert.throws(() => parseBearerToken({ access_token: 'a', expires_in: -5 }, 'x'), MalformedResponse);
    assert.throws(() => parseBearerToken({ access_token: 'a', expires_in: 'soon' }, 'x'), MalformedResponse);
  });

  it('reads the Threads code exchange', () => {
    assert.deepEqual(parseThreadsCodeExchange({ access_token: 'TH', user_id: '25000000000000001' }), { accessToken: 'TH', userId: '25000000000000001', expiresInSec: null });
    assert.equal(parseThreadsCodeExchange({ access_token: 'TH', user_id: 25000001 }).userId, '25000001');
    assert.throws(() => parseThreadsCodeExchange({ access_token: 'TH' }), MalformedResponse);
  });
});

describe('debug_token', () => {
  it('maps expires_at 0 to "never" and reads the data-access expiry and scopes', () => {
    const info = parseDebugToken({
      data: {
        app_id: '123',
        type: 'PAGE',
        application: 'Perennial',
        is_valid: true,
        expires_at: 0,
        data_access_expires_at: 1775379600,
        issued_at: 1767603600,
        scopes: ['pages_show_list', 'pages_manage_posts'],
        user_id: 10001,
      },
    });
    assert.equal(info.isValid, true);
    assert.equal(info.expiresAt, null);
    assert.equal(info.dataAccessExpiresAt?.toISOString(), '2026-04-05T09:00:00.000Z');
    assert.equal(info.issuedAt?.toISOString(), '2026-01-05T09:00:00.000Z');
    assert.deepEqual(info.scopes, ['pages_show_list', 'pages_manage_posts']);
    assert.equal(info.userId, '10001');
    assert.equal(info.type, 'PAGE');
    assert.equal(info.error, null);
  });

  it('reads an invalid token with its error', () => {
    const info = parseDebugToken({ data: { is_valid: false, error: { code: 190, subcode: 460, message: 'changed password' }, scopes: [] } });
    assert.equal(info.isValid, false);
    assert.deepEqual(info.error, { code: 190, subcode: 460, message: 'changed password' });
    assert.equal(info.expiresAt, null);
  });

  it('rejects a body without data.is_valid', () => {
    assert.throws(() => parseDebugToken({ data: {} }), MalformedResponse);
    assert.throws(() => parseDebugToken({ is_valid: true }), MalformedResponse);
  });
});

describe('small parsers', () => {
  it('splits permissions and removes blanks and duplicates', () => {
    assert.deepEqual(splitPermissions('a, b,,a'), ['a', 'b']);
    assert.deepEqual(splitPermissions([' a', 'b', '']), ['a', 'b']);
  });
  it('converts unix seconds, 0 meaning never', () => {
    assert.equal(unixSecondsToDate(0), null);
    assert.equal(unixSecondsToDate(undefined), null);
    assert.equal(unixSecondsToDate(1)?.getTime(), 1000);
  });
});
