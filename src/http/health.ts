import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { WORKER_HEARTBEAT_STALE_MS } from '../jobs/heartbeat.ts';
import type { App } from './app.ts';

export function registerHealthRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/healthz',
    { schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        hide: true,
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.record(z.string(), z.string()) }),
          503: z.object({ status: z.literal('not_ready'), checks: z.record(z.string(), z.string()) }),
        },
      },
    },
    async (_request, reply) => {
      // Each check reports its own failure: a failing migrations or heartbeat query is not an
      // unreachable database, and a check that could not run never counts as ok.
      const checks: Record<string, string> = {};
      const failed = (err: unknown) => `check failed: ${(err as Error).message}`;
      try {
        await ctx.db.execute(sql`select 1`);
        checks.database = 'ok';
      } catch (err) {
        checks.database = `unreachable: ${(err as Error).message}`;
      }
      if (checks.database === 'ok') {
        try {
          const pending = await pendingMigrations(ctx.db);
          checks.migrations = pending.length === 0 ? 'ok' : `pending: ${pending.join(', ')}`;
        } catch (err) {
          checks.migrations = failed(err);
        }
        try {
          const since = new Date(ctx.clock.nowMs() - WORKER_HEARTBEAT_STALE_MS);
          const { rows } = await ctx.database.query<{ n: number }>('select count(*)::int as n from worker_heartbeats where seen_at >= $1', [since]);
          const workers = rows[0]?.n ?? 0;
          checks.workers = workers > 0 ? `ok (${workers})` : `none heartbeating in the last ${WORKER_HEARTBEAT_STALE_MS / 1000} s`;
        } catch (err) {
          checks.workers = failed(err);
        }
      } else {
        checks.migrations = 'not checked (database unreachable)';
        checks.workers = 'not checked (database unreachable)';
      }
      const ready = Object.values(checks).every((v) => v.startsWith('ok'));
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks } as never);
    },
  );
}
