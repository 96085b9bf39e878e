import { getWithBearer } from '../oauth2Client.ts';
import { expectJson } from '../oauthHelpers.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type PublishResult, type StoredCredential, type TokenSet } from '../types.ts';
import { blueskyFacts } from './blueskyFacts.ts';
import { classifyBlueskyError } from './classifyBlueskyError.ts';
import { uploadBlueskyImages } from './uploadBlueskyImages.ts';

/** Bluesky through XRPC app-password sessions (platforms.md §9a). */

const classify = { classifyError: classifyBlueskyError };

/** The PDS: the one being connected to, the connection's own (credential meta), else the default. */
function pds(ctx: ProviderContext, credential?: StoredCredential): string {
  const stored = credential?.meta.instanceUrl;
  return ctx.hosts.instance ?? (typeof stored === 'string' ? ctx.instanceBase?.(stored) : undefined) ?? ctx.hosts.pds ?? blueskyFacts.hosts.pds!;
}

function xrpc(ctx: ProviderContext, method: string, credential?: StoredCredential): string {
  return `${pds(ctx, credential)}/xrpc/${method}`;
}

/** `exp` of a JWT (seconds), without verifying it: only the PDS can, we just plan around it. */
function jwtExpiry(jwt: string): Date | null {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null;
  } catch {
    return null;
  }
}

type Session = { accessJwt?: unknown; refreshJwt?: unknown; did?: unknown; handle?: unknown };

function tokensFrom(body: Session, now: Date): TokenSet {
  if (typeof body.accessJwt !== 'string' || typeof body.refreshJwt !== 'string') {
    throw new ProviderError('transient', 'malformed_response', 'Bluesky returned a session without tokens');
  }
  return {
    accessToken: body.accessJwt,
    accessExpiresAt: jwtExpiry(body.accessJwt) ?? new Date(now.getTime() + blueskyFacts.defaultAccessTtlMs!),
    refreshToken: body.refreshJwt,
    refreshExpiresAt: jwtExpiry(body.refreshJwt) ?? new Date(now.getTime() + blueskyFacts.defaultRefreshTtlMs!),
    scopes: blueskyFacts.defaultScopes,
    issuedAt: now,
  };
}

function accountFrom(body: Session): AccountChoice {
  if (typeof body.did !== 'string' || typeof body.handle !== 'string') {
    throw new ProviderError('transient', 'malformed_response', 'Bluesky returned a session without did or handle');
  }
  return { platformAccountId: body.did, kind: 'profile', displayName: body.handle, handle: body.handle, meta: { did: body.did, handle: body.handle } };
}

async function postXrpc(ctx: ProviderContext, method: string, bearer: string | null, body?: unknown, credential?: StoredCredential): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await ctx.http(xrpc(ctx, method, credential), { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 200 && response.headers.get('content-length') === '0') return {};
  return expectJson(response, classify, 'bluesky', ctx.clock.nowMs());
}

function postUrl(handle: string, uri: string): string {
  return `https://bsky.app/profile/${handle}/post/${uri.split('/').pop()}`;
}

export const provider: Provider = {
  facts: blueskyFacts,

  authorizationUrl() {
    throw new ProviderError('bad_request', 'not_oauth', 'Bluesky connects with an app password');
  },

  async exchangeCode() {
    throw new ProviderError('bad_request', 'not_oauth', 'Bluesky connects with an app password');
  },

  /** createSession; the password is sent once and never kept. */
  async connectWithPassword(ctx, input) {
    const body = (await postXrpc(ctx, 'com.atproto.server.createSession', null, { identifier: input.identifier, password: input.password })) as Session;
    return { tokens: tokensFrom(body, ctx.clock.now()), accounts: [accountFrom(body)] };
  },

  async refresh(ctx, credential) {
    if (!credential.refreshToken) throw new ProviderError('reconnect_needed', 'no_refresh_token', 'This Bluesky connection has no session to refresh');
    try {
      const body = (await postXrpc(ctx, 'com.atproto.server.refreshSession', credential.refreshToken, undefined, credential)) as Session;
      return tokensFrom(body, ctx.clock.now());
    } catch (err) {
      // On refreshSession an expired token is the refresh JWT itself: only a new login helps.
      if (err instanceof ProviderError && err.errorClass === 'refresh_needed') {
        throw new ProviderError('reconnect_needed', err.reason, err.message, { httpStatus: err.httpStatus, platformCode: err.platformCode, cause: err });
      }
      throw err;
    }
  },

  async verify(ctx, credential) {
    try {
      const body = (await getWithBearer(ctx, { provider: classify, facts: blueskyFacts, url: xrpc(ctx, 'com.atproto.server.getSession', credential) }, credential.accessToken)) as Session;
      return body.did === credential.platformAccountId ? { valid: true } : { valid: false, reason: 'account_mismatch' };
    } catch (err) {
      if (err instanceof ProviderError && err.errorClass !== 'transient') return { valid: false, reason: err.reason };
      throw err;
    }
  },

  async publish(ctx, credential, post, progress) {
    const text = post.link && !post.text.includes(post.link) ? `${post.text}\n${post.link}` : post.text;
    const embed = await uploadBlueskyImages(ctx, credential, post.media, progress, (method) => xrpc(ctx, method, credential), classify);
    const body = (await postXrpc(ctx, 'com.atproto.repo.createRecord', credential.accessToken, {
      repo: credential.platformAccountId,
      collection: 'app.bsky.feed.post',
      record: { $type: 'app.bsky.feed.post', text, createdAt: ctx.clock.now().toISOString(), ...(embed ? { embed } : {}) },
    }, credential)) as { uri?: unknown };
    if (typeof body.uri !== 'string') throw new ProviderError('transient', 'malformed_response', 'Bluesky accepted the post but returned no uri');
    const handle = typeof credential.meta.handle === 'string' ? credential.meta.handle : credential.platformAccountId;
    return { platformPostId: body.uri, url: postUrl(handle, body.uri) };
  },

  async findRecentPost(ctx, credential, post, since, skip): Promise<PublishResult | null> {
    const url = new URL(xrpc(ctx, 'com.atproto.repo.listRecords', credential));
    url.searchParams.set('repo', credential.platformAccountId);
    url.searchParams.set('collection', 'app.bsky.feed.post');
    url.searchParams.set('limit', '50');
    const body = (await getWithBearer(ctx, { provider: classify, facts: blueskyFacts, url: url.toString() }, credential.accessToken)) as {
      records?: { uri: string; value?: { text?: string; createdAt?: string } }[];
    };
    const found = (body.records ?? []).find((r) => !skip?.has(r.uri) && Date.parse(r.value?.createdAt ?? '') >= since.getTime() && (r.value?.text ?? '').startsWith(post.text.slice(0, 200)));
    const handle = typeof credential.meta.handle === 'string' ? credential.meta.handle : credential.platformAccountId;
    return found ? { platformPostId: found.uri, url: postUrl(handle, found.uri) } : null;
  },

  /** deleteSession revokes the refresh JWT (the session ends at the PDS). */
  async revoke(ctx, credential) {
    if (!credential.refreshToken) return;
    await postXrpc(ctx, 'com.atproto.server.deleteSession', credential.refreshToken, undefined, credential);
  },

  classifyError: classifyBlueskyError,
};
