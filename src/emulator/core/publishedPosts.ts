import { randomUUID } from 'node:crypto';
import type { PlatformId } from '../../providers/types.ts';

/** What the emulated platforms have "published", for list endpoints and test assertions. */
export type PublishedPost = {
  id: string;
  platform: PlatformId;
  accountId: string;
  text: string;
  media: unknown[];
  createdAtMs: number;
  /** Any platform-specific fields (visibility, reply settings, a container id). */
  extra: Record<string, unknown>;
};

export class PublishedPosts {
  #posts: PublishedPost[] = [];

  add(input: Omit<PublishedPost, 'id' | 'createdAtMs' | 'extra'> & { id?: string; extra?: Record<string, unknown> }, nowMs: number): PublishedPost {
    const post: PublishedPost = { extra: {}, ...input, id: input.id ?? randomUUID(), createdAtMs: nowMs };
    this.#posts.push(post);
    return post;
  }

  list(filter: { platform?: PlatformId; accountId?: string } = {}): PublishedPost[] {
    return this.#posts.filter((p) => (!filter.platform || p.platform === filter.platform) && (!filter.accountId || p.accountId === filter.accountId));
  }

  get(platform: PlatformId, id: string): PublishedPost | undefined {
    return this.#posts.find((p) => p.platform === platform && p.id === id);
  }

  clear(): void {
    this.#posts = [];
  }
}
