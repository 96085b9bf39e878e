import { createRequire } from 'node:module';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as TwitterText from 'twitter-text';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';
import type { Issued } from '../core/grantStore.ts';
import { attachXMedia, registerXMedia } from './xMedia.ts';

/**
 * X / Twitter OAuth 2.0 and API v2 (platforms.md §4): 30 s codes, HTTP Basic required for the
 * (confidential) sandbox app, 2 h access tokens, rotating refresh tokens (only with
 * offline.access) whose reuse kills the family.
 */
const HOUR = 3_600_000;
/** X's own counting library (weighted length: URLs 23, CJK and emoji 2). CommonJS, loaded whole. */
let loadedTwitterText: typeof TwitterText | undefined;
/** twitter-text, loaded on first use (it costs a start ~80 ms and ~20 MB). */
const twitterText = (): typeof TwitterText => (loadedTwitterText ??= createRequire(import.meta.url)('twitter-text') as typeof TwitterText);
const REPLY_SETTINGS = ['following', 'mentionedUsers', 'subscribers', 'verified'];

const UNAUTHORIZED = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' };
const BAD_TOKEN = { error: 'invalid_request', error_description: 'Value passed for the token was invalid.' };
const BAD_CODE = { error: 'invalid_request', error_description: 'Value passed for the authorization code was invalid.' };
const BAD_VERIFIER = { error: 'invalid_request', error_description: 'Value passed for the code verifier was invalid.' };

function tokenResponse(issued: Issued, nowMs: number) {
  const { access, refresh, grant } = issued;
  return {
    token_type: 'bearer',
    expires_in: access.expiresAtMs === null ? undefined : Math.round((access.expiresAtMs - nowMs) / 1000),
    access_token: access.token,
    scope: grant.scopes.join(' '),
    ...(refresh ? { refresh_token: refresh.token } : {}),
  };
}

