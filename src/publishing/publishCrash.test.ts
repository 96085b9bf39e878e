/**
 * Crashes at random points of publishing, in one process (both engines): a handler abandoned
 * mid-flight leaves the database exactly as a killed worker would (nothing after the crash point
 * is written), and the target comes back when its lease lapses. Every target ends published
 * exactly once on the emulator (X and Instagram can be checked for recent posts), never twice.
 * The multi-process SIGKILL variant (both engines) is publishKill.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import type { PlatformId, Provider } from '../providers/types.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { defaultPublishDeps } from './defaultPublishDeps.ts';
import type { PublishDeps } from './publishDeps.ts';
import { PUBLISH_LEASE_MS, publishOptions } from './publishingQueues.ts';
import { publishTarget } from './publishTarget.ts';
import { insertScheduledPost } from './testing/testPlatform.ts';

type CrashPoint = 'none' | 'before_call' | 'after_first_step' | 'after_call';
const POINTS: CrashPoint[] = ['none', 'before_call', 'after_first_step', 'after_call'];

let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
  await h.ctx.jobs.start();
});
after(async () => {
  await h.ctx.jobs.stop(0);
  await h.close();
});

/** A small deterministic generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const never = () => new Promise<never>(() => undefined);

/** The real deps, with the platform call made to stop for good at `point`; `crashed` resolves when it does. */
function crashingDeps(point: CrashPoint): { deps: PublishDeps; crashed: Promise<void> } {
  let signal!: () => void;
  const crashed = new Promise<void>((resolve) => (signal = resolve));
  const crash = () => {
    signal();
    return never();
  };
  const deps: PublishDeps = {
    ...defaultPublishDeps,
    provider(platform) {
      const real = defaultPublishDeps.provider(platform);
      const wrapped: Provider = Object.create(real) as Provider;
      wrapped.publish = async (ctx, credential, post, progress) => {
        if (point === 'before_call') return crash();
        const save = async (state: Record<string, unknown>) => {
          await progress.save(state);
          if (point === 'after_first_step') await crash();
        };
        const result = await real.publish(ctx, credential, post, { get state() { return progress.state; }, save });
        if (point === 'after_call' || point === 'after_first_step') return crash();
        return result;
      };
      return wrapped;
    },
  };
  return { deps, crashed };
}

describe('crashes at random points of publishing', () => {
  test('every target ends published exactly once, never twice, never lost', async () => {
    const random = seeded(20_261_122);
    const accounts: { connectionId: string; platform: PlatformId }[] = [
      { connectionId: await h.connect('x', '1500000000000000001'), platform: 'x' },
      { connectionId: await h.connect('x', '1500000000000000002'), platform: 'x' },
      { connectionId: await h.connect('instagram', '17841400000021001'), platform: 'instagram' },
    ];
    const seen = new Set<CrashPoint>();
    const ids: string[] = [];
    const texts = new Map<string, string>();
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 6; i++) {
        const account = accounts[i % accounts.length]!;
        const text = `Crash drill ${round}-${i}`;
        const [id] = await insertScheduledPost(h.ctx.db, {
          workspaceId: h.workspaceId,
          targets: [account],
          at: h.ctx.clock.now(),
          now: h.ctx.clock.now(),
          content: { text, mediaIds: [], mediaUrls: [`${h.emulator.url}/_samples/crash.jpg`], overrides: { x: { mediaIds: [] } } },
        });
        ids.push(id!);
        texts.set(id!, text);
      }
      // A worker takes everything due and dies somewhere inside each publish.
      const claimed = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 100, leaseMs: 180_000, owner: `doomed-${round}` });
      for (const c of claimed) {
        const point = POINTS[Math.floor(random() * POINTS.length)]!;
        seen.add(point);
        const { deps, crashed } = crashingDeps(point);
        await Promise.race([publishTarget(h.ctx, c, { ...publishOptions(h.ctx, deps) }), crashed]);
      }
      // Later, another worker: leases have lapsed, uncertain outcomes are checked on the platform.
      h.ctx.clock.advance(PUBLISH_LEASE_MS + 1_000);
      await h.runDue();
      for (;;) {
        const again = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 100, leaseMs: 180_000, owner: `survivor-${round}` });
        if (again.length === 0) break;
        for (const c of again) await publishTarget(h.ctx, c, publishOptions(h.ctx, defaultPublishDeps));
      }
    }
    assert.deepEqual([...seen].sort(), [...POINTS].sort(), 'every crash point was exercised');

    const rows = await h.ctx.db.execute(sql`select id, status from post_targets where id::text = any(${`{${ids.join(',')}}`}::text[])`);
    const posts = h.emulator.core.posts.list();
    for (const row of rows.rows as { id: string; status: string }[]) {
      const onPlatform = posts.filter((p) => p.text === texts.get(row.id)).length;
      assert.ok(onPlatform <= 1, `${texts.get(row.id)} published ${onPlatform} times`);
      assert.equal(row.status, 'published', `${texts.get(row.id)} is ${row.status}`);
      assert.equal(onPlatform, 1, `${texts.get(row.id)} is on the platform`);
    }
    assert.equal(rows.rows.length, 36);
  });
});
