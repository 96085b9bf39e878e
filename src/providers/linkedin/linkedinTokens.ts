/**
 * LinkedIn's token responses (code exchange and refresh) → TokenSet.
 * `{access_token, expires_in, refresh_token?, refresh_token_expires_in?, scope, id_token?}`, scopes
 * comma-separated. The refresh response carries the *remaining* refresh lifetime (it never
 * slides); whether the refresh token string changes is uncertain, so whatever comes back is stored.
 */
import { tokenSetFromResponse } from '../oauthHelpers.ts';
import type { TokenSet } from '../types.ts';
import { linkedinFacts } from './linkedinFacts.ts';

export function parseLinkedInTokens(body: unknown, now: Date, grant: 'authorization_code' | 'refresh_token'): TokenSet {
  const tokens = tokenSetFromResponse(body, {
    platform: 'LinkedIn',
    now,
    defaultAccessTtlMs: linkedinFacts.defaultAccessTtlMs,
    // A first grant without a lifetime gets the documented 365 days; a refresh without one keeps the stored end.
    defaultRefreshTtlMs: grant === 'authorization_code' ? linkedinFacts.defaultRefreshTtlMs : null,
  });
  const carriesRefreshLifetime = typeof body === 'object' && body !== null && 'refresh_token_expires_in' in body;
  if (grant === 'refresh_token' && !carriesRefreshLifetime) delete tokens.refreshExpiresAt;
  return tokens;
}
