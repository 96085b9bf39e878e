/**
 * Test support for the publishing engine: a scripted in-memory platform (an adapter whose
 * outcomes a test chooses per call, counting what it really published) and fixtures that insert
 * posts and targets. Not used outside tests and benchmarks.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Database } from '../../db/database.ts';
import { AppError } from '../../http/errors.ts';
import { ProviderError, type PlatformFacts, type PlatformId, type Provider, type PublishRequest } from '../../providers/types.ts';
import type { ConnectionForPublish, PublishDeps } from '../publishDeps.ts';

/** What one publish call does: succeed, throw, or publish and then lose the response. */
export type Step =
  | { kind: 'ok' }
  | { kind: 'error'; error: ProviderError }
  | { kind: 'lost_response' }
  | { kind: 'hang'; until: Promise<void> };

export type TestPlatform = {
  provider: Provider;
  /** Posts that exist on the platform, by idempotency key. */
  published: Map<string, { id: string; text: string; count: number }>;
  /** Outcomes for the next calls, in order; `ok` once empty. */
  script: Step[];
  calls: number;
  progressSeen: Record<string, unknown>[];
};

export function createTestPlatform(options: { platform?: PlatformId; canFindRecentPosts?: boolean; multiStep?: boolean } = {}): TestPlatform {
  const platform = options.platform ?? 'x';
  const t: TestPlatform = { provider: undefined as unknown as Provider, published: new Map(), script: [], calls: 0, progressSeen: [] };
  const create = (post: PublishRequest) => {
    const existing = t.published.get(post.idempotencyKey);
    if (existing) existing.count += 1;
    const entry = existing ?? { id: `p-${t.published.size + 1}`, text: post.text, count: 1 };
    t.published.set(post.idempotencyKey, entry);
    return { platformPostId: entry.id, url: `https://platform.test/${entry.id}` };
  };
  const facts = { id: platform, displayName: `Test ${platform}`, canFindRecentPosts: options.canFindRecentPosts ?? true } as PlatformFacts;
  const provider: Provider = {
    facts,
    authorizationUrl: () => new URL('https://platform.test/authorize'),
    exchangeCode: () => Promise.reject(new Error('not used')),
    refresh: () => Promise.reject(new Error('not used')),
    verify: () => Promise.resolve({ valid: true }),
    classifyError: () => null,
    async publish(_ctx, _cred, post, progress) {
      t.calls += 1;
      t.progressSeen.push({ ...progress.state });
      if (options.multiStep && !progress.state.containerId) await progress.save({ containerId: `c-${post.idempotencyKey}` });
      const step = t.script.shift() ?? { kind: 'ok' };
      if (step.kind === 'hang') await step.until;
      if (step.kind === 'error') throw step.error;
      const result = create(post);
      if (step.kind === 'lost_response') throw new ProviderError('transient', 'network_error', 'the connection was reset');
      return result;
    },
  };
  if (options.canFindRecentPosts ?? true) {
    provider.findRecentPost = async (_ctx, _cred, post) => {
      const entry = t.published.get(post.idempotencyKey);
      return entry ? { platformPostId: entry.id, url: `https://platform.test/${entry.id}` } : null;
    };
  }
  t.provider = provider;
  return t;
}

export type TestDeps = PublishDeps & { connections: Map<string, ConnectionForPublish>; tokenFailures: string[]; freshCalls: number };

export function createTestDeps(platform: TestPlatform): TestDeps {
  const deps: TestDeps = {
    connections: new Map(),
    tokenFailures: [],
    freshCalls: 0,
    provider: () => platform.provider,
    providerContext: (ctx: AppContext) => ({ clock: ctx.clock, http: fetch, client: null, hosts: {}, redirectUri: 'http://localhost/cb', sandbox: true }),
    connection: async (_db, id) => deps.connections.get(id) ?? { state: 'active', stateReason: null },
    freshCredential: async (_ctx, connectionId) => {
      deps.freshCalls += 1;
      const connection = deps.connections.get(connectionId);
      if (connection && (connection.state === 'needs_reconnect' || connection.state === 'disconnected')) {
        throw new AppError('conflict', `The connection needs reconnecting (${connection.stateReason ?? connection.state})`);
      }
      return {
        credential: {
          accessToken: 'test-access-token',
          accessExpiresAt: null,
          refreshToken: null,
          refreshExpiresAt: null,
          issuedAt: new Date(0),
          scopes: [],
          platformAccountId: 'acct',
          meta: {},
        },
      };
    },
    reportTokenFailure: async (_ctx, connectionId, error) => {
      deps.tokenFailures.push(`${connectionId}:${error.reason}`);
    },
  };
  return deps;
}

/**
 * Inserts a scheduled post with one target per connection (all on `platform`, or each on its own
 * via `targets`); returns the target ids in order.
 */
export async function insertScheduledPost(
  db: Database,
  input: {
    workspaceId: string;
    at: Date;
    now: Date;
    connectionIds?: string[];
    platform?: PlatformId;
    targets?: { connectionId: string; platform: PlatformId }[];
    text?: string;
    content?: Record<string, unknown>;
  },
): Promise<string[]> {
  const postId = randomUUID();
  const content = input.content ?? { text: input.text ?? 'Hello from Perennial', mediaIds: [] };
  const targets = input.targets ?? (input.connectionIds ?? []).map((connectionId) => ({ connectionId, platform: input.platform ?? 'x' }));
  await db.execute(sql`
    insert into posts (id, workspace_id, content, scheduled_at, time_zone, created_at, updated_at)
    values (${postId}, ${input.workspaceId}, ${JSON.stringify(content)}::jsonb, ${input.at}, 'UTC', ${input.now}, ${input.now})`);
  const ids: string[] = [];
  for (const { connectionId, platform } of targets) {
    const id = randomUUID();
    await db.execute(sql`
      insert into post_targets (id, post_id, workspace_id, connection_id, platform, status, scheduled_at, due_at, created_at, updated_at)
      values (${id}, ${postId}, ${input.workspaceId}, ${connectionId}, ${platform}, 'scheduled', ${input.at}, ${input.at}, ${input.now}, ${input.now})`);
    ids.push(id);
  }
  return ids;
}

export async function targetRow(db: Database, id: string): Promise<Record<string, unknown>> {
  const res = await db.execute(sql`select * from post_targets where id = ${id}`);
  return res.rows[0] as Record<string, unknown>;
}
