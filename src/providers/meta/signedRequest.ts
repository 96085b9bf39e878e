/**
 * Meta `signed_request` (deauthorize and data-deletion callbacks, platforms.md §1):
 * `base64url(HMAC-SHA256(payloadPart, appSecret)) + "." + base64url(JSON payload)`, where the
 * HMAC is computed over the *encoded* payload part. The payload carries `algorithm`
 * ("HMAC-SHA256"), `user_id` and `issued_at` (unix seconds).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignedRequestPayload = {
  algorithm: 'HMAC-SHA256';
  user_id: string;
  issued_at: number;
  [key: string]: unknown;
};

export class SignedRequestError extends Error {
  override name = 'SignedRequestError';
}

/** Builds a signed_request (the emulator sends these; tests forge bad ones from it). */
export function createSignedRequest(payload: SignedRequestPayload, appSecret: string): string {
  const payloadPart = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${sign(payloadPart, appSecret)}.${payloadPart}`;
}

/**
 * Verifies the signature (constant time) and, when `maxAgeMs` is given, that `issued_at` is
 * neither older than that nor in the future beyond it. Throws SignedRequestError with a message
 * that never repeats the secret or the signature.
 */
export function verifySignedRequest(
  signedRequest: string,
  appSecret: string,
  options: { nowMs?: number; maxAgeMs?: number } = {},
): SignedRequestPayload {
  const parts = signedRequest.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new SignedRequestError('signed_request is not two base64url parts');
  const [signaturePart, payloadPart] = parts as [string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(signaturePart) || !/^[A-Za-z0-9_-]+$/.test(payloadPart)) {
    throw new SignedRequestError('signed_request is not base64url');
  }
  const given = Buffer.from(signaturePart, 'base64url');
  const expected = Buffer.from(sign(payloadPart, appSecret), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SignedRequestError('signed_request signature does not match');
  }

  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new SignedRequestError('signed_request payload is not JSON', { cause });
  }
  if (typeof payload !== 'object' || payload === null) throw new SignedRequestError('signed_request payload is not an object');
  const record = payload as Record<string, unknown>;
  if (typeof record.algorithm !== 'string' || record.algorithm.toUpperCase() !== 'HMAC-SHA256') {
    throw new SignedRequestError('signed_request algorithm is not HMAC-SHA256');
  }
  const userId = typeof record.user_id === 'number' ? String(record.user_id) : record.user_id;
  if (typeof userId !== 'string' || userId === '') throw new SignedRequestError('signed_request has no user_id');
  if (typeof record.issued_at !== 'number' || !Number.isFinite(record.issued_at)) {
    throw new SignedRequestError('signed_request has no issued_at');
  }
  if (options.maxAgeMs !== undefined && options.nowMs !== undefined) {
    const skewMs = Math.abs(options.nowMs - record.issued_at * 1000);
    if (skewMs > options.maxAgeMs) throw new SignedRequestError('signed_request is too old or issued in the future');
  }
  return { ...record, algorithm: 'HMAC-SHA256', user_id: userId, issued_at: record.issued_at };
}

function sign(payloadPart: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(payloadPart).digest('base64url');
}
