import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, signUpAndSignIn, TEST_PASSWORD } from '../testing/testUsers.ts';
import { LOGIN_LIMITS } from './loginRateLimit.ts';

describe('sign-in rate limiting', () => {
  let ctx: TestContext;
  let apps: App[];
  before(async () => {
    ctx = await openTestContext();
    // Two app instances on one database stand for two API processes: the count lives in the database.
    apps = [await buildApp(ctx, { routes: accountRouteModules }), await buildApp(ctx, { routes: accountRouteModules })];
    await signUpAndSignIn(apps[0]!, { email: 'ada@example.test' });
  });
  after(async () => {
    for (const app of apps) await app.close();
    await ctx.close();
  });

  const signin = (n: number, email: string, password: string, ip = '203.0.113.7') =>
    apps[n % 2]!.inject({ method: 'POST', url: '/api/auth/signin', payload: { email, password }, remoteAddress: ip });

  it('locks an email after 5 failures in 15 minutes, across processes, with Retry-After', async () => {
    for (let i = 0; i < LOGIN_LIMITS.email.max; i++) {
      const res = await signin(i, 'ada@example.test', `Wrong password ${i}`);
      assert.equal(res.statusCode, 401);
      ctx.clock.advance(60_000);
    }
    // First failure at T, now T+5m: it leaves the window at T+15m.
    const limited = await signin(5, 'ADA@example.test', TEST_PASSWORD);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error.code, 'rate_limited');
    assert.equal(limited.headers['retry-after'], String(10 * 60));
    assert.equal(limited.headers['set-cookie'], undefined, 'even the right password is refused while limited');

    // Another IP is limited too: the email key counts on its own.
    assert.equal((await signin(6, 'ada@example.test', TEST_PASSWORD, '198.51.100.1')).statusCode, 429);

    ctx.clock.advance(10 * 60_000);
    const ok = await signin(7, 'ada@example.test', TEST_PASSWORD);
    assert.equal(ok.statusCode, 200, ok.body);
  });

  it('forgives an email’s failures after a successful sign-in', async () => {
    for (let i = 0; i < LOGIN_LIMITS.email.max - 1; i++) await signin(i, 'ada@example.test', 'Wrong password x', '192.0.2.50');
    assert.equal((await signin(0, 'ada@example.test', TEST_PASSWORD, '192.0.2.50')).statusCode, 200);
    for (let i = 0; i < LOGIN_LIMITS.email.max - 1; i++) {
      assert.equal((await signin(i, 'ada@example.test', 'Wrong password y', '192.0.2.51')).statusCode, 401);
    }
  });

  it('locks an IP address that fails across many emails, not other addresses', async () => {
    ctx.clock.advance(LOGIN_LIMITS.ip.windowMs);
    const ip = '203.0.113.99';
    for (let i = 0; i < LOGIN_LIMITS.ip.max; i++) {
      assert.equal((await signin(i, `spray-${i}@example.test`, 'Guess password 1', ip)).statusCode, 401);
    }
    const limited = await signin(0, 'ada@example.test', TEST_PASSWORD, ip);
    assert.equal(limited.statusCode, 429);
    assert.equal(Number(limited.headers['retry-after']), LOGIN_LIMITS.ip.windowMs / 1000);
    assert.equal((await signin(1, 'ada@example.test', TEST_PASSWORD, '203.0.113.100')).statusCode, 200);
  });

  it('40 wrong passwords in parallel: 5 are checked, the other 35 answer 429 without hashing', async () => {
    ctx.clock.advance(LOGIN_LIMITS.ip.windowMs + 1);
    await signUpAndSignIn(apps[0]!, { email: 'parallel@example.test' });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => signin(i, 'parallel@example.test', `Wrong password ${i}`, `198.18.0.${i + 1}`)),
    );
    const statuses = answers.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 401).length, LOGIN_LIMITS.email.max, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 40 - LOGIN_LIMITS.email.max, statuses.join(','));
    // Even the right password waits for the window now.
    assert.equal((await signin(0, 'parallel@example.test', TEST_PASSWORD, '198.18.1.1')).statusCode, 429);
  });

  it('a right password in parallel with wrong ones signs in, and its attempt is not counted as a failure', async () => {
    ctx.clock.advance(LOGIN_LIMITS.ip.windowMs + 1);
    await signUpAndSignIn(apps[0]!, { email: 'mixed@example.test' });
    const answers = await Promise.all([
      signin(0, 'mixed@example.test', 'Wrong password a', '198.18.2.1'),
      signin(1, 'mixed@example.test', TEST_PASSWORD, '198.18.2.2'),
      signin(0, 'mixed@example.test', 'Wrong password b', '198.18.2.3'),
    ]);
    assert.deepEqual(answers.map((r) => r.statusCode).sort(), [200, 401, 401]);
    const { rows } = await ctx.database.query<{ n: number }>("select count(*)::int as n from login_failures where key = 'ip:198.18.2.2'");
    assert.equal(rows[0]?.n, 0, 'the successful attempt left no failure behind');
  });

  it('prunes failures that left the window', async () => {
    ctx.clock.advance(LOGIN_LIMITS.ip.windowMs + 1);
    await signin(0, 'someone@example.test', 'Guess password 2', '203.0.113.99');
    const { rows } = await ctx.database.query<{ n: number }>(
      "select count(*)::int as n from login_failures where key = 'ip:203.0.113.99'",
    );
    assert.equal(rows[0]?.n, 1);
    const emails = await ctx.database.query<{ key: string }>("select key from login_failures where key like 'email:%'");
    assert.ok(emails.rows.every((r) => /^email:[0-9a-f]{64}$/.test(r.key)), 'emails are keyed by hash, not stored');
  });
});
