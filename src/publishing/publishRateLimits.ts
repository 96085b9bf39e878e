import type { PlatformId } from '../providers/types.ts';

/**
 * Publishing rate limits as data: a token bucket per connected account and, where the platform
 * limits the whole app, one per platform. `capacity` is the burst, `perMs`/`refill` the steady
 * rate. Figures are the platforms' documented publishing limits (../shared/platforms.md), kept a
 * little under them so a retry never lands on the platform's own 429.
 */
export type BucketLimit = { capacity: number; refill: number; perMs: number };
export type PublishLimits = { account: BucketLimit; app: BucketLimit | null };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const PUBLISH_RATE_LIMITS: Record<PlatformId, PublishLimits> = {
  // Graph API: Page posting is throttled by call volume; keep a page to a steady few per minute.
  facebook: { account: { capacity: 25, refill: 25, perMs: HOUR }, app: null },
  // Content Publishing API: 100 API-published posts per account in a rolling 24 h.
  instagram: { account: { capacity: 20, refill: 95, perMs: DAY }, app: null },
  instagram_fb: { account: { capacity: 20, refill: 95, perMs: DAY }, app: null },
  // LinkedIn: member posting ~150 a day.
  linkedin: { account: { capacity: 20, refill: 140, perMs: DAY }, app: null },
  // X API v2 POST /2/tweets: 100 per 15 min per user.
  x: { account: { capacity: 50, refill: 95, perMs: 15 * MINUTE }, app: null },
  // TikTok direct post: 6 requests a minute per user token.
  tiktok: { account: { capacity: 5, refill: 5, perMs: MINUTE }, app: null },
  // YouTube: uploads cost 1,600 quota units of 10,000 a day per project: about 6 uploads a day.
  youtube: { account: { capacity: 6, refill: 6, perMs: DAY }, app: { capacity: 6, refill: 6, perMs: DAY } },
  // Pinterest: create pin ~ 10 a second per user; far above any schedule.
  pinterest: { account: { capacity: 50, refill: 300, perMs: MINUTE }, app: null },
  // Threads: 250 API-published posts per account in 24 h.
  threads: { account: { capacity: 25, refill: 240, perMs: DAY }, app: null },
  // Bluesky PDS: 1,666 record creations an hour per account.
  bluesky: { account: { capacity: 100, refill: 1_600, perMs: HOUR }, app: null },
  // Mastodon: 300 statuses per 3 h per account (server default).
  mastodon: { account: { capacity: 50, refill: 290, perMs: 3 * HOUR }, app: null },
};
