import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyGraphError, readGraphError } from './graphErrors.ts';

const envelope = (error: Record<string, unknown>) => ({ error: { type: 'OAuthException', fbtrace_id: 'AbC', ...error } });

describe('classifyGraphError: OAuthException 190/102 (platforms.md §1 table)', () => {
  const cases: [number, number | undefined, string, string][] = [
    [190, 458, 'Error validating access token: The user has not authorized application 123456.', 'deauthorized'],
    [190, 459, 'Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.', 'user_checkpointed'],
    [
      190,
      460,
      'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
      'password_changed',
    ],
    [
      190,
      463,
      'Error validating access token: Session has expired on Monday, 24-Oct-16 21:00:00 PDT. The current time is Monday, 24-Oct-16 21:08:52 PDT.',
      'token_expired',
    ],
    [190, 464, 'Error validating access token: Sessions for the user are not allowed because the user is not a confirmed user.', 'user_unconfirmed'],
    [190, 467, 'Error validating access token: The session is invalid because the user logged out.', 'token_invalid'],
    [190, 492, 'Error validating access token: The user associated with the Page access token does not have an appropriate role on the Page.', 'role_lost'],
    [190, undefined, 'Invalid OAuth access token - Cannot parse access token', 'token_invalid'],
    [102, undefined, 'Session key invalid or no longer valid', 'token_invalid'],
    [102, 460, 'Session has been invalidated', 'password_changed'],
  ];
  for (const [code, subcode, message, reason] of cases) {
    it(`${code}/${subcode ?? '-'} → reconnect_needed ${reason}`, () => {
      const body = envelope({ message, code, ...(subcode ? { error_subcode: subcode } : {}) });
      assert.deepEqual(classifyGraphError(400, body), {
        errorClass: 'reconnect_needed',
        reason,
        platformCode: subcode ? `${code}/${subcode}` : String(code),
      });
    });
  }

  it('reads the reason from the message when Instagram/Threads send no subcode', () => {
    assert.equal(
      classifyGraphError(400, envelope({ code: 190, message: 'Error validating access token: Session has expired on Friday, 11-Sep-20 10:00:00 PDT. The current time is Saturday, 12-Sep-20 08:00:00 PDT.' }))
        ?.reason,
      'token_expired',
    );
    assert.equal(
      classifyGraphError(400, envelope({ code: 190, message: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.' }))
        ?.reason,
      'password_changed',
    );
    assert.equal(classifyGraphError(400, envelope({ code: 190, message: 'Error validating access token: Data access has expired for this user.' }))?.reason, 'data_access_expired');
    assert.equal(classifyGraphError(400, envelope({ code: 190, message: 'Error validating access token: The user has not authorized application 42.' }))?.reason, 'deauthorized');
    assert.equal(classifyGraphError(400, envelope({ code: 190, message: 'The access token was revoked' }))?.reason, 'token_revoked');
  });

  it('accepts the subcode as a numeric string', () => {
    assert.equal(classifyGraphError(400, envelope({ code: '190', error_subcode: '460', message: '' }))?.reason, 'password_changed');
  });
});

describe('classifyGraphError: other Graph codes', () => {
  const cases: [number, Record<string, unknown>, string, string][] = [
    [400, { code: 4, message: '(#4) Application request limit reached' }, 'transient', 'rate_limited'],
    [400, { code: 17, message: '(#17) User request limit reached' }, 'transient', 'rate_limited'],
    [400, { code: 32, message: '(#32) Page request limit reached' }, 'transient', 'rate_limited'],
    [400, { code: 613, message: '(#613) Calls to this api have exceeded the rate limit.' }, 'transient', 'rate_limited'],
    [500, { code: 1, message: 'An unknown error has occurred.' }, 'transient', 'platform_unavailable'],
    [503, { code: 2, message: 'Service temporarily unavailable' }, 'transient', 'platform_unavailable'],
    [400, { code: 1, message: 'Error validating client secret.' }, 'app_misconfigured', 'invalid_client'],
    [400, { code: 101, message: 'Error validating application. Invalid application ID.' }, 'app_misconfigured', 'invalid_client'],
    [403, { code: 10, message: '(#10) Application does not have permission for this action' }, 'reconnect_needed', 'permission_missing'],
    [403, { code: 200, message: '(#200) requires pages_manage_posts' }, 'reconnect_needed', 'permission_missing'],
    [400, { code: 368, message: 'The action attempted has been deemed abusive or is otherwise disallowed' }, 'bad_request', 'content_blocked'],
    [400, { code: 506, message: 'Duplicate status message' }, 'bad_request', 'duplicate_post'],
    [400, { code: 9007, error_subcode: 2207027, message: 'The media is not ready for publishing, please wait for a moment' }, 'transient', 'media_not_ready'],
    [400, { code: 9004, error_subcode: 2207052, message: 'The media could not be fetched from the URL.' }, 'bad_request', 'media_rejected'],
    [400, { code: 100, error_subcode: 36009, message: 'This authorization code has been used.' }, 'bad_request', 'invalid_code'],
    [400, { code: 100, error_subcode: 36007, message: 'This authorization code has expired.' }, 'bad_request', 'invalid_code'],
    [400, { code: 100, message: '(#100) The parameter image_url is required.' }, 'bad_request', 'invalid_parameter'],
    [400, { code: 12345, message: 'Something new' }, 'bad_request', 'platform_rejected'],
    [502, { code: 12345, message: 'Something new' }, 'transient', 'platform_unavailable'],
  ];
  for (const [status, error, errorClass, reason] of cases) {
    it(`${status} code ${String(error.code)} → ${errorClass} ${reason}`, () => {
      const c = classifyGraphError(status, envelope(error));
      assert.equal(c?.errorClass, errorClass);
      assert.equal(c?.reason, reason);
    });
  }
});

describe('classifyGraphError: Instagram code-exchange shape and fallbacks', () => {
  it('classifies {"error_type","code","error_message"}', () => {
    const invalid = { error_type: 'OAuthException', code: 400, error_message: 'Invalid authorization code' };
    assert.deepEqual(classifyGraphError(400, invalid), { errorClass: 'bad_request', reason: 'invalid_code', platformCode: '400' });
    const used = { error_type: 'OAuthException', code: 400, error_message: 'This authorization code has been used' };
    assert.equal(classifyGraphError(400, used)?.reason, 'invalid_code');
    const app = { error_type: 'OAuthException', code: 400, error_message: 'Invalid platform app' };
    assert.equal(classifyGraphError(400, app)?.errorClass, 'app_misconfigured');
  });

  it('falls back on the status for bodies that are not Graph errors', () => {
    assert.equal(classifyGraphError(200, { id: '1' }), null);
    assert.equal(classifyGraphError(204, null), null);
    assert.deepEqual(classifyGraphError(429, null), { errorClass: 'transient', reason: 'rate_limited' });
    assert.deepEqual(classifyGraphError(503, '<html>'), { errorClass: 'transient', reason: 'platform_unavailable' });
    assert.deepEqual(classifyGraphError(401, {}), { errorClass: 'reconnect_needed', reason: 'token_invalid' });
    assert.deepEqual(classifyGraphError(404, { message: 'nope' }), { errorClass: 'bad_request', reason: 'platform_rejected' });
  });

  it('treats an error envelope inside a 200 as an error', () => {
    assert.equal(classifyGraphError(200, envelope({ code: 190, error_subcode: 460, message: '' }))?.reason, 'password_changed');
  });

  it('reads both shapes', () => {
    assert.deepEqual(readGraphError(envelope({ code: 190, error_subcode: 463, message: 'm' })), { code: 190, subcode: 463, type: 'OAuthException', message: 'm' });
    assert.deepEqual(readGraphError({ error_type: 'OAuthException', code: 400, error_message: 'x' }), { code: 400, subcode: null, type: 'OAuthException', message: 'x' });
    assert.equal(readGraphError('text'), null);
    assert.equal(readGraphError({ error: 'invalid_grant' }), null);
  });
});
