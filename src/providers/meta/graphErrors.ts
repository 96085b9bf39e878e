/**
 * Classification of Meta Graph API failures (Facebook, Instagram, Threads), from the error
 * envelope `{"error":{"message","type","code","error_subcode","fbtrace_id"}}` and the older
 * Instagram code-exchange shape `{"error_type","code","error_message"}` (platforms.md §1, §2a, §8).
 * Tables, not branches, so a new subcode is one line.
 */
import type { ErrorClass } from '../types.ts';

export type Classification = { errorClass: ErrorClass; reason: string; platformCode?: string };

/** A Graph error reduced to what classification needs. */
export type GraphError = { code: number | null; subcode: number | null; type: string | null; message: string };

/**
 * Subcodes of OAuthException 190/102 (Graph error-handling guide). Every one of them ends the
 * grant: the user must log in again (459/464 also need them to visit facebook.com first).
 */
export const TOKEN_SUBCODE_REASONS: Readonly<Record<number, string>> = {
  458: 'deauthorized', // App Not Installed: the user removed or de-authorized the app
  459: 'user_checkpointed', // User Checkpointed: must log in at facebook.com
  460: 'password_changed',
  463: 'token_expired',
  464: 'user_unconfirmed', // Unconfirmed User: must log in at facebook.com
  467: 'token_invalid', // expired, revoked or otherwise invalid
  492: 'role_lost', // the Page token's user no longer has a role on the Page
  33: 'token_revoked', // Instagram: "object does not exist or permission missing" on a revoked grant (Postiz)
};

/**
 * Without a subcode, the message is all there is (Instagram and Threads rarely send one).
 * Checked in order; the first match wins.
 */
const TOKEN_MESSAGE_REASONS: readonly [RegExp, string][] = [
  [/session has expired/i, 'token_expired'],
  [/changed their password/i, 'password_changed'],
  [/has not authorized application|de-?authori[sz]ed/i, 'deauthorized'],
  [/revoked/i, 'token_revoked'],
  [/appropriate role on the page/i, 'role_lost'],
  [/data access (has )?expired/i, 'data_access_expired'],
];

/** Graph codes that are throttling (application, user, page and custom-rate-limit codes). */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008]);
/** "Unknown error" / "Service temporarily unavailable": Meta asks to retry later. */
const TRANSIENT_CODES = new Set([1, 2]);
/** IG/Threads "media is not ready for publishing": the container is still processing. */
const NOT_READY_CODES = new Set([9007]);
/** Content and media rejections (the request is wrong, retrying it unchanged will fail again). */
const CONTENT_CODES: Readonly<Record<number, string>> = {
  368: 'content_blocked', // blocked for policy reasons
  506: 'duplicate_post',
  1609005: 'link_rejected',
  2207026: 'media_rejected', // IG: unsupported video format
  2207052: 'media_rejected', // IG: media could not be fetched from the URL
};

/** Reads the Graph envelope or the Instagram code-exchange shape; null when the body is neither. */
export function readGraphError(body: unknown): GraphError | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  if (typeof record.error === 'object' && record.error !== null) {
    const e = record.error as Record<string, unknown>;
    return {
      code: toInt(e.code),
      subcode: toInt(e.error_subcode),
      type: typeof e.type === 'string' ? e.type : null,
      message: typeof e.message === 'string' ? e.message : '',
    };
  }
  if (typeof record.error_type === 'string' || typeof record.error_message === 'string') {
    return {
      code: toInt(record.code),
      subcode: null,
      type: typeof record.error_type === 'string' ? record.error_type : null,
      message: typeof record.error_message === 'string' ? record.error_message : '',
    };
  }
  return null;
}

function toInt(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

function platformCodeOf(e: GraphError): string | undefined {
  if (e.code === null) return undefined;
  return e.subcode === null ? String(e.code) : `${e.code}/${e.subcode}`;
}

/**
 * Maps any Meta Graph response to an error class, or null when it is not an error (2xx without
 * an error envelope). Unknown shapes fall back on the HTTP status.
 */
export function classifyGraphError(status: number, body: unknown): Classification | null {
  const e = readGraphError(body);
  if (!e) return classifyByStatus(status);
  const platformCode = platformCodeOf(e);
  const tagged = (errorClass: ErrorClass, reason: string): Classification =>
    platformCode === undefined ? { errorClass, reason } : { errorClass, reason, platformCode };

  if (e.code === 190 || e.code === 102) {
    const bySubcode = e.subcode === null ? undefined : TOKEN_SUBCODE_REASONS[e.subcode];
    const byMessage = TOKEN_MESSAGE_REASONS.find(([pattern]) => pattern.test(e.message))?.[1];
    return tagged('reconnect_needed', bySubcode ?? byMessage ?? 'token_invalid');
  }
  if (e.code !== null && RATE_LIMIT_CODES.has(e.code)) return tagged('transient', 'rate_limited');
  if (e.code !== null && TRANSIENT_CODES.has(e.code) && !/client secret|application/i.test(e.message)) {
    return tagged('transient', 'platform_unavailable');
  }
  if (e.code !== null && NOT_READY_CODES.has(e.code)) return tagged('transient', 'media_not_ready');
  if (isAppProblem(e)) return tagged('app_misconfigured', 'invalid_client');
  // 10 and 200-299: a permission the grant does not include; only a new consent adds it.
  if (e.code === 10 || (e.code !== null && e.code >= 200 && e.code <= 299)) return tagged('reconnect_needed', 'permission_missing');
  if (e.code !== null && CONTENT_CODES[e.code]) return tagged('bad_request', CONTENT_CODES[e.code]!);
  if (e.subcode !== null && CONTENT_CODES[e.subcode]) return tagged('bad_request', CONTENT_CODES[e.subcode]!);
  if (/authorization code|verification code|code has (expired|been used)|matching code/i.test(e.message)) return tagged('bad_request', 'invalid_code');
  if (e.code === 100) return tagged('bad_request', 'invalid_parameter');
  if (status === 429 || status >= 500) return tagged('transient', status === 429 ? 'rate_limited' : 'platform_unavailable');
  return tagged('bad_request', 'platform_rejected');
}

/** Wrong app id or secret, or an app Meta has restricted: the instance's app, not the connection. */
function isAppProblem(e: GraphError): boolean {
  if (e.code === 101) return true; // "Error validating application. Invalid application ID."
  return /client secret|invalid (platform )?app(lication)?\b|error validating application|invalid client_id/i.test(e.message);
}

function classifyByStatus(status: number): Classification | null {
  if (status >= 200 && status < 300) return null;
  if (status === 408) return { errorClass: 'transient', reason: 'timeout' };
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited' };
  if (status >= 500) return { errorClass: 'transient', reason: 'platform_unavailable' };
  if (status === 401 || status === 403) return { errorClass: 'reconnect_needed', reason: 'token_invalid' };
  return { errorClass: 'bad_request', reason: 'platform_rejected' };
}
