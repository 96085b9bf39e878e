import type { PlatformId } from '../providers/types.ts';
import { countCharacters, PLATFORM_RULES } from './platformRules.ts';
import { effectiveContent, type PostContent } from './postContent.ts';

/**
 * Compose-time validation of a post against each target's platform. Returns every problem at
 * once (never just the first), each tied to the target it concerns, so the composer can show
 * "too long for X (312/280)" beside the X account. An empty list means the post can go out.
 */
export type TargetIssue = {
  /** null for problems of the post as a whole (an unknown upload). */
  connectionId: string | null;
  platform: PlatformId | null;
  field: 'text' | 'media' | 'title' | 'connection';
  code:
    | 'text_too_long'
    | 'text_empty'
    | 'media_required'
    | 'video_required'
    | 'too_many_images'
    | 'too_many_videos'
    | 'mixed_media'
    | 'media_type_not_supported'
    | 'media_too_large'
    | 'media_not_found'
    | 'title_required'
    | 'title_too_long'
    | 'connection_not_found'
    | 'connection_disconnected';
  message: string;
};

/** What validation needs to know about an upload. */
export type MediaInfo = { id: string; fileName: string; mimeType: string; kind: 'image' | 'video'; sizeBytes: number };

export type ValidationTarget = { connectionId: string; platform: PlatformId; label: string };

export function validatePostContent(content: PostContent, targets: ValidationTarget[], media: ReadonlyMap<string, MediaInfo>): TargetIssue[] {
  const issues: TargetIssue[] = [];
  const missing = new Set<string>();
  for (const target of targets) {
    const rules = PLATFORM_RULES[target.platform];
    const c = effectiveContent(content, target.platform);
    const at = { connectionId: target.connectionId, platform: target.platform };
    const add = (field: TargetIssue['field'], code: TargetIssue['code'], message: string) =>
      issues.push({ ...at, field, code, message: `${target.label}: ${message}` });

    const length = countCharacters(c.text);
    if (length > rules.textMax) add('text', 'text_too_long', `the text is ${length} characters, at most ${rules.textMax} are allowed`);

    const files: MediaInfo[] = [];
    for (const id of c.mediaIds) {
      const file = media.get(id);
      if (file) files.push(file);
      else missing.add(id);
    }
    const mediaCount = files.length + c.mediaUrls.length;
    if (length === 0 && mediaCount === 0) add('text', 'text_empty', 'the post has neither text nor media');
    if (rules.mediaRequired && mediaCount === 0) {
      add('media', rules.videoRequired ? 'video_required' : 'media_required', rules.videoRequired ? 'a video is required' : 'an image or a video is required');
    }
    const images = files.filter((f) => f.kind === 'image');
    const videos = files.filter((f) => f.kind === 'video');
    if (rules.videoRequired && mediaCount > 0 && videos.length === 0 && c.mediaUrls.length === 0) {
      add('media', 'video_required', 'a video is required');
    }
    if (images.length > rules.maxImages) add('media', 'too_many_images', `${images.length} images, at most ${rules.maxImages} are allowed`);
    if (videos.length > rules.maxVideos) add('media', 'too_many_videos', `${videos.length} videos, at most ${rules.maxVideos} is allowed`);
    if (rules.noMixedMedia && images.length > 0 && videos.length > 0) add('media', 'mixed_media', 'images and a video cannot be posted together');
    for (const f of files) {
      const types = f.kind === 'image' ? rules.imageTypes : rules.videoTypes;
      const maxBytes = f.kind === 'image' ? rules.maxImageBytes : rules.maxVideoBytes;
      if (!types.includes(f.mimeType)) {
        add('media', 'media_type_not_supported', `${f.fileName} (${f.mimeType}) is not accepted (accepted: ${types.join(', ') || 'none'})`);
      } else if (f.sizeBytes > maxBytes) {
        add('media', 'media_too_large', `${f.fileName} is ${formatBytes(f.sizeBytes)}, at most ${formatBytes(maxBytes)} is allowed`);
      }
    }

    if (rules.titleMax !== undefined) {
      const titleLength = c.title === undefined ? 0 : countCharacters(c.title);
      if (rules.titleRequired && titleLength === 0) add('title', 'title_required', 'a title is required (set it in the platform options)');
      if (titleLength > rules.titleMax) add('title', 'title_too_long', `the title is ${titleLength} characters, at most ${rules.titleMax} are allowed`);
    }
  }
  for (const id of missing) {
    issues.push({ connectionId: null, platform: null, field: 'media', code: 'media_not_found', message: `No upload ${id} in this workspace` });
  }
  return issues;
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MB`;
  return `${+(n / 1024).toFixed(1)} KB`;
}
