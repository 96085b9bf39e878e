/**
 * Pinterest error bodies → error classes (../shared/platforms.md §7): `{code, message, status?}`.
 * 2 = authentication failed (expired or invalid access token), 29 = not permitted,
 * 283 = the authorization grant (refresh token or code) is invalid.
 */
import type { Provider } from '../types.ts';

type Classification = NonNullable<ReturnType<Provider['classifyError']>>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Returns null for a success status. */
export function classifyPinterestError(status: number, body: unknown): Classification | null {
  if (status >= 200 && status < 300) return null;
  const b = record(body);
  const code = typeof b.code === 'number' ? b.code : undefined;
  const platformCode = code !== undefined ? String(code) : typeof b.error === 'string' ? b.error : undefined;
  if (code === 2) return { errorClass: 'refresh_needed', reason: 'token_invalid', platformCode };
  if (code === 283) return { errorClass: 'reconnect_needed', reason: 'invalid_grant', platformCode };
  if (code === 29) return { errorClass: 'bad_request', reason: 'not_permitted', platformCode };
  // The token endpoint's client-authentication failure (its exact body is undocumented).
  if (b.error === 'invalid_client' || (status === 401 && /client/i.test(String(b.message ?? '')))) {
    return { errorClass: 'app_misconfigured', reason: 'invalid_client', platformCode };
  }
  if (status === 429) return { errorClass: 'transient', reason: 'rate_limited', platformCode };
  if (status >= 500 || status === 408) return { errorClass: 'transient', reason: 'platform_unavailable', platformCode };
  if (status === 401) return { errorClass: 'refresh_needed', reason: 'unauthorized', platformCode };
  if (status === 403) return { errorClass: 'bad_request', reason: 'not_permitted', platformCode };
  return { errorClass: 'bad_request', reason: status === 404 ? 'not_found' : 'content_rejected', platformCode };
}
