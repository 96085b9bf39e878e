/**
 * TikTok Content Posting API, direct post: `creator_info/query` (the privacy levels this creator
 * may use), then `video/init` (one video) or `content/init` (photos) with PULL_FROM_URL, then
 * `status/fetch`. The publish id is saved through `progress` right after init, so a retry only
 * checks the status instead of posting again. Init is not idempotent: a marker (`initStarted`)
 * is saved before it, and a later run that finds the marker without a publish id (a crash or a
 * lost answer in between, and the engine's lookup found nothing) stops with
 * `PublishOutcomeUnknown` rather than posting a second time. While TikTok is still processing,
 * publish throws `PublishStillProcessing`: the engine polls later and resumes here.
 */
import { isDefiniteRefusal, ProviderError, PublishOutcomeUnknown, PublishStillProcessing, type ProviderContext, type PublishProgress, type PublishRequest, type PublishResult, type StoredCredential } from '../types.ts';
import { tiktokApiPost, tiktokApiPostWithText } from './tiktokApi.ts';
import { tiktokFacts, tiktokPaths } from './tiktokFacts.ts';

const STATUS_POLL_MS = 10_000;

function validate(post: PublishRequest): 'video' | 'photo' {
  const videos = post.media.filter((m) => m.kind === 'video');
  const images = post.media.filter((m) => m.kind === 'image');
  if (post.text.length > tiktokFacts.limits.textMax) throw new ProviderError('bad_request', 'text_too_long', `TikTok captions are limited to ${tiktokFacts.limits.textMax} characters`);
  if (videos.length === 1 && images.length === 0) return 'video';
  if (videos.length === 0 && images.length >= 1 && images.length <= tiktokFacts.limits.maxImages) return 'photo';
  throw new ProviderError('bad_request', 'unsupported_media', `TikTok posts need one video, or 1 to ${tiktokFacts.limits.maxImages} photos`);
}

/**
 * The post's `post_info` settings from its options (src/posts/platformOptions.ts) and what
 * `creator_info` says this creator may do: the privacy level asked for must be one TikTok offers
 * (never silently replaced by another; absent: the most public one offered); comments, duets and
 * stitches are off when the post turns them off or the creator has turned them off in TikTok.
 */
async function postSettings(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest, kind: 'video' | 'photo'): Promise<Record<string, unknown>> {
  const info = await tiktokApiPost(ctx, tiktokPaths.creatorInfo, credential.accessToken, {});
  const offered = Array.isArray(info.privacy_level_options) ? (info.privacy_level_options as string[]) : [];
  const o = post.options;
  let privacy_level: string | undefined;
  if (typeof o.privacyLevel === 'string') {
    if (!offered.includes(o.privacyLevel)) {
      throw new ProviderError('bad_request', 'privacy_level_not_allowed', `TikTok does not let this account post as ${o.privacyLevel} (it offers ${offered.join(', ') || 'none'})`);
    }
    privacy_level = o.privacyLevel;
  } else {
    privacy_level = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'].find((p) => offered.includes(p));
  }
  if (!privacy_level) throw new ProviderError('bad_request', 'no_privacy_level', 'TikTok offers no privacy level this creator may post with');
  const off = (option: unknown, creatorDisabled: unknown) => option === true || creatorDisabled === true;
  const brand = {
    ...(typeof o.brandContentToggle === 'boolean' ? { brand_content_toggle: o.brandContentToggle } : {}),
    ...(typeof o.brandOrganicToggle === 'boolean' ? { brand_organic_toggle: o.brandOrganicToggle } : {}),
  };
  const comment = { disable_comment: off(o.disableComment, info.comment_disabled) };
  if (kind === 'photo') return { privacy_level, ...comment, ...brand };
  return { privacy_level, ...comment, disable_duet: off(o.disableDuet, info.duet_disabled), disable_stitch: off(o.disableStitch, info.stitch_disabled), ...brand };
}

