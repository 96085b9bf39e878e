import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { buildApp, type App } from '../http/app.ts';
import { DueRunner } from '../jobs/dueRunner.ts';
import { createTestDueTables, insertTestDueItems, testDueQueue } from '../jobs/testing/testDueQueue.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { createSandbox } from './sandbox.ts';
import { runSandboxCommand } from './sandboxCli.ts';
import { SANDBOX_TIME_HEADER, sandboxRoutes } from './sandboxRoutes.ts';

const DAY = 86_400_000;

describe('sandbox API on a time-travel instance', () => {
  let ctx: TestContext;
  let app: App;
  let runner: DueRunner<unknown, unknown>;
  let owner: TestAuth;
  let member: TestAuth;

  before(async () => {
    ctx = await openTestContext({ env: { TIME_TRAVEL: 'true' } });
    await createTestDueTables(ctx.db);
    await ctx.jobs.start();
    runner = new DueRunner(ctx, testDueQueue() as never, { runnerId: 'api', pollMs: 600_000 });
    await runner.start();
    app = await buildApp(ctx, { routes: [...accountRouteModules, sandboxRoutes(createSandbox(ctx, () => [runner]))] });
    owner = await signUpAndSignIn(app);
    member = await signUpAndSignIn(app);
  });
  after(async () => {
    await app.close();
    await runner.stop(100);
    await ctx.close();
  });

  const advance = (payload: object, auth: TestAuth | null = owner) =>
    app.inject({ method: 'POST', url: '/api/sandbox/advance', headers: auth?.headers ?? {}, payload });

  test('the owner moves time forward; the answer comes once due work has run, and says what ran', async () => {
    const start = ctx.clock.nowMs();
    await insertTestDueItems(ctx.db, [new Date(start + DAY), new Date(start + 2 * DAY), new Date(start + 5 * DAY)]);
    const res = await advance({ duration: '2d' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.from, new Date(start).toISOString());
    assert.equal(body.to, new Date(start + 2 * DAY).toISOString());
    assert.deepEqual(body.queues, [{ name: 'test.due', kind: 'due', ran: 2, failed: 0 }]);
    assert.equal(res.headers[SANDBOX_TIME_HEADER], new Date(start + 2 * DAY).toISOString());

    const to = new Date(start + 6 * DAY).toISOString();
    const res2 = await advance({ to });
    assert.equal(res2.statusCode, 200, res2.body);
    assert.equal(res2.json().queues[0].ran, 1);
    assert.equal(ctx.clock.now().toISOString(), to);
  });

  test('a second advance while one runs is refused with sandbox_busy; the first one completes', async () => {
    const start = ctx.clock.nowMs();
    await insertTestDueItems(ctx.db, [new Date(start + 3_600_000)], { workMs: 1_500 });
    const first = advance({ duration: '1d' });
    for (let i = 0; i < 200; i++) {
      const state = await app.inject({ method: 'GET', url: '/api/sandbox', headers: owner.headers });
      if (state.json().advancing) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const second = await advance({ duration: '1h' });
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().error.code, 'sandbox_busy');
    const done = await first;
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().to, new Date(start + DAY).toISOString());
    assert.equal(ctx.clock.nowMs(), start + DAY, 'only the first advance moved the clock');
  });

  test('GET /api/sandbox shows sandbox time, and every response carries the header', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/sandbox', headers: owner.headers });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { timeTravel: true, now: ctx.clock.now().toISOString(), advancing: false });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.headers[SANDBOX_TIME_HEADER], ctx.clock.now().toISOString());
  });

  test('time never goes backwards: an earlier instant is refused with time_backwards', async () => {
    const now = ctx.clock.nowMs();
    const res = await advance({ to: new Date(now - 1000).toISOString() });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'time_backwards');
    assert.equal(ctx.clock.nowMs(), now);
  });

  test('bad bodies are refused with validation_failed and move nothing', async () => {
    const now = ctx.clock.nowMs();
    for (const payload of [
      {},
      { duration: '1d', to: new Date(now + DAY).toISOString() },
      { duration: 'soon' },
      { duration: '1y' },
      { duration: '0d' },
      { duration: '-3d' },
      { duration: '3650d' },
      { to: 'tomorrow' },
      { duration: '1d', extra: true },
    ]) {
      const res = await advance(payload);
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.equal(res.json().error.code, 'validation_failed');
    }
    assert.equal(ctx.clock.nowMs(), now);
  });

  test('only the instance owner may see or move sandbox time', async () => {
    const res = await advance({ duration: '1d' }, member);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'forbidden');
    const get = await app.inject({ method: 'GET', url: '/api/sandbox', headers: member.headers });
    assert.equal(get.statusCode, 403);
    const anonymous = await advance({ duration: '1d' }, null);
    assert.equal(anonymous.statusCode, 401);
  });

  test('the CLI moves a running instance with an API token and prints what ran', async () => {
    const tokenRes = await app.inject({ method: 'POST', url: '/api/tokens', headers: owner.headers, payload: { name: 'cli' } });
    const token = tokenRes.json().token as string;
    await insertTestDueItems(ctx.db, [new Date(ctx.clock.nowMs() + 3_600_000)]);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const print = (line: string) => lines.push(line);

    assert.equal(await runSandboxCommand(['advance', '1d'], { url, token, print }), 0);
    assert.match(lines.join('\n'), /Sandbox time moved from .* to .*\n {2}test\.due \(due\): 1 ran/);

    lines.length = 0;
    assert.equal(await runSandboxCommand(['set', '2020-01-01T00:00:00Z'], { url, token, print }), 1);
    assert.match(lines[0]!, /Refused \(409 time_backwards\)/);

    lines.length = 0;
    assert.equal(await runSandboxCommand(['status'], { url, token, print }), 0);
    assert.equal(lines[0], `Sandbox time: ${ctx.clock.now().toISOString()}`);

    assert.equal(await runSandboxCommand(['advance', '1d'], { url, token: undefined, print }), 2);
    assert.equal(await runSandboxCommand(['advance', '1d'], { url, token: 'not-a-token', print }), 1);
    assert.equal(await runSandboxCommand(['jump'], { url, token, print }), 2);
  });
});

describe('sandbox API on a real-time instance', () => {
  let ctx: TestContext;
  let app: App;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: [...accountRouteModules, sandboxRoutes(createSandbox(ctx, () => []))] });
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  test('refuses to move time with time_travel_off and shows no sandbox header', async () => {
    const owner = await signUpAndSignIn(app);
    const res = await app.inject({ method: 'POST', url: '/api/sandbox/advance', headers: owner.headers, payload: { duration: '1d' } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'time_travel_off');
    assert.equal(res.headers[SANDBOX_TIME_HEADER], undefined);
    const get = await app.inject({ method: 'GET', url: '/api/sandbox', headers: owner.headers });
    assert.equal(get.json().timeTravel, false);
  });
});
