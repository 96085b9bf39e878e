/**
 * Pinterest API v5 rules as data (../shared/platforms.md §7). Continuous refresh tokens: 60 days,
 * renewed by every refresh (each response carries a new one), dead when unused for 60 days.
 * Whether the previous refresh token keeps working is uncertain, so we always store the new one.
 */
import type { PlatformFacts } from '../types.ts';

const DAY_MS = 86_400_000;

export const pinterestPaths = {
  authorize: '/oauth/', // www
  token: '/v5/oauth/token', // api
  userAccount: '/v5/user_account',
  boards: '/v5/boards',
  pins: '/v5/pins',
} as const;

export const pinterestOptions = {
  /** Apps created before 25 Sep 2025 must ask for the continuous refresh token explicitly. */
  requestContinuousRefresh: true,
};

export const pinterestFacts: PlatformFacts = {
  id: 'pinterest',
  displayName: 'Pinterest',
  credentialKey: 'PINTEREST',
  connectMethod: 'oauth2',
  pkce: false,
  scopeSeparator: ',',
  defaultScopes: ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'],
  clientAuth: 'basic',
  refresh: { kind: 'oauth_refresh', rotates: true, idleDeathMs: 60 * DAY_MS },
  defaultAccessTtlMs: 30 * DAY_MS,
  defaultRefreshTtlMs: 60 * DAY_MS,
  canRevoke: false, // token revocation exists only for system-user tokens; users revoke in settings
  canVerify: true, // GET /v5/user_account
  canFindRecentPosts: true, // GET /v5/pins (our idempotency key is in the pin's private note)
  hosts: { www: 'https://www.pinterest.com', api: 'https://api.pinterest.com' },
  limits: { textMax: 500, mediaRequired: true, maxImages: 5, maxImageBytes: 20 * 1024 ** 2 },
};
