import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { claimDueDigests, sendDigest } from './digestQueue.ts';
import { nextDigestAt, savePreferences } from './notificationsRepo.ts';
import { raiseAlert, type Alert } from './raiseAlert.ts';

let ctx: TestContext;
let workspaceId: string;
const users: { id: string; email: string }[] = [];

before(async () => {
  ctx = await openTestContext();
  await ctx.jobs.start();
  const now = ctx.clock.now();
  workspaceId = randomUUID();
  await ctx.db.execute(sql`insert into workspaces (id, name, created_at) values (${workspaceId}, 'W', ${now})`);
  for (const [role, owner] of [['owner', true], ['editor', false], ['viewer', false]] as const) {
    const id = randomUUID();
    const email = `${role}-${id.slice(0, 6)}@example.test`;
    users.push({ id, email });
    await ctx.db.execute(sql`insert into users (id, email, name, password_hash, is_instance_owner, created_at) values (${id}, ${email}, ${role}, 'x', ${owner}, ${now})`);
    await ctx.db.execute(sql`insert into workspace_members (workspace_id, user_id, role, created_at) values (${workspaceId}, ${id}, ${role}, ${now})`);
  }
});
after(() => ctx.close());

function alert(key: string): Alert {
  return { kind: 'expiring', dedupeKey: key, workspaceId, connectionId: null, title: `T ${key}`, body: `B ${key}`, data: {}, audience: 'workspace' };
}

async function mailJobs(): Promise<number> {
  const res = await ctx.db.execute(sql`select count(*)::int as n from pgboss.job where name = 'mail.send'`);
  return Number(res.rows[0]!.n);
}

test('one alert per key, across concurrent raisers; viewers are not alerted; each member gets one email', async () => {
  const now = ctx.clock.now();
  const results = await Promise.all([1, 2, 3].map(() => ctx.db.transaction((tx) => raiseAlert(ctx, tx, alert('connection:c1:expiring:2027-01-01:7d'), now))));
  assert.deepEqual(results.filter(Boolean).length, 1);
  const rows = await ctx.db.execute(sql`select user_id from notifications order by user_id`);
  assert.deepEqual(rows.rows.map((r) => r.user_id).sort(), [users[0]!.id, users[1]!.id].sort());
  assert.equal(await mailJobs(), 2);
  // A rolled-back raise leaves no trace, so a later one still alerts.
  await assert.rejects(ctx.db.transaction(async (tx) => {
    await raiseAlert(ctx, tx, alert('k-rollback'), now);
    throw new Error('the write that implied it failed');
  }));
  assert.equal(await ctx.db.transaction((tx) => raiseAlert(ctx, tx, alert('k-rollback'), now)), true);
});

test('daily digest: alerts wait for it, one email lists them, claimed once per day', async () => {
  const owner = users[0]!;
  const now = ctx.clock.now();
  await savePreferences(ctx.db, owner.id, { emailMode: 'daily_digest', digestHourUtc: 8 }, now);
  const jobsBefore = await mailJobs();
  await ctx.db.transaction((tx) => raiseAlert(ctx, tx, alert('d1'), now));
  await ctx.db.transaction((tx) => raiseAlert(ctx, tx, alert('d2'), now));
  assert.equal(await mailJobs(), jobsBefore + 2, 'only the editor (immediate) got mails');
  const at = nextDigestAt(now, 8);
  assert.deepEqual(await claimDueDigests(ctx.db, { now: new Date(at.getTime() - 1), limit: 10 }), []);
  const claimed = await claimDueDigests(ctx.db, { now: at, limit: 10 });
  assert.deepEqual(claimed, [{ userId: owner.id, email: owner.email }]);
  assert.deepEqual(await claimDueDigests(ctx.db, { now: at, limit: 10 }), [], 'claimed once');
  assert.equal(await sendDigest(ctx, claimed[0]!), 2);
  assert.equal(await mailJobs(), jobsBefore + 3);
  assert.equal(await sendDigest(ctx, claimed[0]!), 0, 'nothing twice');
  const next = await ctx.db.execute(sql`select next_digest_at from notification_preferences where user_id = ${owner.id}`);
  assert.equal(new Date(String(next.rows[0]!.next_digest_at)).getTime(), at.getTime() + 86_400_000);
});
