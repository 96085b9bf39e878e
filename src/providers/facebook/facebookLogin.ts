/**
 * Facebook Login, shared by the Facebook Pages and Instagram-through-Facebook adapters
 * (platforms.md §1, §2b): the dialog, code → short-lived → long-lived user token, debug_token,
 * the user's Pages with their (non-expiring) Page tokens, the fb_exchange_token extension and
 * revocation. The client secret always travels as a query parameter, never in a header.
 */
import { z } from 'zod';
import { callGraph } from '../meta/callGraph.ts';
import { TOKEN_SUBCODE_REASONS } from '../meta/graphErrors.ts';
import { accountId, parseBearerToken, parseDebugToken, parseShape, type DebugTokenInfo } from '../meta/tokenResponses.ts';
import { ProviderError, type GrantOwner, type PlatformFacts, type ProviderContext, type StoredCredential, type TokenSet, type VerifyResult } from '../types.ts';

export function requireClient(ctx: ProviderContext, platform: string): { clientId: string; clientSecret: string } {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'client_missing', `${platform} has no app credentials configured`);
  return ctx.client;
}

/** The app access token `app-id|app-secret` (debug_token, permission revocation). */
function appAccessToken(ctx: ProviderContext): string {
  const client = requireClient(ctx, 'Facebook');
  return `${client.clientId}|${client.clientSecret}`;
}

export function facebookAuthorizationUrl(
  ctx: ProviderContext,
  facts: PlatformFacts,
  version: string,
  input: { state: string; scopes?: string[] },
): URL {
  const client = requireClient(ctx, facts.displayName);
  const url = new URL(`${ctx.hosts.www}/${version}/dialog/oauth`);
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', ctx.redirectUri);
  url.searchParams.set('state', input.state);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', (input.scopes ?? facts.defaultScopes).join(facts.scopeSeparator));
  return url;
}

/** Code → short-lived → long-lived user token, then debug_token for scopes and data-access expiry. */
export async function exchangeFacebookCode(
  ctx: ProviderContext,
  facts: PlatformFacts,
  version: string,
  code: string,
): Promise<{ userToken: TokenSet; userId: string }> {
  const client = requireClient(ctx, facts.displayName);
  const tokenUrl = `${ctx.hosts.graph}/${version}/oauth/access_token`;
  const short = await callGraph(
    ctx,
    {
      method: 'GET',
      url: tokenUrl,
      query: { client_id: client.clientId, redirect_uri: ctx.redirectUri, client_secret: client.clientSecret, code },
      what: 'Facebook code exchange',
    },
    (body) => parseBearerToken(body, 'Facebook code exchange'),
  );
  const userToken = await exchangeForLongLived(ctx, facts, version, short.accessToken);
  const info = await debugToken(ctx, userToken.accessToken);
  if (!info.isValid || !info.userId) {
    throw new ProviderError('reconnect_needed', 'token_invalid', 'Facebook says the new user token is not valid');
  }
  return {
    userId: info.userId,
    userToken: { ...userToken, scopes: info.scopes, dataAccessExpiresAt: info.dataAccessExpiresAt },
  };
}

/** `fb_exchange_token`: a valid (short- or long-lived) user token → a long-lived one. */
async function exchangeForLongLived(ctx: ProviderContext, facts: PlatformFacts, version: string, token: string): Promise<TokenSet> {
  const client = requireClient(ctx, facts.displayName);
  const now = ctx.clock.now();
  const long = await callGraph(
    ctx,
    {
      method: 'GET',
      url: `${ctx.hosts.graph}/${version}/oauth/access_token`,
      query: { grant_type: 'fb_exchange_token', client_id: client.clientId, client_secret: client.clientSecret, fb_exchange_token: token },
      what: 'Facebook long-lived token exchange',
    },
    (body) => parseBearerToken(body, 'Facebook long-lived token exchange'),
  );
  const ttlMs = long.expiresInSec !== null ? long.expiresInSec * 1000 : facts.defaultAccessTtlMs;
  return {
    accessToken: long.accessToken,
    accessExpiresAt: ttlMs === null ? null : new Date(now.getTime() + ttlMs),
    scopes: [],
    issuedAt: now,
  };
}

export async function debugToken(ctx: ProviderContext, inputToken: string): Promise<DebugTokenInfo> {
  return callGraph(
    ctx,
    {
      method: 'GET',
      url: `${ctx.hosts.graph}/debug_token`,
      query: { input_token: inputToken, access_token: appAccessToken(ctx) },
      what: 'Facebook debug_token',
    },
    parseDebugToken,
  );
}

const pagesSchema = z.object({
  data: z.array(
    z.looseObject({
      id: accountId,
      name: z.string(),
      access_token: z.string().min(1),
      picture: z.object({ data: z.object({ url: z.string() }).partial() }).partial().optional(),
      tasks: z.array(z.string()).optional(),
      instagram_business_account: z
        .object({ id: accountId, username: z.string().optional(), name: z.string().optional(), profile_picture_url: z.string().optional() })
        .optional(),
    }),
  ),
  paging: z.object({ cursors: z.object({ after: z.string().optional() }).partial().optional(), next: z.string().optional() }).partial().optional(),
});
export type FacebookPage = z.infer<typeof pagesSchema>['data'][number];

