import type { PlatformId } from '../providers/types.ts';
import type { MastodonOptions } from './platformOptions.ts';
import { PLATFORM_RULES, type PlatformRules } from './platformRules.ts';
import { effectiveContent, type EffectiveContent, type PostContent } from './postContent.ts';
import { remoteMediaType } from './remoteMedia.ts';
import { BLUESKY_MAX_BYTES, countGraphemes, measureText, textAsPublished } from './textLength.ts';
import { validateOptions, type AccountHints, type OptionIssueCode } from './validateOptions.ts';

/**
 * Compose-time validation of a post against each target's platform. Returns every problem at
 * once (never just the first), each tied to the target it concerns, so the composer can show
 * "too long for X (312/280)" beside the X account. An empty list means the post can go out.
 */
export type TargetIssue = {
  /** null for problems of the post as a whole (an unknown upload). */
  connectionId: string | null;
  platform: PlatformId | null;
  field: 'text' | 'media' | 'title' | 'options' | 'connection';
  code:
    | 'text_too_long'
    | 'text_empty'
    | 'text_invalid_characters'
    | 'media_required'
    | 'video_required'
    | 'video_not_supported'
    | 'too_many_images'
    | 'too_many_videos'
    | 'mixed_media'
    | 'media_type_not_supported'
    | 'media_type_unknown'
    | 'media_too_large'
    | 'media_not_found'
    | 'title_required'
    | 'title_too_long'
    | OptionIssueCode
    | 'connection_not_found'
    | 'connection_disconnected';
  message: string;
};

/** What validation needs to know about an upload. */
export type MediaInfo = { id: string; fileName: string; mimeType: string; kind: 'image' | 'video'; sizeBytes: number };

export type ValidationTarget = { connectionId: string; platform: PlatformId; label: string; account?: AccountHints };

type Add = (field: TargetIssue['field'], code: TargetIssue['code'], message: string) => void;

/** A file the post carries: an upload (size known) or a URL (type from its extension, size unknown until publish). */
type Carried = { name: string; mimeType: string; kind: 'image' | 'video'; sizeBytes: number | null };

export function validatePostContent(content: PostContent, targets: ValidationTarget[], media: ReadonlyMap<string, MediaInfo>): TargetIssue[] {
  const issues: TargetIssue[] = [];
  const missing = new Set<string>();
  for (const target of targets) {
    const rules = PLATFORM_RULES[target.platform];
    const c = effectiveContent(content, target.platform);
    const add: Add = (field, code, message) =>
      issues.push({ connectionId: target.connectionId, platform: target.platform, field, code, message: `${target.label}: ${message}` });

    const files: Carried[] = [];
    for (const id of c.mediaIds) {
      const file = media.get(id);
      if (file) files.push({ name: file.fileName, mimeType: file.mimeType, kind: file.kind, sizeBytes: file.sizeBytes });
      else missing.add(id);
    }
    for (const url of c.mediaUrls) {
      const type = remoteMediaType(url);
      if (type) files.push({ name: shortUrl(url), ...type, sizeBytes: null });
      else add('media', 'media_type_unknown', `${shortUrl(url)} does not end in a known image or video extension (.jpg, .jpeg, .png, .gif, .webp, .mp4, .mov)`);
    }
    const mediaCount = c.mediaIds.length + c.mediaUrls.length;
    checkText(target.platform, rules, c, files, mediaCount, add);
    checkMedia(rules, files, mediaCount, add);
    checkTitle(rules, c, add);
    for (const issue of validateOptions(target.platform, c.options, target.account ?? { kind: 'user' })) add('options', issue.code, issue.message);
  }
  for (const id of missing) {
    issues.push({ connectionId: null, platform: null, field: 'media', code: 'media_not_found', message: `No upload ${id} in this workspace` });
  }
  return issues;
}

