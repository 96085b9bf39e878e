import type { AppContext } from '../context.ts';

const TABLE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * PGlite has no autovacuum, so the embedded mode vacuums its busy tables itself: the due tables
 * (claimed and updated all day) and pg-boss's job table. `VACUUM (ANALYZE)` reclaims dead rows and
 * refreshes the planner's statistics, so the partial due indexes stay small and are used.
 *
 * Off the hot path: one pass every `everyMs` of real time, one table at a time, never two passes
 * at once, and the first pass only after one interval (not during start-up).
 */
export function startEmbeddedVacuum(ctx: AppContext, tables: string[], options: { everyMs: number }): { stop(): Promise<void>; runOnce(): Promise<string[]> } {
  const names = [...new Set(tables)];
  for (const t of names) if (!TABLE_NAME.test(t)) throw new Error(`cannot vacuum ${t}: not a plain table name`);
  const log = ctx.log.child({ component: 'vacuum' });
  let running: Promise<string[]> | undefined;

  const runOnce = () => {
    running ??= (async () => {
      const done: string[] = [];
      try {
        for (const table of names) {
          const { rows } = await ctx.database.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [table]);
          if (!rows[0]?.exists) continue;
          const started = performance.now();
          await ctx.database.query(`vacuum (analyze) ${table}`);
          done.push(table);
          log.debug({ table, ms: Math.round(performance.now() - started) }, 'vacuumed');
        }
      } catch (err) {
        log.warn({ err }, 'vacuum pass failed; the next pass retries');
      } finally {
        running = undefined;
      }
      return done;
    })();
    return running;
  };

  const timer = setInterval(() => void runOnce(), options.everyMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
