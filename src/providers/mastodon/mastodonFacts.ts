import type { PlatformFacts } from '../types.ts';

/**
 * Mastodon and Mastodon-API servers (platforms.md §10): an app per server, registered on first
 * use; tokens that never expire and cannot be refreshed; revocation by the user or us.
 */
export const mastodonFacts: PlatformFacts = {
  id: 'mastodon',
  displayName: 'Mastodon',
  credentialKey: null,
  connectMethod: 'oauth2',
  pkce: true, // since Mastodon 4.3; older servers ignore the parameters
  scopeSeparator: ' ',
  defaultScopes: ['read', 'write'],
  clientAuth: 'body',
  refresh: { kind: 'none', rotates: false },
  defaultAccessTtlMs: null,
  defaultRefreshTtlMs: null,
  canRevoke: true,
  canVerify: true,
  canFindRecentPosts: true,
  hosts: {},
  instanceUrl: 'required',
  limits: { textMax: 500, mediaRequired: false, maxImages: 4, maxImageBytes: 16 * 1024 * 1024, maxVideoBytes: 99 * 1024 * 1024 },
};
