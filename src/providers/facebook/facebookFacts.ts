/**
 * Facebook Pages as data (../shared/platforms.md §1). No refresh token exists: a long-lived user
 * token (~60 d) is exchanged for Page tokens that do not expire; `fb_exchange_token` on a valid
 * token is the only "extension", and whether it moves the expiry is uncertain: the facts assume
 * it does not (refresh kind 'none'), and `refresh` reads `expires_in` from the answer rather than
 * assuming either way.
 */
import type { PlatformFacts } from '../types.ts';

const DAY_MS = 86_400_000;

/** The facts when fb_exchange_token does extend a long-lived token (configurable, see below). */
export function withExtendingExchange(facts: PlatformFacts): PlatformFacts {
  return { ...facts, refresh: { kind: 'extend_same_token', rotates: false } };
}

/** Graph API version used in paths; Meta keeps each version for about two years. */
export const FACEBOOK_GRAPH_VERSION = 'v22.0';

export const facebookFacts: PlatformFacts = {
  id: 'facebook',
  displayName: 'Facebook Pages',
  credentialKey: 'FACEBOOK',
  connectMethod: 'oauth2',
  pkce: false,
  scopeSeparator: ',',
  defaultScopes: ['pages_show_list', 'pages_manage_posts', 'pages_read_engagement'],
  clientAuth: 'query', // client_secret travels in the query string of GET /oauth/access_token
  // No refresh token. fb_exchange_token on a valid long-lived token is assumed not to move its
  // expiry ([UNC]); createFacebookProvider({ exchangeExtends: true }) declares that it does.
  refresh: { kind: 'none', rotates: false },
  defaultAccessTtlMs: 60 * DAY_MS, // long-lived user token, when expires_in is missing
  defaultRefreshTtlMs: null,
  canRevoke: true, // DELETE /{user-id}/permissions
  canVerify: true, // debug_token
  canFindRecentPosts: true, // GET /{page-id}/posts
  hosts: { www: 'https://www.facebook.com', graph: 'https://graph.facebook.com' },
  limits: { textMax: 63_206, mediaRequired: false, maxImages: 10, maxImageBytes: 10 * 1024 * 1024, maxVideoBytes: 1024 * 1024 * 1024 },
};
