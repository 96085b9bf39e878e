/**
 * `post.failed` reaches the workspace's webhook: a permanent failure, a retry window that ran
 * out (`failed` after refusals, `unknown` after uncertain failures) each enqueue it with the
 * write that fails the target; delivered signed (HMAC) by the webhooks module.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { createHttpClient } from '../providers/httpClient.ts';
import { ProviderError } from '../providers/types.ts';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { deliverWebhook } from '../webhooks/deliverWebhook.ts';
import { createWebhookEndpoint } from '../webhooks/webhookEndpointsRepo.ts';
import { verifyWebhookSignature } from '../webhooks/webhookSignature.ts';
import { claimDueTargets } from './claimDueTargets.ts';
import { publishTarget } from './publishTarget.ts';
import { runDue, testOptions } from './testing/runPublishing.ts';
import { createTestDeps, createTestPlatform, insertScheduledPost } from './testing/testPlatform.ts';

let ctx: TestContext;
let receiver: http.Server;
let receiverUrl: string;
let secret: string;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
const workspaceId = randomUUID();
const platform = createTestPlatform();
const deps = createTestDeps(platform);

before(async () => {
  ctx = await openTestContext({ env: { ENCRYPTION_KEYS: `w1:${randomBytes(32).toString('base64')}` } });
  await ctx.jobs.start();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  ({ secret } = await createWebhookEndpoint(ctx, ctx.db, { workspaceId, url: receiverUrl, events: ['post.failed'], description: '', createdBy: null, now: ctx.clock.now() }));
  await createWebhookEndpoint(ctx, ctx.db, { workspaceId, url: receiverUrl, events: ['connection.reconnected'], description: 'not subscribed', createdBy: null, now: ctx.clock.now() });
});
after(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await ctx.jobs.stop(0);
  await ctx.close();
});

/** Delivers every pending delivery to the local receiver, as the webhook job would; returns the events received. */
async function deliverAll(): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const trusted = createHttpClient({ trustedOrigins: [new URL(receiverUrl).origin] });
  const pending = await ctx.db.execute(sql`select id from webhook_deliveries where status = 'pending' order by created_at`);
  const before = received.length;
  for (const row of pending.rows) assert.equal(await deliverWebhook(ctx, String(row.id), { lastTry: false, http: trusted }), 'delivered');
  return received.slice(before).map((r) => {
    assert.equal(r.headers['perennial-event'], 'post.failed');
    assert.ok(verifyWebhookSignature(secret, String(r.headers['perennial-signature']), r.body, Math.floor(ctx.clock.nowMs() / 1000)), 'signed with the endpoint secret');
    return JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
  });
}

const schedule = () => insertScheduledPost(ctx.db, { workspaceId, connectionIds: [randomUUID()], platform: 'x', at: ctx.clock.now(), now: ctx.clock.now() }).then((ids) => ids[0]!);

describe('the post.failed webhook', () => {
  test('a permanent failure: the workspace endpoint receives post.failed, signed, with the reason', async () => {
    const id = await schedule();
    platform.script.push({ kind: 'error', error: new ProviderError('bad_request', 'text_too_long', 'Text is too long', { httpStatus: 400 }) });
    assert.deepEqual(await runDue(ctx, testOptions(deps)), ['failed']);
    const events = await deliverAll();
    assert.equal(events.length, 1, 'only the subscribed endpoint');
    assert.equal(events[0]!.type, 'post.failed');
    assert.deepEqual(
      { targetId: events[0]!.data.targetId, status: events[0]!.data.status, reason: events[0]!.data.reason, platform: events[0]!.data.platform },
      { targetId: id, status: 'failed', reason: 'text_too_long', platform: 'x' },
    );
  });

  test('the retry window running out: failed after refusals, unknown after uncertain failures', async () => {
    const refused = await schedule();
    const uncertain = await schedule();
    const options = testOptions(deps, { retryWindowMs: 5 * 60_000 });
    const settled = new Map<string, string>();
    for (let i = 0; i < 20 && settled.size < 2; i++) {
      for (const c of await claimDueTargets(ctx.db, { now: ctx.clock.now(), limit: 10, leaseMs: 60_000, owner: `o-${i}` })) {
        platform.script.push({
          kind: 'error',
          error: c.id === refused ? new ProviderError('transient', 'rate_limited', 'HTTP 429', { httpStatus: 429 }) : new ProviderError('transient', 'server_error', 'HTTP 503', { httpStatus: 503 }),
        });
        const outcome = await publishTarget(ctx, c, options);
        if (outcome === 'failed' || outcome === 'unknown') settled.set(c.id, outcome);
      }
      ctx.clock.advance(2 * 60_000);
    }
    const events = await deliverAll();
    const byTarget = new Map(events.map((e) => [e.data.targetId, e.data]));
    assert.equal(byTarget.get(refused)?.status, 'failed');
    assert.equal(byTarget.get(refused)?.reason, 'rate_limited');
    assert.equal(byTarget.get(uncertain)?.status, 'unknown');
    assert.equal(byTarget.get(uncertain)?.reason, 'outcome_unknown');
  });
});
