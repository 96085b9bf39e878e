import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, signUpAndSignIn, TEST_PASSWORD } from '../testing/testUsers.ts';
import { sha256Hex } from './secretTokens.ts';

async function count(ctx: TestContext, table: string): Promise<number> {
  const { rows } = await ctx.database.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return rows[0]?.n ?? 0;
}

function sessionCookieOf(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  assert.ok(header, 'a set-cookie header');
  return header;
}

describe('sign-up', () => {
  let ctx: TestContext;
  let app: App;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: accountRouteModules });
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  const signup = (payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/api/auth/signup', payload: payload as object, headers });

  it('refuses bad input with a stable code and writes nothing', async () => {
    const cases: { payload: unknown; contentType?: string; status: number; code: string }[] = [
      { payload: '{"email": "a@b.test",', contentType: 'application/json', status: 400, code: 'invalid_json' },
      { payload: { email: 'ada@example.test', password: TEST_PASSWORD, admin: true }, status: 400, code: 'validation_failed' },
      { payload: { email: 42, password: true }, status: 400, code: 'validation_failed' },
      { payload: { email: 'not-an-email', password: TEST_PASSWORD }, status: 400, code: 'validation_failed' },
      { payload: { email: 'ada@example.test', password: TEST_PASSWORD, name: 'x'.repeat(2_000_000) }, status: 413, code: 'payload_too_large' },
      { payload: { email: 'ada@example.test', password: 'Short1' }, status: 400, code: 'weak_password' },
      { payload: { email: 'ada@example.test', password: 'alllowercaseletters' }, status: 400, code: 'weak_password' },
      { payload: { email: 'ada@example.test', password: 'ada@example.test' }, status: 400, code: 'weak_password' },
      { payload: { email: 'ada@example.test', password: TEST_PASSWORD, invitationToken: 'no-such-invitation' }, status: 404, code: 'not_found' },
    ];
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/signup',
        payload: typeof c.payload === 'string' ? c.payload : JSON.stringify(c.payload),
        headers: { 'content-type': c.contentType ?? 'application/json' },
      });
      assert.equal(res.statusCode, c.status, `${JSON.stringify(c.payload).slice(0, 80)}: ${res.body}`);
      assert.equal(res.json().error.code, c.code);
      assert.ok(res.json().error.message.length > 0);
      assert.equal(res.headers['set-cookie'], undefined);
    }
    assert.equal(await count(ctx, 'users'), 0);
    assert.equal(await count(ctx, 'sessions'), 0);
  });

  it('makes the first user instance owner and signs them in with a secure cookie', async () => {
    const res = await signup({ email: ' Ada@Example.TEST ', password: TEST_PASSWORD, name: 'Ada' });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.user.email, 'ada@example.test');
    assert.equal(body.user.isInstanceOwner, true);
    assert.equal(typeof body.csrfToken, 'string');
    assert.equal(new Date(body.expiresAt).getTime(), ctx.clock.nowMs() + 336 * 3_600_000);
    const cookie = sessionCookieOf(res.headers['set-cookie']);
    assert.match(cookie, /^perennial_session=[A-Za-z0-9_-]{43};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/); // http://localhost: SECURE_COOKIES defaults off
    const { rows } = await ctx.database.query<{ password_hash: string }>('select password_hash from users');
    assert.match(rows[0]?.password_hash ?? '', /^scrypt\$32768\$8\$1\$/);
  });

  it('refuses later sign-ups without an invitation while sign-up is closed', async () => {
    const res = await signup({ email: 'bob@example.test', password: TEST_PASSWORD });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'signup_closed');
    assert.equal(await count(ctx, 'users'), 1);
  });

  it('lets anyone sign up once the instance owner opens sign-up, and only the owner may open it', async () => {
    const owner = await app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email: 'ada@example.test', password: TEST_PASSWORD } });
    const headers = { cookie: sessionCookieOf(owner.headers['set-cookie']).split(';')[0] ?? '', 'x-csrf-token': owner.json().csrfToken };
    const opened = await app.inject({ method: 'PATCH', url: '/api/instance/settings', headers, payload: { openSignUp: true } });
    assert.equal(opened.statusCode, 200, opened.body);
    assert.deepEqual(opened.json(), { openSignUp: true });

    const bob = await signUpAndSignIn(app, { email: 'bob@example.test' });
    const refused = await app.inject({ method: 'PATCH', url: '/api/instance/settings', headers: bob.headers, payload: { openSignUp: false } });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'forbidden');
    const session = await app.inject({ method: 'GET', url: '/api/session', headers: bob.headers });
    assert.equal(session.json().user.isInstanceOwner, false);
  });

  it('refuses a duplicate email, in any case, and writes nothing', async () => {
    const before = await count(ctx, 'users');
    const res = await signup({ email: 'BOB@example.test', password: 'Other password 7' });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'email_taken');
    assert.equal(await count(ctx, 'users'), before);
  });
});

