import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { openTestContext, type TestContext } from '../testing/testContext.ts';
import { recordAccess } from './accessLog.ts';
import { accessLog } from './schema.ts';

/** The access register is append-only in the database itself, not only by convention. */
describe('access_log', () => {
  let ctx: TestContext;
  const workspaceId = randomUUID();
  before(async () => {
    ctx = await openTestContext();
    await recordAccess(ctx.db, { workspaceId, connectionId: null, actorUserId: null, action: 'granted', platform: 'x', app: 'sandbox-x', scopes: ['tweet.write'], at: ctx.clock.now() });
  });
  after(async () => ctx?.close());

  const rows = () => ctx.db.select().from(accessLog).where(eq(accessLog.workspaceId, workspaceId));

  it('takes inserts', async () => {
    assert.equal((await rows()).length, 1);
  });

  for (const [what, statement] of [
    ['UPDATE', sql`update access_log set action = 'revoked'`],
    ['DELETE', sql`delete from access_log`],
    ['TRUNCATE', sql`truncate access_log`],
  ] as const) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(ctx.db.execute(statement), (err: Error & { cause?: Error }) => {
        assert.match(`${err.message} ${err.cause?.message ?? ''}`, new RegExp(`access_log is append-only: ${what}`));
        return true;
      });
      const [row] = await rows();
      assert.equal(row?.action, 'granted');
    });
  }
});
