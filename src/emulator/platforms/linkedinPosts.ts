import { randomInt } from 'node:crypto';
import type { Grant } from '../core/grantStore.ts';
import type { EmulatorApp, EmulatorCore } from '../core/types.ts';
import { acceptBinaryUploads, uploadOf } from './binaryUploads.ts';
import { emulatorUrl } from './emulatorRequests.ts';
import { defineSettings, moduleState } from './moduleState.ts';
import { accessDenied, linkedinMember, organizationsOf } from './linkedin.ts';

/**
 * LinkedIn's Images and Posts APIs: `images?action=initializeUpload` → PUT to the upload URL →
 * `POST /rest/posts` (201, id in `x-restli-id`), and `GET /rest/posts?q=author` (newest first).
 * Member posting is limited per day (setting `postsPerDay`, 429 beyond it).
 */
const COMMENTARY_MAX = 3000;
export const linkedinSettings = defineSettings({ postsPerDay: 150 });

type Image = { urn: string; owner: string; uploaded: boolean };
const imagesByCore = new WeakMap<EmulatorCore, Map<string, Image>>();

function images(core: EmulatorCore): Map<string, Image> {
  return moduleState(imagesByCore, core, () => new Map<string, Image>());
}

/** May this grant act as `author` (the member, or an organization the member administers)? */
function mayActAs(core: EmulatorCore, grant: Grant, author: unknown): 'ok' | 'forbidden' | 'invalid' {
  if (typeof author !== 'string') return 'invalid';
  if (author === `urn:li:person:${grant.accountId}`) return grant.scopes.includes('w_member_social') ? 'ok' : 'forbidden';
  if (author.startsWith('urn:li:person:')) return 'forbidden'; // another member
  const org = /^urn:li:organization:(\d+)$/.exec(author)?.[1];
  if (!org) return 'invalid';
  const admin = organizationsOf(core, grant.accountId).some((o) => o.id === org);
  return admin && grant.scopes.includes('w_organization_social') ? 'ok' : 'forbidden';
}

function unprocessable(message: string) {
  return { status: 422, code: 'UNPROCESSABLE_ENTITY', message };
}

function referencedImages(content: unknown): string[] | 'invalid' {
  if (content === undefined) return [];
  const c = (content ?? {}) as { media?: { id?: unknown }; multiImage?: { images?: { id?: unknown }[] }; article?: { source?: unknown } };
  if (c.media) return typeof c.media.id === 'string' ? [c.media.id] : 'invalid';
  if (c.multiImage) {
    const list = Array.isArray(c.multiImage.images) ? c.multiImage.images : [];
    const ids = list.map((i) => i.id);
    return ids.length >= 2 && ids.length <= 20 && ids.every((id): id is string => typeof id === 'string') ? ids : 'invalid';
  }
  if (c.article) return typeof c.article.source === 'string' && /^https?:\/\//.test(c.article.source) ? [] : 'invalid';
  return 'invalid';
}

