import { AppError } from '../http/errors.ts';
import { ProviderError } from '../providers/types.ts';

/**
 * A platform failure during connect, as the API error the user sees. ProviderError messages are
 * token-free by contract; the reason code travels in `details`.
 */
export function connectFailure(err: unknown, platformName: string): AppError {
  if (err instanceof AppError) return err;
  if (!(err instanceof ProviderError)) throw err;
  const details = { reason: err.reason, platformCode: err.platformCode };
  if (err.reason === 'unsafe_url') return new AppError('unsafe_url', err.message, { details });
  if (err.errorClass === 'transient') {
    return new AppError('platform_unavailable', `${platformName} did not answer properly (${err.reason}); try again in a moment`, {
      details,
      retryAfter: err.retryAfterMs ? Math.ceil(err.retryAfterMs / 1000) : undefined,
    });
  }
  if (err.errorClass === 'app_misconfigured') {
    return new AppError('oauth_failed', `${platformName} refused this instance's app (${err.reason}); the administrator must check its client id and secret`, { details });
  }
  // Not 401: the Perennial session is fine, the platform refused the account's password.
  if (err.reason === 'invalid_credentials') return new AppError('bad_request', `${platformName} refused the handle or app password`, { details });
  return new AppError('oauth_failed', `${platformName} refused the authorization (${err.reason}); please connect again`, { details });
}
