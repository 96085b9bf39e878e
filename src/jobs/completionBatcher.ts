import type { Logger } from '../log.ts';

/**
 * Collects outcomes that finish close together and writes them in one call: everything added in
 * the same turn of the event loop (or `maxBatch` of them) goes in one `write`. Writes run one at a
 * time, in order. A failed write is logged with how many items it held; those items stay leased
 * and are claimed again when their leases lapse, so nothing is lost.
 */
export class CompletionBatcher<C> {
  readonly #write: (batch: C[]) => Promise<void>;
  readonly #maxBatch: number;
  readonly #log: Logger;
  #pending: C[] = [];
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(options: { write: (batch: C[]) => Promise<void>; maxBatch: number; log: Logger }) {
    this.#write = options.write;
    this.#maxBatch = options.maxBatch;
    this.#log = options.log;
  }

  get pending(): number {
    return this.#pending.length;
  }

  add(completion: C): void {
    this.#pending.push(completion);
    if (this.#pending.length >= this.#maxBatch) {
      void this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes everything pending; resolves when every write started so far has finished. */
  flush(): Promise<void> {
    if (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      this.#chain = this.#chain.then(() =>
        this.#write(batch).catch((err: unknown) => {
          this.#log.error({ err, items: batch.length }, 'batched completion failed; the items return when their leases lapse');
        }),
      );
    }
    return this.#chain;
  }
}
