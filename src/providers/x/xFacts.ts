import type { PlatformFacts } from '../types.ts';

const HOUR = 3_600_000;

/** X / Twitter OAuth 2.0 (platforms.md §4). */
export const xFacts: PlatformFacts = {
  id: 'x',
  displayName: 'X',
  credentialKey: 'X',
  connectMethod: 'oauth2',
  pkce: true,
  scopeSeparator: ' ',
  // media.write: the v2 media upload (images and videos attached to posts).
  defaultScopes: ['tweet.read', 'tweet.write', 'users.read', 'media.write', 'offline.access'],
  // Confidential clients (Web App) must use HTTP Basic; without it: 401 unauthorized_client.
  clientAuth: 'basic',
  refresh: { kind: 'oauth_refresh', rotates: true },
  defaultAccessTtlMs: 2 * HOUR,
  // Not documented [UNC]: about 6 months per the community; the response does not say.
  defaultRefreshTtlMs: null,
  canRevoke: true,
  canVerify: true,
  canFindRecentPosts: true,
  hosts: { www: 'https://x.com', api: 'https://api.x.com' },
  limits: { textMax: 280, mediaRequired: false, maxImages: 4, maxImageBytes: 5 * 1024 * 1024, maxVideoBytes: 512 * 1024 * 1024 },
};
