/**
 * When a temporary publishing failure is tried again. Exponential backoff with full jitter
 * (AWS architecture blog, "Exponential Backoff And Jitter"): many targets failing together do
 * not come back together. A platform's Retry-After wins when it asks for longer.
 */

/** The first retry waits up to 30 s; each attempt doubles the ceiling, capped at 30 min. */
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_CAP_MS = 30 * 60_000;
/** Never retry sooner than this, even with full jitter drawing close to zero. */
export const BACKOFF_FLOOR_MS = 1_000;

/** The delay before attempt `attempts + 1`, where `attempts` already failed (>= 1). */
export function backoffDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.max(BACKOFF_FLOOR_MS, Math.round(ceiling * random()));
}

export type RetryDecision = { retry: true; atMs: number } | { retry: false; reason: 'retry_window_exceeded' };

/**
 * Retry at backoff (or Retry-After, whichever is later) if that instant is still inside the
 * window that starts at the target's scheduled time; otherwise give up.
 */
export function decideRetry(input: {
  nowMs: number;
  scheduledAtMs: number;
  attempts: number;
  retryAfterMs?: number;
  windowMs: number;
  random?: () => number;
}): RetryDecision {
  const delay = Math.max(backoffDelayMs(input.attempts, input.random), input.retryAfterMs ?? 0);
  const atMs = input.nowMs + delay;
  if (atMs > input.scheduledAtMs + input.windowMs) return { retry: false, reason: 'retry_window_exceeded' };
  return { retry: true, atMs };
}
