/**
 * The only source of time in `src/` (a lint rule forbids `Date.now()` and `new Date()` elsewhere).
 * SQL never reads `now()` either: queries receive the clock's time as a parameter, so the
 * database and the code agree even when the sandbox clock has been moved.
 */
export interface Clock {
  now(): Date;
  nowMs(): number;
  /** Calls `fn` once when the clock reaches `atMs` (at once if it already has). Returns a cancel function. */
  setTimer(atMs: number, fn: () => void): () => void;
  /** Resolves once the clock reaches `atMs`, or early when `signal` aborts. */
  sleepUntil(atMs: number, signal?: AbortSignal): Promise<void>;
  /** True when time can be moved by hand (tests, the time-travel sandbox). */
  readonly controllable: boolean;
}

/** The longest single setTimeout Node accepts; longer waits are re-armed. */
const MAX_TIMEOUT_MS = 2_147_483_647;

function sleepUntilWith(clock: Clock, atMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      cancel();
      resolve();
    };
    const cancel = clock.setTimer(atMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class SystemClock implements Clock {
  readonly controllable = false;

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now();
  }

  setTimer(atMs: number, fn: () => void): () => void {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = () => {
      if (cancelled) return;
      const delay = atMs - this.nowMs();
      if (delay <= 0) return fn();
      handle = setTimeout(arm, Math.min(delay, MAX_TIMEOUT_MS));
      handle.unref?.();
    };
    // Never call fn synchronously from setTimer: callers expect the cancel function first.
    handle = setTimeout(arm, 0);
    handle.unref?.();
    return () => {
      cancelled = true;
      if (handle) clearTimeout(handle);
    };
  }

  sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
    return sleepUntilWith(this, atMs, signal);
  }
}

type Timer = { id: number; atMs: number; fn: () => void };

/**
 * A clock that can be moved forward by hand. `flowing` clocks keep running at real speed between
 * moves (the time-travel sandbox); frozen ones stand still until moved (tests). Time never goes
 * backwards: `set` to an earlier instant throws.
 */
export class ControllableClock implements Clock {
  readonly controllable = true;
  readonly flowing: boolean;
  #offsetMs: number;
  #frozenMs: number;
  #timers = new Map<number, Timer>();
  #nextId = 1;
  #wake: NodeJS.Timeout | undefined;
  #listeners = new Set<(nowMs: number) => void>();

  constructor(options: { startMs?: number; flowing?: boolean } = {}) {
    this.flowing = options.flowing ?? false;
    const start = options.startMs ?? Date.now();
    this.#frozenMs = start;
    this.#offsetMs = start - Date.now();
  }

  nowMs(): number {
    return this.flowing ? Date.now() + this.#offsetMs : this.#frozenMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Moves time forward by `ms` and fires every timer that came due, in time order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('time only moves forward');
    this.set(this.nowMs() + ms);
  }

  /** Moves time to `atMs` (not earlier than now) and fires every timer that came due, in order. */
  set(atMs: number): void {
    const now = this.nowMs();
    if (!Number.isFinite(atMs) || atMs < now) throw new RangeError('time only moves forward');
    if (this.flowing) this.#offsetMs += atMs - now;
    else this.#frozenMs = atMs;
    this.#fireDue();
    for (const listener of this.#listeners) listener(atMs);
  }

  /** Called after every move (for the emulator and the sandbox driver). */
  onMove(listener: (nowMs: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.#timers.values()) if (min === undefined || t.atMs < min) min = t.atMs;
    return min;
  }

  setTimer(atMs: number, fn: () => void): () => void {
    const timer: Timer = { id: this.#nextId++, atMs, fn };
    this.#timers.set(timer.id, timer);
    this.#arm();
    return () => {
      this.#timers.delete(timer.id);
    };
  }

  sleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
    return sleepUntilWith(this, atMs, signal);
  }

  #fireDue(): void {
    const now = this.nowMs();
    const due = [...this.#timers.values()].filter((t) => t.atMs <= now).sort((a, b) => a.atMs - b.atMs || a.id - b.id);
    for (const t of due) this.#timers.delete(t.id);
    // Fire asynchronously, like real timers, so a mover never runs callbacks inside its own frame.
    if (due.length > 0) queueMicrotask(() => due.forEach((t) => t.fn()));
    this.#arm();
  }

  /** A flowing clock also fires timers as real time passes. */
  #arm(): void {
    if (!this.flowing) {
      queueMicrotask(() => {
        if ([...this.#timers.values()].some((t) => t.atMs <= this.nowMs())) this.#fireDue();
      });
      return;
    }
    if (this.#wake) clearTimeout(this.#wake);
    const next = this.nextTimerAt();
    if (next === undefined) return;
    this.#wake = setTimeout(() => this.#fireDue(), Math.min(Math.max(0, next - this.nowMs()), MAX_TIMEOUT_MS));
    this.#wake.unref?.();
  }
}
