import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, type App } from '../http/app.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import type { Role } from './roles.ts';
import { workspaceMembers } from './schema.ts';

describe('workspace members', () => {
  let ctx: TestContext;
  let app: App;
  let owner: TestAuth;
  const people: Record<'admin' | 'editor' | 'viewer', TestAuth> = {} as never;
  let workspaceId: string;
  before(async () => {
    ctx = await openTestContext();
    app = await buildApp(ctx, { routes: accountRouteModules });
    owner = await signUpAndSignIn(app, { name: 'Owner' });
    workspaceId = await createWorkspace(app, owner, 'Team');
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      people[role] = await signUpAndSignIn(app, { name: role });
      await ctx.db.insert(workspaceMembers).values({ workspaceId, userId: people[role].userId, role, createdAt: ctx.clock.now() });
    }
  });
  after(async () => {
    await app.close();
    await ctx.close();
  });

  const setRole = (auth: TestAuth, userId: string, role: Role | string) =>
    app.inject({ method: 'PATCH', url: `/api/workspaces/${workspaceId}/members/${userId}`, headers: auth.headers, payload: { role } });
  const remove = (auth: TestAuth, userId: string) =>
    app.inject({ method: 'DELETE', url: `/api/workspaces/${workspaceId}/members/${userId}`, headers: auth.headers });
  const roles = async () => {
    const res = await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/members`, headers: owner.headers });
    return Object.fromEntries(res.json().members.map((m: { userId: string; role: string }) => [m.userId, m.role]));
  };

  it('lists members with their roles to any member', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}/members`, headers: people.viewer.headers });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().members.length, 4);
    assert.ok(!res.body.includes('password'));
  });

  it('lets admins change roles below owner, and refuses editors, viewers and unknown roles', async () => {
    for (const auth of [people.editor, people.viewer]) {
      const res = await setRole(auth, people.viewer.userId, 'editor');
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().error.code, 'forbidden');
    }
    const bad = await setRole(people.admin, people.viewer.userId, 'superuser');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'validation_failed');
    const ok = await setRole(people.admin, people.viewer.userId, 'editor');
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await roles())[people.viewer.userId], 'editor');
    await setRole(people.admin, people.viewer.userId, 'viewer');
  });

  it('keeps the owner role for owners: admins cannot grant it or touch an owner', async () => {
    const before = await roles();
    assert.equal((await setRole(people.admin, people.editor.userId, 'owner')).statusCode, 403);
    assert.equal((await setRole(people.admin, owner.userId, 'viewer')).statusCode, 403);
    assert.equal((await remove(people.admin, owner.userId)).statusCode, 403);
    assert.deepEqual(await roles(), before);
  });

  it('always keeps one owner', async () => {
    const demote = await setRole(owner, owner.userId, 'admin');
    assert.equal(demote.statusCode, 409);
    assert.equal(demote.json().error.code, 'last_owner');
    const leave = await remove(owner, owner.userId);
    assert.equal(leave.json().error.code, 'last_owner');
    assert.equal((await roles())[owner.userId], 'owner');

    assert.equal((await setRole(owner, people.admin.userId, 'owner')).statusCode, 200);
    assert.equal((await setRole(owner, owner.userId, 'admin')).statusCode, 200, 'with a second owner, the first may step down');
    assert.equal((await setRole(people.admin, owner.userId, 'owner')).statusCode, 200);
    assert.equal((await setRole(owner, people.admin.userId, 'admin')).statusCode, 200);
  });

  it('removes members (admin), lets anyone leave, and answers 404 for a non-member', async () => {
    const extra = await signUpAndSignIn(app);
    await ctx.db.insert(workspaceMembers).values({ workspaceId, userId: extra.userId, role: 'editor', createdAt: ctx.clock.now() });
    assert.equal((await remove(people.editor, extra.userId)).statusCode, 403);
    assert.equal((await remove(people.admin, extra.userId)).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: `/api/workspaces/${workspaceId}`, headers: extra.headers })).statusCode, 404);
    assert.equal((await remove(people.admin, extra.userId)).statusCode, 404);
    assert.equal((await remove(people.admin, 'not-a-uuid')).statusCode, 404);

    assert.equal((await remove(people.viewer, people.viewer.userId)).statusCode, 204);
    assert.equal((await roles())[people.viewer.userId], undefined);
  });
});
