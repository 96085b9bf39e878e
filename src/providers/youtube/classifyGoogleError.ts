/**
 * Google OAuth and YouTube Data API error bodies → error classes (../shared/platforms.md §6).
 * OAuth: `{error, error_description}`; API: `{error: {code, message, errors: [{reason, domain}], status}}`.
 */
import type { Provider } from '../types.ts';

type Classification = NonNullable<ReturnType<Provider['classifyError']>>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function classifyOAuthError(status: number, error: string): Classification {
  const platformCode = error;
  switch (error) {
    case 'invalid_grant': // "Token has been expired or revoked." Never retried.
      return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode };
    case 'invalid_token': // tokeninfo/revoke on a dead access token
      return { errorClass: 'refresh_needed', reason: 'token_invalid', platformCode };
    case 'invalid_client':
    case 'unauthorized_client':
    case 'deleted_client':
    case 'disabled_client':
      return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode };
    case 'access_denied':
      return { errorClass: 'reconnect_needed', reason: 'access_denied', platformCode };
    case 'temporarily_unavailable':
    case 'server_error':
      return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
    default:
      if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode };
      if (status >= 500) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
      return { errorClass: 'bad_request', reason: 'invalid_request', platformCode };
  }
}

const API_REASONS: Record<string, Omit<Classification, 'platformCode'>> = {
  authError: { errorClass: 'refresh_needed', reason: 'token_invalid' },
  authorizationRequired: { errorClass: 'refresh_needed', reason: 'token_missing' },
  insufficientPermissions: { errorClass: 'reconnect_needed', reason: 'insufficient_scope' },
  youtubeSignupRequired: { errorClass: 'reconnect_needed', reason: 'no_channel' },
  forbidden: { errorClass: 'reconnect_needed', reason: 'permission_denied' },
  quotaExceeded: { errorClass: 'transient', reason: 'quota_exceeded' }, // resets at midnight Pacific
  rateLimitExceeded: { errorClass: 'transient', reason: 'rate_limited' },
  userRateLimitExceeded: { errorClass: 'transient', reason: 'rate_limited' },
  uploadLimitExceeded: { errorClass: 'transient', reason: 'upload_limit_exceeded' },
  backendError: { errorClass: 'transient', reason: 'platform_unavailable' },
  invalidTitle: { errorClass: 'bad_request', reason: 'invalid_title' },
  invalidDescription: { errorClass: 'bad_request', reason: 'invalid_description' },
  mediaBodyRequired: { errorClass: 'bad_request', reason: 'media_required' },
};

/** Returns null for a success status. */
export function classifyGoogleError(status: number, body: unknown): Classification | null {
  if (status >= 200 && status < 300) return null;
  const b = record(body);
  if (typeof b.error === 'string') return classifyOAuthError(status, b.error);
  const apiError = record(b.error);
  const first = Array.isArray(apiError.errors) ? record(apiError.errors[0]) : {};
  const reasonCode = typeof first.reason === 'string' ? first.reason : undefined;
  const known = reasonCode !== undefined ? API_REASONS[reasonCode] : undefined;
  if (known) return { ...known, platformCode: reasonCode };
  const platformCode = reasonCode ?? (typeof apiError.status === 'string' ? apiError.status : undefined);
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode };
  if (status >= 500 || status === 408) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
  if (status === 401 || apiError.status === 'UNAUTHENTICATED') return { errorClass: 'refresh_needed', reason: 'unauthorized', platformCode };
  if (status === 403) return { errorClass: 'reconnect_needed', reason: 'permission_denied', platformCode };
  return { errorClass: 'bad_request', reason: status === 404 ? 'not_found' : 'content_rejected', platformCode };
}
