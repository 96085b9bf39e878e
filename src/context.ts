import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Database, DatabaseHandle } from './db/database.ts';
import type { Logger } from './log.ts';
import type { Jobs } from './jobs/jobQueue.ts';

/**
 * What the composition root (`src/main.js`) wires together and hands to routes and workers.
 * Plain data, no service singletons: use cases take what they need from it.
 */
export interface AppContext {
  readonly config: Config;
  readonly clock: Clock;
  readonly log: Logger;
  readonly database: DatabaseHandle;
  readonly db: Database;
  /** pg-boss jobs: `ctx.jobs.send(tx, queue, data)` enqueues inside the caller's transaction. */
  readonly jobs: Jobs;
}
