import type { ClientAuthMethod } from './clientRegistry.ts';

/**
 * Every request the emulator received, exactly (method, path, query, parsed body, client
 * authentication), so adapter tests can assert what was sent. The emulator is a test double:
 * it keeps the values as sent, secrets included.
 */
export type LoggedRequest = {
  atMs: number;
  platform: string;
  method: string;
  /** The path after `/<platform>` (`/api/2/oauth2/token`). */
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
  clientAuth: ClientAuthMethod;
  /** `bearer` when an `Authorization: Bearer` header was sent (API calls). */
  bearer: string | null;
  contentType: string | null;
};

export class RequestLog {
  #entries: LoggedRequest[] = [];
  /** Refresh grants per emulator grant id, incremented by platform modules. */
  readonly refreshesByGrant = new Map<string, number>();

  add(entry: LoggedRequest): void {
    this.#entries.push(entry);
    if (this.#entries.length > 10_000) this.#entries.shift();
  }

  list(filter: { platform?: string; path?: string } = {}): LoggedRequest[] {
    return this.#entries.filter((e) => (!filter.platform || e.platform === filter.platform) && (!filter.path || e.path.endsWith(filter.path)));
  }

  countRefresh(grantId: string): void {
    this.refreshesByGrant.set(grantId, (this.refreshesByGrant.get(grantId) ?? 0) + 1);
  }

  /** Requests by `<platform> <METHOD> <path>`. */
  byEndpoint(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.#entries) {
      const key = `${e.platform} ${e.method} ${e.path}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  clear(): void {
    this.#entries = [];
    this.refreshesByGrant.clear();
  }
}
