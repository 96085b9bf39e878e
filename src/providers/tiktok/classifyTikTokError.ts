/**
 * TikTok error bodies → error classes (../shared/platforms.md §5).
 * OAuth endpoints: `{error, error_description, log_id}` (sometimes with HTTP 200).
 * API v2: `{data, error: {code, message, log_id}}`, where `error.code == "ok"` is success, even on 200.
 */
import type { Provider } from '../types.ts';

type Classification = NonNullable<ReturnType<Provider['classifyError']>>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function classifyOAuthError(error: string): Classification {
  const platformCode = error;
  switch (error) {
    case 'invalid_grant': // refresh token invalid, expired or revoked; or a used/expired code
      return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode };
    case 'access_denied':
      return { errorClass: 'reconnect_needed', reason: 'access_denied', platformCode };
    case 'invalid_client':
    case 'unauthorized_client':
    case 'unsupported_grant_type':
    case 'unsupported_response_type':
      return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode };
    case 'invalid_scope':
      return { errorClass: 'app_misconfigured', reason: 'invalid_scope', platformCode };
    case 'server_error':
    case 'temporarily_unavailable':
      return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
    default:
      return { errorClass: 'bad_request', reason: 'invalid_request', platformCode };
  }
}

function classifyApiError(status: number, code: string): Classification {
  const platformCode = code;
  switch (code) {
    case 'access_token_invalid':
      return { errorClass: 'refresh_needed', reason: 'token_invalid', platformCode };
    case 'scope_not_authorized':
    case 'scope_permission_missed':
      return { errorClass: 'reconnect_needed', reason: 'insufficient_scope', platformCode };
    case 'reached_active_user_cap':
      return { errorClass: 'app_misconfigured', reason: 'active_user_cap', platformCode };
    case 'rate_limit_exceeded':
    case 'spam_risk_too_many_posts':
    case 'spam_risk_too_many_pending_share':
      return { errorClass: 'transient', reason: 'rate_limited', platformCode };
    case 'internal_error':
      return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
    default:
      if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode };
      if (status >= 500) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
      if (status === 401) return { errorClass: 'refresh_needed', reason: 'unauthorized', platformCode };
      return { errorClass: 'bad_request', reason: 'content_rejected', platformCode };
  }
}

/** Returns null for a success (2xx without an OAuth error, and `error.code` "ok" when present). */
export function classifyTikTokError(status: number, body: unknown): Classification | null {
  const b = record(body);
  if (typeof b.error === 'string') return classifyOAuthError(b.error);
  const apiError = record(b.error);
  const code = typeof apiError.code === 'string' ? apiError.code : undefined;
  if (code !== undefined && code !== 'ok') return classifyApiError(status, code);
  if (status >= 200 && status < 300) return null;
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited' };
  if (status >= 500 || status === 408) return { errorClass: 'transient', reason: 'platform_unavailable' };
  if (status === 401) return { errorClass: 'refresh_needed', reason: 'unauthorized' };
  return { errorClass: 'bad_request', reason: 'request_rejected' };
}
