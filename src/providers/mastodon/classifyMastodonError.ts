import type { ErrorClass } from '../types.ts';

/** Mastodon's bodies: `{ error, error_description? }`, where `error` is sometimes a sentence. */
export function classifyMastodonError(status: number, body: unknown): { errorClass: ErrorClass; reason: string; platformCode?: string } | null {
  const error = body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : '';
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited' };
  if (status >= 500) return { errorClass: 'transient', reason: 'platform_unavailable' };
  if (error === 'invalid_client' || error === 'unauthorized_client') return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode: error };
  // Only code exchanges reach the token endpoint (Mastodon issues no refresh tokens).
  if (error === 'invalid_grant') return { errorClass: 'bad_request', reason: 'invalid_code', platformCode: error };
  if (/revoked/i.test(error)) return { errorClass: 'reconnect_needed', reason: 'token_revoked', platformCode: error };
  if (/login is currently disabled/i.test(error)) return { errorClass: 'reconnect_needed', reason: 'login_disabled', platformCode: error };
  // No refresh tokens: a dead access token always means reconnecting.
  if (status === 401) return { errorClass: 'reconnect_needed', reason: 'token_invalid', platformCode: error || undefined };
  if (status === 422) return { errorClass: 'bad_request', reason: 'content_rejected', platformCode: error || undefined };
  return null;
}
