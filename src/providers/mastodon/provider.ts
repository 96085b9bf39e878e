import { buildAuthorizationUrl, exchangeAuthorizationCode, getWithBearer, revokeOAuthToken } from '../oauth2Client.ts';
import { expectJson, postForm } from '../oauthHelpers.ts';
import { ProviderError, type AccountChoice, type Provider, type ProviderContext, type PublishResult, type StoredCredential } from '../types.ts';
import { classifyMastodonError } from './classifyMastodonError.ts';
import { uploadMastodonMedia } from './uploadMastodonMedia.ts';
import { mastodonFacts } from './mastodonFacts.ts';

/** Mastodon: per-server app registration, non-expiring tokens (platforms.md §10). */

const classify = { classifyError: classifyMastodonError };

/** The server to call: the one being connected, or the connection's own (credential meta). */
function instance(ctx: ProviderContext, credential?: StoredCredential): string {
  const stored = credential?.meta.instanceUrl;
  const base = ctx.hosts.instance ?? (typeof stored === 'string' ? ctx.instanceBase?.(stored) : undefined);
  if (!base) throw new ProviderError('bad_request', 'no_instance', 'No Mastodon server was given');
  return base;
}

function requireClient(ctx: ProviderContext): { clientId: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'no_client', 'Perennial is not registered on this Mastodon server yet');
  return ctx.client;
}

function endpoint(ctx: ProviderContext, path: string, credential?: StoredCredential) {
  return { provider: classify, facts: mastodonFacts, url: `${instance(ctx, credential)}${path}`, auth: { method: 'body' as const, ...requireClient(ctx) } };
}

type MastodonAccount = { id?: unknown; username?: unknown; acct?: unknown; display_name?: unknown; avatar?: unknown; url?: unknown };

/**
 * Account ids are unique per server only, so the connection's account id is `<id>@<server host>`
 * (the host taken from the profile URL); the bare id is kept in meta for API calls.
 */
function accountFrom(body: unknown): AccountChoice {
  const a = body as MastodonAccount;
  if (typeof a?.id !== 'string' || typeof a.username !== 'string' || typeof a.url !== 'string') {
    throw new ProviderError('transient', 'malformed_response', 'Mastodon returned an account without id, username or url');
  }
  const host = new URL(a.url).host;
  return {
    platformAccountId: `${a.id}@${host}`,
    kind: 'user',
    displayName: typeof a.display_name === 'string' && a.display_name !== '' ? a.display_name : a.username,
    handle: `${a.username}@${host}`,
    avatarUrl: typeof a.avatar === 'string' ? a.avatar : undefined,
    meta: { accountId: a.id, profileUrl: a.url },
  };
}

async function verifyCredentials(ctx: ProviderContext, accessToken: string, credential?: StoredCredential): Promise<AccountChoice> {
  const body = await getWithBearer(ctx, { provider: classify, facts: mastodonFacts, url: `${instance(ctx, credential)}/api/v1/accounts/verify_credentials` }, accessToken);
  return accountFrom(body);
}

function stripHtml(html: string): string {
  return html.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]*>/g, '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

