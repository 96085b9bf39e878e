import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSignedRequest, SignedRequestError, verifySignedRequest } from './signedRequest.ts';

const SECRET = 'app-secret-for-tests';
const NOW_S = 1_767_603_600;

describe('Meta signed_request', () => {
  it('verifies what Meta sends: base64url(HMAC-SHA256 over the encoded payload).base64url(payload)', () => {
    // Built by hand, the way Meta documents it, not with createSignedRequest.
    const payloadPart = Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: '10001', issued_at: NOW_S })).toString('base64url');
    const signature = createHmac('sha256', SECRET).update(payloadPart).digest('base64url');
    const payload = verifySignedRequest(`${signature}.${payloadPart}`, SECRET, { nowMs: NOW_S * 1000, maxAgeMs: 60_000 });
    assert.deepEqual(payload, { algorithm: 'HMAC-SHA256', user_id: '10001', issued_at: NOW_S });
  });

  it('round-trips createSignedRequest and keeps extra fields; numeric user ids become strings', () => {
    const signed = createSignedRequest({ algorithm: 'HMAC-SHA256', user_id: '42', issued_at: NOW_S, profile_id: '7' }, SECRET);
    assert.equal(verifySignedRequest(signed, SECRET).profile_id, '7');
    const payloadPart = Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: 42, issued_at: NOW_S })).toString('base64url');
    const sig = createHmac('sha256', SECRET).update(payloadPart).digest('base64url');
    assert.equal(verifySignedRequest(`${sig}.${payloadPart}`, SECRET).user_id, '42');
  });

  const reject = (value: string, pattern: RegExp, options = {}) =>
    assert.throws(() => verifySignedRequest(value, SECRET, options), (err: unknown) => err instanceof SignedRequestError && pattern.test(err.message) && !err.message.includes(SECRET));

  it('rejects a wrong secret, a tampered payload and a tampered signature', () => {
    const signed = createSignedRequest({ algorithm: 'HMAC-SHA256', user_id: '10001', issued_at: NOW_S }, SECRET);
    assert.throws(() => verifySignedRequest(signed, 'another-secret'), SignedRequestError);
    const [sig, payload] = signed.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: '666', issued_at: NOW_S })).toString('base64url');
    reject(`${sig}.${forged}`, /signature/);
    reject(`${sig.slice(0, -2)}AA.${payload}`, /signature/);
    reject(`${sig.slice(0, 10)}.${payload}`, /signature/);
  });

  it('rejects malformed input', () => {
    reject('', /two base64url parts/);
    reject('abc', /two base64url parts/);
    reject('a.b.c', /two base64url parts/);
    reject('a+b.c/d', /base64url/);
    const notJson = Buffer.from('{not json').toString('base64url');
    reject(`${createHmac('sha256', SECRET).update(notJson).digest('base64url')}.${notJson}`, /not JSON/);
  });

  it('rejects other algorithms and missing fields', () => {
    const sign = (payload: unknown) => {
      const part = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${createHmac('sha256', SECRET).update(part).digest('base64url')}.${part}`;
    };
    reject(sign({ algorithm: 'none', user_id: '1', issued_at: NOW_S }), /algorithm/);
    reject(sign({ algorithm: 'HMAC-SHA256', issued_at: NOW_S }), /user_id/);
    reject(sign({ algorithm: 'HMAC-SHA256', user_id: '1' }), /issued_at/);
    reject(sign([1, 2]), /algorithm/);
  });

  it('rejects a request older (or further in the future) than maxAgeMs', () => {
    const signed = createSignedRequest({ algorithm: 'HMAC-SHA256', user_id: '1', issued_at: NOW_S }, SECRET);
    reject(signed, /too old/, { nowMs: (NOW_S + 600) * 1000, maxAgeMs: 300_000 });
    reject(signed, /too old/, { nowMs: (NOW_S - 600) * 1000, maxAgeMs: 300_000 });
    assert.equal(verifySignedRequest(signed, SECRET, { nowMs: (NOW_S + 60) * 1000, maxAgeMs: 300_000 }).user_id, '1');
  });
});
