/**
 * What a failed refresh or verification does to a connection, by ProviderError.errorClass.
 * Pure: the caller applies the decision in one transaction.
 */
import type { ProviderError } from '../providers/types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** First retry after 1 min, doubling each time (1, 2, 4 ... min)... */
const BACKOFF_BASE_MS = MINUTE;
/** ...capped at 6 h, so a 3-day outage costs about a dozen calls per connection, not thousands. */
const BACKOFF_MAX_MS = 6 * HOUR;
/** Full jitter on the upper half: retries of connections that failed together spread out. */
const BACKOFF_JITTER_FRACTION = 0.5;
/** A retry never lands closer than this to the token's expiry without the user having been told. */
export const ESCALATE_BEFORE_EXPIRY_MS = 24 * HOUR;
/** After an app-level error the platform is retried once an hour (an operator may fix the secret). */
export const APP_PAUSE_RETRY_MS = HOUR;

export type FailureDecision =
  | { kind: 'retry'; retryAt: Date; reason: string; escalate: boolean }
  | { kind: 'reconnect'; reason: string }
  | { kind: 'app_misconfigured'; reason: string; retryAt: Date };

export function decideOnFailure(input: {
  error: Pick<ProviderError, 'errorClass' | 'reason' | 'retryAfterMs'>;
  /** Consecutive failures before this one. */
  attempts: number;
  /**
   * Until when the connection keeps working without a successful refresh: the access token's
   * expiry for long-lived tokens, the refresh token's for short-lived ones (null: unknown / no end).
   */
  usableUntil: Date | null;
  now: Date;
  random: () => number;
}): FailureDecision {
  const { error, now } = input;
  switch (error.errorClass) {
    case 'reconnect_needed':
      return { kind: 'reconnect', reason: error.reason };
    case 'app_misconfigured':
      return { kind: 'app_misconfigured', reason: error.reason, retryAt: new Date(now.getTime() + APP_PAUSE_RETRY_MS) };
    case 'transient':
    case 'refresh_needed':
    case 'bad_request': {
      // bad_request from a token endpoint is our bug or a platform hiccup, not the user's: retried, never flagged.
      const exp = Math.min(BACKOFF_BASE_MS * 2 ** Math.min(input.attempts, 20), BACKOFF_MAX_MS);
      const delay = exp * (1 - BACKOFF_JITTER_FRACTION) + exp * BACKOFF_JITTER_FRACTION * input.random();
      const wait = Math.max(delay, error.retryAfterMs ?? 0);
      const retryAt = new Date(now.getTime() + wait);
      const expires = input.usableUntil?.getTime() ?? null;
      // Escalate only when the failure persists close to the end of the token's usable life.
      const escalate = expires !== null && expires - retryAt.getTime() < ESCALATE_BEFORE_EXPIRY_MS;
      return { kind: 'retry', retryAt, reason: error.reason, escalate };
    }
  }
}
