import { pullMedia } from './pullMedia.ts';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Grant, Issued } from '../core/grantStore.ts';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';
import { bearerToken } from './emulatorRequests.ts';
import { defineSettings, moduleState } from './moduleState.ts';

/**
 * Pinterest API v5 (platforms.md §7): HTTP Basic required on the token endpoint, 30-day access
 * tokens, continuous refresh tokens (60 days, a new one on every refresh, dead after 60 idle
 * days). Whether the previous refresh token stays valid is [UNC]: by default it dies; PATCH the
 * policy's `reuseGraceMs` to keep it answering. Pins from image URLs, listed newest first.
 */
const DAY = 86_400_000;

const DESCRIPTION_MAX = 500;
const TITLE_MAX = 100;
export const pinterestSettings = defineSettings({ pinsPerMinute: 10 });

type Board = { id: string; name: string };
const AUTH_FAILED = { code: 2, message: 'Authentication failed.', status: 'failure' };
const NOT_PERMITTED = { code: 29, message: 'You are not permitted to access that resource.' };
const INVALID_GRANT = { code: 283, message: 'The authorization grant is invalid' };

function invalid(message: string) {
  return { code: 1, message: `Invalid request: ${message}` };
}

function pinterestUser(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply, scope: string): Grant | null {
  const token = bearerToken(request);
  const auth = token ? core.grants.authenticate('pinterest', token) : null;
  if (!auth?.ok) {
    void reply.status(401).send(AUTH_FAILED);
    return null;
  }
  if (!auth.value.grant.scopes.includes(scope)) {
    void reply.status(403).send(NOT_PERMITTED);
    return null;
  }
  return auth.value.grant;
}

function boardsOf(core: EmulatorCore, accountId: string): Board[] {
  const boards = core.account('pinterest', accountId)?.extra?.boards;
  return Array.isArray(boards) ? (boards as Board[]) : [];
}

function tokenResponse(issued: Issued, nowMs: number, grantType: string) {
  const { access, refresh, grant } = issued;
  const seconds = (ms: number | null) => (ms === null ? undefined : Math.max(0, Math.round((ms - nowMs) / 1000)));
  return {
    access_token: access.token,
    token_type: 'bearer',
    expires_in: seconds(access.expiresAtMs),
    scope: grant.scopes.join(','),
    response_type: grantType,
    ...(refresh
      ? { refresh_token: refresh.token, refresh_token_expires_in: seconds(refresh.expiresAtMs), refresh_token_expires_at: refresh.expiresAtMs === null ? undefined : Math.floor(refresh.expiresAtMs / 1000) }
      : {}),
  };
}

