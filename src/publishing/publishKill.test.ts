/**
 * Worker processes killed with SIGKILL at random points of publishing, over many runs, on both
 * engines: on the server, workers share its database; on the embedded engine, each worker owns
 * the PGlite data folder while it runs, is killed, and the folder is reopened (by the test, then
 * by the next worker). Each run schedules a few targets on X (looked up when uncertain), on
 * Instagram (multi-step containers, images and videos that need polls) and on LinkedIn used
 * without its lookup (uncertain there means `unknown`), arms emulator faults (answers lost after
 * the post was made, 5xx before it, failing lookups, slow calls so kills land inside them),
 * starts a worker on the emulator's current time and kills it after a random real-time delay;
 * time then moves past every lease. A last worker finishes, stepping time to whatever is due
 * next. Every target must end published exactly once (the post recorded is the one on the
 * platform) or `unknown`, never twice and never lost; those that can be looked up end published.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { PlatformId } from '../providers/types.ts';
import { testEngine } from '../testing/testDatabase.ts';
import { PUBLISH_LEASE_MS } from './publishingQueues.ts';
import { openKillDrill, type KillDrill } from './testing/killDrill.ts';
import { insertScheduledPost } from './testing/testPlatform.ts';

const RUNS = testEngine === 'postgres' ? 16 : 10;
const TARGETS_PER_RUN = 6;
const NO_LOOKUP: PlatformId[] = ['linkedin'];

let drill: KillDrill;
before(async () => {
  drill = await openKillDrill();
});
after(async () => drill.close());

/** A small deterministic generator for what each run schedules and breaks (kill timing stays real-time). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function armFaults(random: () => number): void {
  const faults = drill.emulator.core.faults;
  faults.clear();
  // One-shot faults first: the emulator applies the first that matches.
  if (random() < 0.5) faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'drop_after_commit' });
  if (random() < 0.3) faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'server_error', status: 503 });
  if (random() < 0.4) faults.add({ platform: 'x', endpoint: '/tweets', method: 'GET', kind: 'server_error', status: 502 });
  if (random() < 0.5) faults.add({ platform: 'instagram', endpoint: '/media_publish', kind: 'drop_after_commit' });
  if (random() < 0.3) faults.add({ platform: 'instagram', endpoint: '/media', method: 'GET', kind: 'server_error', status: 500 });
  if (random() < 0.4) faults.add({ platform: 'linkedin', endpoint: '/posts', method: 'POST', kind: 'drop_after_commit' });
  // Every platform call takes 30-ish ms of real time, so kills often land inside one.
  for (const platform of ['x', 'instagram', 'linkedin'] as const) faults.add({ platform, kind: 'slow', delayMs: 30, times: 100_000 });
}

describe(`worker processes killed with SIGKILL while publishing (${testEngine})`, () => {
  test('every target ends published exactly once or unknown: never twice, never lost', async () => {
    const random = seeded(20_261_202);
    const accounts: { connectionId: string; platform: PlatformId }[] = [
      { connectionId: await drill.connect('x', '1500000000000000001'), platform: 'x' },
      { connectionId: await drill.connect('x', '1500000000000000002'), platform: 'x' },
      { connectionId: await drill.connect('instagram', '17841400000021001'), platform: 'instagram' },
      { connectionId: await drill.connect('linkedin', 'li-alice'), platform: 'linkedin' },
    ];
    const texts = new Map<string, { text: string; platform: PlatformId }>();
    let caughtMidPublish = 0;
    for (let run = 0; run <= RUNS; run++) {
      // One opening of the database per run (on the embedded engine the worker owns it meanwhile).
      await drill.withDb(async (ctx) => {
        if (run > 0) {
          const res = await ctx.db.execute(
            sql`select count(*)::int as n from post_targets where status = 'publishing' and not polling and lease_owner like ${`doomed-${run - 1}:%`}`,
          );
          caughtMidPublish += Number((res.rows[0] as { n: number }).n);
          // Past every lease the dead worker held; the lifecycle keeps the tokens fresh meanwhile.
          drill.clock.advance(PUBLISH_LEASE_MS + 1_000);
          await drill.refreshDue(ctx);
        }
        if (run === RUNS) return;
        for (let i = 0; i < TARGETS_PER_RUN; i++) {
          const account = accounts[Math.floor(random() * accounts.length)]!;
          const text = `Kill drill ${run}-${i} on ${account.platform}`;
          const video = account.platform === 'instagram' && random() < 0.3;
          const [id] = await insertScheduledPost(ctx.db, {
            workspaceId: drill.workspaceId,
            targets: [account],
            at: drill.clock.now(),
            now: drill.clock.now(),
            content: { text, mediaIds: [], ...(account.platform === 'instagram' ? { mediaUrls: [`${drill.emulator.url}/_samples/drill-${run}-${i}.${video ? 'mp4' : 'jpg'}`] } : {}) },
          });
          texts.set(id!, { text, platform: account.platform });
        }
      });
      if (run === RUNS) break;
      armFaults(random);
      const worker = await drill.startWorker(`doomed-${run}`, { noLookup: NO_LOOKUP });
      await sleep(Math.floor(Math.random() * 400));
      await worker.kill('SIGKILL');
    }

    drill.emulator.core.faults.clear();
    const survivor = await drill.startWorker('survivor', { noLookup: NO_LOOKUP });
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the survivor did not finish')), 90_000);
      survivor.onLine((line) => {
        const [word, value] = line.split(' ');
        if (word !== 'idle') return;
        if (value === 'none') {
          clearTimeout(deadline);
          resolve();
          return;
        }
        // Nothing runs and the next due instant is ahead (a retry, a poll): move time there.
        drill.clock.set(Math.max(drill.clock.nowMs(), Number(value)));
        survivor.send(`clock ${drill.clock.nowMs()}`);
      });
    });
    await survivor.kill('SIGTERM');

    assert.ok(caughtMidPublish > 0, 'some kills landed between the intent and the result');
    const rows = await drill.withDb(async (ctx) => {
      const ids = [...texts.keys()];
      const res = await ctx.db.execute(sql`select id, status, platform_post_id from post_targets where id::text = any(${`{${ids.join(',')}}`}::text[])`);
      return res.rows as { id: string; status: string; platform_post_id: string | null }[];
    });
    assert.equal(rows.length, texts.size);
    const posts = drill.emulator.core.posts.list();
    const statuses: Record<string, number> = {};
    for (const row of rows) {
      const { text, platform } = texts.get(row.id)!;
      statuses[row.status] = (statuses[row.status] ?? 0) + 1;
      const onPlatform = posts.filter((p) => p.platform === platform && p.text === text);
      assert.ok(onPlatform.length <= 1, `${text}: published ${onPlatform.length} times`);
      assert.ok(row.status === 'published' || row.status === 'unknown', `${text} ended ${row.status}`);
      if (row.status === 'published') {
        assert.equal(onPlatform.length, 1, `${text} recorded published but not on the platform`);
        assert.equal(row.platform_post_id, onPlatform[0]!.id, `${text}: the recorded post is the one on the platform`);
      }
      if (!NO_LOOKUP.includes(platform)) assert.equal(row.status, 'published', `${text}: a platform that can be checked never ends unknown`);
    }
    console.log(`kill drill (${testEngine}): ${RUNS} kills, ${texts.size} targets, ${caughtMidPublish} caught between intent and result, ${JSON.stringify(statuses)}`);
  });
});
