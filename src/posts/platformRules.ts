import { listProviders } from '../providers/registry.ts';
import { PLATFORM_IDS, type PlatformId } from '../providers/types.ts';

/**
 * What each platform accepts in a post, checked at compose time (src/posts/validatePost.ts) so a
 * post that cannot go out is refused now, not on the day. The numbers follow the platforms'
 * publishing documentation (../shared/platforms.md) and the adapters' `PlatformFacts.limits`;
 * the media types are the ones every adapter can hand over as is.
 *
 * Text is measured the way each platform measures it (textLength.ts).
 */
export type PlatformRules = {
  textMax: number;
  /** A post without an image or video is refused (Instagram, TikTok, YouTube, Pinterest). */
  mediaRequired: boolean;
  /** Only a video will do (YouTube). */
  videoRequired?: boolean;
  /**
   * Set where the platform takes videos but our adapter cannot send them yet: the reason given
   * when a post has one (refused at compose time instead of failing on the day).
   */
  videoUnsupported?: string;
  maxImages: number;
  maxVideos: number;
  /** Images and a video cannot go in the same post. */
  noMixedMedia: boolean;
  maxImageBytes: number;
  maxVideoBytes: number;
  imageTypes: readonly string[];
  videoTypes: readonly string[];
  /** A title (YouTube video, Pinterest pin), from the platform's override `title`. */
  titleMax?: number;
  titleRequired?: boolean;
};

const MB = 1024 ** 2;
const GB = 1024 ** 3;
const COMMON_IMAGES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;
const JPEG_PNG = ['image/jpeg', 'image/png'] as const;
const MP4_MOV = ['video/mp4', 'video/quicktime'] as const;

const instagram: PlatformRules = {
  textMax: 2200,
  mediaRequired: true,
  maxImages: 10,
  maxVideos: 1,
  noMixedMedia: false,
  maxImageBytes: 8 * MB,
  maxVideoBytes: 1 * GB,
  imageTypes: ['image/jpeg'],
  videoTypes: MP4_MOV,
};

const BASE_RULES: Readonly<Record<PlatformId, PlatformRules>> = {
  x: { textMax: 280, mediaRequired: false, maxImages: 4, maxVideos: 1, noMixedMedia: true, maxImageBytes: 5 * MB, maxVideoBytes: 512 * MB, imageTypes: COMMON_IMAGES, videoTypes: MP4_MOV },
  // Bluesky, LinkedIn and Pinterest: their adapters send images only (no video upload built yet), so videos are refused when the post is written.
  bluesky: { textMax: 300, mediaRequired: false, maxImages: 4, maxVideos: 0, noMixedMedia: true, maxImageBytes: 1_000_000, maxVideoBytes: 0, imageTypes: COMMON_IMAGES, videoTypes: [], videoUnsupported: 'video posts cannot be sent to Bluesky yet (images only)' },
  threads: { textMax: 500, mediaRequired: false, maxImages: 20, maxVideos: 1, noMixedMedia: false, maxImageBytes: 8 * MB, maxVideoBytes: 1 * GB, imageTypes: JPEG_PNG, videoTypes: MP4_MOV },
  linkedin: { textMax: 3000, mediaRequired: false, maxImages: 20, maxVideos: 0, noMixedMedia: true, maxImageBytes: 36_152_320, maxVideoBytes: 0, imageTypes: ['image/jpeg', 'image/png', 'image/gif'], videoTypes: [], videoUnsupported: 'video posts cannot be sent to LinkedIn yet (images only)' },
  facebook: { textMax: 63206, mediaRequired: false, maxImages: 10, maxVideos: 1, noMixedMedia: true, maxImageBytes: 10 * MB, maxVideoBytes: 10 * GB, imageTypes: COMMON_IMAGES, videoTypes: MP4_MOV },
  instagram,
  instagram_fb: instagram,
  tiktok: { textMax: 2200, mediaRequired: true, maxImages: 35, maxVideos: 1, noMixedMedia: true, maxImageBytes: 20 * MB, maxVideoBytes: 4 * GB, imageTypes: ['image/jpeg', 'image/webp'], videoTypes: ['video/mp4', 'video/quicktime', 'video/webm'] },
  youtube: { textMax: 5000, mediaRequired: true, videoRequired: true, maxImages: 0, maxVideos: 1, noMixedMedia: true, maxImageBytes: 0, maxVideoBytes: 256 * GB, imageTypes: [], videoTypes: ['video/mp4', 'video/quicktime', 'video/webm'], titleMax: 100, titleRequired: true },
  pinterest: { textMax: 500, mediaRequired: true, maxImages: 1, maxVideos: 0, noMixedMedia: true, maxImageBytes: 20 * MB, maxVideoBytes: 0, imageTypes: ['image/jpeg', 'image/png', 'image/webp'], videoTypes: [], titleMax: 100, videoUnsupported: 'video pins cannot be sent to Pinterest yet (images only)' },
  mastodon: { textMax: 500, mediaRequired: false, maxImages: 4, maxVideos: 1, noMixedMedia: true, maxImageBytes: 16 * MB, maxVideoBytes: 99 * MB, imageTypes: COMMON_IMAGES, videoTypes: ['video/mp4', 'video/webm', 'video/quicktime'] },
};

/**
 * The rules in force: the table above, with each adapter's own `facts.limits` (text length,
 * media required, image count and sizes) taking precedence where the adapter is present.
 */
export const PLATFORM_RULES: Readonly<Record<PlatformId, PlatformRules>> = Object.freeze(
  Object.fromEntries(
    PLATFORM_IDS.map((id) => {
      const limits = listProviders().find((p) => p.facts.id === id)?.facts.limits;
      const base = BASE_RULES[id];
      if (!limits) return [id, base];
      return [
        id,
        {
          ...base,
          textMax: limits.textMax,
          mediaRequired: limits.mediaRequired,
          maxImages: limits.maxImages,
          ...(limits.maxImageBytes === undefined ? {} : { maxImageBytes: limits.maxImageBytes }),
          ...(limits.maxVideoBytes === undefined ? {} : { maxVideoBytes: limits.maxVideoBytes }),
        },
      ];
    }),
  ) as Record<PlatformId, PlatformRules>,
);

/** Every type some platform accepts: what the upload endpoint lets in. */
export const UPLOADABLE_TYPES: ReadonlySet<string> = new Set(
  Object.values(PLATFORM_RULES).flatMap((r) => [...r.imageTypes, ...r.videoTypes]),
);
