/**
 * Facebook Page publishing as the emulator speaks it: /{page}/feed, /{page}/photos (published, or
 * unpublished for attaching to a feed post), /{page}/videos, and /{page}/posts to list what was
 * published (so an uncertain publish can be checked, not repeated). Only a Page token of that
 * Page with pages_manage_posts may post.
 */
import type { EmulatorApp, EmulatorCore, FastifyReply, FastifyRequest } from '../../core/types.ts';
import type { FacebookLoginState } from './facebookLoginRoutes.ts';
import { pullMedia, type PulledMedia } from '../pullMedia.ts';
import { authenticateGraph, createIdSequence, graphError, stringField } from './graphReplies.ts';

const TEXT_MAX = 63_206;
const PERMISSION_ERROR = { message: '(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts as an admin with sufficient administrative permission', code: 200 };

export function registerPagePublishingRoutes(app: EmulatorApp, core: EmulatorCore, state: FacebookLoginState): void {
  const { platform } = state;
  const nextId = createIdSequence(900_000_000_001);
  /** Unpublished photo id → its URL (attachable once to a feed post). */
  const unpublished = new Map<string, { pageId: string; url: string; media: PulledMedia }>();

  /** The Page token's Page, after checking it is this Page and may post; null after replying. */
  const pageAuth = (request: FastifyRequest, reply: FastifyReply): { pageId: string } | null => {
    const auth = authenticateGraph(core, platform, request, reply, state.dataAccess);
    if (!auth) return null;
    const { pageId } = request.params as { pageId: string };
    const page = state.pageTokens.get(auth.token);
    if (!page || page.pageId !== pageId || !auth.grant.scopes.includes('pages_manage_posts')) {
      graphError(reply, 403, PERMISSION_ERROR);
      return null;
    }
    return { pageId };
  };
  const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;
  const tooLong = (reply: FastifyReply) => graphError(reply, 400, { message: `(#100) The message is longer than ${TEXT_MAX} characters`, code: 100 });

  app.post('/graph/:version/:pageId/feed', async (request, reply) => {
    const page = pageAuth(request, reply);
    if (!page) return reply;
    const b = body(request);
    const message = stringField(b, 'message') ?? '';
    const link = stringField(b, 'link');
    if (message.length > TEXT_MAX) return tooLong(reply);
    const attached: PulledMedia[] = [];
    for (const [key, value] of Object.entries(b)) {
      if (!/^attached_media\[\d+\]$/.test(key) || typeof value !== 'string') continue;
      let fbid: unknown;
      try {
        fbid = (JSON.parse(value) as { media_fbid?: unknown }).media_fbid;
      } catch {
        return graphError(reply, 400, { message: '(#100) param attached_media must be an array of objects with media_fbid', code: 100 });
      }
      const photo = typeof fbid === 'string' ? unpublished.get(fbid) : undefined;
      if (!photo || photo.pageId !== page.pageId) return graphError(reply, 400, { message: `(#100) Invalid media_fbid ${String(fbid)}`, code: 100 });
      unpublished.delete(fbid as string);
      attached.push(photo.media);
    }
    if (message.trim() === '' && !link && attached.length === 0) return graphError(reply, 400, { message: '(#100) Missing message or attachment', code: 100 });
    const id = `${page.pageId}_${nextId()}`;
    core.posts.add({ id, platform, accountId: page.pageId, text: message, media: attached, extra: { link } }, core.clock.nowMs());
    return { id };
  });

  app.post('/graph/:version/:pageId/photos', async (request, reply) => {
    const page = pageAuth(request, reply);
    if (!page) return reply;
    const b = body(request);
    const url = stringField(b, 'url');
    if (!url || !/^https?:\/\//.test(url)) return graphError(reply, 400, { message: '(#324) Requires upload file', code: 324 });
    const message = stringField(b, 'message') ?? stringField(b, 'caption') ?? '';
    if (message.length > TEXT_MAX) return tooLong(reply);
    const pulled = await pullMedia(url, 'image', { types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] });
    if (!pulled.ok) return graphError(reply, 400, { message: '(#324) Missing or invalid image file', code: 324 });
    const photoId = nextId();
    if (stringField(b, 'published') === 'false') {
      unpublished.set(photoId, { pageId: page.pageId, url, media: pulled.media });
      return { id: photoId };
    }
    const postId = `${page.pageId}_${nextId()}`;
    core.posts.add({ id: postId, platform, accountId: page.pageId, text: message, media: [pulled.media], extra: { photoId } }, core.clock.nowMs());
    return { id: photoId, post_id: postId };
  });

  app.post('/graph/:version/:pageId/videos', async (request, reply) => {
    const page = pageAuth(request, reply);
    if (!page) return reply;
    const b = body(request);
    const fileUrl = stringField(b, 'file_url');
    if (!fileUrl || !/^https?:\/\//.test(fileUrl)) return graphError(reply, 400, { message: '(#100) Invalid file_url', code: 100 });
    const pulled = await pullMedia(fileUrl, 'video');
    if (!pulled.ok) return graphError(reply, 400, { message: '(#389) Unable to fetch video file from URL.', code: 389 });
    const id = nextId();
    core.posts.add({ id, platform, accountId: page.pageId, text: stringField(b, 'description') ?? '', media: [pulled.media] }, core.clock.nowMs());
    return { id };
  });

  app.get('/graph/:version/:pageId/posts', async (request, reply) => {
    const auth = authenticateGraph(core, platform, request, reply, state.dataAccess);
    if (!auth) return reply;
    const { pageId } = request.params as { pageId: string };
    const sinceSec = Number(stringField(request.query, 'since') ?? '0') || 0;
    const data = core.posts
      .list({ platform, accountId: pageId })
      .filter((p) => p.createdAtMs >= sinceSec * 1000)
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
      .map((p) => ({
        id: p.id,
        message: p.text,
        created_time: new Date(p.createdAtMs).toISOString().replace(/\.\d{3}Z$/, '+0000'),
        permalink_url: `https://www.facebook.com/${p.id}`,
      }));
    return { data };
  });
}
