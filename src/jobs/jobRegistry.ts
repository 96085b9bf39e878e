import type { z } from 'zod';
import type { AppContext } from '../context.ts';

/**
 * Jobs (emails, webhooks, digests, verification sweeps) run on pg-boss. A domain registers each
 * queue once, at module load, with the zod schema of its payload and its handler:
 *
 *   registerJob({ queue: 'mail.send', schema: mailSchema, handle: (ctx, msg) => sendMail(ctx, msg) });
 *
 * `ctx.jobs.send(tx, queue, data)` validates the payload against the schema before enqueuing, and
 * the worker validates it again before calling `handle`. A handler that throws is retried with
 * exponential backoff (`retry` below), then left failed in pg-boss's table.
 */
export type JobRetry = {
  /** How many retries after the first attempt. */
  limit: number;
  /** First retry delay in seconds; doubles each time (with jitter) up to `maxDelaySeconds`. */
  delaySeconds: number;
  maxDelaySeconds: number;
};

export type JobInfo = { id: string; retryCount: number };

export type JobDefinition<S extends z.ZodType = z.ZodType> = {
  queue: string;
  schema: S;
  handle(ctx: AppContext, data: z.output<S>, job: JobInfo): Promise<void>;
  retry?: Partial<JobRetry>;
  /** How many jobs of this queue one worker process runs at once. Default 2. */
  concurrency?: number;
  /** How long a job may run before pg-boss considers its worker gone and retries it. Default 300 s. */
  expireInSeconds?: number;
};

export const DEFAULT_RETRY: JobRetry = { limit: 5, delaySeconds: 10, maxDelaySeconds: 3_600 };

const QUEUE_NAME = /^[a-z][a-z0-9_.-]{0,99}$/;

const registry = new Map<string, JobDefinition>();

export function registerJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  if (!QUEUE_NAME.test(definition.queue)) throw new Error(`invalid job queue name ${definition.queue}`);
  const existing = registry.get(definition.queue);
  if (existing && existing !== (definition as unknown as JobDefinition)) {
    throw new Error(`job queue ${definition.queue} is registered twice`);
  }
  registry.set(definition.queue, definition as unknown as JobDefinition);
  return definition;
}

export function registeredJobs(): JobDefinition[] {
  return [...registry.values()];
}

export function jobDefinition(queue: string): JobDefinition | undefined {
  return registry.get(queue);
}
