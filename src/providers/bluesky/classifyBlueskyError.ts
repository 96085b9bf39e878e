import type { ErrorClass } from '../types.ts';

/** XRPC errors: `{ error, message }` (platforms.md §9a). */
export function classifyBlueskyError(status: number, body: unknown): { errorClass: ErrorClass; reason: string; platformCode?: string } | null {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; message?: unknown };
  const error = typeof b.error === 'string' ? b.error : '';
  const message = typeof b.message === 'string' ? b.message : '';
  if (status === 429 || error === 'RateLimitExceeded') return { errorClass: 'transient', reason: 'rate_limited', platformCode: error || undefined };
  if (status >= 500) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode: error || undefined };
  if (error === 'AuthenticationRequired' || error === 'AuthFactorTokenRequired') return { errorClass: 'bad_request', reason: 'invalid_credentials', platformCode: error };
  if (error === 'AccountTakedown' || error === 'AccountDeactivated') return { errorClass: 'reconnect_needed', reason: 'account_disabled', platformCode: error };
  if (error === 'ExpiredToken' && /revoked/i.test(message)) return { errorClass: 'reconnect_needed', reason: 'token_revoked', platformCode: error };
  // An expired access JWT: a refresh fixes it (refresh() upgrades this to reconnect for the refresh JWT).
  if (error === 'ExpiredToken') return { errorClass: 'refresh_needed', reason: 'token_expired', platformCode: error };
  if (error === 'InvalidToken' || error === 'AuthMissing') return { errorClass: 'reconnect_needed', reason: 'token_invalid', platformCode: error };
  if (status === 401) return { errorClass: 'refresh_needed', reason: 'unauthorized', platformCode: error || undefined };
  if (error === 'InvalidRequest' || status === 400) return { errorClass: 'bad_request', reason: 'request_rejected', platformCode: error || undefined };
  return null;
}
