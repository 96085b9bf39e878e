import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { insertUser, toAuthUser, type AuthUser } from '../accounts/usersRepo.ts';
import { AppError } from '../http/errors.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { listUserWorkspaceIds, requireWorkspaceRole } from './membership.ts';
import { ROLES, type Role } from './roles.ts';
import { workspaceMembers } from './schema.ts';
import { createWorkspace, updateWorkspace } from './workspacesRepo.ts';

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (err: unknown) => err instanceof AppError && err.code === code);

describe('requireWorkspaceRole (contract)', () => {
  let ctx: TestContext;
  const users: Record<Role | 'outsider', AuthUser> = {} as never;
  let workspaceId: string;
  before(async () => {
    ctx = await openTestContext();
    for (const name of [...ROLES, 'outsider'] as const) {
      const row = await insertUser(ctx.db, { email: `${name}@example.test`, name, passwordHash: 'x', isInstanceOwner: false, createdAt: ctx.clock.now() });
      users[name] = toAuthUser(row!);
    }
    workspaceId = (await createWorkspace(ctx.db, { name: 'Acme', timeZone: 'Europe/Paris', ownerId: users.owner.id }, ctx.clock.now())).id;
    for (const role of ['admin', 'editor', 'viewer'] as const) {
      await ctx.db.insert(workspaceMembers).values({ workspaceId, userId: users[role].id, role, createdAt: ctx.clock.now() });
    }
  });
  after(() => ctx.close());

  it('grants each role what it reaches and refuses more with forbidden', async () => {
    for (const [i, role] of ROLES.entries()) {
      for (const [j, minRole] of ROLES.entries()) {
        const attempt = requireWorkspaceRole(ctx.db, users[role], workspaceId, minRole);
        if (i <= j) assert.deepEqual(await attempt, { workspaceId, role, timeZone: 'Europe/Paris' });
        else await rejectsWith(attempt, 'forbidden');
      }
    }
  });

  it('answers not_found for a non-member, a missing workspace and a malformed id', async () => {
    await rejectsWith(requireWorkspaceRole(ctx.db, users.outsider, workspaceId, 'viewer'), 'not_found');
    await rejectsWith(requireWorkspaceRole(ctx.db, users.owner, randomUUID(), 'viewer'), 'not_found');
    await rejectsWith(requireWorkspaceRole(ctx.db, users.owner, 'not-a-uuid', 'viewer'), 'not_found');
    await rejectsWith(requireWorkspaceRole(ctx.db, users.owner, "' or 1=1 --", 'viewer'), 'not_found');
  });

  it('makes archived workspaces read-only', async () => {
    await updateWorkspace(ctx.db, workspaceId, { archivedAt: ctx.clock.now() });
    assert.equal((await requireWorkspaceRole(ctx.db, users.viewer, workspaceId, 'viewer')).role, 'viewer');
    await rejectsWith(requireWorkspaceRole(ctx.db, users.owner, workspaceId, 'editor'), 'workspace_archived');
    await updateWorkspace(ctx.db, workspaceId, { archivedAt: null });
    assert.equal((await requireWorkspaceRole(ctx.db, users.owner, workspaceId, 'editor')).role, 'owner');
  });

  it('lists the workspace ids of a user', async () => {
    const second = await createWorkspace(ctx.db, { name: 'Beta', timeZone: 'UTC', ownerId: users.viewer.id }, ctx.clock.now());
    assert.deepEqual((await listUserWorkspaceIds(ctx.db, users.viewer.id)).sort(), [workspaceId, second.id].sort());
    assert.deepEqual(await listUserWorkspaceIds(ctx.db, users.outsider.id), []);
  });
});
