import { embeddedImages, registerBlueskyBlobs } from './blueskyBlobs.ts';
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_POLICY, type EmulatorCore, type EmulatorPlatformModule } from '../core/types.ts';
import type { Issued } from '../core/grantStore.ts';

/**
 * A Bluesky PDS with app-password sessions (platforms.md §9a). Every host alias is a PDS
 * (`/bluesky/pds/...` by default). Tokens are JWTs with `exp`; refreshSession rotates with a 2 h
 * grace during which the old refresh JWT returns the same successor; createSession is rate
 * limited to 30 per 5 minutes and 300 per day per identifier.
 */
const HOUR = 3_600_000;
const JWT_SECRET = 'perennial-emulator-bluesky';
const CLIENT_ID = 'app-password';
export const CREATE_SESSION_LIMITS = [
  { windowMs: 5 * 60_000, max: 30 },
  { windowMs: 24 * HOUR, max: 300 },
];

const attemptsByCore = new WeakMap<EmulatorCore, Map<string, number[]>>();

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function xrpcError(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.status(status).send({ error, message });
}

function sessionJson(core: EmulatorCore, issued: Issued) {
  const account = core.account('bluesky', issued.grant.accountId);
  return { accessJwt: issued.access.token, refreshJwt: issued.refresh!.token, did: issued.grant.accountId, handle: account?.username ?? '', active: true };
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  return /^bearer /i.test(header) ? header.slice(7) : '';
}

function requireAccess(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply) {
  const token = bearerToken(request);
  if (!token) {
    void xrpcError(reply, 401, 'AuthMissing', 'Authentication Required');
    return null;
  }
  const auth = core.grants.authenticate('bluesky', token);
  if (auth.ok) return auth.value.grant;
  if (auth.error === 'expired') void xrpcError(reply, 400, 'ExpiredToken', 'Token has expired');
  else if (auth.error === 'revoked') void xrpcError(reply, 400, 'ExpiredToken', 'Token has been revoked');
  else void xrpcError(reply, 400, 'InvalidToken', 'Token could not be verified');
  return null;
}

/** True when one more createSession for `identifier` stays within the PDS limits. */
function allowCreateSession(core: EmulatorCore, identifier: string): boolean {
  let byId = attemptsByCore.get(core);
  if (!byId) attemptsByCore.set(core, (byId = new Map()));
  const now = core.clock.nowMs();
  const recent = (byId.get(identifier) ?? []).filter((t) => now - t < 24 * HOUR);
  recent.push(now);
  byId.set(identifier, recent);
  return CREATE_SESSION_LIMITS.every((l) => recent.filter((t) => now - t < l.windowMs).length <= l.max);
}

