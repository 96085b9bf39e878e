/**
 * Worker processes killed with SIGKILL at random points of publishing, over many runs, on the
 * PostgreSQL server (PGlite has one process per database: publishCrash.test.ts simulates the
 * crash there). Each run starts a worker on the emulator's current time, kills it after a random
 * real-time delay (the emulator answers slowly, so kills land before, during and after platform
 * calls), then moves time past the leases. A last worker finishes. Every target must end
 * published exactly once or `unknown`, never twice, never lost.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openLifecycleHarness, type LifecycleHarness } from '../lifecycle/testing/lifecycleHarness.ts';
import { testEngine } from '../testing/testDatabase.ts';
import { PUBLISH_LEASE_MS } from './publishingQueues.ts';
import { insertScheduledPost } from './testing/testPlatform.ts';

const RUNS = 8;
const TARGETS_PER_RUN = 10;
const workerScript = new URL('./testing/publishWorkerProcess.ts', import.meta.url).pathname;

let h: LifecycleHarness;
before(async () => {
  if (testEngine !== 'postgres') return;
  h = await openLifecycleHarness();
  await h.ctx.jobs.start();
});
after(async () => {
  if (!h) return;
  await h.ctx.jobs.stop(0);
  await h.close();
});

function startWorker(runnerId: string): Promise<ChildProcess> {
  const keys = (h.ctx.config.encryptionKeys ?? []).map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
  const args = {
    databaseUrl: (h.ctx.database as { url?: string }).url,
    emulatorUrl: h.emulator.url,
    encryptionKeys: keys,
    clockMs: h.ctx.clock.nowMs(),
    runnerId,
    concurrency: 4,
    batchSize: 4,
    pollMs: 50,
  };
  const child = spawn(process.execPath, [workerScript, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d) => process.stderr.write(`[${runnerId}] ${d}`));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      if (String(d).includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker ${runnerId} exited early (${code})`)));
  });
}

async function statusCounts(ids: string[]): Promise<Record<string, number>> {
  const res = await h.ctx.db.execute(sql`select status, count(*)::int as n from post_targets where id::text = any(${`{${ids.join(',')}}`}::text[]) group by status`);
  return Object.fromEntries((res.rows as { status: string; n: number }[]).map((r) => [r.status, Number(r.n)]));
}

describe('worker processes killed with SIGKILL while publishing', { skip: testEngine !== 'postgres' && 'needs the PostgreSQL server (npm run test:pg)' }, () => {
  test('every target ends published exactly once or unknown: never twice, never lost', async () => {
    const accounts = [await h.connect('x', '1500000000000000001'), await h.connect('x', '1500000000000000002')];
    // Every platform call takes 40-ish ms of real time, so a kill often lands inside one.
    h.emulator.core.faults.add({ platform: 'x', endpoint: '/2/tweets', method: 'POST', kind: 'slow', delayMs: 40, times: 10_000 });
    const ids: string[] = [];
    const texts = new Map<string, string>();
    let kills = 0;
    let caughtMidPublish = 0;
    for (let run = 0; run < RUNS; run++) {
      for (let i = 0; i < TARGETS_PER_RUN; i++) {
        const text = `Kill drill ${run}-${i}`;
        const [id] = await insertScheduledPost(h.ctx.db, {
          workspaceId: h.workspaceId,
          targets: [{ connectionId: accounts[i % 2]!, platform: 'x' }],
          at: h.ctx.clock.now(),
          now: h.ctx.clock.now(),
          text,
        });
        ids.push(id!);
        texts.set(id!, text);
      }
      const worker = await startWorker(`doomed-${run}`);
      await sleep(20 + Math.floor(Math.random() * 300));
      worker.kill('SIGKILL');
      await new Promise((resolve) => worker.once('exit', resolve));
      kills += 1;
      const inFlight = await h.ctx.db.execute(sql`select count(*)::int as n from post_targets where status = 'publishing'`);
      caughtMidPublish += Number((inFlight.rows[0] as { n: number }).n);
      // Past every lease the dead worker held; the lifecycle keeps the tokens fresh meanwhile.
      h.ctx.clock.advance(PUBLISH_LEASE_MS + 1_000);
      await h.runDue();
    }
    const last = await startWorker('survivor');
    for (let i = 0; i < 600; i++) {
      const counts = await statusCounts(ids);
      if ((counts.published ?? 0) + (counts.unknown ?? 0) === ids.length) break;
      await sleep(100);
    }
    last.kill('SIGTERM');
    await new Promise((resolve) => last.once('exit', resolve));

    assert.equal(kills, RUNS);
    assert.ok(caughtMidPublish > 0, 'some kills landed between the intent and the result');
    const counts = await statusCounts(ids);
    assert.equal((counts.published ?? 0) + (counts.unknown ?? 0), ids.length, `every target settled: ${JSON.stringify(counts)}`);
    const posts = h.emulator.core.posts.list({ platform: 'x' });
    const rows = await h.ctx.db.execute(sql`select id, status from post_targets where id::text = any(${`{${ids.join(',')}}`}::text[])`);
    for (const row of rows.rows as { id: string; status: string }[]) {
      const onPlatform = posts.filter((p) => p.text === texts.get(row.id)).length;
      assert.ok(onPlatform <= 1, `${texts.get(row.id)} published ${onPlatform} times`);
      if (row.status === 'published') assert.equal(onPlatform, 1, `${texts.get(row.id)} recorded published but not on the platform`);
    }
  });
});
