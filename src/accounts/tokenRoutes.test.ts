import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { sha256Hex } from './secretTokens.ts';

describe('personal API tokens', () => {
  let ctx: TestContext;
  let app: App;
  let ada: TestAuth;
  let bob: TestAuth;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: accountRouteModules });
    ada = await signUpAndSignIn(app);
    bob = await signUpAndSignIn(app);
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  const create = async (auth: TestAuth, name: string) => {
    const res = await app.inject({ method: 'POST', url: '/api/tokens', headers: auth.headers, payload: { name } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; token: string; prefix: string; name: string };
  };

  it('shows a token once, stores only its hash, and lists it without the secret', async () => {
    const created = await create(ada, 'ci');
    assert.match(created.token, /^prn_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.ok(created.token.startsWith(`prn_${created.prefix}_`));
    const { rows } = await ctx.database.query<{ token_hash: string }>('select token_hash from api_tokens where id = $1', [created.id]);
    assert.equal(rows[0]?.token_hash, sha256Hex(created.token));
    const list = await app.inject({ method: 'GET', url: '/api/tokens', headers: ada.headers });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().tokens.map((t: { id: string }) => t.id), [created.id]);
    assert.ok(!list.body.includes(created.token));
    const bobs = await app.inject({ method: 'GET', url: '/api/tokens', headers: bob.headers });
    assert.deepEqual(bobs.json().tokens, []);
  });

  it('authenticates Bearer requests, writes included, without a CSRF token', async () => {
    const { token } = await create(ada, 'script');
    const headers = { authorization: `Bearer ${token}` };
    const session = await app.inject({ method: 'GET', url: '/api/session', headers });
    assert.equal(session.statusCode, 200);
    assert.equal(session.json().user.id, ada.userId);
    assert.equal(session.json().via, 'api_token');
    const write = await app.inject({ method: 'POST', url: '/api/workspaces', headers, payload: { name: 'Via token' } });
    assert.equal(write.statusCode, 201, write.body);
    const { rows } = await ctx.database.query<{ last_used_at: Date }>('select last_used_at from api_tokens where token_hash = $1', [sha256Hex(token)]);
    assert.equal(new Date(rows[0]!.last_used_at).getTime(), ctx.clock.nowMs());
  });

  it('refuses unknown, malformed and tampered tokens', async () => {
    const { token } = await create(ada, 'tamper');
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const authorization of [`Bearer ${tampered}`, 'Bearer nope', 'Basic YWRhOnB3', 'Bearer ']) {
      const res = await app.inject({ method: 'GET', url: '/api/session', headers: { authorization } });
      assert.equal(res.statusCode, 401, authorization);
      assert.equal(res.json().error.code, 'unauthenticated');
    }
  });

  it('revokes: the token stops working; another user’s token id answers 404', async () => {
    const { id, token } = await create(ada, 'to revoke');
    const foreign = await app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: bob.headers });
    assert.equal(foreign.statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/api/session', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
    const revoked = await app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: ada.headers });
    assert.equal(revoked.statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/api/session', headers: { authorization: `Bearer ${token}` } })).statusCode, 401);
    const again = await app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: ada.headers });
    assert.equal(again.statusCode, 404);
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/tokens/not-a-uuid', headers: ada.headers })).statusCode, 404);
  });

  it('refuses bad bodies and writes nothing', async () => {
    const before = await ctx.database.query<{ n: number }>('select count(*)::int as n from api_tokens');
    for (const payload of [{}, { name: '' }, { name: 5 }, { name: 'x', scopes: ['all'] }]) {
      const res = await app.inject({ method: 'POST', url: '/api/tokens', headers: ada.headers, payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'validation_failed');
    }
    const csrf = await app.inject({ method: 'POST', url: '/api/tokens', headers: { cookie: ada.cookie }, payload: { name: 'x' } });
    assert.equal(csrf.statusCode, 403);
    const after = await ctx.database.query<{ n: number }>('select count(*)::int as n from api_tokens');
    assert.equal(after.rows[0]?.n, before.rows[0]?.n);
  });
});
