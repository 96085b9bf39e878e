import type { EmulatorApp, EmulatorCore, FastifyReply, FastifyRequest } from '../core/types.ts';
import { pullMedia, type PulledMedia } from './pullMedia.ts';
import { defineSettings, moduleState } from './moduleState.ts';
import { apiError, apiOk, tiktokUser } from './tiktok.ts';

/**
 * TikTok Content Posting API, direct post: creator_info → video/init or content/init (PULL_FROM_URL)
 * → status/fetch, and video/list. A post is processed for setting `processingMs` (emulator time)
 * before it is published; init is rate limited per user (setting `initPerMinute`, 429 beyond).
 */
const CAPTION_MAX = 2200;
const PRIVACY_LEVELS = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'SELF_ONLY'];
export const tiktokSettings = defineSettings({ processingMs: 0, initPerMinute: 6 });

type PublishJob = { publishId: string; accountId: string; text: string; media: string[]; pulled: PulledMedia[]; failReason: string | null; privacy: string; settings: Record<string, unknown>; readyAtMs: number; postId: string | null };
/** post_info switches: recorded as sent; when present they must be booleans. */
const SWITCHES = { video: ['disable_comment', 'disable_duet', 'disable_stitch', 'brand_content_toggle', 'brand_organic_toggle'], photo: ['disable_comment', 'brand_content_toggle', 'brand_organic_toggle', 'auto_add_music'] };
type State = { jobs: Map<string, PublishJob>; inits: { accountId: string; atMs: number }[]; next: number };
const stateByCore = new WeakMap<EmulatorCore, State>();

function state(core: EmulatorCore): State {
  return moduleState(stateByCore, core, () => ({ jobs: new Map(), inits: [], next: 1 }));
}

type InitBody = { post_info?: Record<string, unknown>; source_info?: Record<string, unknown>; post_mode?: unknown; media_type?: unknown };