export const provider: Provider = {
  facts: mastodonFacts,

  async registerApp(ctx, input) {
    const response = await postForm(ctx.http, `${instance(ctx)}/api/v1/apps`, {
      client_name: input.appName,
      redirect_uris: ctx.redirectUri,
      scopes: input.scopes.join(' '),
      website: input.website,
    });
    const body = (await expectJson(response, classify, 'mastodon', ctx.clock.nowMs())) as { client_id?: unknown; client_secret?: unknown };
    if (typeof body.client_id !== 'string' || typeof body.client_secret !== 'string') {
      throw new ProviderError('transient', 'malformed_response', 'The Mastodon server registered the app without returning its credentials');
    }
    return { clientId: body.client_id, clientSecret: body.client_secret };
  },

  authorizationUrl(ctx, input) {
    return buildAuthorizationUrl(`${instance(ctx)}/oauth/authorize`, {
      clientId: requireClient(ctx).clientId,
      redirectUri: ctx.redirectUri,
      state: input.state,
      scopes: input.scopes ?? mastodonFacts.defaultScopes,
      codeChallenge: input.codeChallenge,
    });
  },

  async exchangeCode(ctx, input) {
    const tokens = await exchangeAuthorizationCode(ctx, endpoint(ctx, '/oauth/token'), { ...input, requestedScopes: mastodonFacts.defaultScopes });
    return { tokens, accounts: [await verifyCredentials(ctx, tokens.accessToken)] };
  },

  async refresh() {
    throw new ProviderError('reconnect_needed', 'not_refreshable', 'Mastodon tokens do not expire and cannot be refreshed');
  },

  async verify(ctx, credential) {
    try {
      const account = await verifyCredentials(ctx, credential.accessToken, credential);
      return account.platformAccountId === credential.platformAccountId ? { valid: true, accessExpiresAt: null } : { valid: false, reason: 'account_mismatch' };
    } catch (err) {
      if (err instanceof ProviderError && err.errorClass !== 'transient') return { valid: false, reason: err.reason };
      throw err;
    }
  },

  /** Idempotency-Key makes a retried POST return the status already created. */
  async publish(ctx, credential, post, progress) {
    const status = post.link && !post.text.includes(post.link) ? `${post.text}\n\n${post.link}` : post.text;
    const mediaIds = await uploadMastodonMedia(ctx, credential, instance(ctx, credential), post.media, progress, classify);
    const response = await ctx.http(`${instance(ctx, credential)}/api/v1/statuses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': post.idempotencyKey },
      body: JSON.stringify({ status, ...mastodonOptions(post.options), ...(mediaIds.length > 0 ? { media_ids: mediaIds } : {}) }),
    });
    const body = (await expectJson(response, classify, 'mastodon', ctx.clock.nowMs())) as { id?: unknown; url?: unknown };
    if (typeof body.id !== 'string') throw new ProviderError('transient', 'malformed_response', 'Mastodon accepted the post but returned no id');
    return { platformPostId: body.id, url: typeof body.url === 'string' ? body.url : null };
  },

  async findRecentPost(ctx, credential, post, since, skip): Promise<PublishResult | null> {
    const accountId = String(credential.meta.accountId ?? credential.platformAccountId.split('@')[0]);
    const url = `${instance(ctx, credential)}/api/v1/accounts/${encodeURIComponent(accountId)}/statuses?limit=40&exclude_replies=true`;
    const list = (await getWithBearer(ctx, { provider: classify, facts: mastodonFacts, url }, credential.accessToken)) as { id: string; url?: string; content?: string; created_at?: string }[];
    const wanted = post.text.trim().slice(0, 200);
    const found = (Array.isArray(list) ? list : []).find(
      (s) => !skip?.has(s.id) && Date.parse(s.created_at ?? '') >= since.getTime() && stripHtml(s.content ?? '').trim().startsWith(wanted),
    );
    return found ? { platformPostId: found.id, url: found.url ?? null } : null;
  },

  async revoke(ctx, credential) {
    await revokeOAuthToken(ctx, endpoint(ctx, '/oauth/revoke', credential), { token: credential.accessToken });
  },

  /**
   * Mastodon reuses access tokens (doorkeeper `reuse_access_token`): authorizing our app again
   * for the same account returns the same token, so every connection of that account on that
   * server through our app holds one token, and revoking it ends them all.
   */
  grantKey: (c) => (typeof c.meta.instanceUrl === 'string' && c.appClientId ? `mastodon:${new URL(c.meta.instanceUrl).host}:${c.appClientId}:${c.platformAccountId}` : null),

  classifyError: classifyMastodonError,
};

/** Per-post options (src/posts/platformOptions.ts) under the API's names; visibility defaults to public. */
function mastodonOptions(o: Record<string, unknown>): Record<string, unknown> {
  return {
    visibility: typeof o.visibility === 'string' ? o.visibility : 'public',
    ...(typeof o.spoilerText === 'string' && o.spoilerText !== '' ? { spoiler_text: o.spoilerText } : {}),
    ...(typeof o.sensitive === 'boolean' ? { sensitive: o.sensitive } : {}),
    ...(typeof o.language === 'string' ? { language: o.language } : {}),
  };
}
