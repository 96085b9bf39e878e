import { z } from 'zod';
import type { PlatformId } from '../providers/types.ts';

/**
 * The settings a platform offers beyond text and media, set per platform in a post's override
 * (`content.overrides.tiktok.options`). Each key is the platform's own request parameter,
 * camelCased as everything in our API (TikTok `privacy_level` → `privacyLevel`, Mastodon
 * `spoiler_text` → `spoilerText`, Pinterest `board_id` → `boardId`); the adapter sends it under
 * the platform's name. Every schema is strict: an unknown or misspelt option is refused at
 * compose time instead of being dropped on the day. An option left out takes the platform's
 * default (or the adapter's, documented on each field).
 *
 * What only the account can tell (the TikTok privacy levels a creator may use, a Pinterest
 * account's boards) is checked at compose time when the connection recorded it (`meta`), and in
 * any case at publish time by the platform.
 */

/** X `POST /2/tweets` `reply_settings`: who may reply (absent: everyone). */
const xOptions = z.strictObject({
  replySettings: z.enum(['following', 'mentionedUsers', 'subscribers', 'verified']).optional(),
});

export const TIKTOK_PRIVACY_LEVELS = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'] as const;

/**
 * TikTok Content Posting API `post_info`. TikTok's rules: the creator picks who can see the post
 * (`privacy_level`, among the options `creator_info` offers; absent: the most public one
 * offered) and whether others may comment, duet or stitch (`disable_comment`, `disable_duet`,
 * `disable_stitch`; absent: allowed unless the creator turned it off in TikTok). Duet and stitch
 * apply to videos only. `brand_content_toggle` (a paid partnership) cannot be private.
 */
const tiktokOptions = z.strictObject({
  privacyLevel: z.enum(TIKTOK_PRIVACY_LEVELS).optional(),
  disableComment: z.boolean().optional(),
  disableDuet: z.boolean().optional(),
  disableStitch: z.boolean().optional(),
  brandContentToggle: z.boolean().optional(),
  brandOrganicToggle: z.boolean().optional(),
});

/**
 * YouTube `videos.insert` `status.privacyStatus` (absent: public), `status.selfDeclaredMadeForKids`
 * (absent: false), `snippet.tags`, `snippet.categoryId` (absent: 22, People & Blogs). The video's
 * title is the override's `title`.
 */
const youtubeOptions = z.strictObject({
  privacyStatus: z.enum(['public', 'unlisted', 'private']).optional(),
  selfDeclaredMadeForKids: z.boolean().optional(),
  tags: z.array(z.string().trim().min(1).max(500)).max(500).optional(),
  categoryId: z.string().regex(/^\d{1,4}$/, 'expected a YouTube category id such as "22"').optional(),
});

/** Mastodon `POST /api/v1/statuses` `visibility` (absent: public), `spoiler_text` (a content warning), `sensitive`, `language`. */
const mastodonOptions = z.strictObject({
  visibility: z.enum(['public', 'unlisted', 'private', 'direct']).optional(),
  spoilerText: z.string().max(5000).optional(),
  sensitive: z.boolean().optional(),
  language: z.string().regex(/^[a-z]{2,3}$/, 'expected an ISO 639 language code such as "en"').optional(),
});

/**
 * Pinterest `POST /v5/pins` `board_id` (absent: the connection's default board, chosen at
 * connect). The pin's `title` and `link` are the override's `title` and `link`.
 */
const pinterestOptions = z.strictObject({
  boardId: z.string().regex(/^\d{1,40}$/, 'expected a Pinterest board id (digits)').optional(),
});

/** LinkedIn Posts API `visibility` (absent: PUBLIC). CONNECTIONS exists for members only, not organization pages. */
const linkedinOptions = z.strictObject({
  visibility: z.enum(['PUBLIC', 'CONNECTIONS', 'LOGGED_IN']).optional(),
});

/** Platforms without options of their own take none (an options object there must be empty). */
const noOptions = z.strictObject({});

export const PLATFORM_OPTION_SCHEMAS = {
  facebook: noOptions,
  instagram: noOptions,
  instagram_fb: noOptions,
  linkedin: linkedinOptions,
  x: xOptions,
  tiktok: tiktokOptions,
  youtube: youtubeOptions,
  pinterest: pinterestOptions,
  threads: noOptions,
  bluesky: noOptions,
  mastodon: mastodonOptions,
} as const satisfies Record<PlatformId, z.ZodType>;

export type PlatformOptions = { [P in PlatformId]: z.output<(typeof PLATFORM_OPTION_SCHEMAS)[P]> };
export type TikTokOptions = PlatformOptions['tiktok'];
export type YouTubeOptions = PlatformOptions['youtube'];
export type MastodonOptions = PlatformOptions['mastodon'];
export type PinterestOptions = PlatformOptions['pinterest'];
export type LinkedInOptions = PlatformOptions['linkedin'];
