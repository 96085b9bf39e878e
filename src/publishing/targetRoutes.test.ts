import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { buildApp, type App } from '../http/app.ts';
import { insertTestConnection } from '../posts/testing/postsFixtures.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { accountRouteModules, createWorkspace, signUpAndSignIn, type TestAuth } from '../testing/testUsers.ts';
import { insertScheduledPost, targetRow } from './testing/testPlatform.ts';
import { targetRoutes } from './targetRoutes.ts';

let ctx: TestContext;
let app: App;
let owner: TestAuth;
let workspaceId: string;

before(async () => {
  ctx = await openTestContext();
  app = await buildApp(ctx, { routes: [...accountRouteModules, targetRoutes] });
  owner = await signUpAndSignIn(app);
  workspaceId = await createWorkspace(app, owner, 'Brand', 'Europe/Berlin');
});
after(async () => {
  await app.close();
  await ctx.close();
});

async function targetIn(status: string, options: { connectionId?: string; intent?: boolean } = {}) {
  const connectionId = options.connectionId ?? (await insertTestConnection(ctx.db, workspaceId, { platform: 'x' }));
  const [id] = await insertScheduledPost(ctx.db, { workspaceId, connectionIds: [connectionId], platform: 'x', at: ctx.clock.now(), now: ctx.clock.now() });
  await ctx.db.execute(sql`
    update post_targets set status = ${status}, due_at = null, failure_code = 'connection_needs_reconnect',
      intent_at = ${options.intent ? ctx.clock.now() : null}
    where id = ${id!}`);
  return { id: id!, connectionId };
}

const post = (url: string, payload?: object, auth: TestAuth = owner) =>
  app.inject({ method: 'POST', url, headers: auth.headers, ...(payload ? { payload } : {}) });

describe('target routes', () => {
  test('retry puts a failed target back on the schedule now, intent cleared', async () => {
    const { id } = await targetIn('failed');
    const res = await post(`/api/workspaces/${workspaceId}/targets/${id}/retry`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'scheduled');
    const row = await targetRow(ctx.db, id);
    assert.equal(new Date(row.due_at as Date).getTime(), ctx.clock.nowMs());
    assert.equal(row.failure_code, null);
  });

  test('retry of an unknown target is the user\'s explicit decision: the uncertain intent is cleared', async () => {
    const { id } = await targetIn('unknown', { intent: true });
    const res = await post(`/api/workspaces/${workspaceId}/targets/${id}/retry`);
    assert.equal(res.statusCode, 200, res.body);
    const row = await targetRow(ctx.db, id);
    assert.equal(row.status, 'scheduled');
    assert.equal(row.intent_at, null);
  });

  test('reschedule takes a local time in the workspace time zone and refuses the past', async () => {
    const { id } = await targetIn('failed');
    const past = await post(`/api/workspaces/${workspaceId}/targets/${id}/reschedule`, { scheduledAt: '2026-01-01T09:00' });
    assert.equal(past.statusCode, 400);
    assert.equal(past.json().error.code, 'time_in_past');
    assert.equal((await targetRow(ctx.db, id)).status, 'failed', 'nothing changed');
    const res = await post(`/api/workspaces/${workspaceId}/targets/${id}/reschedule`, { scheduledAt: '2026-01-06T09:00' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(new Date(res.json().scheduledAt).toISOString(), '2026-01-06T08:00:00.000Z', '09:00 in Berlin (UTC+1)');
    const bad = await post(`/api/workspaces/${workspaceId}/targets/${id}/reschedule`, { scheduledAt: 'tomorrow', extra: 1 });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'validation_failed');
  });

  test('a target that is not failed or unknown cannot be retried; nor while its connection needs reconnect', async () => {
    const { id: published } = await targetIn('published');
    const res = await post(`/api/workspaces/${workspaceId}/targets/${published}/retry`);
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'target_not_retryable');

    const connectionId = await insertTestConnection(ctx.db, workspaceId, { platform: 'x', state: 'needs_reconnect' });
    const { id } = await targetIn('failed', { connectionId });
    const refused = await post(`/api/workspaces/${workspaceId}/targets/${id}/retry`);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'connection_needs_reconnect');
    assert.equal((await targetRow(ctx.db, id)).status, 'failed');
  });

  test('retry-all of a connection reschedules every failed target of that connection only', async () => {
    const connectionId = await insertTestConnection(ctx.db, workspaceId, { platform: 'x' });
    const a = await targetIn('failed', { connectionId });
    const b = await targetIn('failed', { connectionId });
    const other = await targetIn('failed');
    const res = await post(`/api/workspaces/${workspaceId}/connections/${connectionId}/targets/retry`, {});
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().rescheduled.sort(), [a.id, b.id].sort());
    assert.equal((await targetRow(ctx.db, other.id)).status, 'failed');
    const later = await post(`/api/workspaces/${workspaceId}/connections/${other.connectionId}/targets/retry`, { scheduledAt: '2026-01-07T10:30' });
    assert.equal(later.statusCode, 200, later.body);
    assert.equal(new Date((await targetRow(ctx.db, other.id)).due_at as Date).toISOString(), '2026-01-07T09:30:00.000Z');
  });

  test('an unknown target can be marked published with its URL; a failed one cannot', async () => {
    const { id } = await targetIn('unknown', { intent: true });
    const res = await post(`/api/workspaces/${workspaceId}/targets/${id}/mark-published`, { url: 'https://x.com/brand/status/1' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().status, 'published');
    assert.equal(res.json().platformUrl, 'https://x.com/brand/status/1');
    const { id: failed } = await targetIn('failed');
    const refused = await post(`/api/workspaces/${workspaceId}/targets/${failed}/mark-published`, { url: 'https://x.com/a/status/2' });
    assert.equal(refused.statusCode, 409);
    const badUrl = await post(`/api/workspaces/${workspaceId}/targets/${id}/mark-published`, { url: 'javascript:alert(1)' });
    assert.equal(badUrl.statusCode, 400);
  });

  test('another workspace\'s target answers 404, as do unknown ids; no session is 401', async () => {
    const { id } = await targetIn('failed');
    const stranger = await signUpAndSignIn(app);
    const theirs = await createWorkspace(app, stranger, 'Other');
    assert.equal((await post(`/api/workspaces/${theirs}/targets/${id}/retry`, undefined, stranger)).statusCode, 404);
    assert.equal((await post(`/api/workspaces/${workspaceId}/targets/${id}/retry`, undefined, stranger)).statusCode, 404);
    assert.equal((await post(`/api/workspaces/${workspaceId}/targets/not-a-uuid/retry`)).statusCode, 404);
    assert.equal((await post(`/api/workspaces/${workspaceId}/targets/${randomUUID()}/retry`)).statusCode, 404);
    const anonymous = await app.inject({ method: 'POST', url: `/api/workspaces/${workspaceId}/targets/${id}/retry` });
    assert.equal(anonymous.statusCode, 401);
    assert.equal((await targetRow(ctx.db, id)).status, 'failed');
  });
});