type PinState = { writes: { accountId: string; atMs: number }[] };
const stateByCore = new WeakMap<EmulatorCore, PinState>();

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'pinterest',
  policy: {
    ...DEFAULT_POLICY,
    accessTtlMs: 30 * DAY,
    refreshTtlMs: 60 * DAY,
    rotation: true, // continuous refresh: every response carries a new refresh token
    slidingRefreshEnd: true,
    idleDeathMs: 60 * DAY,
    reuseGraceMs: 0, // [UNC] whether the previous refresh token stays valid
  },
  accounts: [
    { id: '1150000000000000001', username: 'alice_sandbox', displayName: 'Alice Gardens (sandbox)', extra: { accountType: 'BUSINESS', boards: [{ id: '1150000000000100001', name: 'Garden ideas' }, { id: '1150000000000100002', name: 'Recipes' }] } },
    { id: '1150000000000000002', username: 'bob_sandbox', displayName: 'Bob (sandbox)', extra: { accountType: 'PINNER', boards: [] } },
  ],
  mintToken: (kind) => `${kind === 'access' ? 'pina_' : 'pinr_'}${randomBytes(32).toString('base64url')}`,

  routes(app, core) {
    pinterestSettings.routes(app, core);

    app.get('/www/oauth/', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('pinterest', q.client_id);
      if (!client || !core.clients.allowsRedirect(client, q.redirect_uri) || q.response_type !== 'code') {
        return reply.status(400).type('text/html').send('<!doctype html><p>Invalid client_id or redirect_uri.</p>');
      }
      return core.consent.show(reply, {
        platform: 'pinterest',
        platformName: 'Pinterest',
        clientId: client.clientId,
        redirectUri: q.redirect_uri!,
        state: q.state,
        scopes: (q.scope ?? '').split(',').filter(Boolean),
      });
    });

    app.post('/api/v5/oauth/token', async (request, reply) => {
      const auth = core.clients.authenticate('pinterest', request, ['basic']);
      if (!auth.ok) return reply.status(401).send({ code: 1, message: 'Client authentication failed: send HTTP Basic client_id:client_secret.', status: 'failure' });
      const body = request.body as Record<string, string | undefined>;
      const now = core.clock.nowMs();
      if (body.grant_type === 'authorization_code') {
        const result = core.grants.redeemCode('pinterest', body.code ?? '', { clientId: auth.client.clientId, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier });
        return result.ok ? tokenResponse(result.value, now, 'authorization_code') : reply.status(400).send(INVALID_GRANT);
      }
      if (body.grant_type === 'refresh_token') {
        const result = core.grants.refresh('pinterest', body.refresh_token ?? '', { clientId: auth.client.clientId });
        if (!result.ok) return reply.status(400).send(INVALID_GRANT);
        core.requests.countRefresh(result.value.grant.id);
        return tokenResponse(result.value, now, 'refresh_token');
      }
      return reply.status(400).send(invalid('grant_type must be authorization_code or refresh_token'));
    });

    app.get('/api/v5/user_account', async (request, reply) => {
      const grant = pinterestUser(core, request, reply, 'user_accounts:read');
      if (!grant) return reply;
      const account = core.account('pinterest', grant.accountId);
      const business = account?.extra?.accountType === 'BUSINESS';
      return {
        account_type: business ? 'BUSINESS' : 'PINNER',
        id: grant.accountId,
        username: account?.username ?? '',
        profile_image: `https://i.pinimg.com/sandbox/${account?.username ?? 'user'}.jpg`,
        website_url: '',
        ...(business ? { business_name: account?.displayName ?? '' } : {}),
      };
    });

    app.get('/api/v5/boards', async (request, reply) => {
      const grant = pinterestUser(core, request, reply, 'boards:read');
      if (!grant) return reply;
      const owner = core.account('pinterest', grant.accountId)?.username ?? '';
      return { items: boardsOf(core, grant.accountId).map((b) => ({ id: b.id, name: b.name, description: '', privacy: 'PUBLIC', owner: { username: owner } })), bookmark: null };
    });

    app.post('/api/v5/pins', async (request, reply) => {
      const grant = pinterestUser(core, request, reply, 'pins:write');
      if (!grant) return reply;
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!boardsOf(core, grant.accountId).some((b) => b.id === body.board_id)) return reply.status(404).send({ code: 40, message: 'Board not found.' });
      const source = (body.media_source ?? {}) as { source_type?: unknown; url?: unknown; items?: unknown };
      let media: string[];
      if (source.source_type === 'image_url' && typeof source.url === 'string' && /^https?:\/\//.test(source.url)) media = [source.url];
      else if (source.source_type === 'multiple_image_urls' && Array.isArray(source.items) && source.items.length >= 2 && source.items.length <= 5) {
        media = (source.items as { url?: unknown }[]).map((i) => String(i.url ?? ''));
        if (media.some((u) => !/^https?:\/\//.test(u))) return reply.status(400).send(invalid('every media_source item needs a url'));
      } else return reply.status(400).send(invalid('media_source must be image_url with a url, or multiple_image_urls with 2 to 5 items'));
      // Pinterest fetches the images when the pin is created; one it cannot fetch fails the call.
      const pulls = await Promise.all(media.map((url) => pullMedia(url, 'image', { types: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] })));
      const failed = pulls.find((p) => !p.ok);
      if (failed && !failed.ok) return reply.status(400).send(invalid(`Sorry, we could not fetch the image: ${failed.error}`));
      const description = body.description ?? '';
      if (typeof description !== 'string' || description.length > DESCRIPTION_MAX) return reply.status(400).send(invalid(`description is limited to ${DESCRIPTION_MAX} characters`));
      if (body.title !== undefined && (typeof body.title !== 'string' || body.title.length > TITLE_MAX)) return reply.status(400).send(invalid(`title is limited to ${TITLE_MAX} characters`));
      if (body.link !== undefined && (typeof body.link !== 'string' || !/^https?:\/\//.test(body.link))) return reply.status(400).send(invalid('link must be an http(s) URL'));
      const now = core.clock.nowMs();
      const state = moduleState(stateByCore, core, (): PinState => ({ writes: [] }));
      state.writes = state.writes.filter((w) => w.atMs > now - 60_000);
      if (state.writes.filter((w) => w.accountId === grant.accountId).length >= pinterestSettings.settings(core).pinsPerMinute) {
        return reply.status(429).header('retry-after', '60').send({ code: 8, message: 'You have exceeded your rate limit. Try again later.' });
      }
      state.writes.push({ accountId: grant.accountId, atMs: now });
      const id = String(1_150_000_000_000_000 + core.posts.list({ platform: 'pinterest' }).length + 1);
      const extra = { board_id: body.board_id, title: body.title ?? null, link: body.link ?? null, note: typeof body.note === 'string' ? body.note : null, alt_text: body.alt_text ?? null };
      const pin = core.posts.add({ id, platform: 'pinterest', accountId: grant.accountId, text: description, media: pulls.flatMap((p) => (p.ok ? [p.media] : [])), extra }, now);
      return reply.status(201).send({ id: pin.id, created_at: new Date(now).toISOString().slice(0, 19), description, ...extra, media: { media_type: media.length > 1 ? 'multiple_images' : 'image' } });
    });

    app.get('/api/v5/pins', async (request, reply) => {
      const grant = pinterestUser(core, request, reply, 'pins:read');
      if (!grant) return reply;
      const size = Math.min(Math.max(1, Number((request.query as { page_size?: string }).page_size ?? 25) || 25), 250);
      const items = core.posts
        .list({ platform: 'pinterest', accountId: grant.accountId })
        .reverse()
        .slice(0, size)
        .map((p) => ({ id: p.id, created_at: new Date(p.createdAtMs).toISOString().slice(0, 19), description: p.text, ...p.extra }));
      return { items, bookmark: null };
    });
  },
};
