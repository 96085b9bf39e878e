/**
 * LinkedIn's rules as data (../shared/platforms.md §3). Refresh tokens exist only for approved
 * Marketing Developer Platform apps; self-serve apps get none and must reconnect every 60 days.
 */
import type { PlatformFacts } from '../types.ts';

const DAY_MS = 86_400_000;

/** The Posts/Images APIs are versioned by month; LinkedIn keeps a version for about a year. */
export const LINKEDIN_API_VERSION = '202601';

export const linkedinPaths = {
  authorize: '/oauth/v2/authorization',
  token: '/oauth/v2/accessToken',
  introspect: '/oauth/v2/introspectToken',
  userinfo: '/v2/userinfo',
  organizationAcls: '/rest/organizationAcls',
  organization: (id: string) => `/rest/organizations/${encodeURIComponent(id)}`,
  initializeImageUpload: '/rest/images?action=initializeUpload',
  posts: '/rest/posts',
} as const;

/** Scopes that let the member pick organizations they administer (and post as them). */
export const LINKEDIN_ORGANIZATION_SCOPES = ['rw_organization_admin', 'w_organization_social'];

export const linkedinFacts: PlatformFacts = {
  id: 'linkedin',
  displayName: 'LinkedIn',
  credentialKey: 'LINKEDIN',
  connectMethod: 'oauth2',
  pkce: false, // not used for web apps (Nango: disable_pkce)
  scopeSeparator: ' ',
  defaultScopes: ['openid', 'profile', 'w_member_social', 'r_organization_social', ...LINKEDIN_ORGANIZATION_SCOPES],
  clientAuth: 'body',
  refresh: { kind: 'oauth_refresh', rotates: false, fixedRefreshEnd: true },
  defaultAccessTtlMs: 60 * DAY_MS,
  defaultRefreshTtlMs: 365 * DAY_MS,
  canRevoke: false, // no documented revocation endpoint: disconnect erases our copy only
  canVerify: true, // introspectToken
  canFindRecentPosts: true, // GET /rest/posts?q=author
  hosts: { www: 'https://www.linkedin.com', api: 'https://api.linkedin.com' },
  limits: { textMax: 3000, mediaRequired: false, maxImages: 20, maxImageBytes: 36_152_320 },
};