function bearerUser(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply) {
  const header = request.headers.authorization ?? '';
  const auth = /^bearer /i.test(header) ? core.grants.authenticate('x', header.slice(7)) : null;
  if (!auth?.ok) {
    void reply.status(401).send(UNAUTHORIZED);
    return null;
  }
  return auth.value.grant;
}

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'x',
  policy: {
    ...DEFAULT_POLICY,
    accessTtlMs: 2 * HOUR,
    issueRefreshToken: (scopes) => scopes.includes('offline.access'),
    refreshTtlMs: 183 * 24 * HOUR, // [UNC] community: about 6 months
    rotation: true,
    reuseKillsFamily: true,
    codeTtlMs: 30_000,
  },
  accounts: [
    { id: '1500000000000000001', username: 'sandbox_alice', displayName: 'Alice (sandbox)' },
    { id: '1500000000000000002', username: 'sandbox_bob', displayName: 'Bob (sandbox)' },
  ],

  routes(app, core) {
    registerXMedia(app, core, (request, reply) => bearerUser(core, request, reply));

    app.get('/www/i/oauth2/authorize', async (request, reply) => {
      const q = request.query as Record<string, string | undefined>;
      const client = core.clients.get('x', q.client_id);
      if (!client || !core.clients.allowsRedirect(client, q.redirect_uri) || q.response_type !== 'code') {
        return reply.status(400).type('text/html').send('<!doctype html><p>Something went wrong. You weren’t able to give access to the App.</p>');
      }
      if (!q.code_challenge) return reply.status(400).type('text/html').send('<!doctype html><p>Missing code_challenge.</p>');
      return core.consent.show(reply, {
        platform: 'x',
        platformName: 'X',
        clientId: client.clientId,
        redirectUri: q.redirect_uri!,
        state: q.state,
        scopes: (q.scope ?? '').split(' ').filter(Boolean),
        codeChallenge: q.code_challenge,
        codeChallengeMethod: q.code_challenge_method ?? 'plain',
      });
    });

    app.post('/api/2/oauth2/token', async (request, reply) => {
      const auth = core.clients.authenticate('x', request, ['basic']);
      if (!auth.ok) {
        return auth.error === 'missing'
          ? reply.status(401).send({ error: 'unauthorized_client', error_description: 'Missing valid authorization header' })
          : reply.status(401).send({ error: 'invalid_client', error_description: 'Client authentication failed' });
      }
      const body = request.body as Record<string, string | undefined>;
      const now = core.clock.nowMs();
      if (body.grant_type === 'authorization_code') {
        const result = core.grants.redeemCode('x', body.code ?? '', { clientId: auth.client.clientId, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier });
        if (!result.ok) return reply.status(400).send(result.error === 'pkce_failed' ? BAD_VERIFIER : BAD_CODE);
        return tokenResponse(result.value, now);
      }
      if (body.grant_type === 'refresh_token') {
        const result = core.grants.refresh('x', body.refresh_token ?? '', { clientId: auth.client.clientId });
        if (!result.ok) return reply.status(400).send(BAD_TOKEN);
        core.requests.countRefresh(result.value.grant.id);
        return tokenResponse(result.value, now);
      }
      return reply.status(400).send({ error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
    });

    app.post('/api/2/oauth2/revoke', async (request, reply) => {
      const auth = core.clients.authenticate('x', request, ['basic']);
      if (!auth.ok) return reply.status(401).send({ error: 'unauthorized_client', error_description: 'Missing valid authorization header' });
      const { token } = request.body as { token?: string };
      const found = token ? core.grants.find(token) : undefined;
      if (found && found.grant.clientId === auth.client.clientId) core.grants.revokeToken(token!, { wholeGrant: true, reason: 'app_revoked' });
      return { revoked: true };
    });

    app.get('/api/2/users/me', async (request, reply) => {
      const grant = bearerUser(core, request, reply);
      if (!grant) return reply;
      const account = core.account('x', grant.accountId);
      return { data: { id: grant.accountId, name: account?.displayName ?? '', username: account?.username ?? '' } };
    });

    app.post('/api/2/tweets', async (request, reply) => {
      const grant = bearerUser(core, request, reply);
      if (!grant) return reply;
      if (!grant.scopes.includes('tweet.write')) return reply.status(403).send({ title: 'Forbidden', type: 'about:blank', status: 403, detail: 'Forbidden' });
      const { text, media: attach, reply_settings } = (request.body ?? {}) as { text?: unknown; media?: { media_ids?: unknown }; reply_settings?: unknown };
      // Text is counted as X counts it (twitter-text weighting); an empty text is allowed with media.
      if (typeof text !== 'string' || (text.length === 0 && !attach) || (text.length > 0 && !twitterText().parseTweet(text).valid)) {
        return reply.status(400).send({ title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' });
      }
      if (reply_settings !== undefined && !REPLY_SETTINGS.includes(String(reply_settings))) {
        return reply.status(400).send({ title: 'Invalid Request', detail: `The \`reply_settings\` query parameter value [${String(reply_settings)}] is not one of [${REPLY_SETTINGS.join(',')}]`, type: 'https://api.twitter.com/2/problems/invalid-request' });
      }
      const media = attach === undefined ? [] : attachXMedia(core, grant.accountId, attach.media_ids);
      if (typeof media === 'string') {
        return reply.status(400).send({ errors: [{ message: media }], title: 'Invalid Request', detail: media, type: 'https://api.twitter.com/2/problems/invalid-request' });
      }
      const id = String(1_800_000_000_000_000_000n + BigInt(core.posts.list({ platform: 'x' }).length + 1));
      core.posts.add({ id, platform: 'x', accountId: grant.accountId, text, media, extra: { reply_settings: reply_settings ?? 'everyone' } }, core.clock.nowMs());
      return reply.status(201).send({ data: { id, text, edit_history_tweet_ids: [id] } });
    });

    app.get('/api/2/users/:id/tweets', async (request, reply) => {
      const grant = bearerUser(core, request, reply);
      if (!grant) return reply;
      const { id } = request.params as { id: string };
      const { start_time } = request.query as { start_time?: string };
      const since = start_time ? Date.parse(start_time) : 0;
      const tweets = core.posts
        .list({ platform: 'x', accountId: id })
        .filter((p) => p.createdAtMs >= since)
        .reverse()
        .map((p) => ({ id: p.id, text: p.text, created_at: new Date(p.createdAtMs).toISOString() }));
      return { data: tweets, meta: { result_count: tweets.length } };
    });
  },
};
