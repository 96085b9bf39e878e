import { z } from 'zod';
import { requireUser } from '../accounts/authenticate.ts';
import type { AppContext } from '../context.ts';
import type { App, RouteModule } from '../http/app.ts';
import { AppError } from '../http/errors.ts';
import { parseDuration } from './parseDuration.ts';
import type { Sandbox } from './sandbox.ts';

/** Every response of a sandbox instance carries its clock, so no one mistakes it for real time. */
export const SANDBOX_TIME_HEADER = 'x-perennial-sandbox-time';

/** Jumps are bounded: every due instant on the way is a step. */
const MAX_JUMP_MS = 5 * 366 * 86_400_000;

const advanceBody = z
  .strictObject({
    duration: z.string().min(1).max(40).optional().describe('How far to move: 30d, 1d12h, 90m, 2w, or ISO 8601 (P30D)'),
    to: z.iso.datetime({ offset: true }).optional().describe('The instant to move to (ISO 8601)'),
  })
  .refine((b) => (b.duration === undefined) !== (b.to === undefined), { message: 'give exactly one of duration and to' });

const reportSchema = z.object({
  from: z.date(),
  to: z.date(),
  steps: z.number().int(),
  queues: z.array(z.object({ name: z.string(), kind: z.enum(['due', 'job']), ran: z.number().int(), failed: z.number().int() })),
});

const stateSchema = z.object({ timeTravel: z.boolean(), now: z.date(), advancing: z.boolean() });

async function requireOwner(ctx: AppContext, request: Parameters<typeof requireUser>[1]): Promise<void> {
  const user = await requireUser(ctx, request);
  if (!user.isInstanceOwner) throw new AppError('forbidden', 'Only the instance owner can move sandbox time');
}

/** `GET /api/sandbox` and `POST /api/sandbox/advance` (instance owner only). */
export function sandboxRoutes(sandbox: Sandbox): RouteModule {
  return (app: App, ctx: AppContext) => {
    if (sandbox.enabled) {
      app.addHook('onSend', async (_request, reply) => {
        reply.header(SANDBOX_TIME_HEADER, ctx.clock.now().toISOString());
      });
    }

    app.get(
      '/api/sandbox',
      { schema: { tags: ['sandbox'], summary: 'Whether this instance runs on sandbox time, and its clock', response: { 200: stateSchema } } },
      async (request) => {
        await requireOwner(ctx, request);
        return { timeTravel: sandbox.enabled, now: ctx.clock.now(), advancing: sandbox.advancing };
      },
    );

    app.post(
      '/api/sandbox/advance',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'Move sandbox time forward; answers once everything due on the way has run, in order',
          body: advanceBody,
          response: { 200: reportSchema },
        },
      },
      async (request) => {
        await requireOwner(ctx, request);
        const { duration, to } = request.body;
        let target: number;
        if (duration !== undefined) {
          const ms = parseDuration(duration);
          if (ms === undefined) throw new AppError('validation_failed', `"${duration}" is not a duration (e.g. 30d, 1d12h, 90m, P30D)`);
          target = ctx.clock.nowMs() + ms;
        } else {
          target = Date.parse(to as string);
        }
        if (target - ctx.clock.nowMs() > MAX_JUMP_MS) throw new AppError('validation_failed', 'One advance moves at most 5 years');
        return sandbox.advanceTo(new Date(target));
      },
    );
  };
}
