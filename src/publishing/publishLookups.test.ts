/**
 * Lookups of uncertain outcomes against the emulator, with the real adapters: a post with the
 * same text made before the intent, or recorded by another of our targets, is never taken for
 * this target's (which would lose it); a TikTok post started but never confirmed is `unknown`,
 * not started a second time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import type { PlatformId, Provider } from '../providers/types.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { defaultPublishDeps } from './defaultPublishDeps.ts';
import type { PublishDeps } from './publishDeps.ts';
import { publishOptions } from './publishingQueues.ts';
import { publishTarget, type PublishOutcome } from './publishTarget.ts';
import { insertScheduledPost, targetRow } from './testing/testPlatform.ts';

const LEASE_MS = 60_000;
let h: LifecycleHarness;
before(async () => {
  h = await openLifecycleHarness();
});
after(async () => {
  await h.ctx.jobs.stop(0);
  await h.close();
});

async function schedule(connectionId: string, platform: PlatformId, content: Record<string, unknown>): Promise<string> {
  const [id] = await insertScheduledPost(h.ctx.db, { workspaceId: h.workspaceId, targets: [{ connectionId, platform }], at: h.ctx.clock.now(), now: h.ctx.clock.now(), content });
  return id!;
}

/** Claims what is due and publishes it with `deps`; a claimed target left unpublished is a worker that died right after its claim. */
async function run(deps: PublishDeps = defaultPublishDeps, only?: (id: string) => boolean): Promise<PublishOutcome[]> {
  const claimed = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 50, leaseMs: LEASE_MS, owner: `w-${h.ctx.clock.nowMs()}-${Math.random()}` });
  const outcomes: PublishOutcome[] = [];
  for (const c of claimed) if (!only || only(c.id)) outcomes.push(await publishTarget(h.ctx, c, publishOptions(h.ctx, deps)));
  return outcomes;
}

describe('lookups of uncertain outcomes', () => {
  test("a post with the same text recorded by another of our targets is not taken for this one's", async () => {
    const account = '1500000000000000001';
    const x = await h.connect('x', account);
    const text = { text: 'Same words, two posts', mediaIds: [] };
    const crashed = await schedule(x, 'x', text);
    assert.deepEqual(await run(defaultPublishDeps, () => false), [], 'claimed (intent recorded), then the worker died before calling X');
    const sibling = await schedule(x, 'x', text);
    assert.deepEqual(await run(), ['published']);
    h.ctx.clock.advance(LEASE_MS);
    assert.deepEqual(await run(), ['published'], 'the lookup found only the sibling post: this one is published, not "found"');
    const rows = [await targetRow(h.ctx.db, crashed), await targetRow(h.ctx.db, sibling)];
    const onPlatform = h.emulator.core.posts.list({ platform: 'x', accountId: account }).filter((p) => p.text === text.text);
    assert.equal(onPlatform.length, 2);
    assert.notEqual(rows[0]!.platform_post_id, rows[1]!.platform_post_id);
    assert.deepEqual(new Set(rows.map((r) => r.platform_post_id)), new Set(onPlatform.map((p) => p.id)));
  });

  test('a post with the same text made minutes before the intent is not taken for this one', async () => {
    const account = '1500000000000000002';
    const x = await h.connect('x', account);
    const text = { text: 'Good morning from the bakery', mediaIds: [] };
    const earlier = h.emulator.core.posts.add({ platform: 'x', accountId: account, text: text.text, media: [] }, h.ctx.clock.nowMs() - 5 * 60_000);
    const id = await schedule(x, 'x', text);
    assert.deepEqual(await run(defaultPublishDeps, () => false), []);
    h.ctx.clock.advance(LEASE_MS);
    assert.deepEqual(await run(), ['published']);
    const row = await targetRow(h.ctx.db, id);
    assert.notEqual(row.platform_post_id, earlier.id);
    assert.equal(h.emulator.core.posts.list({ platform: 'x', accountId: account }).filter((p) => p.text === text.text).length, 2);
  });

  test('TikTok: a post started (init sent) whose publish id was never saved becomes unknown, never a second init', async () => {
    const tiktok = await h.connect('tiktok', h.emulator.core.accounts('tiktok')[0]!.id);
    const id = await schedule(tiktok, 'tiktok', { text: 'Morning walk', mediaIds: [], mediaUrls: ['https://cdn.example.test/walk.mp4'] });
    // The worker dies right after init answered: the save of the publish id never happens.
    let died!: () => void;
    const death = new Promise<void>((resolve) => (died = resolve));
    const dying: PublishDeps = {
      ...defaultPublishDeps,
      provider(platform) {
        const real = defaultPublishDeps.provider(platform);
        const wrapped = Object.create(real) as Provider;
        wrapped.publish = (ctx, credential, post, progress) =>
          real.publish(ctx, credential, post, {
            get state() {
              return progress.state;
            },
            async save(state) {
              if (typeof state.publishId === 'string') {
                died();
                await new Promise<never>(() => undefined);
              }
              await progress.save(state);
            },
          });
        return wrapped;
      },
    };
    const claimed = await claimDueTargets(h.ctx.db, { now: h.ctx.clock.now(), limit: 10, leaseMs: LEASE_MS, owner: 'dying' });
    void publishTarget(h.ctx, claimed[0]!, publishOptions(h.ctx, dying));
    await death;
    const inits = () => h.emulator.core.requests.list({ platform: 'tiktok', path: '/video/init/' }).length;
    assert.equal(inits(), 1);
    assert.deepEqual((await targetRow(h.ctx.db, id)).publish_state, { initStarted: true });

    h.ctx.clock.advance(LEASE_MS);
    assert.deepEqual(await run(), ['unknown']);
    assert.equal(inits(), 1, 'TikTok was not asked to post a second time');
    const row = await targetRow(h.ctx.db, id);
    assert.equal(row.status, 'unknown');
    assert.match(String(row.failure_message), /started earlier/);
    await h.ctx.db.execute(sql`update post_targets set status = 'cancelled' where id = ${id}`);
  });
});