function checkText(platform: PlatformId, rules: PlatformRules, c: EffectiveContent, files: Carried[], mediaCount: number, add: Add): void {
  const images = files.filter((f) => f.kind === 'image').length;
  const published = textAsPublished(platform, c.text, c.link, images);
  const spoilerText = platform === 'mastodon' ? (c.options as MastodonOptions).spoilerText : undefined;
  const measured = measureText(platform, published, spoilerText ? { spoilerText } : {});
  const withLink = published !== c.text ? ' with the link' : '';
  const withWarning = spoilerText ? ' with the content warning' : '';
  if (measured.length > rules.textMax) {
    add('text', 'text_too_long', `the text${withLink}${withWarning} is ${measured.length} ${measured.unit}, at most ${rules.textMax} are allowed`);
  }
  if (platform === 'bluesky' && Buffer.byteLength(published) > BLUESKY_MAX_BYTES) {
    add('text', 'text_too_long', `the text${withLink} is ${Buffer.byteLength(published)} bytes, at most ${BLUESKY_MAX_BYTES} are allowed`);
  }
  if (platform === 'youtube' && /[<>]/.test(c.text)) add('text', 'text_invalid_characters', 'YouTube descriptions cannot contain < or >');
  if (c.text.trim().length === 0 && !c.link && mediaCount === 0) add('text', 'text_empty', 'the post has neither text nor media');
}

function checkMedia(rules: PlatformRules, files: Carried[], mediaCount: number, add: Add): void {
  const images = files.filter((f) => f.kind === 'image');
  const videos = files.filter((f) => f.kind === 'video');
  if (rules.mediaRequired && mediaCount === 0) {
    add('media', rules.videoRequired ? 'video_required' : 'media_required', rules.videoRequired ? 'a video is required' : 'an image or a video is required');
  } else if (rules.videoRequired && videos.length === 0 && files.length > 0) {
    add('media', 'video_required', 'a video is required (images are not accepted)');
  }
  if (rules.videoUnsupported && videos.length > 0) add('media', 'video_not_supported', rules.videoUnsupported);
  else if (videos.length > rules.maxVideos) add('media', 'too_many_videos', `${videos.length} videos, at most ${rules.maxVideos} is allowed`);
  if (images.length > rules.maxImages) {
    add('media', 'too_many_images', rules.maxImages === 0 ? 'images are not accepted' : `${images.length} images, at most ${rules.maxImages} are allowed`);
  }
  if (rules.noMixedMedia && images.length > 0 && videos.length > 0) add('media', 'mixed_media', 'images and a video cannot be posted together');
  for (const f of files) {
    // A video the adapter cannot send is reported once (video_not_supported), not per type.
    if (f.kind === 'video' && rules.videoUnsupported) continue;
    const types = f.kind === 'image' ? rules.imageTypes : rules.videoTypes;
    const maxBytes = f.kind === 'image' ? rules.maxImageBytes : rules.maxVideoBytes;
    if (!types.includes(f.mimeType)) {
      add('media', 'media_type_not_supported', `${f.name} (${f.mimeType}) is not accepted (accepted: ${types.join(', ') || 'none'})`);
    } else if (f.sizeBytes !== null && f.sizeBytes > maxBytes) {
      add('media', 'media_too_large', `${f.name} is ${formatBytes(f.sizeBytes)}, at most ${formatBytes(maxBytes)} is allowed`);
    }
  }
}

function checkTitle(rules: PlatformRules, c: EffectiveContent, add: Add): void {
  if (rules.titleMax === undefined) return;
  const titleLength = c.title === undefined ? 0 : countGraphemes(c.title.trim());
  if (rules.titleRequired && titleLength === 0) add('title', 'title_required', 'a title is required (set it in the platform’s override)');
  if (titleLength > rules.titleMax) add('title', 'title_too_long', `the title is ${titleLength} characters, at most ${rules.titleMax} are allowed`);
}

const shortUrl = (url: string) => (url.length > 120 ? `${url.slice(0, 117)}...` : url);

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MB`;
  return `${+(n / 1024).toFixed(1)} KB`;
}