export const emulatorModule: EmulatorPlatformModule = {
  platform: 'bluesky',
  policy: {
    ...DEFAULT_POLICY,
    accessTtlMs: 2 * HOUR,
    refreshTtlMs: 90 * 24 * HOUR,
    rotation: true,
    reuseGraceMs: 2 * HOUR,
    reuseKillsFamily: false,
  },
  accounts: [
    { id: 'did:plc:sandboxalice000000000001', username: 'alice.sandbox.bsky.social', displayName: 'Alice (sandbox)', password: 'abcd-efgh-ijkl-mnop' },
    { id: 'did:plc:sandboxbob00000000000002', username: 'bob.sandbox.bsky.social', displayName: 'Bob (sandbox)', password: 'bbbb-cccc-dddd-eeee' },
  ],

  mintToken(kind, info) {
    const header = b64({ typ: kind === 'access' ? 'at+jwt' : 'refresh+jwt', alg: 'HS256' });
    const payload = b64({
      scope: kind === 'access' ? 'com.atproto.access' : 'com.atproto.refresh',
      sub: info.accountId,
      aud: 'did:web:sandbox.pds',
      jti: info.jti,
      ...(info.expiresAtMs === null ? {} : { exp: Math.floor(info.expiresAtMs / 1000) }),
    });
    const signature = createHmac('sha256', JWT_SECRET).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  },

  routes(app, core) {
    app.post('/:host/xrpc/com.atproto.server.createSession', async (request, reply) => {
      const body = (request.body ?? {}) as { identifier?: unknown; password?: unknown };
      if (typeof body.identifier !== 'string' || typeof body.password !== 'string') {
        return xrpcError(reply, 400, 'InvalidRequest', 'Input must have the property "identifier" and "password"');
      }
      const identifier = body.identifier.toLowerCase();
      if (!allowCreateSession(core, identifier)) {
        return reply.status(429).header('ratelimit-limit', '30').header('ratelimit-policy', '30;w=300').send({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' });
      }
      const account = core.accounts('bluesky').find((a) => a.username === identifier || a.id === identifier);
      if (!account || account.password !== body.password) return xrpcError(reply, 401, 'AuthenticationRequired', 'Invalid identifier or password');
      const issued = core.grants.createGrant({ platform: 'bluesky', clientId: CLIENT_ID, accountId: account.id, scopes: ['com.atproto.access'] });
      return { ...sessionJson(core, issued), email: `${account.username}@example.test`, emailConfirmed: true };
    });

    app.post('/:host/xrpc/com.atproto.server.refreshSession', async (request, reply) => {
      const token = bearerToken(request);
      if (!token) return xrpcError(reply, 401, 'AuthMissing', 'Authentication Required');
      const result = core.grants.refresh('bluesky', token, { clientId: null });
      if (!result.ok) {
        if (result.error === 'expired' || result.error === 'idle_expired' || result.error === 'hard_end') return xrpcError(reply, 400, 'ExpiredToken', 'Token has expired');
        if (result.error === 'invalid_token') return xrpcError(reply, 400, 'InvalidToken', 'Token could not be verified');
        return xrpcError(reply, 400, 'ExpiredToken', 'Token has been revoked');
      }
      core.requests.countRefresh(result.value.grant.id);
      return sessionJson(core, result.value);
    });

    app.post('/:host/xrpc/com.atproto.server.deleteSession', async (request, reply) => {
      const token = bearerToken(request);
      const found = token ? core.grants.find(token) : undefined;
      if (!found || found.record.kind !== 'refresh') return xrpcError(reply, 400, 'InvalidToken', 'Token could not be verified');
      core.grants.revokeToken(token, { reason: 'logout' });
      return reply.status(200).send();
    });

    app.get('/:host/xrpc/com.atproto.server.getSession', async (request, reply) => {
      const grant = requireAccess(core, request, reply);
      if (!grant) return reply;
      const account = core.account('bluesky', grant.accountId);
      return { did: grant.accountId, handle: account?.username ?? '', active: true };
    });

    registerBlueskyBlobs(app, core, (request, reply) => requireAccess(core, request, reply), xrpcError);

    app.post('/:host/xrpc/com.atproto.repo.createRecord', async (request, reply) => {
      const grant = requireAccess(core, request, reply);
      if (!grant) return reply;
      const body = (request.body ?? {}) as { repo?: unknown; collection?: unknown; record?: { text?: unknown; createdAt?: unknown; embed?: unknown } };
      if (body.repo !== grant.accountId) return xrpcError(reply, 400, 'InvalidRequest', 'Input/repo must be the authenticated account');
      const text = body.record?.text;
      // app.bsky.feed.post: text maxGraphemes 300, maxLength 3000 (bytes).
      if (body.collection !== 'app.bsky.feed.post' || typeof text !== 'string' || graphemes(text) > 300 || Buffer.byteLength(text) > 3000) {
        return xrpcError(reply, 400, 'InvalidRequest', 'Invalid app.bsky.feed.post record');
      }
      const media = embeddedImages(core, grant.accountId, body.record?.embed);
      if (typeof media === 'string') return xrpcError(reply, 400, 'InvalidRequest', media);
      const rkey = (core.clock.nowMs() * 1000 + core.posts.list().length).toString(32);
      const uri = `at://${grant.accountId}/app.bsky.feed.post/${rkey}`;
      core.posts.add({ id: uri, platform: 'bluesky', accountId: grant.accountId, text, media, extra: { createdAt: body.record?.createdAt } }, core.clock.nowMs());
      return { uri, cid: `bafyrei${rkey}` };
    });

    app.get('/:host/xrpc/com.atproto.repo.listRecords', async (request, reply) => {
      const grant = requireAccess(core, request, reply);
      if (!grant) return reply;
      const { repo } = request.query as { repo?: string };
      const records = core.posts
        .list({ platform: 'bluesky', accountId: repo ?? grant.accountId })
        .reverse()
        .map((p) => ({ uri: p.id, cid: `bafyrei${p.id.split('/').pop()}`, value: { $type: 'app.bsky.feed.post', text: p.text, createdAt: p.extra.createdAt ?? new Date(p.createdAtMs).toISOString() } }));
      return { records };
    });
  },
};

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
function graphemes(text: string): number {
  let n = 0;
  for (const _ of segmenter.segment(text)) n++;
  return n;
}
