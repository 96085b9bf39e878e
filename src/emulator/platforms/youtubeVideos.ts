import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { EmulatorApp, EmulatorCore } from '../core/types.ts';
import { acceptBinaryUploads, uploadOf } from './binaryUploads.ts';
import { emulatorUrl } from './emulatorRequests.ts';
import { moduleState } from './moduleState.ts';
import { googleApiError, googleSettings, googleUser } from './youtube.ts';

/**
 * YouTube Data API v3: channels?mine=true, resumable uploads (POST metadata → Location session
 * URL → PUT bytes; a PUT to a finished session answers with the same video), search?forMine=true,
 * and the daily quota per client (reset at midnight Pacific; 403 quotaExceeded beyond it).
 */

const UPLOAD = 'https://www.googleapis.com/auth/youtube.upload';
const READ = ['https://www.googleapis.com/auth/youtube.readonly', 'https://www.googleapis.com/auth/youtube'];

type Session = { id: string; accountId: string; channelId: string; title: string; description: string; privacyStatus: string; metadata: Record<string, unknown>; bytes: number; videoId: string | null };

/** snippet.tags: strings, at most 500 characters together (a tag with a space counts its quotes). */
function tagsValid(tags: unknown): boolean {
  if (tags === undefined) return true;
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || /[<>]/.test(t))) return false;
  return (tags as string[]).reduce((n, t, i) => n + t.length + (t.includes(' ') ? 2 : 0) + (i > 0 ? 1 : 0), 0) <= 500;
}
type State = { sessions: Map<string, Session>; used: Map<string, number> };
const stateByCore = new WeakMap<EmulatorCore, State>();
const state = (core: EmulatorCore) => moduleState(stateByCore, core, () => ({ sessions: new Map<string, Session>(), used: new Map<string, number>() }));

/** Spends quota for `clientId` today (Pacific); false when the day's quota is used up. */
function spend(core: EmulatorCore, clientId: string, cost: number): boolean {
  const day = DateTime.fromMillis(core.clock.nowMs()).setZone('America/Los_Angeles').toISODate();
  const key = `${clientId} ${day}`;
  const used = state(core).used.get(key) ?? 0;
  if (used + cost > googleSettings.settings(core).quotaPerDay) return false;
  state(core).used.set(key, used + cost);
  return true;
}

