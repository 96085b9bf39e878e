/**
 * Google token responses → TokenSet: `{access_token, expires_in, refresh_token?, scope, token_type, id_token?}`.
 * A refresh normally returns no refresh token (no rotation): `refreshToken` stays undefined and
 * the stored one is kept. The refresh token has no fixed end (null) unless Google sends
 * `refresh_token_expires_in` (time-based access).
 */
import { tokenSetFromResponse } from '../oauthHelpers.ts';
import type { TokenSet } from '../types.ts';
import { youtubeFacts } from './youtubeFacts.ts';

export function parseGoogleTokens(body: unknown, now: Date): TokenSet {
  return tokenSetFromResponse(body, {
    platform: 'Google',
    now,
    defaultAccessTtlMs: youtubeFacts.defaultAccessTtlMs,
    defaultRefreshTtlMs: youtubeFacts.defaultRefreshTtlMs,
  });
}
