/**
 * LinkedIn error bodies → error classes (../shared/platforms.md §3, §11.2).
 * API errors: `{status, serviceErrorCode, code, message}`; OAuth endpoints: `{error, error_description}`.
 */
import type { Provider } from '../types.ts';

type Classification = NonNullable<ReturnType<Provider['classifyError']>>;

function record(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** OAuth endpoint errors (`accessToken`, `introspectToken`). */
function classifyOAuthError(status: number, error: string, description: string): Classification {
  const platformCode = error;
  switch (error) {
    case 'invalid_client':
    case 'unauthorized_client':
      return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode };
    case 'invalid_redirect_uri':
      // "appid/redirect uri/code verifier does not match authorization code. Or authorization code expired"
      return { errorClass: 'bad_request', reason: 'code_rejected', platformCode };
    case 'invalid_grant':
      return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode };
    case 'invalid_request':
      // The refresh failure body LinkedIn sends for a dead refresh token uses invalid_request.
      if (/invalid, expired or revoked/i.test(description)) return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode };
      return { errorClass: 'bad_request', reason: 'invalid_request', platformCode };
    case 'temporarily_unavailable':
    case 'server_error':
      return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
    default:
      return status >= 500
        ? { errorClass: 'transient', reason: 'platform_unavailable', platformCode }
        : { errorClass: 'bad_request', reason: 'oauth_error', platformCode };
  }
}

/** Returns null for a success status. */
export function classifyLinkedInError(status: number, body: unknown): Classification | null {
  if (status >= 200 && status < 300) return null;
  const b = record(body);
  if (typeof b.error === 'string') {
    return classifyOAuthError(status, b.error, typeof b.error_description === 'string' ? b.error_description : '');
  }
  const serviceCode = typeof b.serviceErrorCode === 'number' ? b.serviceErrorCode : undefined;
  const code = typeof b.code === 'string' ? b.code : undefined;
  const message = typeof b.message === 'string' ? b.message : '';
  const platformCode = serviceCode !== undefined ? String(serviceCode) : code;

  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode };
  if (status >= 500 || status === 408) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
  if (status === 401) {
    if (serviceCode === 65602 || code === 'EXPIRED_ACCESS_TOKEN') return { errorClass: 'refresh_needed', reason: 'token_expired', platformCode };
    if (serviceCode === 65601 || code === 'REVOKED_ACCESS_TOKEN') return { errorClass: 'reconnect_needed', reason: 'token_revoked', platformCode };
    if (serviceCode === 65600 || code === 'INVALID_ACCESS_TOKEN') return { errorClass: 'reconnect_needed', reason: 'token_invalid', platformCode };
    if (/empty oauth2?[_ ]?access[_ ]token/i.test(message)) return { errorClass: 'reconnect_needed', reason: 'token_missing', platformCode };
    return { errorClass: 'reconnect_needed', reason: 'unauthorized', platformCode };
  }
  if (status === 403) return { errorClass: 'reconnect_needed', reason: 'permission_denied', platformCode };
  if (status === 422 && (code === 'DUPLICATE_POST' || /duplicate/i.test(message))) {
    return { errorClass: 'bad_request', reason: 'duplicate_post', platformCode };
  }
  if (status === 413) return { errorClass: 'bad_request', reason: 'media_too_large', platformCode };
  return { errorClass: 'bad_request', reason: status === 404 ? 'not_found' : 'content_rejected', platformCode };
}
