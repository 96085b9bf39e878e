import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKOFF_CAP_MS, BACKOFF_FLOOR_MS, backoffDelayMs, decideRetry } from './retryPolicy.ts';

describe('retry policy', () => {
  test('the ceiling doubles per attempt up to the cap; full jitter draws below it, never under the floor', () => {
    assert.equal(backoffDelayMs(1, () => 1), 30_000);
    assert.equal(backoffDelayMs(2, () => 1), 60_000);
    assert.equal(backoffDelayMs(3, () => 0.5), 60_000);
    assert.equal(backoffDelayMs(20, () => 1), BACKOFF_CAP_MS);
    assert.equal(backoffDelayMs(1, () => 0), BACKOFF_FLOOR_MS);
  });

  test('Retry-After wins when longer; past the window the answer is to give up', () => {
    const base = { nowMs: 1_000_000, scheduledAtMs: 1_000_000, windowMs: 3_600_000, random: () => 0.5 };
    assert.deepEqual(decideRetry({ ...base, attempts: 1 }), { retry: true, atMs: 1_015_000 });
    assert.deepEqual(decideRetry({ ...base, attempts: 1, retryAfterMs: 600_000 }), { retry: true, atMs: 1_600_000 });
    assert.deepEqual(decideRetry({ ...base, attempts: 1, retryAfterMs: 7_200_000 }), { retry: false, reason: 'retry_window_exceeded' });
    assert.deepEqual(decideRetry({ ...base, nowMs: base.nowMs + 3_590_000, attempts: 5 }), { retry: false, reason: 'retry_window_exceeded' });
  });
});
