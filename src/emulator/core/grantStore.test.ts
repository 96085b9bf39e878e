import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ControllableClock } from '../../clock.ts';
import type { PlatformId } from '../../providers/types.ts';
import { GrantStore } from './grantStore.ts';
import { DEFAULT_POLICY, type GrantPolicy } from './types.ts';

const DAY = 86_400_000;

function store(patch: Partial<GrantPolicy>) {
  const clock = new ControllableClock({ startMs: Date.UTC(2026, 0, 1) });
  const policy: GrantPolicy = { ...DEFAULT_POLICY, ...patch };
  return { clock, grants: new GrantStore(clock, () => policy, new Map()) };
}

const P: PlatformId = 'linkedin';
const grantInput = { platform: P, clientId: 'c', accountId: 'a', scopes: ['s'] };

describe('emulator grant store', () => {
  it('codes: one use, TTL, exact redirect, PKCE S256; a replayed code revokes its grant', () => {
    const { clock, grants } = store({ codeTtlMs: 30_000 });
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const issue = () => grants.issueCode({ ...grantInput, redirectUri: 'https://app/cb', codeChallenge: challenge, codeChallengeMethod: 'S256' });
    const input = { clientId: 'c', redirectUri: 'https://app/cb', codeVerifier: verifier };
    const code = issue();
    assert.deepEqual(grants.redeemCode(P, code, { ...input, codeVerifier: 'wrong' }), { ok: false, error: 'pkce_failed' });
    assert.deepEqual(grants.redeemCode(P, code, { ...input, redirectUri: 'https://evil/cb' }), { ok: false, error: 'redirect_mismatch' });
    const ok = grants.redeemCode(P, code, input);
    assert.ok(ok.ok);
    assert.deepEqual(grants.redeemCode(P, code, input), { ok: false, error: 'code_used' });
    assert.equal(grants.authenticate(P, ok.value.access.token).ok, false, 'the first grant died with the replay');
    const late = issue();
    clock.advance(30_000);
    assert.deepEqual(grants.redeemCode(P, late, input), { ok: false, error: 'code_expired' });
  });

  it('rotation with reuse detection kills the whole family', () => {
    const { grants } = store({ rotation: true, reuseKillsFamily: true });
    const first = grants.createGrant(grantInput);
    const second = grants.refresh(P, first.refresh!.token, { clientId: 'c' });
    assert.ok(second.ok && second.value.refresh!.token !== first.refresh!.token);
    const reuse = grants.refresh(P, first.refresh!.token, { clientId: 'c' });
    assert.equal(!reuse.ok && reuse.error, 'reused');
    assert.equal(grants.reuseDetections.get(P), 1);
    assert.equal(!grants.refresh(P, second.value.refresh!.token, { clientId: 'c' }).ok, true, 'the successor died too');
    assert.equal(grants.authenticate(P, second.value.access.token).ok, false);
  });

  it('grace period: the old token answers with the same successor, then fails', () => {
    const { clock, grants } = store({ rotation: true, reuseGraceMs: 2 * 3_600_000 });
    const first = grants.createGrant(grantInput);
    const a = grants.refresh(P, first.refresh!.token, { clientId: null });
    clock.advance(3_600_000);
    const b = grants.refresh(P, first.refresh!.token, { clientId: null });
    assert.ok(a.ok && b.ok);
    assert.equal(b.value.refresh!.token, a.value.refresh!.token);
    clock.advance(3_600_000);
    assert.equal(grants.refresh(P, first.refresh!.token, { clientId: null }).ok, false);
    assert.equal(grants.refresh(P, a.value.refresh!.token, { clientId: null }).ok, true, 'no family kill without reuseKillsFamily');
  });

  it('non-sliding refresh end (LinkedIn): the end is fixed at the first grant', () => {
    const { clock, grants } = store({ rotation: true, refreshTtlMs: 365 * DAY, slidingRefreshEnd: false });
    const first = grants.createGrant(grantInput);
    clock.advance(100 * DAY);
    const next = grants.refresh(P, first.refresh!.token, { clientId: 'c' });
    assert.ok(next.ok);
    assert.equal(next.value.refresh!.expiresAtMs, first.refresh!.expiresAtMs);
    clock.advance(265 * DAY);
    const dead = grants.refresh(P, next.value.refresh!.token, { clientId: 'c' });
    assert.equal(!dead.ok && dead.error, 'expired');
  });

  it('minimum refresh age, idle death and hard end', () => {
    const young = store({ minRefreshAgeMs: DAY, accessTtlMs: 60 * DAY });
    const g = young.grants.createGrant(grantInput);
    const tooYoung = young.grants.extendAccess(P, g.access.token);
    assert.equal(!tooYoung.ok && tooYoung.error, 'too_young');
    young.clock.advance(DAY);
    assert.ok(young.grants.extendAccess(P, g.access.token).ok);

    const idle = store({ idleDeathMs: 180 * DAY });
    const gi = idle.grants.createGrant(grantInput);
    idle.clock.advance(100 * DAY);
    assert.ok(idle.grants.refresh(P, gi.refresh!.token, { clientId: 'c' }).ok, 'use resets the idle clock');
    idle.clock.advance(179 * DAY);
    assert.ok(idle.grants.refresh(P, gi.refresh!.token, { clientId: 'c' }).ok);
    idle.clock.advance(180 * DAY);
    const idleDead = idle.grants.refresh(P, gi.refresh!.token, { clientId: 'c' });
    assert.equal(!idleDead.ok && idleDead.error, 'idle_expired');

    const testing = store({ hardEndMs: 7 * DAY });
    const gt = testing.grants.createGrant(grantInput);
    testing.clock.advance(7 * DAY);
    const ended = testing.grants.refresh(P, gt.refresh!.token, { clientId: 'c' });
    assert.equal(!ended.ok && ended.error, 'hard_end');
  });

  it('user actions revoke every grant of the account with a reason', () => {
    const { grants } = store({});
    const g = grants.createGrant(grantInput);
    assert.equal(grants.revokeAccount(P, 'a', 'password_changed'), 1);
    const auth = grants.authenticate(P, g.access.token);
    assert.equal(!auth.ok && auth.grant?.revoked?.reason, 'password_changed');
  });
});
