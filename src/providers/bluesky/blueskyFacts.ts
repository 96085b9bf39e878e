import type { PlatformFacts } from '../types.ts';

const HOUR = 3_600_000;

/**
 * Bluesky with app-password sessions (platforms.md §9a): createSession once, then
 * refreshSession (rotating, with a 2 h grace for the old token on the PDS). atproto OAuth with
 * DPoP (§9b) is not implemented.
 */
export const blueskyFacts: PlatformFacts = {
  id: 'bluesky',
  displayName: 'Bluesky',
  credentialKey: null,
  connectMethod: 'app_password',
  pkce: false,
  scopeSeparator: ' ',
  defaultScopes: ['com.atproto.access'],
  clientAuth: 'none',
  refresh: { kind: 'xrpc_refresh', rotates: true },
  // Reference PDS values; the JWTs' own `exp` wins (the bsky.social entryway may differ [UNC]).
  defaultAccessTtlMs: 2 * HOUR,
  defaultRefreshTtlMs: 90 * 24 * HOUR,
  canRevoke: true,
  canVerify: true,
  canFindRecentPosts: true,
  hosts: { pds: 'https://bsky.social' },
  instanceUrl: 'optional',
  limits: { textMax: 300, mediaRequired: false, maxImages: 4, maxImageBytes: 1_000_000 },
};
