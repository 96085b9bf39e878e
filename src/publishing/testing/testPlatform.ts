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
import { ProviderError, PublishOutcomeUncertain, PublishStillProcessing, type PlatformFacts, type PlatformId, type Provider, type PublishRequest, type StoredCredential } from '../../providers/types.ts';
import type { ConnectionAccess, PublishDeps } from '../publishDeps.ts';

/**
 * What one publish call does: succeed, throw, publish and then lose the response (no answer),
 * publish and then answer an error anyway (`error_after_post`: a 502 from a proxy after the
 * platform acted), publish and say so without the id (`published_unrecorded`), answer "still
 * processing" (a poll follows), or wait.
 */
export type Step =
  | { kind: 'ok' }
  | { kind: 'error'; error: ProviderError }
  | { kind: 'lost_response' }
  | { kind: 'error_after_post'; error: ProviderError }
  | { kind: 'processing'; pollAfterMs: number }
  | { kind: 'published_unrecorded' }
  | { kind: 'hang'; until: Promise<void> };

export type TestPlatform = {
  provider: Provider;
  /** Posts that exist on the platform, by idempotency key. */
  published: Map<string, { id: string; text: string; count: number }>;
  /** Outcomes for the next calls, in order; `ok` once empty. */
  script: Step[];
  /** Failures of the next lookups, in order (then lookups answer normally). */
  lookupFailures: ProviderError[];
  /** Every lookup: its `since` and the ids it was told to skip. */
  lookups: { since: Date; skip: string[] }[];
  calls: number;
  /** The HTTP signal of the last publish call (the engine passes one through ctx.http). */
  lastSignal: AbortSignal | undefined;
  progressSeen: Record<string, unknown>[];
};

export function createTestPlatform(options: { platform?: PlatformId; canFindRecentPosts?: boolean; multiStep?: boolean } = {}): TestPlatform {
  const platform = options.platform ?? 'x';
  const t: TestPlatform = {
    provider: undefined as unknown as Provider,
    published: new Map(),
    script: [],
    lookupFailures: [],
    lookups: [],
    calls: 0,
    lastSignal: undefined,
    progressSeen: [],
  };
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
    async publish(ctx, _cred, post, progress) {
      t.calls += 1;
      t.progressSeen.push({ ...progress.state });
      // Reaches the engine's signal the way adapters do: through ctx.http's init.
      await ctx.http('http://platform.test/signal', { method: 'HEAD' }).catch((err: unknown) => {
        if (!(err instanceof SignalSeen)) throw err;
      });
      if (options.multiStep && !progress.state.containerId) await progress.save({ containerId: `c-${post.idempotencyKey}` });
      const step = t.script.shift() ?? { kind: 'ok' };
      if (step.kind === 'hang') {
        await Promise.race([step.until, abortedOf(t.lastSignal)]);
        // As fetch does: an aborted call never reaches the platform.
        if (t.lastSignal?.aborted) throw new ProviderError('transient', 'network_error', 'the request was aborted');
      }
      if (step.kind === 'error') throw step.error;
      if (step.kind === 'processing') throw new PublishStillProcessing('media_processing', 'still processing', step.pollAfterMs);
      const result = create(post);
      if (step.kind === 'lost_response') throw new ProviderError('transient', 'network_error', 'the connection was reset');
      if (step.kind === 'error_after_post') throw step.error;
      if (step.kind === 'published_unrecorded') throw new PublishOutcomeUncertain('publish_uncertain', 'published, id not recorded');
      return result;
    },
  };
  if (options.canFindRecentPosts ?? true) {
    provider.findRecentPost = async (_ctx, _cred, post, since, skip) => {
      t.lookups.push({ since, skip: [...(skip ?? [])] });
      const failure = t.lookupFailures.shift();
      if (failure) throw failure;
      const entry = t.published.get(post.idempotencyKey);
      return entry && !skip?.has(entry.id) ? { platformPostId: entry.id, url: `https://platform.test/${entry.id}` } : null;
    };
  }
  t.provider = provider;
  return t;
}

/**
 * Test wiring: connection states by id (default active), credentials handed out with the batch
 * unless `expiring` holds the connection (then the just-in-time path, `freshCredential`, runs).
 */
export type TestDeps = PublishDeps & {
  connections: Map<string, Omit<ConnectionAccess, 'credential'>>;
  expiring: Set<string>;
  tokenFailures: string[];
  /** How many times the batch read its connections, and how many just-in-time refreshes ran. */
  accessReads: number;
  freshCalls: number;
};

const testCredential: StoredCredential = {
  accessToken: 'test-access-token',
  accessExpiresAt: null,
  refreshToken: null,
  refreshExpiresAt: null,
  issuedAt: new Date(0),
  scopes: [],
  platformAccountId: 'acct',
  meta: {},
};

/** Lets the test platform see the signal the engine passes to HTTP calls without any network. */
class SignalSeen extends Error {}

function abortedOf(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export function createTestDeps(platform: TestPlatform): TestDeps {
  const deps: TestDeps = {
    connections: new Map(),
    expiring: new Set(),
    tokenFailures: [],
    accessReads: 0,
    freshCalls: 0,
    provider: () => platform.provider,
    providerContext: (ctx: AppContext) => ({
      clock: ctx.clock,
      http: async (_url, init) => {
        platform.lastSignal = init?.signal ?? undefined;
        throw new SignalSeen();
      },
      client: null,
      hosts: {},
      redirectUri: 'http://localhost/cb',
      sandbox: true,
    }),
    connectionAccess: async (_ctx, ids) => {
      deps.accessReads += 1;
      return new Map(
        ids.map((id) => {
          const c = deps.connections.get(id) ?? { state: 'active' as const, stateReason: null };
          const usable = c.state === 'active' || c.state === 'degraded';
          return [id, { ...c, credential: usable && !deps.expiring.has(id) ? testCredential : null }];
        }),
      );
    },
    freshCredential: async (_ctx, connectionId) => {
      deps.freshCalls += 1;
      const connection = deps.connections.get(connectionId);
      if (connection && (connection.state === 'needs_reconnect' || connection.state === 'disconnected')) {
        throw new AppError('conflict', `The connection needs reconnecting (${connection.stateReason ?? connection.state})`, { details: { reason: connection.stateReason } });
      }
      return { credential: testCredential };
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
