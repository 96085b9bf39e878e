import { createRequire } from 'node:module';
import { attachMastodonMedia, registerMastodonMedia } from './mastodonMedia.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as TwitterText from 'twitter-text';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';

/**
 * Mastodon servers (platforms.md §10). Every host alias is a server: `/mastodon/<host>/...`.
 * Apps are registered per server (POST /api/v1/apps); tokens never expire and there are no
 * refresh tokens; authorizing the same app again for the same account answers the same token
 * (doorkeeper's reuse_access_token); revoked tokens answer "The access token was revoked".
 */
const INVALID_GRANT = {
  error: 'invalid_grant',
  error_description:
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
};
const INVALID_CLIENT = {
  error: 'invalid_client',
  error_description: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
};

// Mastodon's StatusLengthValidator uses twitter-text's URL extraction (CommonJS, loaded whole).
let loadedTwitterText: typeof TwitterText | undefined;
/** twitter-text, loaded on first use (it costs a start ~80 ms and ~20 MB). */
const twitterText = (): typeof TwitterText => (loadedTwitterText ??= createRequire(import.meta.url)('twitter-text') as typeof TwitterText);
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const VISIBILITIES = ['public', 'unlisted', 'private', 'direct'];

/** The server's count: content warning plus text, each URL as 23 characters, `@user@domain` as `@user`, in graphemes. */
function countableLength(text: string): number {
  let countable = '';
  let at = 0;
  for (const { indices } of twitterText().extractUrlsWithIndices(text, { extractUrlsWithoutProtocol: false })) {
    countable += text.slice(at, indices[0]) + 'x'.repeat(23);
    at = indices[1];
  }
  countable = (countable + text.slice(at)).replace(/(^|[^\w/])@(\w+)@[\w.-]+\w/gu, '$1@$2');
  let n = 0;
  for (const _ of segmenter.segment(countable)) n++;
  return n;
}

function serverApp(core: EmulatorCore, instance: string, clientId: string | undefined) {
  const client = core.clients.get('mastodon', clientId);
  return client && client.instance === instance ? client : undefined;
}

function bearer(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply) {
  const header = request.headers.authorization ?? '';
  const auth = /^bearer /i.test(header) ? core.grants.authenticate('mastodon', header.slice(7)) : null;
  if (auth?.ok) return auth.value.grant;
  if (auth && !auth.ok && auth.error === 'revoked') {
    const disabled = auth.grant?.revoked?.reason === 'password_changed' || auth.grant?.revoked?.reason === 'role_lost';
    void reply.status(401).send({ error: disabled ? 'Your login is currently disabled' : 'The access token was revoked' });
  } else {
    void reply.status(401).send({ error: 'The access token is invalid' });
  }
  return null;
}

/** Mastodon returns statuses as HTML. */
function toHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  return `<p>${escaped.replace(/\n/g, '<br />')}</p>`;
}

