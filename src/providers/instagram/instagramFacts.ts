/**
 * Instagram API with Instagram Login as data (../shared/platforms.md §2a): no Facebook Page, a
 * 60-day token refreshed in place once it is 24 hours old.
 */
import type { LongLivedTokenRules } from '../meta/longLivedToken.ts';
import type { PlatformFacts } from '../types.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const INSTAGRAM_GRAPH_VERSION = 'v22.0';

export const instagramFacts: PlatformFacts = {
  id: 'instagram',
  displayName: 'Instagram',
  credentialKey: 'INSTAGRAM',
  connectMethod: 'oauth2',
  pkce: false,
  scopeSeparator: ',',
  defaultScopes: ['instagram_business_basic', 'instagram_business_content_publish'],
  clientAuth: 'body', // code exchange: form body; the long-lived exchange takes client_secret in the query
  refresh: { kind: 'extend_same_token', rotates: false, minAgeMs: 24 * HOUR_MS },
  defaultAccessTtlMs: 60 * DAY_MS,
  defaultRefreshTtlMs: null,
  canRevoke: false, // no revocation endpoint for Instagram Login: disconnect erases our copy only
  canVerify: true, // GET /me (debug_token does not cover graph.instagram.com tokens)
  canFindRecentPosts: true, // GET /{ig-user-id}/media
  hosts: { www: 'https://www.instagram.com', api: 'https://api.instagram.com', graph: 'https://graph.instagram.com' },
  limits: { textMax: 2200, mediaRequired: true, maxImages: 10, maxImageBytes: 8 * 1024 * 1024, maxVideoBytes: 300 * 1024 * 1024 },
};

export const instagramTokenRules: LongLivedTokenRules = {
  platform: 'Instagram',
  exchangeGrant: 'ig_exchange_token',
  refreshGrant: 'ig_refresh_token',
  minAgeMs: 24 * HOUR_MS,
  minAgeErrorCodes: [100],
  minAgeErrorMessage: /at least 24 hours old/i,
  defaultTtlMs: 60 * DAY_MS,
};
