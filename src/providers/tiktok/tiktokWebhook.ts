/**
 * TikTok webhooks (../shared/platforms.md §5): `authorization.removed` tells us a user
 * disconnected our app (their token is already revoked). Requests carry
 * `TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256(client_secret, "<t>.<raw body>")>`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Reasons TikTok gives in `content.reason`. */
export const AUTHORIZATION_REMOVED_REASONS: Record<number, string> = {
  0: 'unknown',
  1: 'user_disconnected',
  2: 'account_deleted',
  3: 'age_changed',
  4: 'account_banned',
  5: 'developer_revoked',
};

export function signTikTokWebhook(rawBody: string, clientSecret: string, timestampS: number): string {
  const s = createHmac('sha256', clientSecret).update(`${timestampS}.${rawBody}`).digest('hex');
  return `t=${timestampS},s=${s}`;
}

/** True when the signature matches and its timestamp is within `toleranceMs` of `nowMs` (replay guard). */
export function verifyTikTokSignature(header: string | undefined, rawBody: string, clientSecret: string, nowMs: number, toleranceMs = 5 * 60_000): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.s || !/^[0-9a-f]{64}$/i.test(parts.s)) return false;
  if (Math.abs(nowMs - t * 1000) > toleranceMs) return false;
  const expected = Buffer.from(signTikTokWebhook(rawBody, clientSecret, t).split(',s=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(parts.s, 'hex'));
}

export type AuthorizationRemoved = { clientKey: string; openId: string; reason: string; createdAt: Date };

/** Parses an `authorization.removed` event; null for any other event or a malformed body. */
export function parseAuthorizationRemoved(rawBody: string): AuthorizationRemoved | null {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(rawBody) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (body.event !== 'authorization.removed' || typeof body.user_openid !== 'string' || typeof body.client_key !== 'string') return null;
  let reason = 'unknown';
  if (typeof body.content === 'string') {
    try {
      const code = (JSON.parse(body.content) as { reason?: unknown }).reason;
      reason = typeof code === 'number' ? (AUTHORIZATION_REMOVED_REASONS[code] ?? 'unknown') : 'unknown';
    } catch {
      reason = 'unknown';
    }
  }
  const created = typeof body.create_time === 'number' ? body.create_time * 1000 : 0;
  return { clientKey: body.client_key, openId: body.user_openid, reason, createdAt: new Date(created) };
}
