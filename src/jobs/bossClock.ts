import { CLOCK_OVERRIDE_SETTING, type AttachableClock, type Db as IDatabase } from 'pg-boss';
import { ControllableClock, type Clock } from '../clock.ts';
import type { Logger } from '../log.ts';

/**
 * pg-boss's clock for a process on the sandbox clock, so its scheduling agrees with sandbox time:
 * `now()` is our clock, and once attached, pg-boss's SQL reads our clock's time through `job_now()`
 * (kept up to date on every move). A job's `startAfter`, retry delays and
 * expiries are then measured on the same clock as everything else.
 *
 * Timers stay on real time on purpose: pg-boss's timers are polls and housekeeping intervals, and
 * the sandbox clock flows at real speed between moves. Put on the sandbox clock they would be the
 * "next due instant" every couple of seconds and turn a 30-day jump into a million steps.
 *
 * Production (the system clock) passes no clock, so pg-boss keeps its defaults.
 */
export function bossClockFor(clock: Clock, log: Logger): SandboxBossClock | undefined {
  if (!(clock instanceof ControllableClock)) return undefined;
  return new SandboxBossClock(clock, log);
}

export class SandboxBossClock implements AttachableClock {
  readonly #clock: ControllableClock;
  readonly #log: Logger;
  #chain: Promise<void> = Promise.resolve();

  constructor(clock: ControllableClock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
  }

  /** Resolves once every offset update issued so far has reached the database. */
  synced(): Promise<void> {
    return this.#chain;
  }

  now(): number {
    return this.#clock.nowMs();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    return setTimeout(fn, ms);
  }

  clearTimeout(handle: unknown): void {
    clearTimeout(handle as NodeJS.Timeout);
  }

  setInterval(fn: () => void, ms: number): unknown {
    return setInterval(fn, ms);
  }

  clearInterval(handle: unknown): void {
    clearInterval(handle as NodeJS.Timeout);
  }

  async attach(target: { db: IDatabase; schema: string }): Promise<AsyncDisposable> {
    const { db, schema } = target;
    const table = `${schema}.perennial_sandbox_clock`;
    // The table holds our clock's time at the last move and the database time it was taken at; a
    // flowing clock then runs on with the database's own clock. Only sessions that opted in
    // (pg-boss sets CLOCK_OVERRIDE_SETTING on its own sessions) see sandbox time: anything else
    // calling job_now() keeps real time, as with pg-boss's TestClock.
    await db.executeSql(`
      CREATE TABLE IF NOT EXISTS ${table} (anchor timestamptz NOT NULL, anchored_at timestamptz NOT NULL, flowing boolean NOT NULL);
      DELETE FROM ${table};
      INSERT INTO ${table} VALUES (to_timestamp(${this.#clock.nowMs() / 1000}), pg_catalog.now(), ${this.#clock.flowing});
      CREATE OR REPLACE FUNCTION ${schema}.job_now() RETURNS timestamp with time zone AS
      $$ SELECT COALESCE(CASE WHEN current_setting('${CLOCK_OVERRIDE_SETTING}', true) = 'on' THEN (
           SELECT c.anchor + CASE WHEN c.flowing THEN pg_catalog.now() - c.anchored_at ELSE interval '0' END
           FROM ${table} c LIMIT 1) END,
         pg_catalog.now()); $$
      LANGUAGE sql STABLE;
    `);
    const push = () => {
      this.#chain = this.#chain
        .then(() => db.executeSql(`UPDATE ${table} SET anchor = to_timestamp($1), anchored_at = pg_catalog.now()`, [this.#clock.nowMs() / 1000]))
        .then(
          () => undefined,
          (err: unknown) => this.#log.error({ err }, 'moving pg-boss to the new sandbox time failed'),
        );
    };
    const stopListening = this.#clock.onMove(push);
    return {
      [Symbol.asyncDispose]: async () => {
        stopListening();
        await this.#chain;
        await db.executeSql(`
          CREATE OR REPLACE FUNCTION ${schema}.job_now() RETURNS timestamp with time zone AS
          $$ SELECT pg_catalog.now(); $$ LANGUAGE sql STABLE;
          DROP TABLE IF EXISTS ${table};
        `);
      },
    };
  }
}
