/**
 * TikTok's rules as data (../shared/platforms.md §5). The official pages disagree on lifetimes
 * (legacy 24 h / 365 d, Nov 2026 pages 2 h / 180 d): the adapter always uses the response's
 * `expires_in` / `refresh_expires_in`, and these defaults apply only when a response omits them.
 */
import type { PlatformFacts } from '../types.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export const TIKTOK_LIFETIMES = {
  current: { accessTtlMs: 2 * HOUR_MS, refreshTtlMs: 180 * DAY_MS }, // pages updated Nov 2026
  legacy: { accessTtlMs: 24 * HOUR_MS, refreshTtlMs: 365 * DAY_MS },
} as const;

export const tiktokPaths = {
  authorize: '/v2/auth/authorize/',
  token: '/v2/oauth/token/',
  revoke: '/v2/oauth/revoke/',
  userInfo: '/v2/user/info/',
  creatorInfo: '/v2/post/publish/creator_info/query/',
  videoInit: '/v2/post/publish/video/init/',
  contentInit: '/v2/post/publish/content/init/',
  publishStatus: '/v2/post/publish/status/fetch/',
  videoList: '/v2/video/list/',
} as const;

export const tiktokFacts: PlatformFacts = {
  id: 'tiktok',
  displayName: 'TikTok',
  credentialKey: 'TIKTOK',
  connectMethod: 'oauth2',
  pkce: false, // PKCE is for TikTok's desktop and mobile flows; web apps use the client secret
  scopeSeparator: ',',
  defaultScopes: ['user.info.basic', 'user.info.profile', 'video.publish', 'video.list'],
  clientAuth: 'body', // `client_key` + `client_secret` in the form
  refresh: { kind: 'oauth_refresh', rotates: true },
  defaultAccessTtlMs: TIKTOK_LIFETIMES.current.accessTtlMs,
  defaultRefreshTtlMs: TIKTOK_LIFETIMES.current.refreshTtlMs,
  canRevoke: true,
  canVerify: true, // user/info is the cheap identity call
  canFindRecentPosts: true, // video/list (scope video.list)
  hosts: { www: 'https://www.tiktok.com', api: 'https://open.tiktokapis.com' },
  limits: { textMax: 2200, mediaRequired: true, maxImages: 35, maxVideoBytes: 4 * 1024 ** 3, maxImageBytes: 20 * 1024 ** 2 },
};
