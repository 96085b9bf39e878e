/**
 * The Instagram-Login and Threads token model (platforms.md §2a, §8): a 1 h token from the code
 * is exchanged for a 60 d one (`ig_exchange_token` / `th_exchange_token`), which is then itself
 * refreshed (`ig_refresh_token` / `th_refresh_token`, GET, query string only) once it is at
 * least 24 h old and before it expires. The refreshed token replaces the stored one even when
 * the string is unchanged.
 */
import { callGraph } from './callGraph.ts';
import { parseBearerToken } from './tokenResponses.ts';
import { ProviderError, type ProviderContext, type StoredCredential, type TokenSet } from '../types.ts';

export type LongLivedTokenRules = {
  platform: string;
  exchangeGrant: 'ig_exchange_token' | 'th_exchange_token';
  refreshGrant: 'ig_refresh_token' | 'th_refresh_token';
  /** A younger token cannot be refreshed. */
  minAgeMs: number;
  /**
   * The platform's answer to a too-young refresh: Graph codes and a message pattern, both
   * required. Undocumented (platforms.md [UNC]); the emulator's default is 400 OAuthException
   * code 100 "The access token must be at least 24 hours old to be refreshed.". Any other
   * error with the same code (100 is every "invalid parameter") keeps its own classification.
   */
  minAgeErrorCodes: readonly number[];
  minAgeErrorMessage: RegExp;
  /** Used only when a response omits expires_in. */
  defaultTtlMs: number;
};

function expiryFrom(nowMs: number, expiresInSec: number | null, defaultTtlMs: number): Date {
  return new Date(nowMs + (expiresInSec !== null ? expiresInSec * 1000 : defaultTtlMs));
}

/** Short-lived → long-lived. The client secret goes in the query string (the platform's only option). */
export async function exchangeForLongLivedToken(
  ctx: ProviderContext,
  rules: LongLivedTokenRules,
  shortToken: string,
  scopes: string[],
): Promise<TokenSet> {
  if (!ctx.client) throw new ProviderError('app_misconfigured', 'client_missing', `${rules.platform} has no app credentials configured`);
  const now = ctx.clock.now();
  const long = await callGraph(
    ctx,
    {
      method: 'GET',
      url: `${ctx.hosts.graph}/access_token`,
      query: { grant_type: rules.exchangeGrant, client_secret: ctx.client.clientSecret, access_token: shortToken },
      what: `${rules.platform} long-lived token exchange`,
    },
    (body) => parseBearerToken(body, `${rules.platform} long-lived token exchange`),
  );
  return { accessToken: long.accessToken, accessExpiresAt: expiryFrom(now.getTime(), long.expiresInSec, rules.defaultTtlMs), scopes, issuedAt: now };
}

/**
 * Refreshes the long-lived token. A token younger than `minAgeMs` is refused here, without a
 * call, as transient `min_age_not_reached` with the wait in `retryAfterMs`; the platform's own
 * refusal (for clocks that disagree) is mapped to the same reason.
 */
export async function refreshLongLivedToken(ctx: ProviderContext, rules: LongLivedTokenRules, credential: StoredCredential): Promise<TokenSet> {
  const now = ctx.clock.now();
  const ageMs = now.getTime() - credential.issuedAt.getTime();
  if (ageMs < rules.minAgeMs) {
    throw new ProviderError('transient', 'min_age_not_reached', `${rules.platform} refreshes only tokens at least 24 hours old`, {
      retryAfterMs: rules.minAgeMs - ageMs,
    });
  }
  const refreshed = await callGraph(
    ctx,
    {
      method: 'GET',
      url: `${ctx.hosts.graph}/refresh_access_token`,
      query: { grant_type: rules.refreshGrant, access_token: credential.accessToken },
      what: `${rules.platform} token refresh`,
      // Never for 190/102: a dead token is a dead token, whatever the configuration says.
      reclassify: (classification, error) =>
        error?.code != null && error.code !== 190 && error.code !== 102 && rules.minAgeErrorCodes.includes(error.code) && rules.minAgeErrorMessage.test(error.message)
          ? { ...classification, errorClass: 'transient', reason: 'min_age_not_reached' }
          : classification,
    },
    (body) => parseBearerToken(body, `${rules.platform} token refresh`),
  );
  return {
    accessToken: refreshed.accessToken,
    accessExpiresAt: expiryFrom(now.getTime(), refreshed.expiresInSec, rules.defaultTtlMs),
    scopes: credential.scopes,
    issuedAt: now,
  };
}