/** Every Page the user manages, following cursors (at most 10 pages of 100). */
export async function listFacebookPages(ctx: ProviderContext, version: string, userToken: string, fields: string): Promise<FacebookPage[]> {
  const pages: FacebookPage[] = [];
  let after: string | undefined;
  for (let round = 0; round < 10; round++) {
    const page = await callGraph(
      ctx,
      {
        method: 'GET',
        url: `${ctx.hosts.graph}/${version}/me/accounts`,
        query: { fields, limit: '100', after, access_token: userToken },
        what: 'Facebook Pages list',
      },
      (body) => parseShape(pagesSchema, body, 'Facebook Pages list'),
    );
    pages.push(...page.data);
    after = page.paging?.next ? page.paging.cursors?.after : undefined;
    if (!after) break;
  }
  return pages;
}

/** A Page token from a long-lived user token does not expire: same scopes, data access as the user's. */
export function pageTokenSet(pageToken: string, userToken: TokenSet): TokenSet {
  return {
    accessToken: pageToken,
    accessExpiresAt: null,
    scopes: userToken.scopes,
    issuedAt: userToken.issuedAt,
    dataAccessExpiresAt: userToken.dataAccessExpiresAt ?? null,
  };
}

/**
 * debug_token of the stored token. Invalid, or past its data-access expiry, answers
 * `{ valid: false, reason }`; transient and app failures throw.
 */
export async function verifyFacebookToken(ctx: ProviderContext, credential: StoredCredential): Promise<VerifyResult> {
  let info: DebugTokenInfo;
  try {
    info = await debugToken(ctx, credential.accessToken);
  } catch (err) {
    if (err instanceof ProviderError && err.errorClass === 'reconnect_needed') return { valid: false, reason: err.reason };
    throw err;
  }
  const facts = { accessExpiresAt: info.expiresAt, dataAccessExpiresAt: info.dataAccessExpiresAt, scopes: info.scopes };
  if (!info.isValid) {
    const subcode = info.error?.subcode;
    return { valid: false, reason: (subcode != null ? TOKEN_SUBCODE_REASONS[subcode] : undefined) ?? 'token_invalid', ...facts };
  }
  if (info.dataAccessExpiresAt && info.dataAccessExpiresAt.getTime() <= ctx.clock.nowMs()) {
    return { valid: false, reason: 'data_access_expired', ...facts };
  }
  return { valid: true, ...facts };
}

/**
 * Re-exchanges a still-valid expiring token through fb_exchange_token and takes the expiry the
 * platform answers with (it may or may not move: platforms.md marks this uncertain). A Page
 * token that never expires has nothing to extend.
 */
export async function extendFacebookToken(ctx: ProviderContext, facts: PlatformFacts, version: string, credential: StoredCredential): Promise<TokenSet> {
  if (credential.accessExpiresAt === null) {
    throw new ProviderError('bad_request', 'refresh_not_applicable', `${facts.displayName}: this token does not expire, so there is nothing to extend`);
  }
  if (credential.accessExpiresAt.getTime() <= ctx.clock.nowMs()) {
    // "You can not use an expired token to request a long-lived token."
    throw new ProviderError('reconnect_needed', 'token_expired', `${facts.displayName}: the token has expired; only a new login can replace it`);
  }
  const extended = await exchangeForLongLived(ctx, facts, version, credential.accessToken);
  return { ...extended, scopes: credential.scopes };
}

/**
 * DELETE /{user-id}/permissions removes the app from the user's account: every token the user's
 * grant gave (each Page's, Facebook Pages and Instagram-through-Facebook alike, which share the
 * Facebook app) dies with it. So the grant is the user's, for the app.
 */
export function facebookGrantKey(connection: GrantOwner): string | null {
  const userId = connection.meta.userId;
  return typeof userId === 'string' && userId && connection.appClientId ? `facebook-login:${connection.appClientId}:${userId}` : null;
}

/**
 * Removes the app from the user's account: DELETE /{user-id}/permissions with the app token. A
 * grant that is already gone counts as revoked.
 */
export async function revokeFacebookGrant(ctx: ProviderContext, version: string, credential: StoredCredential): Promise<void> {
  const userId = typeof credential.meta.userId === 'string' ? credential.meta.userId : null;
  const query = userId ? { access_token: appAccessToken(ctx) } : { access_token: credential.accessToken };
  try {
    await callGraph(
      ctx,
      { method: 'DELETE', url: `${ctx.hosts.graph}/${version}/${userId ? encodeURIComponent(userId) : 'me'}/permissions`, query, what: 'Facebook revocation' },
      (body) => body,
    );
  } catch (err) {
    if (err instanceof ProviderError && err.errorClass === 'reconnect_needed') return;
    throw err;
  }
}
