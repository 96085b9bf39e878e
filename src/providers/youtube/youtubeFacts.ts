/**
 * YouTube (Google OAuth 2.0) rules as data (../shared/platforms.md §6). The refresh token does not
 * rotate; it dies after 6 months unused, on revocation, when the account exceeds 100 live tokens
 * for our client (the oldest is evicted), and after 7 days while the consent screen is in Testing.
 */
import type { PlatformFacts } from '../types.ts';

const DAY_MS = 86_400_000;

export const youtubePaths = {
  authorize: '/o/oauth2/v2/auth', // accounts
  token: '/token', // oauth2
  tokeninfo: '/tokeninfo', // oauth2
  revoke: '/revoke', // oauth2
  channels: '/youtube/v3/channels', // api
  search: '/youtube/v3/search', // api
  uploadVideo: '/upload/youtube/v3/videos', // api
} as const;

/** A Google app whose consent screen is External + Testing: refresh tokens (non-basic scopes) die this long after consent. */
export const GOOGLE_TESTING_MODE_GRANT_TTL_MS = 7 * DAY_MS;

export const YOUTUBE_UPLOAD_SCOPE = 'https://www.googleapis.com/auth/youtube.upload';
export const YOUTUBE_READONLY_SCOPE = 'https://www.googleapis.com/auth/youtube.readonly';

export const youtubeFacts: PlatformFacts = {
  id: 'youtube',
  displayName: 'YouTube',
  credentialKey: 'GOOGLE',
  connectMethod: 'oauth2',
  pkce: true,
  scopeSeparator: ' ',
  defaultScopes: [YOUTUBE_UPLOAD_SCOPE, YOUTUBE_READONLY_SCOPE],
  clientAuth: 'body',
  refresh: { kind: 'oauth_refresh', rotates: false, idleDeathMs: 182 * DAY_MS },
  defaultAccessTtlMs: 3_599_000,
  defaultRefreshTtlMs: null, // no fixed lifetime (idle death, testing mode and revocation end it)
  canRevoke: true,
  canVerify: true, // tokeninfo
  canFindRecentPosts: true, // search?forMine=true
  hosts: { accounts: 'https://accounts.google.com', oauth2: 'https://oauth2.googleapis.com', api: 'https://www.googleapis.com' },
  limits: { textMax: 5000, mediaRequired: true, maxImages: 0, maxVideoBytes: 256 * 1024 ** 3 },
};