function accountJson(core: EmulatorCore, instance: string, accountId: string) {
  const a = core.account('mastodon', accountId);
  const username = a?.username ?? accountId;
  return {
    id: accountId,
    username,
    acct: username,
    display_name: a?.displayName ?? username,
    url: `https://${instance}/@${username}`,
    avatar: `https://${instance}/avatars/${accountId}.png`,
    created_at: '2024-01-01T00:00:00.000Z',
  };
}

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'mastodon',
  policy: { ...DEFAULT_POLICY, accessTtlMs: null, issueRefreshToken: () => false, codeTtlMs: 10 * 60_000 },
  accounts: [
    { id: '109000000000000001', username: 'alice', displayName: 'Alice (sandbox)' },
    { id: '109000000000000002', username: 'bob', displayName: 'Bob (sandbox)' },
  ],

  routes(app, core) {
    app.post('/:instance/api/v1/apps', async (request, reply) => {
      const { instance } = request.params as { instance: string };
      const body = (request.body ?? {}) as Record<string, string | undefined>;
      const redirectUris = (body.redirect_uris ?? '').split(/\s+/).filter(Boolean);
      if (!body.client_name || redirectUris.length === 0) {
        return reply.status(422).send({ error: "Validation failed: Application name can't be blank, Redirect URI must be an absolute URI." });
      }
      const client = core.clients.register({ platform: 'mastodon', redirectUris, instance, name: body.client_name });
      return {
        id: String(Math.floor(core.clock.nowMs() / 1000)),
        name: body.client_name,
        website: body.website ?? null,
        scopes: (body.scopes ?? 'read').split(' '),
        redirect_uri: redirectUris.join('\n'),
        redirect_uris: redirectUris,
        client_id: client.clientId,
        client_secret: client.clientSecret,
        client_secret_expires_at: 0,
      };
    });

    app.get('/:instance/oauth/authorize', async (request, reply) => {
      const { instance } = request.params as { instance: string };
      const q = request.query as Record<string, string | undefined>;
      const client = serverApp(core, instance, q.client_id);
      if (!client || !core.clients.allowsRedirect(client, q.redirect_uri) || q.response_type !== 'code') {
        return reply.status(400).type('text/html').send('<!doctype html><h1>An error has occurred</h1><p>Client authentication failed due to unknown client or invalid redirect URI.</p>');
      }
      return core.consent.show(reply, {
        platform: 'mastodon',
        platformName: `Mastodon (${instance})`,
        clientId: client.clientId,
        clientName: client.name,
        redirectUri: q.redirect_uri!,
        state: q.state,
        scopes: (q.scope ?? 'read').split(/[ +]/).filter(Boolean),
        codeChallenge: q.code_challenge,
        codeChallengeMethod: q.code_challenge_method,
      });
    });

    app.post('/:instance/oauth/token', async (request, reply) => {
      const { instance } = request.params as { instance: string };
      const auth = core.clients.authenticate('mastodon', request, ['basic', 'body']);
      if (!auth.ok || auth.client.instance !== instance) return reply.status(401).send(INVALID_CLIENT);
      const body = request.body as Record<string, string | undefined>;
      if (body.grant_type !== 'authorization_code') {
        return reply.status(400).send({ error: 'unsupported_grant_type', error_description: 'The authorization grant type is not supported by the authorization server.' });
      }
      const result = core.grants.redeemCode('mastodon', body.code ?? '', { clientId: auth.client.clientId, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier });
      if (!result.ok) return reply.status(400).send(INVALID_GRANT);
      // reuse_access_token is on: authorizing the app again for the same account returns the same token.
      const { access, grant } = core.grants.reuseAccessToken(result.value);
      return { access_token: access.token, token_type: 'Bearer', scope: grant.scopes.join(' '), created_at: Math.floor(access.issuedAtMs / 1000) };
    });

    app.post('/:instance/oauth/revoke', async (request, reply) => {
      const { instance } = request.params as { instance: string };
      const auth = core.clients.authenticate('mastodon', request, ['basic', 'body']);
      if (!auth.ok || auth.client.instance !== instance) return reply.status(401).send(INVALID_CLIENT);
      const { token } = request.body as { token?: string };
      const found = token ? core.grants.find(token) : undefined;
      if (found && found.grant.clientId !== auth.client.clientId) {
        return reply.status(403).send({ error: 'unauthorized_client', error_description: 'You are not authorized to revoke this token' });
      }
      if (found) core.grants.revokeToken(token!, { wholeGrant: true, reason: 'app_revoked' });
      return {};
    });

    app.get('/:instance/api/v1/accounts/verify_credentials', async (request, reply) => {
      const grant = bearer(core, request, reply);
      if (!grant) return reply;
      return accountJson(core, (request.params as { instance: string }).instance, grant.accountId);
    });

    registerMastodonMedia(app, core, (request, reply) => bearer(core, request, reply));

    app.post('/:instance/api/v1/statuses', async (request, reply) => {
      const grant = bearer(core, request, reply);
      if (!grant) return reply;
      const { instance } = request.params as { instance: string };
      const key = request.headers['idempotency-key'];
      const previous = typeof key === 'string' ? core.posts.list({ platform: 'mastodon', accountId: grant.accountId }).find((p) => p.extra.idempotencyKey === key) : undefined;
      const body = (request.body ?? {}) as { status?: unknown; visibility?: unknown; media_ids?: unknown; spoiler_text?: unknown; sensitive?: unknown; language?: unknown };
      const spoiler = typeof body.spoiler_text === 'string' ? body.spoiler_text : '';
      const media = previous ? previous.media : attachMastodonMedia(core, grant.accountId, body.media_ids);
      if (typeof media === 'string') return reply.status(422).send({ error: media });
      const blankOk = media.length > 0 && body.status === '';
      if (!previous && (typeof body.status !== 'string' || (body.status.trim() === '' && !blankOk) || countableLength(`${spoiler}${body.status}`) > 500)) {
        return reply.status(422).send({ error: "Validation failed: Text can't be blank or is too long (maximum is 500 characters)" });
      }
      if (!previous && body.visibility !== undefined && !VISIBILITIES.includes(String(body.visibility))) {
        return reply.status(422).send({ error: 'Validation failed: Visibility is not included in the list' });
      }
      const post =
        previous ??
        core.posts.add(
          { id: String(110_000_000_000_000_000n + BigInt(core.posts.list().length + 1)), platform: 'mastodon', accountId: grant.accountId, text: String(body.status), media, extra: { idempotencyKey: key, visibility: body.visibility ?? 'public', spoiler_text: spoiler, sensitive: body.sensitive === true, language: body.language ?? null, instance } },
          core.clock.nowMs(),
        );
      const username = core.account('mastodon', grant.accountId)?.username ?? grant.accountId;
      return { id: post.id, url: `https://${instance}/@${username}/${post.id}`, content: toHtml(post.text), created_at: new Date(post.createdAtMs).toISOString(), visibility: post.extra.visibility, spoiler_text: post.extra.spoiler_text, sensitive: post.extra.sensitive };
    });

    app.get('/:instance/api/v1/accounts/:id/statuses', async (request, reply) => {
      const grant = bearer(core, request, reply);
      if (!grant) return reply;
      const { instance, id } = request.params as { instance: string; id: string };
      const username = core.account('mastodon', id)?.username ?? id;
      return core.posts
        .list({ platform: 'mastodon', accountId: id })
        .reverse()
        .map((p) => ({ id: p.id, url: `https://${instance}/@${username}/${p.id}`, content: toHtml(p.text), created_at: new Date(p.createdAtMs).toISOString() }));
    });
  },
};
