/**
 * Threads as data (../shared/platforms.md §8): its own app id and secret (not the Meta app's),
 * a 60-day token refreshed in place once it is 24 hours old. The authorize page is on
 * threads.net (threads.com also works); the Graph API on graph.threads.net.
 */
import type { LongLivedTokenRules } from '../meta/longLivedToken.ts';
import type { PlatformFacts } from '../types.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const THREADS_GRAPH_VERSION = 'v1.0';

export const threadsFacts: PlatformFacts = {
  id: 'threads',
  displayName: 'Threads',
  credentialKey: 'THREADS',
  connectMethod: 'oauth2',
  pkce: false,
  scopeSeparator: ',',
  defaultScopes: ['threads_basic', 'threads_content_publish'],
  clientAuth: 'body',
  refresh: { kind: 'extend_same_token', rotates: false, minAgeMs: 24 * HOUR_MS },
  defaultAccessTtlMs: 60 * DAY_MS,
  defaultRefreshTtlMs: null,
  canRevoke: false, // no documented revocation endpoint
  canVerify: true, // GET /me (debug_token needs a Threads tester's token)
  canFindRecentPosts: true, // GET /{user-id}/threads
  hosts: { www: 'https://threads.net', graph: 'https://graph.threads.net' },
  limits: { textMax: 500, mediaRequired: false, maxImages: 20, maxImageBytes: 8 * 1024 * 1024, maxVideoBytes: 1024 * 1024 * 1024 },
};

export const threadsTokenRules: LongLivedTokenRules = {
  platform: 'Threads',
  exchangeGrant: 'th_exchange_token',
  refreshGrant: 'th_refresh_token',
  minAgeMs: 24 * HOUR_MS,
  minAgeErrorCodes: [100],
  minAgeErrorMessage: /at least 24 hours old/i,
  defaultTtlMs: 60 * DAY_MS,
};