export function registerLinkedInPostRoutes(app: EmulatorApp, core: EmulatorCore): void {
  acceptBinaryUploads(app);
  linkedinSettings.routes(app, core);

  app.post('/api/rest/images', async (request, reply) => {
    const grant = linkedinMember(core, request, reply);
    if (!grant) return reply;
    if ((request.query as { action?: string }).action !== 'initializeUpload') return reply.status(400).send({ status: 400, message: 'Unsupported action' });
    const owner = ((request.body ?? {}) as { initializeUploadRequest?: { owner?: unknown } }).initializeUploadRequest?.owner;
    const access = mayActAs(core, grant, owner);
    if (access !== 'ok') return reply.status(access === 'invalid' ? 400 : 403).send(access === 'invalid' ? { status: 400, message: 'Invalid owner' } : accessDenied('images'));
    const id = `D4E10AQ${randomInt(1e9, 9e9)}`;
    const urn = `urn:li:image:${id}`;
    images(core).set(urn, { urn, owner: owner as string, uploaded: false });
    return {
      value: {
        uploadUrlExpiresAt: core.clock.nowMs() + 86_400_000,
        uploadUrl: emulatorUrl(request, core, `/linkedin/www/dms-uploads/${id}`),
        image: urn,
      },
    };
  });

  app.put('/www/dms-uploads/:id', async (request, reply) => {
    const grant = linkedinMember(core, request, reply);
    if (!grant) return reply;
    const image = images(core).get(`urn:li:image:${(request.params as { id: string }).id}`);
    const upload = uploadOf(request);
    if (!image) return reply.status(404).send({ status: 404, message: 'Upload URL not found' });
    if (!upload || upload.bytes === 0 || !upload.contentType.startsWith('image/')) return reply.status(400).send({ status: 400, message: 'An image body is required' });
    image.uploaded = true;
    return reply.status(201).send();
  });

  app.post('/api/rest/posts', async (request, reply) => {
    const grant = linkedinMember(core, request, reply);
    if (!grant) return reply;
    if (!request.headers['linkedin-version']) return reply.status(426).send({ status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version  is not active' });
    const body = (request.body ?? {}) as Record<string, unknown>;
    const access = mayActAs(core, grant, body.author);
    if (access === 'invalid') return reply.status(422).send(unprocessable('/author: invalid URN'));
    if (access === 'forbidden') return reply.status(403).send(accessDenied('partnerApiPostsExternal.CREATE'));
    if (typeof body.commentary !== 'string') return reply.status(422).send(unprocessable('/commentary: field is required'));
    if (body.commentary.length > COMMENTARY_MAX) return reply.status(422).send(unprocessable(`/commentary: length exceeds ${COMMENTARY_MAX}`));
    if (body.lifecycleState !== 'PUBLISHED' || !['PUBLIC', 'CONNECTIONS', 'LOGGED_IN'].includes(String(body.visibility))) {
      return reply.status(422).send(unprocessable('/lifecycleState or /visibility: invalid value'));
    }
    if (body.visibility === 'CONNECTIONS' && String(body.author).startsWith('urn:li:organization:')) {
      return reply.status(422).send(unprocessable('/visibility: CONNECTIONS is only allowed for member authors'));
    }
    const imageIds = referencedImages(body.content);
    if (imageIds === 'invalid') return reply.status(422).send(unprocessable('/content: invalid content'));
    for (const urn of imageIds) {
      const image = images(core).get(urn);
      if (!image || !image.uploaded || image.owner !== body.author) return reply.status(400).send({ status: 400, message: `Image ${urn} is not uploaded or not owned by the author` });
    }
    const now = core.clock.nowMs();
    const today = core.posts.list({ platform: 'linkedin' }).filter((p) => p.extra.memberId === grant.accountId && p.createdAtMs > now - 86_400_000);
    if (today.length >= linkedinSettings.settings(core).postsPerDay) {
      return reply
        .status(429)
        .header('retry-after', '3600')
        .send({ status: 429, serviceErrorCode: 101, code: 'TOO_MANY_REQUESTS', message: 'Resource level throttle MEMBER DAY limit for calls to this resource is reached.' });
    }
    const urn = `urn:li:share:${7_300_000_000_000_000_000n + BigInt(core.posts.list({ platform: 'linkedin' }).length + 1)}`;
    core.posts.add(
      { id: urn, platform: 'linkedin', accountId: body.author as string, text: body.commentary, media: imageIds, extra: { memberId: grant.accountId, visibility: body.visibility, content: body.content ?? null } },
      now,
    );
    return reply.status(201).header('x-restli-id', urn).header('x-linkedin-id', urn).send();
  });

  app.get('/api/rest/posts', async (request, reply) => {
    const grant = linkedinMember(core, request, reply);
    if (!grant) return reply;
    const q = request.query as Record<string, string | undefined>;
    if (q.q !== 'author' || !q.author) return reply.status(400).send({ status: 400, message: 'Invalid query parameters passed to request' });
    if (mayActAs(core, grant, q.author) !== 'ok') return reply.status(403).send(accessDenied('partnerApiPostsExternal.FINDER-author'));
    const count = Math.min(Number(q.count ?? 10) || 10, 100);
    const all = core.posts.list({ platform: 'linkedin', accountId: q.author }).reverse();
    const elements = all.slice(0, count).map((p) => ({
      id: p.id,
      author: p.accountId,
      commentary: p.text,
      visibility: p.extra.visibility,
      lifecycleState: 'PUBLISHED',
      createdAt: p.createdAtMs,
      publishedAt: p.createdAtMs,
      lastModifiedAt: p.createdAtMs,
      ...(p.extra.content ? { content: p.extra.content } : {}),
    }));
    return { elements, paging: { start: 0, count, total: all.length } };
  });
}
