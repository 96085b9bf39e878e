/**
 * Pinterest token responses → TokenSet: `{access_token, token_type, expires_in, scope,
 * refresh_token, refresh_token_expires_in, refresh_token_expires_at}` (scopes comma-separated).
 * `refresh_token_expires_at` (unix seconds) wins over `_in` when both are present.
 */
import { tokenSetFromResponse } from '../oauthHelpers.ts';
import type { TokenSet } from '../types.ts';
import { pinterestFacts } from './pinterestFacts.ts';

export function parsePinterestTokens(body: unknown, now: Date): TokenSet {
  const tokens = tokenSetFromResponse(body, {
    platform: 'Pinterest',
    now,
    defaultAccessTtlMs: pinterestFacts.defaultAccessTtlMs,
    defaultRefreshTtlMs: pinterestFacts.defaultRefreshTtlMs,
  });
  const expiresAt = (body as Record<string, unknown>).refresh_token_expires_at;
  if (tokens.refreshToken && typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt > 0) {
    tokens.refreshExpiresAt = new Date(expiresAt * 1000);
  }
  return tokens;
}