async function initPost(ctx: ProviderContext, credential: StoredCredential, post: PublishRequest, kind: 'video' | 'photo', progress: PublishProgress): Promise<string> {
  const settings = await postSettings(ctx, credential, post, kind);
  const before = progress.state;
  await progress.save({ ...before, initStarted: true });
  let data: Record<string, unknown>;
  try {
    data =
      kind === 'video'
        ? await tiktokApiPost(ctx, tiktokPaths.videoInit, credential.accessToken, {
            post_info: { title: post.text, ...settings },
            source_info: { source: 'PULL_FROM_URL', video_url: post.media[0]?.url },
          })
        : await tiktokApiPost(ctx, tiktokPaths.contentInit, credential.accessToken, {
            post_info: { title: typeof post.options.title === 'string' ? post.options.title : '', description: post.text, ...settings },
            source_info: { source: 'PULL_FROM_URL', photo_cover_index: 0, photo_images: post.media.map((m) => m.url) },
            post_mode: 'DIRECT_POST',
            media_type: 'PHOTO',
          });
  } catch (err) {
    // TikTok refused the init (a 4xx, 429 included): nothing was started, so the marker goes.
    if (err instanceof ProviderError && isDefiniteRefusal(err)) await progress.save(before);
    throw err;
  }
  if (typeof data.publish_id !== 'string' || data.publish_id === '') {
    throw new ProviderError('transient', 'malformed_response', 'TikTok accepted the post without a publish_id');
  }
  return data.publish_id;
}

/** The first public post id, with every digit (read from the raw text: the ids exceed 2^53). */
export function firstPostId(rawText: string, parsed: unknown): string | undefined {
  const exact = /"publicaly_available_post_id"\s*:\s*\[\s*"?(\d+)/.exec(rawText)?.[1];
  if (exact) return exact;
  return Array.isArray(parsed) && parsed.length > 0 ? String(parsed[0]) : undefined;
}

export function tiktokPostUrl(username: string | undefined, postId: string): string | null {
  return username ? `https://www.tiktok.com/@${username}/video/${postId}` : null;
}

export async function publishTikTokPost(
  ctx: ProviderContext,
  credential: StoredCredential,
  post: PublishRequest,
  progress: PublishProgress,
): Promise<PublishResult> {
  const kind = validate(post);
  let publishId = typeof progress.state.publishId === 'string' ? progress.state.publishId : undefined;
  if (!publishId) {
    if (progress.state.initStarted === true) {
      throw new PublishOutcomeUnknown('init_unconfirmed', 'A TikTok post was started earlier but its answer was never received; it may exist');
    }
    publishId = await initPost(ctx, credential, post, kind, progress);
    await progress.save({ ...progress.state, publishId });
  }
  const { data: status, text } = await tiktokApiPostWithText(ctx, tiktokPaths.publishStatus, credential.accessToken, { publish_id: publishId });
  switch (status.status) {
    case 'PUBLISH_COMPLETE': {
      // TikTok spells the field this way. Private (SELF_ONLY) posts have no public id: keep the publish id.
      const postId = firstPostId(text, status.publicaly_available_post_id);
      const username = typeof credential.meta.username === 'string' ? credential.meta.username : undefined;
      return postId ? { platformPostId: postId, url: tiktokPostUrl(username, postId) } : { platformPostId: publishId, url: null };
    }
    case 'FAILED': {
      const reason = typeof status.fail_reason === 'string' && /^[a-z_]{1,64}$/.test(status.fail_reason) ? status.fail_reason : 'publish_failed';
      throw new ProviderError('bad_request', reason, `TikTok could not publish the post (${reason})`);
    }
    case 'PROCESSING_UPLOAD':
    case 'PROCESSING_DOWNLOAD':
    case 'SEND_TO_USER_INBOX':
      throw new PublishStillProcessing('still_processing', 'TikTok is still processing the post', STATUS_POLL_MS);
    default:
      throw new ProviderError('transient', 'malformed_response', 'TikTok returned an unknown publish status');
  }
}

/** video/list (scope video.list): a video whose caption is our text, created after `since`. */
export async function findRecentTikTokPost(
  ctx: ProviderContext,
  credential: StoredCredential,
  post: PublishRequest,
  since: Date,
  skip?: ReadonlySet<string>,
): Promise<PublishResult | null> {
  const data = await tiktokApiPost(ctx, `${tiktokPaths.videoList}?fields=id,title,video_description,create_time,share_url`, credential.accessToken, { max_count: 20 });
  const videos = Array.isArray(data.videos) ? (data.videos as Record<string, unknown>[]) : [];
  for (const v of videos) {
    const createdMs = typeof v.create_time === 'number' ? v.create_time * 1000 : 0;
    const caption = typeof v.video_description === 'string' ? v.video_description : v.title;
    if ((typeof v.id === 'string' || typeof v.id === 'number') && !skip?.has(String(v.id)) && createdMs >= Math.floor(since.getTime() / 1000) * 1000 && caption === post.text) {
      return { platformPostId: String(v.id), url: typeof v.share_url === 'string' ? v.share_url : null };
    }
  }
  return null;
}
