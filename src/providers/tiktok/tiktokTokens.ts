/**
 * TikTok's token responses (code exchange and refresh) → TokenSet plus the user's `open_id`.
 * `{open_id, scope, access_token, expires_in, refresh_token, refresh_expires_in, token_type}`.
 * Refresh tokens rotate: the one in the latest response is the only one that works.
 */
import { tokenSetFromResponse } from '../oauthHelpers.ts';
import { ProviderError, type TokenSet } from '../types.ts';
import { tiktokFacts } from './tiktokFacts.ts';

export function parseTikTokTokens(body: unknown, now: Date): { tokens: TokenSet; openId: string } {
  const tokens = tokenSetFromResponse(body, {
    platform: 'TikTok',
    now,
    defaultAccessTtlMs: tiktokFacts.defaultAccessTtlMs,
    defaultRefreshTtlMs: tiktokFacts.defaultRefreshTtlMs,
  });
  const openId = (body as Record<string, unknown>).open_id;
  if (typeof openId !== 'string' || openId === '') {
    throw new ProviderError('transient', 'malformed_response', 'TikTok returned a token response without open_id');
  }
  return { tokens, openId };
}
