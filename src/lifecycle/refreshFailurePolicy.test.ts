import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideOnFailure } from './refreshFailurePolicy.ts';

const now = new Date(Date.UTC(2026, 0, 5, 9));
const H = 3_600_000;

test('transient failures back off exponentially with jitter, capped, honouring Retry-After', () => {
  const delays = [0, 1, 2, 3, 10, 30].map((attempts) => {
    const d = decideOnFailure({ error: { errorClass: 'transient', reason: 'server_error', retryAfterMs: undefined }, attempts, usableUntil: null, now, random: () => 1 });
    assert.equal(d.kind, 'retry');
    return d.kind === 'retry' ? d.retryAt.getTime() - now.getTime() : 0;
  });
  assert.deepEqual(delays, [60_000, 120_000, 240_000, 480_000, 6 * H, 6 * H]);
  const low = decideOnFailure({ error: { errorClass: 'transient', reason: 'x', retryAfterMs: undefined }, attempts: 3, usableUntil: null, now, random: () => 0 });
  assert.equal(low.kind === 'retry' && low.retryAt.getTime() - now.getTime(), 240_000);
  const ra = decideOnFailure({ error: { errorClass: 'transient', reason: 'rate_limited', retryAfterMs: 2 * H }, attempts: 0, usableUntil: null, now, random: () => 0 });
  assert.equal(ra.kind === 'retry' && ra.retryAt.getTime() - now.getTime(), 2 * H);
});

test('a transient failure escalates only when it persists close to the end of usable life', () => {
  const far = decideOnFailure({ error: { errorClass: 'transient', reason: 'server_error', retryAfterMs: undefined }, attempts: 5, usableUntil: new Date(now.getTime() + 5 * 24 * H), now, random: () => 0 });
  assert.equal(far.kind === 'retry' && far.escalate, false);
  const near = decideOnFailure({ error: { errorClass: 'transient', reason: 'server_error', retryAfterMs: undefined }, attempts: 5, usableUntil: new Date(now.getTime() + 20 * H), now, random: () => 0 });
  assert.equal(near.kind === 'retry' && near.escalate, true);
});

test('permanent and app-level failures are not retried per connection', () => {
  assert.deepEqual(decideOnFailure({ error: { errorClass: 'reconnect_needed', reason: 'invalid_grant', retryAfterMs: undefined }, attempts: 0, usableUntil: null, now, random: Math.random }), { kind: 'reconnect', reason: 'invalid_grant' });
  const app = decideOnFailure({ error: { errorClass: 'app_misconfigured', reason: 'invalid_client', retryAfterMs: undefined }, attempts: 0, usableUntil: null, now, random: Math.random });
  assert.equal(app.kind, 'app_misconfigured');
});
