/**
 * Test support: drive the publishing engine by hand, as a worker would (claim what is due, publish
 * each claimed target), with test options. Not used outside tests.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../context.ts';
import { claimDueTargets } from '../claimDueTargets.ts';
import { claimPausedPastGrace, failPausedTarget } from '../failPausedTargets.ts';
import type { PublishDeps } from '../publishDeps.ts';
import { publishTarget, type PublishOptions, type PublishOutcome } from '../publishTarget.ts';

export const TEST_LEASE_MS = 60_000;

export function testOptions(deps: PublishDeps, overrides: Partial<PublishOptions> = {}): PublishOptions {
  return {
    deps,
    retryWindowMs: 60 * 60_000,
    tokenValidForMs: 10 * 60_000,
    mediaBaseUrl: 'http://localhost/media',
    random: () => 0.5,
    ...overrides,
  };
}

/** Claims what is due now (one claim, up to `limit`) and publishes each claimed target; returns the outcomes. */
export async function runDue(ctx: AppContext, options: PublishOptions, input: { limit?: number; owner?: string } = {}): Promise<PublishOutcome[]> {
  const claimed = await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: input.limit ?? 100, leaseMs: TEST_LEASE_MS, owner: input.owner ?? `w-${randomUUID()}` });
  return Promise.all(claimed.map((c) => publishTarget(ctx, c, options)));
}

export async function waitFor(check: () => Promise<boolean> | boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${what} not reached`);
}

/** Runs the grace sweep once, as its due queue would: claims paused targets past the grace and fails each. */
export async function runGraceSweep(ctx: AppContext, graceMs: number): Promise<number> {
  const claimed = await claimPausedPastGrace(ctx.db, { now: ctx.clock.now(), limit: 500, leaseMs: 60_000, owner: `grace-${randomUUID()}`, graceMs });
  let failed = 0;
  for (const item of claimed) if (await failPausedTarget(ctx, item)) failed += 1;
  return failed;
}
