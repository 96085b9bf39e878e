import type { ErrorClass } from '../types.ts';

/**
 * X's error bodies (platforms.md §4): OAuth errors `{ error, error_description }`, API errors
 * `{ title, type, status, detail }`.
 */
export function classifyXError(status: number, body: unknown): { errorClass: ErrorClass; reason: string; platformCode?: string } | null {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const error = typeof b.error === 'string' ? b.error : undefined;
  const description = typeof b.error_description === 'string' ? b.error_description : '';
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode: error };
  if (status >= 500) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode: error };
  if (error === 'unauthorized_client' || error === 'invalid_client') return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode: error };
  if (error === 'invalid_request' || error === 'invalid_grant') {
    if (/authorization code/i.test(description)) return { errorClass: 'bad_request', reason: 'invalid_code', platformCode: error };
    if (/code verifier/i.test(description)) return { errorClass: 'bad_request', reason: 'invalid_code_verifier', platformCode: error };
    // "Value passed for the token was invalid.": the refresh token is dead (rotated, revoked, expired).
    return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode: error };
  }
  if (status === 401) return { errorClass: 'refresh_needed', reason: 'access_token_invalid', platformCode: typeof b.title === 'string' ? b.title : undefined };
  if (status === 403) return { errorClass: 'bad_request', reason: 'forbidden', platformCode: typeof b.title === 'string' ? b.title : undefined };
  return null;
}