describe('sign-in, sessions, CSRF', () => {
  let ctx: TestContext;
  let app: App;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: accountRouteModules });
    await signUpAndSignIn(app, { email: 'ada@example.test' });
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  const signin = (email: string, password: string) => app.inject({ method: 'POST', url: '/api/auth/signin', payload: { email, password } });

  it('signs in with the right password; the session id is kept only as a hash', async () => {
    const res = await signin('ADA@example.test', TEST_PASSWORD);
    assert.equal(res.statusCode, 200, res.body);
    const token = /^perennial_session=([^;]+)/.exec(sessionCookieOf(res.headers['set-cookie']))?.[1] ?? '';
    const { rows } = await ctx.database.query<{ token_hash: string }>('select token_hash from sessions');
    assert.ok(rows.some((r) => r.token_hash === sha256Hex(token)));
    assert.ok(!JSON.stringify(rows).includes(token));
  });

  it('answers the same invalid_credentials for a wrong password and an unknown email', async () => {
    for (const [email, password] of [['ada@example.test', 'Wrong password 1'], ['nobody@example.test', TEST_PASSWORD]] as const) {
      const res = await signin(email, password);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: { code: 'invalid_credentials', message: 'Wrong email or password' } });
      assert.equal(res.headers['set-cookie'], undefined);
    }
  });

  it('GET /api/session returns the user and the CSRF token; without a cookie it is unauthenticated', async () => {
    const auth = await signUpAndSignIn(app);
    const res = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie: auth.cookie } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().csrfToken, auth.csrfToken);
    assert.equal(res.json().via, 'session');
    const anonymous = await app.inject({ method: 'GET', url: '/api/session' });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.json().error.code, 'unauthenticated');
    const forged = await app.inject({ method: 'GET', url: '/api/session', headers: { cookie: 'perennial_session=forged' } });
    assert.equal(forged.statusCode, 401);
  });

  it('rejects cookie-authenticated writes without the right CSRF token and writes nothing', async () => {
    const auth = await signUpAndSignIn(app);
    const before = await count(ctx, 'workspaces');
    for (const headers of [{ cookie: auth.cookie }, { cookie: auth.cookie, 'x-csrf-token': 'wrong' }]) {
      const res = await app.inject({ method: 'POST', url: '/api/workspaces', headers, payload: { name: 'Sneaky' } });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'csrf_failed');
    }
    const other = await signUpAndSignIn(app);
    const crossed = await app.inject({ method: 'POST', url: '/api/workspaces', headers: { cookie: auth.cookie, 'x-csrf-token': other.csrfToken }, payload: { name: 'Sneaky' } });
    assert.equal(crossed.statusCode, 403, 'another session’s CSRF token does not work');
    const signout = await app.inject({ method: 'POST', url: '/api/auth/signout', headers: { cookie: auth.cookie } });
    assert.equal(signout.statusCode, 403);
    assert.equal(await count(ctx, 'workspaces'), before);
    const ok = await app.inject({ method: 'POST', url: '/api/workspaces', headers: auth.headers, payload: { name: 'Fine' } });
    assert.equal(ok.statusCode, 201);
  });

  it('signs out: the session is deleted and the cookie cleared', async () => {
    const auth = await signUpAndSignIn(app);
    const res = await app.inject({ method: 'POST', url: '/api/auth/signout', headers: auth.headers });
    assert.equal(res.statusCode, 204);
    assert.match(sessionCookieOf(res.headers['set-cookie']), /perennial_session=;.*Max-Age=0/);
    const after = await app.inject({ method: 'GET', url: '/api/session', headers: auth.headers });
    assert.equal(after.statusCode, 401);
    const { rows } = await ctx.database.query('select 1 from sessions where user_id = $1', [auth.userId]);
    assert.equal(rows.length, 0);
  });

  it('expires sessions after SESSION_TTL_HOURS on the clock', async () => {
    const auth = await signUpAndSignIn(app);
    ctx.clock.advance(336 * 3_600_000 - 1_000);
    assert.equal((await app.inject({ method: 'GET', url: '/api/session', headers: auth.headers })).statusCode, 200);
    ctx.clock.advance(1_000);
    const expired = await app.inject({ method: 'GET', url: '/api/session', headers: auth.headers });
    assert.equal(expired.statusCode, 401);
    assert.equal(expired.json().error.code, 'session_expired');
    const write = await app.inject({ method: 'POST', url: '/api/workspaces', headers: auth.headers, payload: { name: 'Late' } });
    assert.equal(write.statusCode, 401);
    const { rows } = await ctx.database.query('select 1 from sessions where user_id = $1', [auth.userId]);
    assert.equal(rows.length, 0, 'the expired session row is removed');
  });

  it('never logs a password, session id, CSRF token or API token', async () => {
    const auth = await signUpAndSignIn(app, { email: 'logs@example.test' });
    await signin('logs@example.test', 'Wrong password 2');
    const created = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth.headers, payload: { name: 'ci' } });
    const apiToken: string = created.json().token;
    await app.inject({ method: 'GET', url: '/api/session', headers: { authorization: `Bearer ${apiToken}` } });
    await app.inject({ method: 'GET', url: '/api/session', headers: { authorization: 'Bearer prn_000000000000_guessedguessedguessedguessedguessedguessedgue' } });
    const sessionId = auth.cookie.split('=')[1] ?? '';
    const logs = ctx.logText();
    assert.ok(logs.includes('user signed up'), 'the logs were captured');
    for (const secret of [TEST_PASSWORD, 'Wrong password 2', sessionId, auth.csrfToken, apiToken, 'guessedguessed']) {
      assert.ok(secret.length > 8 && !logs.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 6)}...`);
    }
  });
});

describe('secure cookies', () => {
  it('marks the session cookie Secure when the instance is served over https', async () => {
    const ctx = await openTestContext({ env: { PUBLIC_URL: 'https://perennial.example' } });
    const app = await buildApp(ctx, { routes: accountRouteModules });
    try {
      const res = await app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'ada@example.test', password: TEST_PASSWORD } });
      assert.equal(res.statusCode, 201);
      assert.match(sessionCookieOf(res.headers['set-cookie']), /; Secure/);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every account and workspace route with a tag, and marks which need sign-in', async () => {
    const ctx = await openTestContext();
    const app = await buildApp(ctx, { routes: accountRouteModules });
    try {
      const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
        paths: Record<string, Record<string, { tags?: string[]; security?: unknown[] }>>;
      };
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
      const ours = operations.filter((o) => o.path.startsWith('/api/'));
      assert.ok(ours.length >= 20, `${ours.length} operations`);
      for (const { path, method, op } of ours) assert.ok(op.tags?.length, `${method} ${path} has a tag`);
      const open = ours.filter((o) => !o.op.security?.length).map((o) => `${o.method} ${o.path}`).sort();
      assert.deepEqual(open, ['post /api/auth/signin', 'post /api/auth/signup', 'post /api/invitations/lookup']);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
