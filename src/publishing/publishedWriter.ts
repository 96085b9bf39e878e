import type { Database } from '../db/database.ts';
import type { PublishResult } from '../providers/types.ts';
import { recordPublishedMany } from './targetWrites.ts';

type Pending = { id: string; result: PublishResult; at: Date; resolve: (wrote: boolean) => void; reject: (err: unknown) => void };

/**
 * Records publish results, coalesced: every result handed in during the same turn of the event
 * loop is written by one statement (one round trip for many targets), and each caller's promise
 * settles when its row is durable (or, with `relaxedCommit`, committed without waiting for the
 * WAL flush; see PublishOptions.relaxedCommits). Writes run one after another.
 */
export class PublishedWriter {
  readonly #db: Database;
  readonly #relaxed: boolean;
  #pending: Pending[] = [];
  #scheduled = false;
  #chain: Promise<void> = Promise.resolve();

  constructor(db: Database, options: { relaxedCommit: boolean }) {
    this.#db = db;
    this.#relaxed = options.relaxedCommit;
  }

  /** Resolves to false when the target already had a result recorded (it is left alone). */
  record(id: string, result: PublishResult, at: Date): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ id, result, at, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        const batch = this.#pending;
        this.#pending = [];
        this.#chain = this.#chain.then(() => this.#write(batch));
      });
    });
  }

  async #write(batch: Pending[]): Promise<void> {
    const rows = batch.map((p) => ({ id: p.id, platformPostId: p.result.platformPostId, url: p.result.url, at: p.at }));
    try {
      const wrote = await recordPublishedMany(this.#db, rows, { relaxedCommit: this.#relaxed });
      for (const p of batch) p.resolve(wrote.has(p.id));
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}

const writers = new WeakMap<Database, Map<boolean, PublishedWriter>>();

/** The process's writer for this database. */
export function publishedWriter(db: Database, relaxedCommit: boolean): PublishedWriter {
  let byMode = writers.get(db);
  if (!byMode) writers.set(db, (byMode = new Map()));
  let writer = byMode.get(relaxedCommit);
  if (!writer) byMode.set(relaxedCommit, (writer = new PublishedWriter(db, { relaxedCommit })));
  return writer;
}
