/**
 * Which platforms are checked periodically for silent revocations, how often, and at most how many
 * checks per minute (data, like the publish rate limits). From ../shared/platforms.md: every
 * platform lets the user withdraw access in its own settings without telling the app, so every
 * platform is checked; only TikTok reports revocations itself (the `authorization.removed`
 * webhook, "the access_token ... will have been already revoked when you receive the disconnect
 * callback"), so it is checked only as a weekly backstop for instances whose webhook does not
 * arrive. Facebook's deauthorize callback covers app removal but not password changes (460),
 * lost Page roles (492) or security resets ("Facebook will not notify you"), so Meta platforms
 * stay daily.
 *
 * The per-minute caps bound a herd (a restart, the end of an outage) to what a platform tolerates;
 * none of them documents a limit for these calls ([UNC]), so they are conservative: Mastodon
 * servers allow 300 requests per 5 minutes per IP, so its check takes at most a fifth of that.
 * A check over the cap waits for the next minute, with jitter.
 */
import type { PlatformId } from '../providers/types.ts';

export type VerificationRule = {
  /** The check interval, as a multiple of CONNECTION_VERIFY_INTERVAL_HOURS; null: never checked. */
  intervalFactor: number | null;
  /** Checks per minute across every worker process. */
  perMinute: number;
  /** What the check is (for the README and operators). */
  check: string;
};

export const VERIFICATION_RULES: Record<PlatformId, VerificationRule> = {
  facebook: { intervalFactor: 1, perMinute: 120, check: 'debug_token (validity and data_access_expires_at)' },
  instagram_fb: { intervalFactor: 1, perMinute: 120, check: 'debug_token' },
  instagram: { intervalFactor: 1, perMinute: 120, check: 'GET /me on graph.instagram.com' },
  threads: { intervalFactor: 1, perMinute: 120, check: 'GET /me on graph.threads.net' },
  linkedin: { intervalFactor: 1, perMinute: 120, check: 'introspectToken' },
  x: { intervalFactor: 1, perMinute: 120, check: 'a refresh (the 2 h access token is expired by then)' },
  tiktok: { intervalFactor: 7, perMinute: 120, check: 'a refresh, weekly: revocations arrive by webhook' },
  youtube: { intervalFactor: 1, perMinute: 120, check: 'a refresh (the 1 h access token is expired by then)' },
  pinterest: { intervalFactor: 1, perMinute: 120, check: 'GET /v5/user_account' },
  bluesky: { intervalFactor: 1, perMinute: 120, check: 'a refresh (the 2 h access JWT is expired by then)' },
  mastodon: { intervalFactor: 1, perMinute: 60, check: 'verify_credentials' },
};

const DEFAULT_RULE: VerificationRule = { intervalFactor: 1, perMinute: 60, check: 'the adapter verify call' };

export function verificationRule(platform: string): VerificationRule {
  return (VERIFICATION_RULES as Record<string, VerificationRule | undefined>)[platform] ?? DEFAULT_RULE;
}

/** The platform's check interval for this instance, or null when it is not checked periodically. */
export function verifyIntervalFor(platform: string, baseIntervalMs: number): number | null {
  const factor = verificationRule(platform).intervalFactor;
  return factor === null ? null : baseIntervalMs * factor;
}
