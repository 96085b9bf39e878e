import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { workspaceMembers } from './schema.ts';
import type { Role } from './roles.ts';

describe('workspaces', () => {
  let ctx: TestContext;
  let app: App;
  let ada: TestAuth;
  let bob: TestAuth;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: accountRouteModules });
    ada = await signUpAndSignIn(app, { name: 'Ada' });
    bob = await signUpAndSignIn(app, { name: 'Bob' });
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  const addMember = (workspaceId: string, auth: TestAuth, role: Role) =>
    ctx.db.insert(workspaceMembers).values({ workspaceId, userId: auth.userId, role, createdAt: ctx.clock.now() });
  const countWorkspaces = async () => (await ctx.database.query<{ n: number }>('select count(*)::int as n from workspaces')).rows[0]?.n;

  it('creates a workspace with the creator as owner, in a time zone', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/workspaces', headers: ada.headers, payload: { name: '  Acme  ', timeZone: 'America/New_York' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual({ ...(res.json() as object), id: undefined }, {
      id: undefined,
      name: 'Acme',
      timeZone: 'America/New_York',
      role: 'owner',
      archivedAt: null,
      createdAt: ctx.clock.now().toISOString(),
    });
    const defaulted = await app.inject({ method: 'POST', url: '/api/workspaces', headers: ada.headers, payload: { name: 'Plain' } });
    assert.equal(defaulted.json().timeZone, 'UTC');
  });

  it('refuses bad bodies (unknown fields, wrong types, bad time zones, oversized) and writes nothing', async () => {
    const before = await countWorkspaces();
    const cases: [unknown, number, string][] = [
      [{ name: 'X', owner: 'me' }, 400, 'validation_failed'],
      [{ name: 12 }, 400, 'validation_failed'],
      [{ name: '   ' }, 400, 'validation_failed'],
      [{ name: 'X', timeZone: 'Mars/Olympus' }, 400, 'validation_failed'],
      [{ name: 'X', timeZone: 'CEST+99' }, 400, 'validation_failed'],
      [{ name: 'x'.repeat(1_100_000) }, 413, 'payload_too_large'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/workspaces', headers: ada.headers, payload: payload as object });
      assert.equal(res.statusCode, status, JSON.stringify(payload).slice(0, 60));
      assert.equal(res.json().error.code, code);
    }
    const malformed = await app.inject({ method: 'POST', url: '/api/workspaces', headers: { ...ada.headers, 'content-type': 'application/json' }, payload: '{"name":' });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().error.code, 'invalid_json');
    assert.equal(await countWorkspaces(), before);
  });

  it('renames and changes the time zone (admin), refuses editors and viewers', async () => {
    const id = await createWorkspace(app, ada, 'Old name');
    const editor = await signUpAndSignIn(app);
    await addMember(id, editor, 'editor');
    const refused = await app.inject({ method: 'PATCH', url: `/api/workspaces/${id}`, headers: editor.headers, payload: { name: 'Mine now' } });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'forbidden');
    const admin = await signUpAndSignIn(app);
    await addMember(id, admin, 'admin');
    const res = await app.inject({ method: 'PATCH', url: `/api/workspaces/${id}`, headers: admin.headers, payload: { name: 'New name', timeZone: 'Asia/Tokyo' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().name, 'New name');
    assert.equal(res.json().timeZone, 'Asia/Tokyo');
    assert.equal(res.json().role, 'admin');
    const bad = await app.inject({ method: 'PATCH', url: `/api/workspaces/${id}`, headers: admin.headers, payload: { timeZone: 'Nowhere/Land' } });
    assert.equal(bad.statusCode, 400);
    const read = await app.inject({ method: 'GET', url: `/api/workspaces/${id}`, headers: editor.headers });
    assert.equal(read.json().timeZone, 'Asia/Tokyo');
  });

  it('lists all of a user’s workspaces with their role, archived ones apart', async () => {
    const carol = await signUpAndSignIn(app);
    const own = await createWorkspace(app, carol, 'B own');
    const joined = await createWorkspace(app, ada, 'A joined');
    await addMember(joined, carol, 'viewer');
    const archived = await createWorkspace(app, carol, 'C archived');
    const archive = await app.inject({ method: 'POST', url: `/api/workspaces/${archived}/archive`, headers: carol.headers });
    assert.equal(archive.statusCode, 200);
    assert.equal(archive.json().archivedAt, ctx.clock.now().toISOString());
    const res = await app.inject({ method: 'GET', url: '/api/workspaces', headers: carol.headers });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().workspaces.map((w: { id: string; role: string }) => [w.id, w.role]), [[joined, 'viewer'], [own, 'owner']]);
    assert.deepEqual(res.json().archived.map((w: { id: string }) => w.id), [archived]);
  });

  it('archives (owner only): archived workspaces stay readable and refuse changes until unarchived', async () => {
    const id = await createWorkspace(app, ada, 'Archivable');
    const admin = await signUpAndSignIn(app);
    await addMember(id, admin, 'admin');
    const refused = await app.inject({ method: 'POST', url: `/api/workspaces/${id}/archive`, headers: admin.headers });
    assert.equal(refused.statusCode, 403);
    assert.equal((await app.inject({ method: 'POST', url: `/api/workspaces/${id}/archive`, headers: ada.headers })).statusCode, 200);

    assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${id}`, headers: admin.headers })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${id}/members`, headers: admin.headers })).statusCode, 200);
    const rename = await app.inject({ method: 'PATCH', url: `/api/workspaces/${id}`, headers: ada.headers, payload: { name: 'Changed' } });
    assert.equal(rename.statusCode, 409);
    assert.equal(rename.json().error.code, 'workspace_archived');
    const invite = await app.inject({ method: 'POST', url: `/api/workspaces/${id}/invitations`, headers: ada.headers, payload: { email: 'x@example.test', role: 'viewer' } });
    assert.equal(invite.json().error.code, 'workspace_archived');

    assert.equal((await app.inject({ method: 'POST', url: `/api/workspaces/${id}/unarchive`, headers: admin.headers })).statusCode, 403);
    const back = await app.inject({ method: 'POST', url: `/api/workspaces/${id}/unarchive`, headers: ada.headers });
    assert.equal(back.statusCode, 200);
    assert.equal(back.json().archivedAt, null);
    assert.equal((await app.inject({ method: 'PATCH', url: `/api/workspaces/${id}`, headers: ada.headers, payload: { name: 'Changed' } })).statusCode, 200);
  });

  it('answers 404 on every workspace route for another workspace, a missing one and a malformed id', async () => {
    const id = await createWorkspace(app, ada, 'Private');
    const routes: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; payload?: object }[] = [
      { method: 'GET', path: '' },
      { method: 'PATCH', path: '', payload: { name: 'Stolen' } },
      { method: 'POST', path: '/archive' },
      { method: 'POST', path: '/unarchive' },
      { method: 'GET', path: '/members' },
      { method: 'PATCH', path: `/members/${ada.userId}`, payload: { role: 'viewer' } },
      { method: 'DELETE', path: `/members/${ada.userId}` },
      { method: 'DELETE', path: `/members/${bob.userId}` },
      { method: 'GET', path: '/invitations' },
      { method: 'POST', path: '/invitations', payload: { email: 'bob2@example.test', role: 'owner' } },
      { method: 'DELETE', path: `/invitations/${randomUUID()}` },
    ];
    for (const workspaceId of [id, randomUUID(), 'not-a-uuid']) {
      for (const route of routes) {
        const res = await app.inject({ method: route.method, url: `/api/workspaces/${workspaceId}${route.path}`, headers: bob.headers, ...(route.payload ? { payload: route.payload } : {}) });
        assert.equal(res.statusCode, 404, `${route.method} ${route.path} on ${workspaceId}: ${res.body}`);
        assert.equal(res.json().error.code, 'not_found');
        assert.ok(!res.body.includes('Private'));
      }
    }
    const untouched = await app.inject({ method: 'GET', url: `/api/workspaces/${id}/members`, headers: ada.headers });
    assert.deepEqual(untouched.json().members.map((m: { userId: string; role: string }) => [m.userId, m.role]), [[ada.userId, 'owner']]);
    assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${id}`, headers: ada.headers })).json().name, 'Private');
    const listed = await app.inject({ method: 'GET', url: '/api/workspaces', headers: bob.headers });
    assert.ok(!listed.body.includes(id));
  });

  it('requires a signed-in user on every route', async () => {
    const id = await createWorkspace(app, ada, 'Auth');
    for (const [method, url] of [['GET', '/api/workspaces'], ['POST', '/api/workspaces'], ['GET', `/api/workspaces/${id}`], ['GET', `/api/workspaces/${id}/members`]] as const) {
      const res = await app.inject({ method, url, ...(method === 'POST' ? { payload: { name: 'x' } } : {}) });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
  });
});