export function registerTikTokPostRoutes(app: EmulatorApp, core: EmulatorCore): void {
  tiktokSettings.routes(app, core);

  app.post('/api/v2/post/publish/creator_info/query/', async (request, reply) => {
    const grant = tiktokUser(core, request, reply, 'video.publish');
    if (!grant) return reply;
    const account = core.account('tiktok', grant.accountId);
    return apiOk({
      creator_avatar_url: `https://p16-sign.tiktokcdn-us.com/sandbox/${account?.username ?? 'user'}.jpeg`,
      creator_username: account?.username ?? '',
      creator_nickname: account?.displayName ?? '',
      privacy_level_options: PRIVACY_LEVELS,
      comment_disabled: false,
      duet_disabled: false,
      stitch_disabled: false,
      max_video_post_duration_sec: 600,
    });
  });

  const init = (kind: 'video' | 'photo') => async (request: FastifyRequest, reply: FastifyReply) => {
    const grant = tiktokUser(core, request, reply, 'video.publish');
    if (!grant) return reply;
    const s = state(core);
    const now = core.clock.nowMs();
    s.inits = s.inits.filter((i) => i.atMs > now - 60_000);
    if (s.inits.filter((i) => i.accountId === grant.accountId).length >= tiktokSettings.settings(core).initPerMinute) {
      return reply.status(429).send(apiError('rate_limit_exceeded', 'API rate limit exceeded, please retry later.'));
    }
    const body = (request.body ?? {}) as InitBody;
    const info = body.post_info ?? {};
    const source = body.source_info ?? {};
    const text = kind === 'video' ? info.title : info.description;
    if (typeof text !== 'string' || text.length > CAPTION_MAX) return reply.status(400).send(apiError('invalid_params', `The caption must be a string of at most ${CAPTION_MAX} characters.`));
    if (!PRIVACY_LEVELS.includes(String(info.privacy_level))) {
      return reply.status(400).send(apiError('privacy_level_option_mismatch', 'privacy_level is not one of the creator privacy_level_options.'));
    }
    const switches = SWITCHES[kind];
    const unknown = Object.keys(info).find((k) => !['title', 'description', 'privacy_level', 'video_cover_timestamp_ms', 'is_aigc', ...switches].includes(k));
    if (unknown) return reply.status(400).send(apiError('invalid_params', `post_info.${unknown} is not a ${kind} post field.`));
    const badSwitch = switches.find((k) => info[k] !== undefined && typeof info[k] !== 'boolean');
    if (badSwitch) return reply.status(400).send(apiError('invalid_params', `post_info.${badSwitch} must be a boolean.`));
    if (info.brand_content_toggle === true && info.privacy_level === 'SELF_ONLY') {
      return reply.status(400).send(apiError('invalid_params', 'Branded content cannot be posted with privacy_level SELF_ONLY.'));
    }
    if (source.source !== 'PULL_FROM_URL') return reply.status(400).send(apiError('invalid_params', 'source_info.source must be PULL_FROM_URL or FILE_UPLOAD.'));
    let media: string[];
    if (kind === 'video') {
      if (typeof source.video_url !== 'string' || !/^https?:\/\//.test(source.video_url)) return reply.status(400).send(apiError('invalid_params', 'source_info.video_url is required.'));
      media = [source.video_url];
    } else {
      const photos = source.photo_images;
      if (body.media_type !== 'PHOTO' || body.post_mode !== 'DIRECT_POST') return reply.status(400).send(apiError('invalid_params', 'media_type must be PHOTO and post_mode DIRECT_POST.'));
      if (!Array.isArray(photos) || photos.length < 1 || photos.length > 35 || photos.some((p) => typeof p !== 'string')) {
        return reply.status(400).send(apiError('invalid_params', 'source_info.photo_images must hold 1 to 35 URLs.'));
      }
      media = photos as string[];
    }
    // TikTok downloads the files itself; one it cannot fetch (or of another type) fails the job.
    const pulls = await Promise.all(media.map((url) => pullMedia(url, kind === 'video' ? 'video' : 'image', kind === 'video' ? { types: ['video/mp4', 'video/quicktime', 'video/webm'] } : { types: ['image/jpeg', 'image/webp'] })));
    const failed = pulls.find((p) => !p.ok);
    const pulled = pulls.flatMap((p) => (p.ok ? [p.media] : []));
    s.inits.push({ accountId: grant.accountId, atMs: now });
    const publishId = `${kind === 'video' ? 'v_pub_url' : 'p_pub_url'}~v2-1.${7_400_000_000_000_000_000n + BigInt(s.next++)}`;
    s.jobs.set(publishId, {
      publishId,
      accountId: grant.accountId,
      text,
      media,
      pulled,
      failReason: failed ? (kind === 'video' ? 'video_pull_failed' : 'picture_pull_failed') : null,
      privacy: String(info.privacy_level),
      settings: Object.fromEntries(switches.filter((k) => info[k] !== undefined).map((k) => [k, info[k]])),
      readyAtMs: now + tiktokSettings.settings(core).processingMs,
      postId: null,
    });
    return apiOk({ publish_id: publishId });
  };
  app.post('/api/v2/post/publish/video/init/', init('video'));
  app.post('/api/v2/post/publish/content/init/', init('photo'));

  app.post('/api/v2/post/publish/status/fetch/', async (request, reply) => {
    const grant = tiktokUser(core, request, reply, 'video.publish');
    if (!grant) return reply;
    const { publish_id } = (request.body ?? {}) as { publish_id?: string };
    const job = publish_id ? state(core).jobs.get(publish_id) : undefined;
    if (!job || job.accountId !== grant.accountId) return reply.status(400).send(apiError('invalid_publish_id', 'The publish_id does not exist.'));
    if (core.clock.nowMs() < job.readyAtMs) return apiOk({ status: 'PROCESSING_DOWNLOAD', uploaded_bytes: 0 });
    if (job.failReason) return apiOk({ status: 'FAILED', fail_reason: job.failReason });
    if (!job.postId) {
      const id = String(7_300_000_000_000_000_000n + BigInt(core.posts.list({ platform: 'tiktok' }).length + 1));
      core.posts.add({ id, platform: 'tiktok', accountId: job.accountId, text: job.text, media: job.pulled, extra: { publishId: job.publishId, privacy: job.privacy, ...job.settings } }, core.clock.nowMs());
      job.postId = id;
    }
    // TikTok sends the 64-bit ids as bare JSON numbers (beyond 2^53): written into the text as digits.
    const ids = job.privacy === 'PUBLIC_TO_EVERYONE' ? job.postId : '';
    const text = JSON.stringify(apiOk({ status: 'PUBLISH_COMPLETE', publicaly_available_post_id: '__IDS__' })).replace('"__IDS__"', `[${ids}]`);
    return reply.type('application/json; charset=utf-8').send(text);
  });

  app.post('/api/v2/video/list/', async (request, reply) => {
    const grant = tiktokUser(core, request, reply, 'video.list');
    if (!grant) return reply;
    const { max_count = 10 } = (request.body ?? {}) as { max_count?: number };
    const account = core.account('tiktok', grant.accountId);
    const videos = core.posts
      .list({ platform: 'tiktok', accountId: grant.accountId })
      .reverse()
      .slice(0, Math.min(Math.max(1, Number(max_count) || 10), 20))
      .map((p) => ({
        id: p.id,
        title: p.text,
        video_description: p.text,
        create_time: Math.floor(p.createdAtMs / 1000),
        share_url: `https://www.tiktok.com/@${account?.username ?? 'user'}/video/${p.id}`,
      }));
    return apiOk({ videos, cursor: 0, has_more: false });
  });
}
