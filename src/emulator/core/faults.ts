import { randomUUID } from 'node:crypto';
import type { PlatformId } from '../../providers/types.ts';

/**
 * Injected failures, matched per platform and endpoint (a suffix of the path after
 * `/<platform>`, e.g. `/2/oauth2/token`; absent: every endpoint of the platform).
 * - `server_error`: answers `status` (the platform's usual 5xx by default) with the platform's
 *   own error body (core/platformFaults.ts)
 * - `html_error`: answers `status` (default 502) with an HTML error page
 * - `rate_limit`: the platform's throttling answer (429, Graph: code 4/17/32 on a 400) with
 *   `Retry-After: retryAfterS` (default 60) and the platform's rate-limit headers
 * - `slow`: waits `delayMs` (real time) before handling
 * - `drop_after_commit`: handles the request (tokens rotate, posts publish), then drops the
 *   connection before the response is written
 * - `truncated_json`: handles the request and sends only the first half of the body
 */
export type FaultKind = 'server_error' | 'html_error' | 'rate_limit' | 'slow' | 'drop_after_commit' | 'truncated_json';

export type Fault = {
  id: string;
  platform: PlatformId;
  endpoint?: string;
  method?: string;
  kind: FaultKind;
  status?: number;
  retryAfterS?: number;
  delayMs?: number;
  /** How many requests it affects; default 1. */
  remaining: number;
};

export type FaultInput = Omit<Fault, 'id' | 'remaining'> & { times?: number };

export class Faults {
  #faults: Fault[] = [];

  add(input: FaultInput): Fault {
    const { times, ...rest } = input;
    const fault: Fault = { ...rest, id: randomUUID(), remaining: times ?? 1 };
    this.#faults.push(fault);
    return fault;
  }

  clear(): void {
    this.#faults = [];
  }

  list(): Fault[] {
    return [...this.#faults];
  }

  /** Takes the first fault matching this request (and counts it down). */
  take(platform: string, method: string, path: string): Fault | undefined {
    const fault = this.#faults.find(
      (f) => f.platform === platform && (!f.method || f.method.toUpperCase() === method) && (!f.endpoint || path.endsWith(f.endpoint)),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
    return fault;
  }
}