const QUOTA_EXCEEDED = { error: { code: 403, message: 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.', errors: [{ message: 'The request cannot be completed because you have exceeded your quota.', domain: 'youtube.quota', reason: 'quotaExceeded' }] } };

function channelOf(core: EmulatorCore, accountId: string): { id: string; customUrl: string; title: string } | null {
  const account = core.account('youtube', accountId);
  const id = account?.extra?.channelId;
  return typeof id === 'string' ? { id, customUrl: String(account?.extra?.customUrl ?? ''), title: account?.displayName ?? '' } : null;
}

function invalid(reason: string, message: string) {
  return { error: { code: 400, message, errors: [{ message, domain: 'youtube.video', reason }] } };
}

export function registerYouTubeVideoRoutes(app: EmulatorApp, core: EmulatorCore): void {
  acceptBinaryUploads(app);

  app.get('/api/youtube/v3/channels', async (request, reply) => {
    const grant = googleUser(core, request, reply, READ);
    if (!grant) return reply;
    if ((request.query as { mine?: string }).mine !== 'true') return reply.status(400).send(invalid('missingRequiredParameter', 'No filter selected.'));
    if (!spend(core, grant.clientId, googleSettings.settings(core).listCost)) return reply.status(403).send(QUOTA_EXCEEDED);
    const channel = channelOf(core, grant.accountId);
    const items = channel
      ? [{ kind: 'youtube#channel', id: channel.id, snippet: { title: channel.title, description: '', customUrl: channel.customUrl, thumbnails: { default: { url: `https://yt3.ggpht.com/sandbox/${channel.id}=s88` } } } }]
      : [];
    return { kind: 'youtube#channelListResponse', pageInfo: { totalResults: items.length, resultsPerPage: 5 }, items };
  });

  app.post('/api/upload/youtube/v3/videos', async (request, reply) => {
    const grant = googleUser(core, request, reply, [UPLOAD, 'https://www.googleapis.com/auth/youtube']);
    if (!grant) return reply;
    const q = request.query as Record<string, string | undefined>;
    if (q.uploadType !== 'resumable') return reply.status(400).send(invalid('badRequest', 'Only resumable uploads are emulated.'));
    const channel = channelOf(core, grant.accountId);
    if (!channel) return reply.status(401).send(googleApiError(401, 'youtubeSignupRequired', 'The user does not have a YouTube channel.', 'UNAUTHENTICATED'));
    const body = (request.body ?? {}) as {
      snippet?: { title?: unknown; description?: unknown; tags?: unknown; categoryId?: unknown };
      status?: { privacyStatus?: unknown; selfDeclaredMadeForKids?: unknown };
    };
    const title = body.snippet?.title;
    const description = body.snippet?.description ?? '';
    if (typeof title !== 'string' || title.trim() === '' || title.length > 100 || /[<>]/.test(title)) return reply.status(400).send(invalid('invalidTitle', 'The request metadata specifies an invalid or empty video title.'));
    if (typeof description !== 'string' || Buffer.byteLength(description) > 5000 || /[<>]/.test(description)) return reply.status(400).send(invalid('invalidDescription', 'The request metadata specifies an invalid video description.'));
    const privacyStatus = String(body.status?.privacyStatus ?? 'public');
    if (!['public', 'private', 'unlisted'].includes(privacyStatus)) return reply.status(400).send(invalid('invalidVideoMetadata', 'The request metadata is invalid.'));
    if (!tagsValid(body.snippet?.tags)) return reply.status(400).send(invalid('invalidTags', 'The request metadata specifies invalid video keywords.'));
    const categoryId = body.snippet?.categoryId ?? '22';
    if (typeof categoryId !== 'string' || !/^\d+$/.test(categoryId)) return reply.status(400).send(invalid('invalidCategoryId', 'The snippet.categoryId property specifies an invalid category ID.'));
    const madeForKids = body.status?.selfDeclaredMadeForKids;
    if (madeForKids !== undefined && typeof madeForKids !== 'boolean') return reply.status(400).send(invalid('invalidVideoMetadata', 'The request metadata is invalid.'));
    const metadata = { tags: body.snippet?.tags ?? [], categoryId, selfDeclaredMadeForKids: madeForKids ?? false };
    const bytes = Number(request.headers['x-upload-content-length'] ?? 0);
    if (!spend(core, grant.clientId, googleSettings.settings(core).uploadCost)) return reply.status(403).send(QUOTA_EXCEEDED);
    const id = randomBytes(16).toString('base64url');
    state(core).sessions.set(id, { id, accountId: grant.accountId, channelId: channel.id, title, description, privacyStatus, metadata, bytes, videoId: null });
    const location = emulatorUrl(request, core, `/youtube/api/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&upload_id=${id}`);
    return reply.status(200).header('location', location).header('x-guploader-uploadid', id).send();
  });

  app.put('/api/upload/youtube/v3/videos', async (request, reply) => {
    const session = state(core).sessions.get((request.query as { upload_id?: string }).upload_id ?? '');
    if (!session) return reply.status(404).send(invalid('notFound', 'The upload session does not exist.'));
    const upload = uploadOf(request);
    if (!session.videoId) {
      if (!upload || upload.bytes === 0) return reply.status(400).send(invalid('mediaBodyRequired', 'The request does not include the video content.'));
      if (session.bytes > 0 && upload.bytes !== session.bytes) return reply.status(400).send(invalid('badContent', 'The uploaded size does not match X-Upload-Content-Length.'));
      session.videoId = randomBytes(8).toString('base64url').slice(0, 11);
      core.posts.add({ id: session.videoId, platform: 'youtube', accountId: session.channelId, text: session.description, media: [upload], extra: { title: session.title, privacyStatus: session.privacyStatus, ...session.metadata } }, core.clock.nowMs());
    }
    const post = core.posts.get('youtube', session.videoId)!;
    return reply.status(200).send({
      kind: 'youtube#video',
      id: post.id,
      snippet: { publishedAt: new Date(post.createdAtMs).toISOString(), channelId: session.channelId, title: session.title, description: session.description },
      status: { uploadStatus: 'uploaded', privacyStatus: session.privacyStatus },
    });
  });

  app.get('/api/youtube/v3/search', async (request, reply) => {
    const grant = googleUser(core, request, reply, READ);
    if (!grant) return reply;
    const q = request.query as Record<string, string | undefined>;
    if (q.forMine !== 'true' || q.type !== 'video') return reply.status(400).send(invalid('invalidSearchFilter', 'forMine=true requires type=video.'));
    if (!spend(core, grant.clientId, googleSettings.settings(core).searchCost)) return reply.status(403).send(QUOTA_EXCEEDED);
    const channel = channelOf(core, grant.accountId);
    const max = Math.min(Math.max(1, Number(q.maxResults ?? 5) || 5), 50);
    const items = (channel ? core.posts.list({ platform: 'youtube', accountId: channel.id }) : [])
      .reverse()
      .slice(0, max)
      .map((p) => ({
        kind: 'youtube#searchResult',
        id: { kind: 'youtube#video', videoId: p.id },
        snippet: { publishedAt: new Date(p.createdAtMs).toISOString(), channelId: p.accountId, title: p.extra.title, description: p.text },
      }));
    return { kind: 'youtube#searchListResponse', pageInfo: { totalResults: items.length, resultsPerPage: max }, items };
  });
}
