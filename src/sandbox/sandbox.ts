import type { AppContext } from '../context.ts';
import { AppError } from '../http/errors.ts';
import type { DueRunner } from '../jobs/dueRunner.ts';
import { advanceSandbox, type AdvanceReport } from './advanceSandbox.ts';

/**
 * The time-travel sandbox of one process: moves its clock through `advanceSandbox`, one advance
 * at a time (a second request while one runs is refused with `sandbox_busy`, not queued: the
 * caller would not know which instant its answer describes).
 */
export type Sandbox = {
  readonly enabled: boolean;
  readonly advancing: boolean;
  advanceTo(to: Date): Promise<AdvanceReport>;
  advanceBy(ms: number): Promise<AdvanceReport>;
};

/** `runners` is read at each advance: the workers start after the HTTP app. */
export function createSandbox(ctx: AppContext, runners: () => readonly DueRunner<unknown, unknown>[]): Sandbox {
  let advancing = false;
  const enabled = ctx.config.timeTravel && ctx.clock.controllable;
  const advanceTo = async (to: Date) => {
    if (!enabled) throw new AppError('time_travel_off', 'This instance runs on real time (start it with --time-travel)');
    if (advancing) throw new AppError('sandbox_busy', 'Another advance is running; try again when it has answered');
    advancing = true;
    try {
      return await advanceSandbox(ctx, runners(), to);
    } finally {
      advancing = false;
    }
  };
  return {
    enabled,
    get advancing() {
      return advancing;
    },
    advanceTo,
    advanceBy: (ms) => advanceTo(new Date(ctx.clock.nowMs() + ms)),
  };
}
