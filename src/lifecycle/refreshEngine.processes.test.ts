/**
 * The refresh engine in real worker processes on one PostgreSQL server, against one emulator
 * they all reach (started here on a port, on the real clock):
 * - two workers running the due runner and bursts of on-demand refreshes from three processes,
 *   on the rotating platforms (X, TikTok, Bluesky, Pinterest): exactly one refresh per due time
 *   (the emulator's counters) and no reuse detection;
 * - a worker killed (SIGKILL) right after the platform rotated, before it heard back: the next
 *   worker ends with the connection usable where the platform allows it (Bluesky's 2 h grace,
 *   Google's non-rotating token), and needs_reconnect with reason rotation_lost, counted, where
 *   it does not (X kills the grant when the rotated token is presented again).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { loadCredential } from '../connections/credentials.ts';
import { notifyDue } from '../jobs/dueQueue.ts';
import { waitFor } from '../jobs/testing/waitFor.ts';
import { getProvider, providerContext } from '../providers/registry.ts';
import type { PlatformId } from '../providers/types.ts';
import { testEngine } from '../testing/testDatabase.ts';
import { getLifecycleConnection } from './connectionLifecycleRow.ts';
import { ensureFreshAccess } from './ensureFreshAccess.ts';
import { getRefreshRow, planConnectionRefresh } from './refreshesRepo.ts';
import { REFRESH_NOTIFY_CHANNEL } from './refreshQueueNames.ts';
import { openLifecycleHarness, type LifecycleHarness } from './testing/lifecycleHarness.ts';

const NODE = path.resolve('node_modules/.bin/node');
const WORKER = path.resolve('src/lifecycle/testing/refreshWorkerProcess.ts');

type Worker = { child: ChildProcess; lines: string[] };

describe('refresh engine across worker processes', { skip: testEngine !== 'postgres' && 'worker processes share a PostgreSQL server; PGlite is opened by one process only' }, () => {
  let h: LifecycleHarness;
  const workers: Worker[] = [];

  before(async () => {
    h = await openLifecycleHarness({ realTime: true });
  });
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await h.close();
  });

  async function startWorker(runnerId: string, options: { emulatorUrl?: string; leaseMs?: number } = {}): Promise<Worker> {
    const url = (h.ctx.database as { url?: string }).url!;
    const args = [WORKER, url, options.emulatorUrl ?? h.emulator.url, h.encryptionKeys, runnerId, ...(options.leaseMs ? [String(options.leaseMs)] : [])];
    const child = spawn(NODE, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const worker: Worker = { child, lines: [] };
    workers.push(worker);
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += String(d);
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      worker.lines.push(...parts);
    });
    await waitFor(() => worker.lines.includes('ready') || child.exitCode !== null, `${runnerId} to start`, 60_000);
    assert.ok(worker.lines.includes('ready'), `${runnerId} did not start`);
    return worker;
  }

  const stopWorker = (w: Worker) =>
    new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once('exit', () => resolve());
      w.child.kill('SIGTERM');
    });

  async function burst(w: Worker, ids: string[], count: number): Promise<string[]> {
    const before = w.lines.filter((l) => l.startsWith('burst-done')).length;
    w.child.stdin!.write(`burst ${count} ${10 * 60_000} ${ids.join(',')}\n`);
    await waitFor(() => w.lines.filter((l) => l.startsWith('burst-done')).length > before, 'a burst to finish', 120_000);
    return JSON.parse(w.lines.filter((l) => l.startsWith('burst-done'))[before]!.slice('burst-done '.length)) as string[];
  }

  async function makeDue(ids: string[]) {
    const now = h.ctx.clock.now();
    for (const id of ids) {
      const c = (await getLifecycleConnection(h.ctx.db, id))!;
      // The access token is at its end: every caller wants a refresh, the due runners too.
      await h.ctx.db.execute(sql`update connections set access_expires_at = ${new Date(now.getTime() - 1000)} where id = ${id}`);
      await planConnectionRefresh(h.ctx.db, { connectionId: id, platform: c.platform, dueAt: now, purpose: 'refresh', now });
    }
    await notifyDue(h.ctx.db, REFRESH_NOTIFY_CHANNEL);
  }

  const versions = async (ids: string[]) => new Map(await Promise.all(ids.map(async (id) => [id, (await getLifecycleConnection(h.ctx.db, id))!.tokenVersion] as const)));
  /** The account's newest grant: the one its connection holds (a reconnect leaves the previous one alive, unused). */
  const grantOf = (platform: PlatformId, account: string) => {
    const grants = h.emulator.core.grants.listGrants(platform).filter((g) => g.accountId === account).sort((a, b) => b.createdAtMs - a.createdAtMs);
    assert.ok(grants[0], `a grant for ${platform} ${account}`);
    return grants[0];
  };

  test('two workers and bursts of on-demand refreshes from three processes: one refresh per due time, no reuse detection', async () => {
    const accounts: [PlatformId, string][] = [
      ['x', '1500000000000000001'], ['x', '1500000000000000002'],
      ['tiktok', '-000AbCdEfGhAlice'], ['tiktok', '-000AbCdEfGhBobby'],
      ['bluesky', 'did:plc:sandboxalice000000000001'], ['bluesky', 'did:plc:sandboxbob00000000000002'],
      ['pinterest', '1150000000000000001'],
    ];
    const ids: string[] = [];
    for (const [platform, account] of accounts) ids.push(await h.connect(platform, account));
    await h.runDue(); // the first plans (no platform call)
    const [w1, w2] = [await startWorker('w1'), await startWorker('w2')];

    for (let round = 0; round < 3; round++) {
      const before = await versions(ids);
      const counts = accounts.map(([p, a]) => h.emulator.core.requests.refreshesByGrant.get(grantOf(p, a).id) ?? 0);
      await makeDue(ids);
      const [r1, r2, local] = await Promise.all([
        burst(w1!, ids, 4),
        burst(w2!, ids, 4),
        Promise.allSettled(ids.flatMap((id) => Array.from({ length: 4 }, () => ensureFreshAccess(h.ctx, id, { validForMs: 10 * 60_000 })))),
      ]);
      assert.deepEqual([...new Set([...r1, ...r2])], ['ok'], `round ${round}: every on-demand caller in the workers got a fresh token`);
      assert.ok(local.every((r) => r.status === 'fulfilled'), `round ${round}: and here`);
      await waitFor(async () => {
        const leased = await h.ctx.db.execute(sql`select count(*)::int as n from connection_refreshes where lease_owner is not null`);
        return leased.rows[0]!.n === 0;
      }, 'the runners to be idle', 60_000);
      const after = await versions(ids);
      for (const [i, [platform, account]] of accounts.entries()) {
        const grant = grantOf(platform, account);
        assert.equal((h.emulator.core.requests.refreshesByGrant.get(grant.id) ?? 0) - counts[i]!, 1, `round ${round}: ${platform} ${account} refreshed exactly once`);
        assert.equal(after.get(ids[i]!)! - before.get(ids[i]!)!, 1, `round ${round}: one token write`);
        assert.equal((await getLifecycleConnection(h.ctx.db, ids[i]!))!.state, 'active');
      }
      assert.equal([...h.emulator.core.grants.reuseDetections.values()].reduce((a, b) => a + b, 0), 0, `round ${round}: no reuse detection`);
    }
    await Promise.all([stopWorker(w1!), stopWorker(w2!)]);
  });

  /** An HTTP hop in front of the emulator that kills a worker once the platform answered a given call, before the worker hears back. */
  async function startKillingProxy(): Promise<{ url: string; arm(pathSuffix: string, victim: () => ChildProcess | undefined): Promise<void>; close(): Promise<void> }> {
    let armed: { pathSuffix: string; victim: () => ChildProcess | undefined; done: () => void } | null = null;
    const server = http.createServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
        const upstream = await fetch(`${h.emulator.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: 'manual' });
        const payload = Buffer.from(await upstream.arrayBuffer());
        if (armed && (req.url ?? '').split('?')[0]!.endsWith(armed.pathSuffix)) {
          const { victim, done } = armed;
          armed = null;
          victim()?.kill('SIGKILL'); // the platform has rotated; the worker dies before it hears back
          req.socket.destroy();
          done();
          return;
        }
        const out = Object.fromEntries([...upstream.headers].filter(([k]) => !['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)));
        res.writeHead(upstream.status, { ...out, 'content-length': String(payload.length) });
        res.end(payload);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      arm: (pathSuffix, victim) => new Promise<void>((done) => (armed = { pathSuffix, victim, done })),
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  for (const scenario of [
    { platform: 'bluesky', account: 'did:plc:sandboxalice000000000001', path: '/xrpc/com.atproto.server.refreshSession', ends: 'usable', why: "the PDS's 2 h grace answers the old token with the same successor" },
    { platform: 'youtube', account: '109876543210000000001', path: '/oauth2/token', ends: 'usable', why: "Google's refresh token does not rotate" },
    { platform: 'x', account: '1500000000000000002', path: '/2/oauth2/token', ends: 'rotation_lost', why: 'X kills the grant when a rotated token comes back' },
  ] as const) {
    test(`${scenario.platform}: a worker killed right after the platform rotated ends ${scenario.ends === 'usable' ? 'usable' : 'in rotation_lost, counted'} (${scenario.why})`, async () => {
      const id = await h.connect(scenario.platform, scenario.account);
      await h.runDue();
      const version = (await getLifecycleConnection(h.ctx.db, id))!.tokenVersion;
      const refreshesBefore = grantOf(scenario.platform, scenario.account).refreshCount;
      const lostBefore = (await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses`)).rows[0]!.n as number;
      const proxy = await startKillingProxy();
      // The victim is the worker spawned last (it may call the platform before it has said "ready").
      const killed = proxy.arm(scenario.path, () => workers.at(-1)?.child);
      await makeDue([id]);
      const doomed = await startWorker(`doomed-${scenario.platform}`, { emulatorUrl: proxy.url, leaseMs: 3_000 });
      await Promise.race([killed, new Promise((_, reject) => setTimeout(() => reject(new Error('the doomed worker never refreshed')), 60_000))]);
      await waitFor(() => doomed.child.signalCode === 'SIGKILL', 'the worker to die');
      await proxy.close();

      assert.equal(grantOf(scenario.platform, scenario.account).refreshCount, refreshesBefore + 1, 'the platform did the refresh');
      assert.equal((await getLifecycleConnection(h.ctx.db, id))!.tokenVersion, version, 'nothing was saved');
      assert.equal((await getRefreshRow(h.ctx.db, id))!.inFlightTokenVersion, version, 'the unknown outcome is on record');

      const survivor = await startWorker(`survivor-${scenario.platform}`, { leaseMs: 3_000 });
      await waitFor(async () => (await getRefreshRow(h.ctx.db, id))!.inFlightTokenVersion === null, 'the next worker to take over after the lease', 60_000);
      await stopWorker(survivor);
      const c = (await getLifecycleConnection(h.ctx.db, id))!;
      const lost = ((await h.ctx.db.execute(sql`select count(*)::int as n from rotation_losses`)).rows[0]!.n as number) - lostBefore;
      if (scenario.ends === 'usable') {
        assert.equal(c.state, 'active');
        assert.equal(c.tokenVersion, version + 1);
        assert.equal(lost, 0);
        const fresh = await ensureFreshAccess(h.ctx, id, { validForMs: 10 * 60_000 });
        assert.deepEqual(await getProvider(scenario.platform).verify(providerContext(h.ctx, scenario.platform), fresh.credential).then((r) => r.valid), true, 'the stored token works');
      } else {
        assert.equal(c.state, 'needs_reconnect');
        assert.equal(c.stateReason, 'rotation_lost');
        assert.equal(lost, 1, 'counted');
        assert.equal(grantOf('x', scenario.account).revoked?.reason, 'reuse_detected', 'X killed the grant');
        await assert.rejects(loadCredential(h.ctx, h.ctx.db, id).then((l) => getProvider('x').refresh(providerContext(h.ctx, 'x'), l.credential)));
      }
    });
  }
});
