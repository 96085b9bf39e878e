/**
 * Container publishing as Instagram and Threads answer it: create a container (image, video, or
 * a carousel of item containers), read its status (videos stay IN_PROGRESS for
 * `videoProcessingMs`, containers expire after 24 h), publish it once, list recent posts. The two
 * platforms differ only in names, described by a `ContainerDialect`.
 */
import { pullMedia, type PulledMedia } from '../pullMedia.ts';
import type { PlatformId } from '../../../providers/types.ts';
import type { EmulatorApp, EmulatorCore, FastifyReply, FastifyRequest } from '../../core/types.ts';
import { createIdSequence, graphError, metaPolicy, stringField } from './graphReplies.ts';

const CONTAINER_TTL_MS = 24 * 3_600_000;

export type ContainerDialect = {
  /** POST /{user}/<createEdge> creates, POST /{user}/<publishEdge> publishes, GET /{user}/<createEdge> lists. */
  createEdge: 'media' | 'threads';
  publishEdge: 'media_publish' | 'threads_publish';
  textField: 'caption' | 'text';
  statusField: 'status_code' | 'status';
  textMax: number;
  maxChildren: number;
  /** Threads has text-only posts; Instagram needs media. */
  allowsText: boolean;
  permalink(postId: string, accountId: string): string;
};

type Container = {
  id: string;
  accountId: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'REELS' | 'CAROUSEL' | 'TEXT';
  url: string | null;
  /** What fetching `url` gave (the platform fetches it when the container is created); null: failed. */
  pulled: PulledMedia | null;
  children: string[];
  text: string;
  carouselItem: boolean;
  createdAtMs: number;
  publishedId: string | null;
};

/**
 * `authorize` checks the token may act for `accountId` (the path's user id) and answers the
 * platform's error itself when not (returns false).
 */
export function registerContainerRoutes(
  app: EmulatorApp,
  core: EmulatorCore,
  platform: PlatformId,
  dialect: ContainerDialect,
  authorize: (request: FastifyRequest, reply: FastifyReply, accountId: string | null) => boolean,
): void {
  const nextId = createIdSequence(17_900_000_000_001);
  const containers = new Map<string, Container>();
  const bad = (reply: FastifyReply, message: string, extra: { code?: number; error_subcode?: number } = {}) =>
    graphError(reply, 400, { message, type: 'OAuthException', code: extra.code ?? 100, ...(extra.error_subcode ? { error_subcode: extra.error_subcode } : {}) });

  const statusOf = (c: Container): string => {
    const nowMs = core.clock.nowMs();
    if (c.publishedId) return 'PUBLISHED';
    if (nowMs >= c.createdAtMs + CONTAINER_TTL_MS) return 'EXPIRED';
    if (c.url !== null && c.pulled === null) return 'ERROR';
    if (c.mediaType === 'CAROUSEL') {
      const states = c.children.map((id) => (containers.get(id) ? statusOf(containers.get(id)!) : 'ERROR'));
      return states.find((s) => s !== 'FINISHED') ?? 'FINISHED';
    }
    const video = c.mediaType === 'VIDEO' || c.mediaType === 'REELS';
    if (video && nowMs < c.createdAtMs + metaPolicy(core, platform).videoProcessingMs) return 'IN_PROGRESS';
    return 'FINISHED';
  };

  app.post(`/graph/:version/:accountId/${dialect.createEdge}`, async (request, reply) => {
    const { accountId } = request.params as { accountId: string };
    if (!authorize(request, reply, accountId)) return reply;
    const b = (request.body ?? {}) as Record<string, unknown>;
    const text = stringField(b, dialect.textField) ?? '';
    if (text.length > dialect.textMax) return bad(reply, `(#100) Param ${dialect.textField} must be at most ${dialect.textMax} characters long.`);
    const carouselItem = stringField(b, 'is_carousel_item') === 'true';
    const imageUrl = stringField(b, 'image_url');
    const videoUrl = stringField(b, 'video_url');
    let mediaType = (stringField(b, 'media_type') ?? (imageUrl ? 'IMAGE' : videoUrl ? 'VIDEO' : dialect.allowsText ? 'TEXT' : '')).toUpperCase();
    if (mediaType === 'REELS' && carouselItem) mediaType = 'VIDEO';
    let children: string[] = [];
    let url: string | null = null;
    switch (mediaType) {
      case 'IMAGE':
        if (!imageUrl) return bad(reply, '(#100) The parameter image_url is required.');
        url = imageUrl;
        break;
      case 'VIDEO':
      case 'REELS':
        if (!videoUrl) return bad(reply, '(#100) The parameter video_url is required.');
        url = videoUrl;
        break;
      case 'CAROUSEL': {
        children = (stringField(b, 'children') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (children.length < 2 || children.length > dialect.maxChildren) {
          return bad(reply, `(#100) A carousel needs between 2 and ${dialect.maxChildren} children.`);
        }
        const invalid = children.find((id) => {
          const child = containers.get(id);
          return !child || child.accountId !== accountId || !child.carouselItem;
        });
        if (invalid) return bad(reply, `(#100) Invalid carousel child ${invalid}.`);
        break;
      }
      case 'TEXT':
        if (!dialect.allowsText || text.trim() === '') return bad(reply, '(#100) The parameter text is required.');
        break;
      default:
        return bad(reply, '(#100) Only photo or video can be accepted as media type.', { error_subcode: 2207052 });
    }
    let pulled: PulledMedia | null = null;
    if (url !== null) {
      const result = await pullMedia(url, mediaType === 'IMAGE' ? 'image' : 'video', mediaType === 'IMAGE' ? { types: ['image/jpeg', 'image/png'] } : {});
      pulled = result.ok ? result.media : null;
    }
    const container: Container = {
      id: nextId(),
      accountId,
      mediaType: mediaType as Container['mediaType'],
      url,
      pulled,
      children,
      text,
      carouselItem,
      createdAtMs: core.clock.nowMs(),
      publishedId: null,
    };
    containers.set(container.id, container);
    return { id: container.id };
  });

  app.post(`/graph/:version/:accountId/${dialect.publishEdge}`, async (request, reply) => {
    const { accountId } = request.params as { accountId: string };
    if (!authorize(request, reply, accountId)) return reply;
    const creationId = stringField(request.body, 'creation_id') ?? '';
    const container = containers.get(creationId);
    if (!container || container.accountId !== accountId || container.carouselItem) {
      return bad(reply, `(#100) Param creation_id ${creationId.slice(0, 40)} is not a valid container.`);
    }
    const status = statusOf(container);
    if (status === 'IN_PROGRESS') return bad(reply, 'The media is not ready for publishing, please wait for a moment', { code: 9007, error_subcode: 2207027 });
    if (status === 'PUBLISHED') return bad(reply, '(#100) The container has already been published.');
    if (status === 'EXPIRED') return bad(reply, '(#100) The container has expired; create a new one.', { error_subcode: 2207008 });
    if (status === 'ERROR') return bad(reply, 'The media could not be fetched from the URL.', { code: 9004, error_subcode: 2207052 });
    const postId = nextId();
    container.publishedId = postId;
    const media = (container.mediaType === 'CAROUSEL' ? container.children.map((id) => containers.get(id)!) : [container])
      .filter((c) => c.url !== null)
      .map((c) => ({ kind: c.mediaType === 'IMAGE' ? 'image' : 'video', url: c.url, contentType: c.pulled?.contentType, bytes: c.pulled?.bytes, sha256: c.pulled?.sha256 }));
    core.posts.add(
      { id: postId, platform, accountId, text: container.text, media, extra: { containerId: container.id, mediaType: container.mediaType, permalink: dialect.permalink(postId, accountId) } },
      core.clock.nowMs(),
    );
    return { id: postId };
  });

  app.get(`/graph/:version/:accountId/${dialect.createEdge}`, async (request, reply) => {
    const { accountId } = request.params as { accountId: string };
    if (!authorize(request, reply, accountId)) return reply;
    const sinceSec = Number(stringField(request.query, 'since') ?? '0') || 0;
    const data = core.posts
      .list({ platform, accountId })
      .filter((p) => p.createdAtMs >= sinceSec * 1000)
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
      .map((p) => ({ id: p.id, [dialect.textField]: p.text, permalink: dialect.permalink(p.id, accountId), timestamp: graphTime(p.createdAtMs) }));
    return { data };
  });

  /** A container's status, or a published post's fields. */
  app.get('/graph/:version/:objectId', async (request, reply) => {
    const { objectId } = request.params as { objectId: string };
    const container = containers.get(objectId);
    const post = container ? undefined : core.posts.get(platform, objectId);
    const owner = container?.accountId ?? post?.accountId ?? null;
    if (!authorize(request, reply, owner)) return reply;
    if (container) {
      const status = statusOf(container);
      const answer: Record<string, unknown> = { id: container.id, [dialect.statusField]: status };
      if (status === 'ERROR') answer[dialect.statusField === 'status' ? 'error_message' : 'status'] = 'ERROR: media could not be fetched from the URL';
      return answer;
    }
    if (post) return { id: post.id, [dialect.textField]: post.text, permalink: dialect.permalink(post.id, post.accountId), timestamp: graphTime(post.createdAtMs) };
    return graphError(reply, 400, {
      message: `Unsupported get request. Object with ID '${objectId.slice(0, 40)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
    });
  });
}

/** Graph timestamps: "2026-01-05T09:00:00+0000". */
export function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}
